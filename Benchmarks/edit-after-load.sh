#!/usr/bin/env bash
# Milliseconds from editing one of 1,000 nested jobs (team0/job0 … team99/job9) to its
# result showing the edit, SETTLE seconds after the load's results appear (0: at once, as
# daemon-benchmark edits). The binary is the release build unless JOBDIR names another.
#   Benchmarks/edit-after-load.sh [SETTLE] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
settle=${1:-0}; rounds=${2:-3}
if [ -z "${JOBDIR:-}" ]; then
  swift build -c release --product jobdir >/dev/null
  JOBDIR="$(swift build -c release --show-bin-path)/jobdir"
fi
for _ in $(seq "$rounds"); do
  root=$(mktemp -d /var/tmp/jobdir-edit.XXXXXX)
  mkdir -p "$root/state"
  for t in $(seq 0 99); do
    mkdir -p "$root/jobs/team$t"
    for j in $(seq 0 9); do
      printf "command: [/bin/true]\nschedule: '0 3 * * *'\ntimezone: UTC\n" > "$root/jobs/team$t/job$j.yaml"
    done
  done
  "$JOBDIR" run --jobs "$root/jobs" --state "$root/state" > "$root/log" 2>&1 &
  pid=$!
  until [ -f "$root/state/results/team7/job7.json" ]; do sleep 0.005; done
  sleep "$settle"
  start=$(date +%s%N)
  printf "description: edited\ncommand: [/bin/true]\nschedule: '0 4 * * *'\ntimezone: UTC\n" > "$root/jobs/team7/job7.yaml"
  until grep -q '"edited"' "$root/state/results/team7/job7.json" 2>/dev/null; do sleep 0.001; done
  end=$(date +%s%N)
  kill "$pid"; wait "$pid" || true
  rm -rf "$root"
  echo "edit in effect: $(( (end - start) / 1000000 )) ms (settle ${settle} s)"
done
