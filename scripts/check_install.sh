#!/usr/bin/env bash
# Checks libjointnlu as an application sees it (issue 23), from a built tree:
#   1. `cmake --install` into a temporary prefix;
#   2. the library exports only the public API (nm -D: jointnlu_* and the jointnlu:: classes of
#      include/jointnlu) and carries the SONAME libjointnlu.so.MAJOR;
#   3. examples/ builds against the installed package with find_package(jointnlu) (C and C++), and
#      the C example also with pkg-config;
#   4. a tiny student is trained on the demo data and exported; the C and C++ examples parse the
#      demo test texts and agree byte for byte;
#   5. the Python package installs offline (`pip install --no-build-isolation ./python` in a venv
#      over Debian's python3-pybind11) and its pytest suite passes, Python = C++ parses included;
#   6. the C and Python examples of the README run as shown.
#
#   scripts/check_install.sh [BUILD_DIR]     (default: build; ctest runs it as install_package)
#
# Needs a build with training (the student is trained here). Keeps nothing: all under a temp dir.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$(cd "${1:-$here/build}" && pwd)"
log() { printf '[check_install] %s\n' "$*" >&2; }
fail() { log "FAILED: $*"; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"
python="${PYTHON:-/usr/bin/python3}"  # Debian's interpreter: its python3-pybind11 and pytest
[ -x "$python" ] || python="$(command -v python3)"

log "1. cmake --install $build --prefix $prefix"
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" || { cat "$tmp/install.log" >&2; fail "install"; }
lib="$(find "$prefix" -name 'libjointnlu.so.*.*' -type f | head -n 1)"
[ -n "$lib" ] || fail "no libjointnlu.so.X.Y.Z under $prefix"
libdir="$(dirname "$lib")"
for f in include/jointnlu/jointnlu.h include/jointnlu/jointnlu_c.h include/jointnlu/export.h; do
  [ -f "$prefix/$f" ] || fail "$f was not installed"
done
[ -f "$libdir/cmake/jointnlu/jointnluConfig.cmake" ] || fail "jointnluConfig.cmake was not installed"
[ -f "$libdir/pkgconfig/jointnlu.pc" ] || fail "jointnlu.pc was not installed"

log "2. exported symbols and SONAME of $lib"
soname="$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')"
major="$(sed -n 's/#define JOINTNLU_VERSION_MAJOR \([0-9]*\)/\1/p' "$here/include/jointnlu/export.h")"
[ "$soname" = "libjointnlu.so.$major" ] || fail "SONAME is '$soname', expected libjointnlu.so.$major"
nm -D --defined-only "$lib" | awk '{print $3}' | sed 's/@.*//' | sort -u >"$tmp/symbols"
c++filt <"$tmp/symbols" >"$tmp/demangled"
# The public API: the C functions, and the classes and functions declared in include/jointnlu
# (Parser, Error, to_json, version), with Error's type information; the version node itself.
allowed='^(jointnlu_[a-z0-9_]+|JOINTNLU_[0-9]+|((typeinfo|typeinfo name|vtable) for )?jointnlu::(Parser|Error|to_json|version)\b.*)$'
if grep -Ev "$allowed" "$tmp/demangled" >"$tmp/unexpected"; then
  log "symbols outside the public API:"; head -n 30 "$tmp/unexpected" >&2
  fail "$(wc -l <"$tmp/unexpected") unexpected exported symbols"
fi
grep -q 'jointnlu::Parser::Impl::' "$tmp/demangled" && fail "members of Parser::Impl are exported"
for s in jointnlu_open jointnlu_parse_batch jointnlu_result_slot_key jointnlu_last_error; do
  grep -qx "$s" "$tmp/symbols" || fail "$s is not exported"
done
log "   $(wc -l <"$tmp/symbols") symbols, all public; SONAME $soname"

log "3. examples/ against the installed package"
cmake -S "$here/examples" -B "$tmp/examples" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
  >"$tmp/examples.log" 2>&1 || { cat "$tmp/examples.log" >&2; fail "configuring examples/"; }
cmake --build "$tmp/examples" -j 2 >>"$tmp/examples.log" 2>&1 || { cat "$tmp/examples.log" >&2; fail "building examples/"; }
export PKG_CONFIG_PATH="$libdir/pkgconfig"
# shellcheck disable=SC2046
cc -std=c99 -Wall -Wextra -pedantic -o "$tmp/parse_c_pkgconfig" "$here/examples/parse.c" \
  $(pkg-config --cflags --libs jointnlu) -Wl,-rpath,"$libdir" || fail "building parse.c with pkg-config"

log "4. a tiny student on the demo data, parsed by the C and C++ examples"
[ -x "$build/jointnlu" ] || fail "$build/jointnlu is missing"
"$build/jointnlu" train-student --train "$here/data/demo/train.json" --dev "$here/data/demo/dev.json" \
  --out "$tmp/student" --epochs 30 --hidden-size 64 --threads 2 --seed 1 >"$tmp/train.log" 2>&1 ||
  { tail -20 "$tmp/train.log" >&2; fail "training the test student (a build without training?)"; }
model="$tmp/model.safetensors"
"$build/jointnlu" export --model "$tmp/student" --out "$model" >"$tmp/export.log" 2>&1 ||
  { cat "$tmp/export.log" >&2; fail "exporting the student"; }
"$python" -c 'import json,sys; [print(e["text"]) for e in json.load(open(sys.argv[1]))]' \
  "$here/data/demo/test.json" >"$tmp/texts.txt"
"$tmp/examples/parse_c" "$model" <"$tmp/texts.txt" >"$tmp/c.jsonl" || fail "parse_c"
"$tmp/examples/parse_cpp" "$model" <"$tmp/texts.txt" >"$tmp/cpp.jsonl" || fail "parse_cpp"
"$tmp/parse_c_pkgconfig" "$model" <"$tmp/texts.txt" >"$tmp/c_pc.jsonl" || fail "parse_c (pkg-config)"
[ "$(wc -l <"$tmp/cpp.jsonl")" -eq "$(wc -l <"$tmp/texts.txt")" ] || fail "parse_cpp: one line per text"
cmp -s "$tmp/c.jsonl" "$tmp/cpp.jsonl" || fail "the C and C++ examples disagree"
cmp -s "$tmp/c.jsonl" "$tmp/c_pc.jsonl" || fail "the two C builds disagree"
"$tmp/examples/parse_c" /nonexistent x 2>/dev/null && fail "parse_c accepted a missing model"
log "   $(wc -l <"$tmp/texts.txt") texts: C and C++ parses identical"

log "5. the Python package (pip install --no-build-isolation, offline) and its tests"
"$python" -m venv --system-site-packages "$tmp/venv" >/dev/null || fail "python3 -m venv (python3-venv)"
cp -r "$here/python" "$tmp/python-src"
JOINTNLU_PREFIX="$prefix" "$tmp/venv/bin/python" -m pip install --no-build-isolation --no-index \
  --no-deps --quiet "$tmp/python-src" >"$tmp/pip.log" 2>&1 || { tail -30 "$tmp/pip.log" >&2; fail "pip install ./python"; }
JOINTNLU_TEST_MODEL="$model" JOINTNLU_TEST_TEXTS="$tmp/texts.txt" JOINTNLU_TEST_CPP="$tmp/cpp.jsonl" \
  "$tmp/venv/bin/python" -m pytest -q -p no:cacheprovider "$here/python/tests" >&2 || fail "pytest python/tests"

log "6. the README's examples, as shown"
mkdir -p "$tmp/readme"
cp "$model" "$tmp/readme/model.safetensors"
awk '/<!-- readme-example: c -->/{f=1; next} f && /^```c/{g=1; next} g && /^```/{exit} g' \
  "$here/README.md" >"$tmp/readme/example.c"
awk '/<!-- readme-example: python -->/{f=1; next} f && /^```python/{g=1; next} g && /^```/{exit} g' \
  "$here/README.md" >"$tmp/readme/example.py"
[ -s "$tmp/readme/example.c" ] && [ -s "$tmp/readme/example.py" ] || fail "README examples not found"
# shellcheck disable=SC2046
(cd "$tmp/readme" && cc -std=c99 -Wall -Werror -o example example.c $(pkg-config --cflags --libs jointnlu) \
  -Wl,-rpath,"$libdir" && ./example >c.out) || fail "the README's C example"
(cd "$tmp/readme" && "$tmp/venv/bin/python" example.py >py.out) || fail "the README's Python example"
[ -s "$tmp/readme/c.out" ] && [ -s "$tmp/readme/py.out" ] || fail "the README's examples printed nothing"
log "   C: $(head -n 1 "$tmp/readme/c.out")"
log "   Python: $(head -n 1 "$tmp/readme/py.out")"
log "all passed"
