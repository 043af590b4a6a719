#!/usr/bin/env bash
# The rooms of src/ and what each may include (docs/ARCHITECTURE.md): an include of another room
# that is not listed here fails. Run by ctest (test `layering`); usage: check_layers.sh [SOURCE_DIR].
set -euo pipefail
root="${1:-$(cd "$(dirname "$0")/.." && pwd)}"
declare -A allowed=(
  [core]="core"
  [data]="core data"
  [runtime]="core runtime jointnlu"
  [serve]="core serve jointnlu"
  [report]="core data report"
  [train]="core data train"
  [bench]="core data runtime train bench jointnlu"
)
status=0
for room in "${!allowed[@]}"; do
  while IFS=: read -r file line text; do
    target=$(sed -E 's/.*#include "([a-z_]+)\/.*/\1/' <<<"$text")
    if [[ " ${allowed[$room]} " != *" $target "* ]]; then
      echo "$file:$line: src/$room may not include $target/ (allowed: ${allowed[$room]})" >&2
      status=1
    fi
  done < <(grep -rnE '^#include "[a-z_]+/' "$root/src/$room" || true)
done
[ "$status" -eq 0 ] && echo "layering: every include of src/ points at an allowed room"
exit "$status"
