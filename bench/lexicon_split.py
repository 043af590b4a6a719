#!/usr/bin/env python3
"""Issue 18's breakdown of models on SMP2019 test, with the official scorer (`jointnlu eval`): sentence
accuracy on the utterances whose slot values all occur in the training set ("seen") and on those with at
least one value that does not ("unseen"), and slot F1 of the keys lexicons are meant to help.

  bench/lexicon_split.py RUNS_DIR [NAME ...]      # model dirs RUNS_DIR/NAME-sSEED (default: every one)

Prints one JSON line per model and a Markdown table of mean ± std over seeds per NAME. Environment:
JOINTNLU (binary, default build/jointnlu), SMP2019 (default ../shared/data/smp2019)."""
import collections, json, os, re, statistics, subprocess, sys, tempfile

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
binary = os.environ.get("JOINTNLU", os.path.join(root, "build", "jointnlu"))
data = os.environ.get("SMP2019", os.path.join(root, "..", "shared", "data", "smp2019"))
KEYS = ("name", "dishName", "content", "keyword", "tvchannel")


def values(record):
    for v in record["slots"].values():
        yield from (v if isinstance(v, list) else [v])


train = json.load(open(os.path.join(data, "train.json")))
seen_values = {v for r in train for v in values(r)}
test = json.load(open(os.path.join(data, "test.json")))
is_seen = [all(v in seen_values for v in values(r)) for r in test]


def score(gold, pred_lines, tmp):
    g, p = os.path.join(tmp, "gold.json"), os.path.join(tmp, "pred.jsonl")
    json.dump(gold, open(g, "w"), ensure_ascii=False)
    open(p, "w").write("".join(pred_lines))
    out = subprocess.run([binary, "eval", "--gold", g, "--pred", p, "--json"], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def evaluate(model):
    with tempfile.TemporaryDirectory() as tmp:
        pred = subprocess.run([binary, "predict", "--model", model, os.path.join(data, "test.json")],
                              check=True, capture_output=True, text=True).stdout.splitlines(True)
        assert len(pred) == len(test), model
        full = score(test, pred, tmp)
        row = {"sentence": 100 * full["sentence_acc"], "slot_f1": 100 * full["slots"]["f1"]}
        for name, keep in (("seen", True), ("unseen", False)):
            idx = [i for i, s in enumerate(is_seen) if s == keep]
            part = score([test[i] for i in idx], [pred[i] for i in idx], tmp)
            row[f"sentence_{name}"] = 100 * part["sentence_acc"]
        for key in KEYS:
            k = full["slots_by_key"].get(key)
            row[f"f1_{key}"] = 100 * k["f1"] if k else float("nan")
        return row


runs_dir = sys.argv[1]
wanted = set(sys.argv[2:])
groups = collections.defaultdict(list)
for entry in sorted(os.listdir(runs_dir)):
    m = re.match(r"(.*)-s(\d+)$", entry)
    path = os.path.join(runs_dir, entry)
    if not m or not os.path.isfile(os.path.join(path, "config.json")):
        continue
    if wanted and m.group(1) not in wanted:
        continue
    row = evaluate(path)
    print(json.dumps({"name": m.group(1), "seed": int(m.group(2)), **row}), flush=True)
    groups[m.group(1)].append(row)

print(f"\nSMP2019 test: {sum(is_seen)} utterances with only seen slot values, "
      f"{len(test) - sum(is_seen)} with at least one unseen\n")
cols = ["sentence", "sentence_seen", "sentence_unseen", "slot_f1"] + [f"f1_{k}" for k in KEYS]
print("| run | seeds | " + " | ".join(cols) + " |")
print("|---|---:|" + "---:|" * len(cols))
for name, rows in groups.items():
    cells = []
    for c in cols:
        v = [r[c] for r in rows]
        cells.append(f"{statistics.mean(v):.2f}" + (f" ± {statistics.stdev(v):.2f}" if len(v) > 1 else ""))
    print(f"| {name} | {len(rows)} | " + " | ".join(cells) + " |")
