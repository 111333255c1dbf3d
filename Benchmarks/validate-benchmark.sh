#!/usr/bin/env bash
# Times `jobdir validate` (release build) over generated job files.
# usage: Benchmarks/validate-benchmark.sh [FILES] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
files=${1:-10000}
runs=${2:-5}
swift build -c release --product jobdir >/dev/null
bin=$(swift build -c release --show-bin-path)/jobdir
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 - "$dir" "$files" <<'PY'
import os, sys
root, count = sys.argv[1], int(sys.argv[2])
for i in range(count):
    sub = os.path.join(root, f"team{i % 50}")
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, f"job{i}.yaml"), "w") as f:
        f.write(f"""# generated job {i}
description: Generated job number {i}
command: ["/bin/echo", "job", "{i}"]
schedule: ["{i % 60} {i % 24} * * *", "@every {1 + i % 90}m"]
timezone: Europe/Berlin
timeout: 5m
kill_grace: 10s
retries:
  max: 3
  backoff: 10s
  max_backoff: 10m
overlap: queue
max_queued: 5
pool: pool{i % 4}
catchup: latest
starting_deadline: 30m
env:
  TEAM: team{i % 50}
  HOME_DIR: "${{HOME}}/work"
output:
  max_bytes: 1MiB
history:
  keep: 50
  max_age: 30d
labels:
  team: team{i % 50}
  tier: "{i % 3}"
""")
PY
chmod -R go-w "$dir"
times=()
for _ in $(seq "$runs"); do
  start=$(date +%s%N)
  "$bin" validate --jobs "$dir" >/dev/null
  end=$(date +%s%N)
  times+=($(( (end - start) / 1000 )))
done
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
median=${sorted[$(( runs / 2 ))]}
echo "validate: $files files, $runs runs: median $(( median / 1000 )) ms (min $(( sorted[0] / 1000 )) ms, max $(( sorted[runs - 1] / 1000 )) ms); $(( median / files )) µs per file"
