#!/usr/bin/env bash
# Is the pretraining data pipeline a bottleneck? Trains N steps with the real pipeline (streaming,
# tokenizing, packing, masking the corpus) and N steps on one synthetic batch of the same shape
# (JOINTNLU_PRETRAIN_SYNTHETIC=1: bare forward + backward + optimizer), alternating ROUNDS times, and
# prints the tokens/s of each and their ratio. Both count only the step loop (no evaluation, no
# checkpoint writing). Run it on an otherwise idle machine: other processes make the numbers noisy.
#
#   bench/pretrain_throughput.sh                      # tiny, batch 64 x 64, 2 threads, 20 steps x 2 rounds
#   STEPS=50 ROUNDS=3 BATCH=128 bench/pretrain_throughput.sh
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${JOINTNLU:-build/jointnlu}
STEPS=${STEPS:-20}
ROUNDS=${ROUNDS:-2}
BATCH=${BATCH:-64}
LEN=${LEN:-64}
THREADS=${THREADS:-2}
SIZE=${SIZE:-tiny}
TRAIN=${TRAIN:-../shared/data/smp2019/train.json}
read -r -a CORPUS <<< "${CORPUS:-$(echo ../shared/corpus/zh/*.txt)}"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

run() {  # run NAME [env...]: prints the tokens/s of one run
  local name=$1
  shift
  rm -rf "$tmp/$name"
  env "$@" "$BIN" pretrain --corpus "${CORPUS[@]}" --train "$TRAIN" --vocab "$tmp/vocab.txt" --out "$tmp/$name" \
    --size "$SIZE" --steps "$STEPS" --batch-size "$BATCH" --max-length "$LEN" --threads "$THREADS" \
    --checkpoint-minutes 1000 2> "$tmp/$name.log" |
    python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["tokens_per_second"], r["pipeline_fraction"])'
}

# One vocabulary for all runs (built once from the corpus).
"$BIN" pretrain --corpus "${CORPUS[@]}" --train "$TRAIN" --build-vocab --out "$tmp/vocab-run" --steps 1 \
  --batch-size 2 --threads "$THREADS" > /dev/null 2> "$tmp/vocab.log"
cp "$tmp/vocab-run/vocab.txt" "$tmp/vocab.txt"

echo "pretrain throughput: size $SIZE, batch $BATCH x $LEN, $THREADS threads, $STEPS steps per run, $ROUNDS rounds"
real_sum=0
synth_sum=0
for round in $(seq "$ROUNDS"); do
  read -r real frac < <(run real)
  read -r synth _ < <(run synth JOINTNLU_PRETRAIN_SYNTHETIC=1)
  printf 'round %d: pipeline %8.1f tok/s (batch production %.2f%% of step time) | synthetic %8.1f tok/s\n' \
    "$round" "$real" "$(python3 -c "print(100*$frac)")" "$synth"
  real_sum=$(python3 -c "print($real_sum + $real)")
  synth_sum=$(python3 -c "print($synth_sum + $synth)")
done
python3 -c "
r, s = $real_sum / $ROUNDS, $synth_sum / $ROUNDS
print(f'mean: pipeline {r:.1f} tok/s, synthetic {s:.1f} tok/s, ratio {100 * r / s:.1f}% (target >= 90%)')"
