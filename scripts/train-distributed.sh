#!/usr/bin/env bash
# Starts N local ranks of one data-parallel jointnlu job (pretrain, train-teacher, train-student,
# distill) on this machine, for development and tests; each rank computes with one thread unless
# the command gives --threads.
#
#   scripts/train-distributed.sh N COMMAND [ARGS...]
#   scripts/train-distributed.sh 2 build/jointnlu pretrain --corpus c.txt --build-vocab --out runs/pt
#
# Every rank gets torchrun's variables (WORLD_SIZE, RANK, MASTER_ADDR=127.0.0.1 and MASTER_PORT:
# $MASTER_PORT, else a free port). Rank 0's stdout and stderr pass through; the other ranks'
# stdout is dropped (it repeats rank 0's results) and their stderr (warnings and errors only) is
# prefixed with "[rank R]". When a rank fails, the others are stopped and its exit status is
# returned; SIGINT/SIGTERM are passed on to every rank, which then checkpoint and stop together.
#
# Several machines: run the command itself on each, with the same arguments and the rank's own
# --rank (or RANK), e.g. on two machines with rank 0 at 10.0.0.1:
#   machine A:  jointnlu pretrain ... --world-size 2 --rank 0 --master 10.0.0.1:29500
#   machine B:  jointnlu pretrain ... --world-size 2 --rank 1 --master 10.0.0.1:29500
set -uo pipefail

if [ $# -lt 2 ] || ! [[ "$1" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 N COMMAND [ARGS...]  (N ranks on this machine)" >&2
  exit 2
fi
n=$1
shift

port=${MASTER_PORT:-}
if [ -z "$port" ]; then
  # A port nobody listens on now: the kernel's choice for a socket bound to port 0.
  port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
         echo $((29500 + RANDOM % 1000)))
fi

threads=(--threads 1)
for arg in "$@"; do
  case "$arg" in --threads|--threads=*) threads=() ;; esac
done

pids=()
stop_all() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
}
trap 'stop_all' INT TERM

for ((rank = 0; rank < n; rank++)); do
  if [ "$rank" -eq 0 ]; then
    WORLD_SIZE=$n RANK=$rank MASTER_ADDR=127.0.0.1 MASTER_PORT=$port "$@" "${threads[@]}" &
  else
    WORLD_SIZE=$n RANK=$rank MASTER_ADDR=127.0.0.1 MASTER_PORT=$port "$@" "${threads[@]}" \
      > /dev/null 2> >(sed -u "s/^/[rank $rank] /" >&2) &
  fi
  pids+=($!)
done

# Wait for the ranks in the order they finish; the first failure stops the rest.
status=0
live=("${pids[@]}")
while [ "${#live[@]}" -gt 0 ]; do
  unset done_pid
  wait -n -p done_pid "${live[@]}"
  rc=$?
  [ -z "${done_pid:-}" ] && continue  # a trapped signal interrupted the wait
  rest=()
  for pid in "${live[@]}"; do [ "$pid" != "$done_pid" ] && rest+=("$pid"); done
  live=("${rest[@]}")
  if [ "$rc" -ne 0 ] && [ "$status" -eq 0 ]; then
    status=$rc
    for ((r = 0; r < n; r++)); do
      [ "${pids[$r]}" = "$done_pid" ] && echo "train-distributed: rank $r exited with status $rc; stopping the others" >&2
    done
    stop_all
  fi
done
exit "$status"
