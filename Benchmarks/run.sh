#!/usr/bin/env bash
# Builds jobdir and its benchmark harness in release and runs the harness.
# Arguments go to the harness: --repeat N, --idle-seconds N, --quick, --results FILE, --no-results.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product jobdir >/dev/null
# Each run's supervisor is a program of its own, found beside the jobdir binary.
swift build -c release --product jobdir-supervisor >/dev/null
swift build -c release --product daemon-benchmark >/dev/null
exec "$(swift build -c release --show-bin-path)/daemon-benchmark" "$@"
