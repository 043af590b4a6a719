#!/usr/bin/env bash
# Data-parallel pretraining on this machine: tokens/s of 1 rank and of 2 ranks (one compute thread
# each, scripts/train-distributed.sh), alternating ROUNDS times, with the same global batch. Prints
# the scaling efficiency (2-rank rate / (2 x 1-rank rate)), the share of step time rank 0 spends in
# collectives, the bytes it all-reduces per step, the pipeline's share and each run's peak RSS, and
# extrapolates from those measurements to N machines on a network (see the note printed at the
# end). Run it on an otherwise idle machine.
#
#   bench/distributed_scaling.sh                     # tiny, batch 64 x 64, 20 steps x 2 rounds
#   STEPS=30 ROUNDS=3 BATCH=128 GBITS=10 bench/distributed_scaling.sh
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${JOINTNLU:-build/jointnlu}
STEPS=${STEPS:-20}
ROUNDS=${ROUNDS:-2}
BATCH=${BATCH:-64}
LEN=${LEN:-64}
SIZE=${SIZE:-tiny}
GBITS=${GBITS:-10}             # network bandwidth of the extrapolation, Gbit/s
LATENCY_US=${LATENCY_US:-50}   # per message, microseconds
TRAIN=${TRAIN:-../shared/data/smp2019/train.json}
read -r -a CORPUS <<< "${CORPUS:-$(echo ../shared/corpus/zh/*.txt)}"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$BIN" pretrain --corpus "${CORPUS[@]}" --train "$TRAIN" --build-vocab --out "$tmp/vocab-run" --steps 1 \
  --batch-size 2 --threads 1 > /dev/null 2> "$tmp/vocab.log"
cp "$tmp/vocab-run/vocab.txt" "$tmp/vocab.txt"

run() {  # run NAME RANKS: prints the summary JSON of rank 0 with the run's peak RSS added
  local name=$1 ranks=$2
  rm -rf "$tmp/$name"
  local cmd=("$BIN" pretrain --corpus "${CORPUS[@]}" --vocab "$tmp/vocab.txt" --out "$tmp/$name"
             --size "$SIZE" --steps "$STEPS" --batch-size "$BATCH" --max-length "$LEN"
             --checkpoint-minutes 1000 --eval-minutes 1000 --eval-sequences 64)
  if [ "$ranks" -eq 1 ]; then
    "${cmd[@]}" --threads 1 2> "$tmp/$name.log"
  else
    scripts/train-distributed.sh "$ranks" "${cmd[@]}" 2> "$tmp/$name.log"
  fi | /usr/bin/python3 -c '
import json, re, sys
r = json.load(sys.stdin)
rss = [float(m) for m in re.findall(r"peak RSS (\d+) MiB", open(sys.argv[1]).read())]
r["peak_rss_mib"] = max(rss) if rss else 0
print(json.dumps(r))' "$tmp/$name.log"
}

echo "data-parallel pretraining: size $SIZE, global batch $BATCH x $LEN, $STEPS steps per run, $ROUNDS rounds, 1 thread per rank"
results=()
for round in $(seq "$ROUNDS"); do
  one=$(run one 1)
  two=$(run two 2)
  results+=("$one" "$two")
  /usr/bin/python3 - "$one" "$two" "$round" <<'EOF'
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print("round %s: 1 rank %8.1f tok/s (pipeline %.1f%%, RSS %.0f MiB) | 2 ranks %8.1f tok/s "
      "(collectives %.1f%% of rank 0's step time, %.2f MB/step, pipeline %.1f%%, RSS %.0f MiB per rank)"
      % (sys.argv[3], a["tokens_per_second"], 100 * a["pipeline_fraction"], a["peak_rss_mib"],
         b["tokens_per_second"], 100 * b["communication_fraction"],
         b["communication_bytes_per_step"] / 1e6, 100 * b["pipeline_fraction"], b["peak_rss_mib"]))
EOF
done

# The gradient exchange alone, at the measured volume, with nothing else running: how much of the
# collectives' share above is transfer rather than waiting for the other rank.
volume_mb=$(/usr/bin/python3 -c 'import json,sys; r=[json.loads(x) for x in sys.argv[1:]][1::2]; print(sum(x["communication_bytes_per_step"] for x in r)/len(r)/1e6)' "${results[@]}")
bare=$("${ALLREDUCE:-build/bench/allreduce_throughput}" "$volume_mb" 30 | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["milliseconds_per_step"])')

/usr/bin/python3 - "$GBITS" "$LATENCY_US" "$BATCH" "$LEN" "$bare" "${results[@]}" <<'EOF'
import json, statistics, sys
gbits, latency_us, batch, length = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
bare_ms = float(sys.argv[5])
runs = [json.loads(x) for x in sys.argv[6:]]
one, two = runs[0::2], runs[1::2]
r1 = statistics.mean(r["tokens_per_second"] for r in one)
r2 = statistics.mean(r["tokens_per_second"] for r in two)
comm = statistics.mean(r["communication_fraction"] for r in two)
volume = statistics.mean(r["communication_bytes_per_step"] for r in two)
pipe1 = statistics.mean(r["pipeline_fraction"] for r in one)
print(f"mean: 1 rank {r1:.1f} tok/s, 2 ranks {r2:.1f} tok/s, speed-up {r2/r1:.2f}x, "
      f"scaling efficiency {100*r2/(2*r1):.1f}%, collectives {100*comm:.1f}% of step time, {volume/1e6:.2f} MB all-reduced per step")

t2 = statistics.mean(r["tokens_seen"] / r["step"] / r["tokens_per_second"] for r in two)
print(f"the gradient all-reduce alone (build/bench/allreduce_throughput {volume/1e6:.2f}): {bare_ms:.1f} ms "
      f"= {100*bare_ms/1000/t2:.1f}% of a 2-rank step ({t2:.2f} s); the rest of the collectives' share is waiting")

# Extrapolation to N machines, each keeping this run's per-rank work (global batch N x BATCH):
# per step, a rank computes what one rank computes here for BATCH sequences (t_compute), produces
# the whole global batch's input (every rank runs the same pipeline: N x t_pipeline), and
# all-reduces `volume` bytes; a ring all-reduce moves 2 (N-1)/N of them in and out of each machine,
# in 2 (N-1) messages.
tokens = statistics.mean(r["tokens_seen"] / r["step"] for r in one)  # real tokens per step
t_step = tokens / r1
t_pipe = pipe1 * t_step
t_compute = t_step - t_pipe
bandwidth = gbits * 1e9 / 8
for n in (2, 8, 32):
    t_comm = 2 * (n - 1) / n * volume / bandwidth + 2 * (n - 1) * latency_us * 1e-6
    t = t_compute + n * t_pipe + t_comm
    print(f"estimate, {n:2d} machines at {gbits:g} Gbit/s: step {1000*t:.0f} ms (compute {1000*t_compute:.0f}, "
          f"pipeline {1000*n*t_pipe:.0f}, all-reduce {1000*t_comm:.0f}) -> efficiency {100*t_step/t:.0f}%")
EOF
