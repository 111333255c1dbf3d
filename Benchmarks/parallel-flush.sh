#!/usr/bin/env bash
# fdatasync of 500 files of 1 KiB from 1 to 16 threads side by side, on the state disk's
# filesystem (/var/tmp unless DIR is given): the figures behind FlushPool.
#   Benchmarks/parallel-flush.sh [DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d "${1:-/var/tmp}/jobdir-flush.XXXXXX")
trap 'rm -rf "$dir"' EXIT
cc -O2 -pthread "$here/ParallelFlush/parallel-flush.c" -o "$dir/parallel-flush"
mkdir "$dir/files"
cd "$dir/files"
for round in 1 2; do
  for threads in 1 2 4 8 16; do
    "$dir/parallel-flush" 500 "$threads"
    rm -f ./f*
  done
done
