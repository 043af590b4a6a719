#!/usr/bin/env bash
# Summarises a pretraining run directory (default runs/pretrain-tiny) as Markdown: the held-out MLM
# evaluations over time (from curve.csv) and the run's totals (from trainer_state.json), ready to paste
# into docs/RESULTS.md.
#   bench/pretrain_curve.sh [RUN_DIR]
set -euo pipefail
dir=${1:-runs/pretrain-tiny}
[[ -f $dir/curve.csv ]] || { echo "bench/pretrain_curve.sh: $dir/curve.csv not found" >&2; exit 2; }
python3 - "$dir" <<'PY'
import csv, json, sys
d = sys.argv[1]
state = json.load(open(f"{d}/trainer_state.json"))
rows = list(csv.DictReader(open(f"{d}/curve.csv")))
train = {int(r["step"]): r for r in rows if r["kind"] == "train"}
print(f"step {state['step']} of {state['total_steps']}, {state['tokens_seen'] / 1e6:.1f}M tokens, "
      f"{state['train_seconds'] / 3600:.2f} h of training\n")
print("| step | tokens | hours | lr | train MLM loss | train masked acc | held-out MLM loss | held-out masked acc |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|")
seen = set()
for r in rows:
    if r["kind"] != "eval" or r["step"] in seen:
        continue
    seen.add(r["step"])
    step = int(r["step"])
    near = [t for t in train if t <= step]
    t = train[max(near)] if near else None
    print(f"| {step} | {int(r['tokens']) / 1e6:.2f}M | {float(r['elapsed_s']) / 3600:.2f} | "
          f"{float(t['lr']):.2e} | {float(t['mlm_loss']):.3f} | {100 * float(t['mlm_acc']):.1f}% | "
          if t else f"| {step} | {int(r['tokens']) / 1e6:.2f}M | {float(r['elapsed_s']) / 3600:.2f} | | | | ",
          end="")
    print(f"{float(r['mlm_loss']):.3f} | {100 * float(r['mlm_acc']):.1f}% |")
PY
