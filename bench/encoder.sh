#!/usr/bin/env bash
# How good is a pretrained encoder downstream? Fine-tunes the SMP2019 teacher from it over several seeds
# (Table 6's teacher: weights 1,1,2, lr LR, encoder dropout 0.1), distils a student from each seed's
# teacher and one from the ensemble of all of them (or of ENSEMBLE_SEEDS'), and prints mean ± std (bench/summarize.py). Resumable:
# every run is cached as $OUT/runs/NAME-sSEED.json; kill and restart at will.
#
#   bench/encoder.sh ENCODER_DIR          # e.g. models/zh-tiny, or a pretrain --out / release-encoder dir
#
# Environment: JOINTNLU, SMP2019, OUT (default runs/encoder/<basename of ENCODER_DIR>), SEEDS (default
# "1 2 3"), ENSEMBLE_SEEDS, LR (teacher peak rate, default 5e-4), TEACHER_FLAGS (more train-teacher flags), STAGES
# (default "teacher student ensemble"), THREADS (per run, default 1), JOBS (default 2).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${JOINTNLU:-$root/build/jointnlu}
data=${SMP2019:-$root/../shared/data/smp2019}
encoder=${1:?usage: bench/encoder.sh ENCODER_DIR}
[[ $encoder == none || -f $encoder/config.json ]] || { echo "encoder.sh: $encoder has no config.json" >&2; exit 2; }
out=${OUT:-$root/runs/encoder/$(basename "$encoder")}
seeds=${SEEDS:-1 2 3}
lr=${LR:-5e-4}
stages=${STAGES:-teacher student ensemble}
threads=${THREADS:-1}
jobs=${JOBS:-2}
read -r -a teacher_flags <<< "${TEACHER_FLAGS:-}"
for f in train dev test; do
  [[ -f $data/$f.json ]] || { echo "encoder.sh: $data/$f.json not found (set SMP2019)" >&2; exit 2; }
done
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
mkdir -p "$out/runs"
common=(--train "$data/train.json" --dev "$data/dev.json" --test "$data/test.json" --threads "$threads" --json)

run() {  # run NAME SEED COMMAND...: once, caching $out/runs/NAME-sSEED.json
  local name=$1 seed=$2
  shift 2
  local result=$out/runs/$name-s$seed.json
  [[ -s $result ]] && return 0
  echo "$(date +%T) start $name seed $seed" >&2
  if "$@" --seed "$seed" --out "$out/runs/$name-s$seed" > "$result.tmp" 2> "$out/runs/$name-s$seed.log"; then
    mv "$result.tmp" "$result"
    echo "$(date +%T) done $name seed $seed" >&2
  else
    echo "$(date +%T) FAILED $name seed $seed (see $out/runs/$name-s$seed.log)" >&2
    rm -f "$result.tmp"
  fi
}
wait_slot() { while (( $(jobs -rp | wc -l) >= jobs )); do sleep 5; done; }
distill=(--gazetteers "$data/gazetteers" --augment 4 --alpha 0.9 --temperature 1)

if [[ " $stages " == *" teacher "* ]]; then
  for seed in $seeds; do
    wait_slot
    run teacher "$seed" "$bin" train-teacher "${common[@]}" --init "$encoder" --lr "$lr" \
      --encoder-dropout 0.1 "${teacher_flags[@]}" &
  done
  wait
fi
if [[ " $stages " == *" student "* ]]; then
  for seed in $seeds; do
    [[ -f $out/runs/teacher-s$seed/config.json ]] || continue
    wait_slot
    run student "$seed" "$bin" distill --teacher "$out/runs/teacher-s$seed" "${common[@]}" "${distill[@]}" &
  done
  wait
fi
if [[ " $stages " == *" ensemble "* ]]; then
  # The teachers of ENSEMBLE_SEEDS (default: SEEDS) as one; the run is named student-ensN (N teachers).
  ensemble=()
  for s in ${ENSEMBLE_SEEDS:-$seeds}; do
    [[ -f $out/runs/teacher-s$s/config.json ]] && ensemble+=(--teacher "$out/runs/teacher-s$s")
  done
  if (( ${#ensemble[@]} > 2 )); then
    for seed in $seeds; do
      wait_slot
      run "student-ens$(( ${#ensemble[@]} / 2 ))" "$seed" "$bin" distill "${ensemble[@]}" "${common[@]}" \
        "${distill[@]}" &
    done
    wait
  fi
fi
python3 "$root/bench/summarize.py" $(for f in "$out"/runs/*-s*.json; do
  n=$(basename "$f" .json); echo "${n%-s*}=$f"; done) > "$out/tables.md"
cat "$out/tables.md"
