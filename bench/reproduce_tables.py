#!/usr/bin/env python3
"""Tables 5 and 6 and the speed comparison of bench/reproduce.sh as Markdown, beside the paper's figures.
Usage: bench/reproduce_tables.py OUT (the reproduce.sh output directory)."""
import glob, json, os, re, statistics, sys
from collections import defaultdict

out = sys.argv[1]
KEYS = ("domain_acc", "intent_acc", "slot_f1", "sentence_acc")
runs = defaultdict(list)
for path in sorted(glob.glob(os.path.join(out, "runs", "*-s*.json"))):
    m = re.match(r"(.*)-s(\d+)\.json$", os.path.basename(path))
    try:
        j = json.load(open(path))
    except (json.JSONDecodeError, OSError):
        continue
    if "test" in j:
        runs[m.group(1)].append({k: 100 * j["test"][k] for k in KEYS})

def cells(name):
    rs = runs.get(name, [])
    if not rs:
        return ["—"] * 4 + ["0"]
    f = lambda v: f"{v[0]:.2f}" if len(v) == 1 else f"{statistics.mean(v):.2f} ± {statistics.stdev(v):.2f}"
    return [f([r[k] for r in rs]) for k in KEYS] + [str(len(rs))]

print("SMP2019 test (270 utterances: one utterance = 0.37 points); mean ± std over seeds.\n")
print("### Table 5: teacher loss weights (W1, W2, W3)\n")
print("| weights | domain | intent | slot F1 | sentence | seeds |")
print("|---|---:|---:|---:|---:|---:|")
for w in ("111", "112", "113", "114", "211", "121", "221"):
    print(f"| ({','.join(w)}) | " + " | ".join(cells(f"teacher-w{w}")) + " |")
print("\nPaper (ALBERT, 1:1:2): 94.44 / 96.11 / 83.04 / 77.74.\n")
print("### Table 6: class-weight adjustment, distillation, the student alone\n")
print("| model | domain | intent | slot F1 | sentence | seeds |")
print("|---|---:|---:|---:|---:|---:|")
for label, name in (("teacher", "teacher-w112"), ("teacher + class weights (sqrt)", "teacher-w112-cw"),
                    ("student distilled", "student-kd"), ("student distilled + class weights", "student-kd-cw"),
                    ("student alone", "student-alone")):
    print(f"| {label} | " + " | ".join(cells(name)) + " |")
print("\nPaper: KD BiLSTM 90.56 / 92.77 / 73.57 / 67.22; BiLSTM alone sentence 58.33.\n")
bench = os.path.join(out, "bench.json")
if os.path.exists(bench):
    b = json.load(open(bench))
    print("### Speed (1 thread, batch 1, every test utterance)\n")
    print("| model | p50 µs | p99 µs | throughput (all threads) utt/s |")
    print("|---|---:|---:|---:|")
    for m in b.get("models", []):
        print(f"| {m['name']} | {m['p50_us']:.1f} | {m['p99_us']:.1f} | {m['throughput_per_s']:.0f} |")
    for k, v in b.get("ratios", {}).items():
        print(f"\n* {k}: {v:.1f}×", end="")
    print("\n\nPaper: teacher / student 18.9×.")
