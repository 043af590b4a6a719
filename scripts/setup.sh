#!/usr/bin/env bash
# Sets up jointnlu on a Debian machine: installs the Debian packages it needs (only those missing, with
# one `apt-get update`), configures and builds in Release, and checks that libtorch runs on OpenBLAS.
#
#   scripts/setup.sh                 install what is missing, build everything into build/
#   scripts/setup.sh --no-training   no libtorch: core, runtime, their tests and an inference-only CLI
#   scripts/setup.sh --no-build      only install packages
#   BUILD_DIR=out scripts/setup.sh   build elsewhere
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${BUILD_DIR:-$here/build}"
with_training=ON
do_build=1
for arg in "$@"; do
  case "$arg" in
    --no-training) with_training=OFF ;;
    --no-build) do_build=0 ;;
    -h|--help) sed -n '2,9p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "setup.sh: unknown argument '$arg'" >&2; exit 2 ;;
  esac
done

log() { printf '[setup] %s\n' "$*" >&2; }

packages=(build-essential cmake pkg-config git
          nlohmann-json3-dev libcli11-dev libboost-dev libcpp-httplib-dev libspdlog-dev libutf8proc-dev libeigen3-dev
          libgtest-dev libgmock-dev libbenchmark-dev gnuplot-nox libmarisa-dev python3-jieba
          clang libclang-rt-dev   # clang + libFuzzer: scripts/fuzz.sh (sanitizer build, fuzz targets)
          # the Python package (python/) and its tests: scripts/check_install.sh
          python3 python3-dev python3-venv python3-pip python3-setuptools python3-wheel python3-pybind11
          pybind11-dev python3-pytest)
if [ "$with_training" = ON ]; then
  # libopenblas-dev: without it libtorch falls back to the reference BLAS and trains ~8x slower.
  # python3-torch: the independent BERT/ELECTRA reference forward the tests compare the encoder
  # with (tests/reference), and scripts/hf_bin_to_safetensors.py.
  # libgloo-dev: the headers of the Gloo backend of libtorch's c10d (data-parallel training).
  packages+=(libtorch-dev libopenblas-dev python3-torch libgloo-dev)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then sudo=()
  elif command -v sudo >/dev/null 2>&1; then sudo=(sudo)
  else log "need root or sudo to install: ${missing[*]}"; exit 1
  fi
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -q
  "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  log "all ${#packages[@]} Debian packages are installed"
fi

if [ "$with_training" = ON ]; then
  # libtorch links the generic libblas.so.3; Debian's alternatives decide which BLAS that is.
  blas="$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || true)"
  case "$blas" in
    *openblas*) log "libblas.so.3 -> $blas (OpenBLAS)" ;;
    *)
      log "libblas.so.3 -> ${blas:-nothing}: not OpenBLAS; selecting OpenBLAS"
      alt="$(ls /usr/lib/x86_64-linux-gnu/openblas-*/libblas.so.3 2>/dev/null | head -n 1)"
      if [ -n "$alt" ]; then
        ${sudo[@]+"${sudo[@]}"} update-alternatives --set libblas.so.3-x86_64-linux-gnu "$alt" || true
      fi
      ;;
  esac
fi

[ "$do_build" = 1 ] || exit 0

jobs="$(nproc 2>/dev/null || echo 2)"
log "configuring $build_dir (Release, training $with_training)"
cmake -S "$here" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DJOINTNLU_WITH_TRAINING="$with_training" >/dev/null
log "building with $jobs jobs"
cmake --build "$build_dir" -j "$jobs"

if [ "$with_training" = ON ]; then
  # The real check: which BLAS the loaded libtorch actually calls, and how fast it is.
  if "$build_dir/jointnlu" info >"$build_dir/info.txt" 2>&1; then
    log "libtorch uses OpenBLAS: $(grep '^blas' "$build_dir/info.txt" | awk '{print $2}'), sgemm $(grep GFLOP "$build_dir/info.txt" | awk '{print $3}') GFLOP/s"
  else
    cat "$build_dir/info.txt" >&2
    log "WARNING: libtorch is NOT using OpenBLAS; training will be ~8x slower"
  fi
fi
# The shipped encoder's vocabulary is not committed: it is byte for byte a file of ../shared's
# pretrained encoder, and nothing of ../shared is copied into the project. It is made here from the
# corpus it was built from (the same builder as pretrain --build-vocab) and checked against its hash.
enc="$here/models/zh-tiny"
shared="${JOINTNLU_SHARED_DIR:-$here/../shared}"
if [ ! -f "$enc/vocab.txt" ]; then
  if [ -d "$shared/corpus/zh" ] && [ -f "$shared/data/smp2019/train.json" ]; then
    "$build_dir/jointnlu" vocab --corpus "$shared"/corpus/zh/*.txt --train "$shared/data/smp2019/train.json" \
      --out "$enc/vocab.txt.new" 2>/dev/null
    if [ "$(sha256sum "$enc/vocab.txt.new" | cut -d' ' -f1)" = "$(cat "$enc/vocab.sha256")" ]; then
      mv "$enc/vocab.txt.new" "$enc/vocab.txt"
      log "made $enc/vocab.txt from $shared/corpus/zh"
    else
      rm -f "$enc/vocab.txt.new"
      log "WARNING: the vocabulary made from $shared/corpus/zh does not match $enc/vocab.sha256; the shipped encoder stays unusable"
    fi
  else
    log "no $shared/corpus/zh: the shipped encoder has no vocabulary here (train-teacher needs --init DIR or --init none; the demo trains from scratch)"
  fi
fi
log "done: $build_dir/jointnlu"
