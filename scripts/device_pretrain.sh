#!/usr/bin/env bash
# One prepared GPU session: build against the machine's CUDA libtorch (pip torch), check CPU vs GPU
# on a tiny model, then pretrain tiny-unshared on the corpus in .devdata/ until the deadline and
# release the encoder (F16) into $OUT. Usage: OUT=dir BUDGET_S=540 bash scripts/device_pretrain.sh
set -uo pipefail
T0=$(date +%s); BUDGET=${BUDGET_S:-540}; OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
LOG=$OUT/log.txt; exec > >(tee -a "$LOG") 2>&1
source scripts/device_env.sh
nvidia-smi -L; g++ --version | head -1; cmake --version | head -1
TORCH_CMAKE=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
python3 -c 'import torch;print("torch", torch.__version__, torch.version.cuda)'
common=(-G Ninja -DCMAKE_BUILD_TYPE=Release -DJOINTNLU_BUILD_TESTS=OFF -DJOINTNLU_BUILD_BENCH=OFF -DPKG_CONFIG_EXECUTABLE=$PKG_CONFIG_BIN)
if ! cmake -S . -B build-cuda "${common[@]}" -DCMAKE_PREFIX_PATH="$TORCH_CMAKE;$DEPS_PREFIX" > $OUT/configure.log 2>&1; then
  tail -30 $OUT/configure.log; exit 1
fi
cmake --build build-cuda -j16 > $OUT/build.log 2>&1 || { grep -m20 -E "error" $OUT/build.log; tail -20 $OUT/build.log; exit 1; }
echo "built at $(( $(date +%s) - T0 )) s"
J=build-cuda/jointnlu
# Parity: the same 40 synthetic steps of a tiny model on each device (losses should agree closely).
for d in cpu cuda; do
  JOINTNLU_PRETRAIN_SYNTHETIC=1 $J pretrain --corpus .devdata/corpus/chatterbot_zh.txt --build-vocab --out /tmp/par-$d --size tiny --encoder-dropout 0 --steps 40 --threads 4 --device $d 2>&1 | tail -2
  grep ^train /tmp/par-$d/curve.csv | cut -d, -f2,6 | tr '\n' ' '; echo " <- $d"
done
LEFT=$(( BUDGET - ($(date +%s) - T0) - 75 ))
MIN=$(python3 -c "print(max(0.5, $LEFT/60))")
echo "pretraining for $MIN minutes"
$J pretrain --corpus .devdata/corpus/*.txt --train .devdata/train.json --build-vocab --out /tmp/zh-gpu \
  --size tiny-unshared --encoder-dropout 0 --max-ngram 1 --lr 2e-3 --warmup 0.05 --batch-size 256 \
  --minutes $MIN --checkpoint-minutes 1 --threads 8 --device cuda 2>&1 | grep -v "^\s*$" | tail -25
$J release-encoder --model /tmp/zh-gpu --out /tmp/zh-gpu-release --dtype f16
cp /tmp/zh-gpu-release/model.safetensors $OUT/model.safetensors
tar czf $OUT/meta.tgz -C /tmp zh-gpu-release/config.json zh-gpu-release/vocab.txt zh-gpu-release/tokenizer_config.json zh-gpu/curve.csv zh-gpu/trainer_state.json
echo "done at $(( $(date +%s) - T0 )) s"
