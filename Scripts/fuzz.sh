#!/usr/bin/env bash
# Scripts/fuzz.sh TARGET [SECONDS]: builds jobdir-fuzz with libFuzzer and AddressSanitizer
# (in .build-fuzz/) and fuzzes TARGET for SECONDS (default 60) at the lowest priority.
# The C target env-file is its own harness instead (Fuzz/c/envfile_fuzz.c with the
# supervisor's envfile.c), built with clang and UndefinedBehaviorSanitizer as well.
#
# Targets: job-file, trigger-request, marker, state-file, tzif, cron, outcome, etcd, env-file
# (Fuzz/README.md).
# Seeds: Fuzz/corpus/TARGET/ (committed). Inputs the run adds: .build-fuzz/corpus/TARGET/.
# The fuzzer runs in fork mode and goes on after a finding: a crash, a broken property, a timeout (10 s for one input) or an input using more than
# 2 GiB is written to Fuzz/findings/TARGET/; the unit tests (FuzzTargetsTests; for env-file,
# SupervisorChildTests through the real supervisor) replay every file there, so a finding
# fails `swift test` until it is fixed.
# The run's log, with libFuzzer's `cov:` and `exec/s` figures, is .build-fuzz/logs/TARGET.log.
set -euo pipefail

targets="job-file trigger-request marker state-file tzif cron outcome etcd env-file"
target=${1:-}
seconds=${2:-60}
if [[ -z "$target" || " $targets " != *" $target "* ]]; then
    echo "usage: Scripts/fuzz.sh TARGET [SECONDS]   (targets: $targets)" >&2
    exit 2
fi
if ! [[ "$seconds" =~ ^[0-9]+$ ]]; then
    echo "fuzz.sh: SECONDS must be a whole number, not \`$seconds\`" >&2
    exit 2
fi

root=$(cd "$(dirname "$0")/.." && pwd)
scratch="$root/.build-fuzz"
export PATH="/opt/swift/usr/bin:$PATH"

if [[ "$target" == env-file ]]; then
    # envfile.c as the supervisor compiles it, but its setenv calls go to the harness,
    # which checks each variable; lookup.c brings set_failure. UBSan stops at the first report.
    out="$scratch/c"
    mkdir -p "$out"
    cflags=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I"$root/Sources/jobdir-supervisor")
    nice -n 19 clang "${cflags[@]}" -Dsetenv=envfile_fuzz_setenv -c "$root/Sources/jobdir-supervisor/envfile.c" -o "$out/envfile.o"
    nice -n 19 clang "${cflags[@]}" -c "$root/Sources/jobdir-supervisor/lookup.c" -o "$out/lookup.o"
    nice -n 19 clang "${cflags[@]}" -fuse-ld=lld "$root/Fuzz/c/envfile_fuzz.c" "$out/envfile.o" "$out/lookup.o" -o "$out/envfile-fuzz"
    binary="$out/envfile-fuzz"
    # C has no runtime caches: LeakSanitizer is on here.
    sanitizers="detect_leaks=1:halt_on_error=1"
else
    # undefined-behaviour checks: swiftc on Linux refuses -sanitize=undefined; Swift itself
    # traps on overflow, out-of-bounds and bad unwraps, in release builds too.
    nice -n 19 swift build -c release --product jobdir-fuzz --scratch-path "$scratch" \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING
    binary="$scratch/release/jobdir-fuzz"
    sanitizers="detect_leaks=0"
fi

findings="$root/Fuzz/findings/$target"
work="$scratch/corpus/$target"
mkdir -p "$findings" "$work" "$scratch/logs"
log="$scratch/logs/$target.log"

status=0
JOBDIR_FUZZ_TARGET="$target" ASAN_OPTIONS="$sanitizers:${ASAN_OPTIONS:-}" \
    UBSAN_OPTIONS="print_stacktrace=1:${UBSAN_OPTIONS:-}" \
    nice -n 19 "$binary" \
    -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -dict="$root/Fuzz/jobdir.dict" -artifact_prefix="$findings/" \
    "$work" "$root/Fuzz/corpus/$target" >"$log" 2>&1 || status=$?

# Fork mode (one child at a time, so a finding does not end the run): its progress
# lines read `#EXECS: cov: N ft: N corp: N exec/s: N oom/timeout/crash: A/B/C time: Ts`.
grep -E '^#[0-9]+: cov:' "$log" | sed -n '1p;$p' || true
found=$(find "$findings" -type f | wc -l)
echo "fuzz.sh: $target: exit $status, $found file(s) in Fuzz/findings/$target/, log $log"
exit "$status"
