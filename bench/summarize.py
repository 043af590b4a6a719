#!/usr/bin/env python3
"""Mean ± std over seeds of the JSON lines bench/student.sh prints (and of train-teacher --json
outputs given as NAME=FILE...), as a Markdown table of the four official test figures plus dev
sentence accuracy. Usage: bench/summarize.py results.jsonl [NAME=run.json ...]"""
import json, statistics, sys
from collections import defaultdict

KEYS = ("domain_acc", "intent_acc", "slot_f1", "sentence_acc")
runs = defaultdict(list)
for arg in sys.argv[1:]:
    if "=" in arg:
        name, path = arg.split("=", 1)
        j = json.load(open(path))
        pct = lambda s: {k: 100 * s[k] for k in KEYS}
        runs[name].append({"test": pct(j["test"]), "dev": pct(j["dev"])})
        continue
    for line in open(arg):
        line = line.strip()
        if line:
            r = json.loads(line)
            runs[r["name"]].append(r)

def cell(values):
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f}"

print("| run | seeds | domain | intent | slot F1 | sentence | dev sentence |")
print("|---|---:|---:|---:|---:|---:|---:|")
for name, rs in runs.items():
    cols = [cell([r["test"][k] for r in rs]) for k in KEYS]
    print(f"| {name} | {len(rs)} | " + " | ".join(cols) + f" | {cell([r['dev']['sentence_acc'] for r in rs])} |")
