#!/usr/bin/env bash
# A daemon's start on many job files: N files (default 10,000) with a description, a command
# and a daily schedule, flat (job0.yaml …) or nested as the benchmark harness makes them
# (team0/job0.yaml …, 100 directories), with the harness's _defaults.yaml (notify and ping
# for every job) when `notify` is given. Prints, at the daemon's loaded_all log line, the
# time since its start, its CPU time and its RSS, then its RSS once the last job's result is
# written and 2 s have passed, and its peak. The binary is the release build unless JOBDIR
# names another.
#   Benchmarks/load-jobs.sh [N] [flat|nested] [notify]      (default: 10000 nested)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-10000}; layout=${2:-nested}; defaults=${3:-}
if [ -z "${JOBDIR:-}" ]; then
  swift build -c release --product jobdir >/dev/null
  swift build -c release --product jobdir-supervisor >/dev/null
  JOBDIR="$(swift build -c release --show-bin-path)/jobdir"
fi
root=$(mktemp -d /var/tmp/jobdir-load.XXXXXX)
trap 'kill "${pid:-0}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$root"' EXIT
mkdir -p "$root/jobs" "$root/state"
last=$root/state/results/job$((count - 1)).json
for ((i = 0; i < count; i++)); do
  if [ "$layout" = nested ]; then
    dir=$root/jobs/team$((i % 100)); file=$dir/job$i.yaml
    [ -d "$dir" ] || mkdir "$dir"
  else
    file=$root/jobs/job$i.yaml
  fi
  printf 'description: job %d\ncommand: [/bin/true]\nschedule: "%d 3 * * *"\ntimezone: UTC\n' "$i" $((i % 60)) > "$file"
done
[ "$layout" = nested ] && last=$root/state/results/team$(((count - 1) % 100))/job$((count - 1)).json
[ "$defaults" = notify ] && printf "notify: {on: [failure, recovery], webhook: 'http://127.0.0.1:9/hook'}\nping: http://127.0.0.1:9/ping\n" > "$root/jobs/_defaults.yaml"
sync
start=$(date +%s%N)
"$JOBDIR" run --jobs "$root/jobs" --state "$root/state" 2> "$root/log" &
pid=$!
until grep -q "loaded_all reason=start" "$root/log" 2>/dev/null; do sleep 0.005; done
loaded=$(date +%s%N)
kill -STOP "$pid"
cpu=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$pid/stat")
rss=$(awk '/^Rss:/ {printf "%.1f", $2 / 1024}' "/proc/$pid/smaps_rollup")
anonymous=$(awk '/^Anonymous:/ {printf "%.1f", $2 / 1024}' "/proc/$pid/smaps_rollup")
kill -CONT "$pid"
until [ -f "$last" ]; do sleep 0.05; done
sleep 2
settled=$(awk '/^Rss:/ {printf "%.1f", $2 / 1024}' "/proc/$pid/smaps_rollup")
peak=$(awk '/^VmHWM:/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status")
printf '%d %s job files%s: loaded in %.2f s (CPU %s s), RSS %s MiB (%s anonymous); once every result is written %s MiB, peak %s MiB\n' \
  "$count" "$layout" "${defaults:+ with notify defaults}" "$(echo "($loaded - $start) / 1000000000" | bc -l)" "$cpu" "$rss" "$anonymous" "$settled" "$peak"
