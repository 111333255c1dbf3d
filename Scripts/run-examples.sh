#!/usr/bin/env bash
# Runs the daemon on the shipped examples (jobs.example/, state in state/), installing
# the system packages the build needs first when they are missing (Scripts/setup.sh).
# Arguments go to `jobdir run` (e.g. --metrics-file state/jobdir.prom).
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/setup.sh
# Job files must not be writable by group or others (a checkout made with umask 002).
chmod -R go-w jobs.example
# Each run's supervisor is a product of its own, found beside the jobdir binary.
swift build --product jobdir-supervisor
exec swift run jobdir run --jobs jobs.example --state state "$@"
