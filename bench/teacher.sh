#!/usr/bin/env bash
# The tiny ALBERT teacher from random initialisation on SMP2019: trains on train, early-stops on dev, and
# prints the four official figures on dev and test plus the training seconds per epoch (stdout; the
# progress and per-epoch dev figures go to stderr). Extra arguments go to train-teacher, e.g.
#   bench/teacher.sh --class-weights sqrt --seed 2
# Environment: JOINTNLU (the binary, default build/jointnlu), SMP2019 (the data directory, default
# ../shared/data/smp2019 beside the checkout), OUT (the model directory, default /tmp/jointnlu-teacher-tiny).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${JOINTNLU:-$root/build/jointnlu}
data=${SMP2019:-$root/../shared/data/smp2019}
out=${OUT:-/tmp/jointnlu-teacher-tiny}
for f in train dev test; do
  [[ -f $data/$f.json ]] || { echo "bench/teacher.sh: $data/$f.json not found (set SMP2019)" >&2; exit 2; }
done
[[ -x $bin ]] || { echo "bench/teacher.sh: $bin not found (build first, or set JOINTNLU)" >&2; exit 2; }
# libgomp's threads spin while waiting for work; on a machine shared with other jobs that makes 2 threads
# ~3-5x slower than 1 (measured: SMP2019 epoch 147 s vs 31 s with a pretraining job running). Sleeping
# waiters cost nothing measurable here and remove the collapse.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
set -x
"$bin" train-teacher --train "$data/train.json" --dev "$data/dev.json" --test "$data/test.json" \
  --out "$out" --init none --size tiny "$@"
