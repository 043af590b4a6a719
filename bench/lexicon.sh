#!/usr/bin/env bash
# Issue 18's experiments on SMP2019: teacher, student alone and distilled student, each with and
# without lexicon features, over several seeds, as a resumable background job (every run is cached
# as $OUT/runs/NAME-sSEED.json; kill and restart at will). Then $OUT/tables.md (mean ± std).
# Also, with lexicons: the teacher with sqrt class weights (teacher-lex-cw), and students distilled
# from the ensemble of all seeds' teachers (student-lex-ens: 3 teacher-lex; student-lex-cw-ens).
#
#   bench/lexicon.sh PRETRAINED_DIR      # the teacher's encoder, e.g. models/zh-tiny or a pretrain --out
#
# Lexicon sources (LEXICON, word-split): by default the THUOCL lists, the SMP2019 gazetteers and
# jieba's dictionary by POS tag:
#   --lexicon thuocl=../shared/lexicons/thuocl --lexicon gaz=$SMP2019/gazetteers --lexicon jieba
# Environment: JOINTNLU, SMP2019, OUT (default runs/lexicon), SEEDS (default "1 2 3"), THREADS (per
# run, default 1), JOBS (default 2), LEXICON, ONLY (a regex of run names to run, default all).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${JOINTNLU:-$root/build/jointnlu}
data=${SMP2019:-$root/../shared/data/smp2019}
out=${OUT:-$root/runs/lexicon}
seeds=${SEEDS:-1 2 3}
threads=${THREADS:-1}
jobs=${JOBS:-2}
only=${ONLY:-.}
pretrained=${1:?usage: bench/lexicon.sh PRETRAINED_DIR}
read -r -a lexicon <<< "${LEXICON:---lexicon thuocl=$root/../shared/lexicons/thuocl --lexicon gaz=$data/gazetteers --lexicon jieba}"
[[ -f $pretrained/config.json ]] || { echo "lexicon.sh: $pretrained has no config.json" >&2; exit 2; }
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
mkdir -p "$out/runs"
common=(--train "$data/train.json" --dev "$data/dev.json" --test "$data/test.json" --threads "$threads" --json)

run() {  # run NAME SEED COMMAND...: once, caching $out/runs/NAME-sSEED.json
  local name=$1 seed=$2
  shift 2
  [[ $name =~ $only ]] || return 0
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
teacher() {  # the teacher of docs/RESULTS.md's Table 6 (1,1,2), from the given encoder
  run "$1" "$2" "$bin" train-teacher "${common[@]}" --init "$pretrained" --lr 5e-4 --encoder-dropout 0.1 \
    "${@:3}"
}
student() {  # distilled as Table 6's student-kd; the lexicon is the teacher's
  run "$1" "$2" "$bin" distill --teacher "$3" "${common[@]}" --gazetteers "$data/gazetteers" --augment 4 \
    --alpha 0.9 --temperature 1 "${@:4}"
}

for seed in $seeds; do
  wait_slot; teacher teacher-lex "$seed" "${lexicon[@]}" &
  wait_slot; teacher teacher "$seed" &
  wait_slot; run alone-lex "$seed" "$bin" train-student "${common[@]}" "${lexicon[@]}" &
  wait_slot; run alone "$seed" "$bin" train-student "${common[@]}" &
done
wait
for seed in $seeds; do
  for variant in -lex ""; do
    t=$out/runs/teacher$variant-s$seed
    [[ -f $t/config.json ]] || continue
    wait_slot; student "student$variant" "$seed" "$t" &
  done
done
wait
# Ensembles: every seed's teacher of a kind as one (soft targets averaged), and the class-weighted teachers.
for seed in $seeds; do
  wait_slot; teacher teacher-lex-cw "$seed" "${lexicon[@]}" --class-weights sqrt &
done
wait
for kind in teacher-lex teacher-lex-cw; do
  ensemble=()
  for s in $seeds; do [[ -f $out/runs/$kind-s$s/config.json ]] && ensemble+=(--teacher "$out/runs/$kind-s$s"); done
  (( ${#ensemble[@]} > 1 )) || continue
  for seed in $seeds; do
    wait_slot
    run "student${kind#teacher}-ens" "$seed" "$bin" distill "${ensemble[@]}" "${common[@]}" \
      --gazetteers "$data/gazetteers" --augment 4 --alpha 0.9 --temperature 1 &
  done
done
wait
python3 "$root/bench/summarize.py" <(for f in "$out"/runs/*.json; do
  python3 - "$f" <<'PY'
import json, os, re, sys
path = sys.argv[1]
m = re.match(r"(.*)-s(\d+)\.json$", os.path.basename(path))
j = json.load(open(path))
pct = lambda s: {k: round(100 * s[k], 2) for k in ("domain_acc", "intent_acc", "slot_f1", "sentence_acc")}
print(json.dumps({"name": m.group(1), "seed": int(m.group(2)), "dev": pct(j["dev"]), "test": pct(j["test"])}))
PY
done) > "$out/tables.md"
cat "$out/tables.md"
