#!/usr/bin/env bash
# Issue 5's experiments on SMP2019, one configuration at a time: the BiLSTM student alone, or
# distilled from a teacher, over several seeds; prints one JSON line per run (dev and test figures)
# on stdout. Progress and per-epoch figures go to stderr and to $OUT/<name>-s<seed>.log.
#   bench/student.sh alone                       # student alone, seeds 1 2 3
#   bench/student.sh kd TEACHER_DIR [distill flags...]   # e.g. --augment 4 --alpha 0.5
# Environment: JOINTNLU (binary, default build/jointnlu), SMP2019 (data dir, default
# ../shared/data/smp2019), OUT (default /tmp/jointnlu-student), SEEDS (default "1 2 3"),
# NAME (run name, default from the mode), THREADS (default 1).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${JOINTNLU:-$root/build/jointnlu}
data=${SMP2019:-$root/../shared/data/smp2019}
out=${OUT:-/tmp/jointnlu-student}
seeds=${SEEDS:-1 2 3}
threads=${THREADS:-1}
mode=${1:?usage: bench/student.sh alone|kd TEACHER [flags]}
shift
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
mkdir -p "$out"
common=(--train "$data/train.json" --dev "$data/dev.json" --test "$data/test.json" --threads "$threads" --json)
for seed in $seeds; do
  case $mode in
    alone)
      name=${NAME:-alone}
      "$bin" train-student "${common[@]}" --out "$out/$name-s$seed" --seed "$seed" "$@" \
        > "$out/$name-s$seed.json" 2> "$out/$name-s$seed.log" ;;
    kd)
      teacher=${1:?kd needs the teacher directory}
      name=${NAME:-kd}
      "$bin" distill --teacher "$teacher" "${common[@]}" --gazetteers "$data/gazetteers" \
        --out "$out/$name-s$seed" --seed "$seed" "${@:2}" \
        > "$out/$name-s$seed.json" 2> "$out/$name-s$seed.log" ;;
    *) echo "bench/student.sh: unknown mode $mode" >&2; exit 2 ;;
  esac
  python3 - "$out/$name-s$seed.json" "$name" "$seed" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
f = lambda s: {k: round(100 * s[k], 2) for k in ("domain_acc", "intent_acc", "slot_f1", "sentence_acc")}
print(json.dumps({"name": sys.argv[2], "seed": int(sys.argv[3]), "dev": f(j["dev"]), "test": f(j["test"]),
                  "best_epoch": j["best_epoch"], "seconds_per_epoch": round(j["seconds_per_epoch"], 2)}))
PY
done
