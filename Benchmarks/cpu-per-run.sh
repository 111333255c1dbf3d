#!/usr/bin/env bash
# The daemon's cost per run, by cause: CPU time of its threads (from /proc), its system
# calls (strace -c on its threads), where its loop thread spends its CPU (perf), or its
# user-space instructions by function (valgrind's callgrind: counts, which a loaded
# machine does not change; slow, so use N of about 50), over N trigger drops of a job
# whose command is /bin/true. The binary is the release build unless JOBDIR names another.
#   Benchmarks/cpu-per-run.sh [N] [cpu|strace|perf|callgrind]...   (default: 300 cpu)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-300}; shift || true
modes=("${@:-cpu}")
if [ -z "${JOBDIR:-}" ]; then
  swift build -c release --product jobdir >/dev/null
  swift build -c release --product jobdir-supervisor >/dev/null
  JOBDIR="$(swift build -c release --show-bin-path)/jobdir"
fi

one_round() {  # mode
  local mode=$1 root pid wrapper=() tracer=""
  root=$(mktemp -d /var/tmp/jobdir-cpu.XXXXXX)
  mkdir -p "$root/jobs" "$root/state"
  printf 'command: [/bin/true]\noverlap: allow\nhistory: {keep: 100000}\n' > "$root/jobs/t.yaml"
  [ "$mode" = callgrind ] && wrapper=(valgrind --tool=callgrind --callgrind-out-file="$root/callgrind")
  "${wrapper[@]}" "$JOBDIR" run --jobs "$root/jobs" --state "$root/state" > "$root/log" 2>&1 &
  pid=$!
  for _ in $(seq 600); do [ -f "$root/state/results/t.json" ] && break; sleep 0.05; done
  # One run first, so that every thread the daemon uses for runs (the flush pool's) exists
  # when strace or perf attach to its threads.
  : > "$root/state/.warm"; mv "$root/state/.warm" "$root/state/triggers/t@warm"
  for _ in $(seq 600); do grep -q '"succeeded" : 1\b' "$root/state/results/t.json" 2>/dev/null && break; sleep 0.05; done
  [ "$mode" = callgrind ] && { sleep 1; callgrind_control -z "$pid" >/dev/null; }
  case $mode in
    strace) strace -c -o "$root/strace" $(for t in /proc/$pid/task/*; do printf -- '-p %s ' "${t##*/}"; done) 2>/dev/null & tracer=$! ;;
    perf) perf record -q -F 4000 -g -p "$pid" -o "$root/perf.data" 2>/dev/null & tracer=$! ;;
  esac
  sleep 0.3
  local before after user_before user_after
  before=$(cat /proc/$pid/task/*/stat | awk '{s += $14 + $15} END {print s}')
  user_before=$(cat /proc/$pid/task/*/stat | awk '{s += $14} END {print s}')
  local gap=0.02; [ "$mode" = callgrind ] && gap=0.05
  for i in $(seq "$runs"); do : > "$root/state/.d$i"; mv "$root/state/.d$i" "$root/state/triggers/t@$i"; sleep $gap; done
  for _ in $(seq 2400); do grep -q "\"succeeded\" : $((runs + 1))\b" "$root/state/results/t.json" 2>/dev/null && break; sleep 0.05; done
  [ "$mode" = callgrind ] && { callgrind_control -d "$pid" >/dev/null; sleep 1; }
  after=$(cat /proc/$pid/task/*/stat | awk '{s += $14 + $15} END {print s}')
  user_after=$(cat /proc/$pid/task/*/stat | awk '{s += $14} END {print s}')
  [ -n "$tracer" ] && { kill -INT "$tracer"; wait "$tracer" 2>/dev/null || true; }
  kill -TERM "$pid"; wait "$pid" || true
  local ticks; ticks=$(getconf CLK_TCK)
  [ "$mode" = callgrind ] || printf 'daemon CPU per run: %s ms, of which user %s ms (%s runs)\n' \
    "$(echo "scale=3; ($after - $before) * 1000 / $ticks / $runs" | bc)" \
    "$(echo "scale=3; ($user_after - $user_before) * 1000 / $ticks / $runs" | bc)" "$runs"
  case $mode in
    strace) echo "system calls per run (daemon threads):"
            awk -v n="$runs" 'NR > 2 && $NF != "total" && $1 !~ /^-/ {calls = ($4 ~ /^[0-9]+$/) ? $4 : $3; printf "  %-16s %6.2f\n", $NF, calls / n}' "$root/strace" | sort -k2 -nr | head -40 ;;
    perf) perf report -q -i "$root/perf.data" --children --sort sym -g none 2>/dev/null | head -40 | swift demangle --simplified --compact | cut -c1-150 ;;
    callgrind)
      local dump; dump=$(ls "$root"/callgrind.* | sort | tail -1)
      echo "user-space instructions per run, inclusive, by function (callgrind):"
      callgrind_annotate --inclusive=yes "$dump" 2>/dev/null | awk -v n="$runs" '/^ *[0-9,]+ / {gsub(",", "", $1); printf "  %9d  %s\n", $1 / n, $0}' \
        | sed -E 's/^(  +[0-9]+  ) *[0-9,]+ \([ 0-9.]+%\) +/\1/' | swift demangle --simplified --compact | head -45 | cut -c1-160 ;;
  esac
  rm -rf "$root"
}

for mode in "${modes[@]}"; do one_round "$mode"; done
