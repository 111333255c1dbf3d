#!/usr/bin/env bash
# Kills the daemon with SIGKILL at random instants, again and again, under load, then
# checks what it left: every JSON file parses, no slot ran twice, no manual trigger was
# lost or doubled, no record is left live, no run recorded `interrupted` had in fact
# finished its command, and every result counts its job's ended records.
#
#   Scripts/crash-loop.sh [KILLS] [MAX_DOWN_SECONDS]      (default 200 kills, up to 1 s down)
#
# Uses the debug build (`swift build` first) unless JOBDIR_BINARY names another jobdir.
# Not part of the test suite: it takes several minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
kills=${1:-200}
max_down=${2:-1}
binary=${JOBDIR_BINARY:-$(swift build --show-bin-path)/jobdir}
[ -x "$binary" ] || { echo "no jobdir at $binary: run swift build" >&2; exit 2; }

work=$(mktemp -d /tmp/jobdir-crash.XXXXXX)
jobs=$work/jobs state=$work/state ledger=$work/ledger
mkdir -p "$jobs" "$state/triggers"
: > "$ledger"
# Each command notes its start and, as its very last act, its end: `done` means finished.
note='echo "start $JOBDIR_JOB $JOBDIR_EXECUTION ${N:-} $JOBDIR_SCHEDULED_FOR" >> '"$ledger"
finish='echo "done $JOBDIR_JOB $JOBDIR_EXECUTION ${N:-}" >> '"$ledger"
cat > "$jobs/tick.yaml" <<EOF
command: '$note; sleep 0.4; $finish'
schedule: '* * * * * *'
history: {keep: 100000}
EOF
cat > "$jobs/interval.yaml" <<EOF
command: '$note; sleep 0.7; $finish'
every: 1s
overlap: allow
history: {keep: 100000}
EOF
cat > "$jobs/chained.yaml" <<EOF
command: '$note; sleep 0.2; $finish'
after: interval
overlap: allow
history: {keep: 100000}
EOF
cat > "$jobs/manual.yaml" <<EOF
command: '$note; sleep 0.3; $finish'
overlap: allow
history: {keep: 100000}
EOF
chmod -R go-w "$jobs"

dropped=0
drop_trigger() {
    dropped=$((dropped + 1))
    printf '{"env": {"N": "%s"}}' "$dropped" > "$state/triggers/.manual@$dropped"
    mv "$state/triggers/.manual@$dropped" "$state/triggers/manual@$dropped"
}

random_ms() { echo $((RANDOM % ($1 + 1))); }

started=$(date +%s)
for ((i = 1; i <= kills; i++)); do
    "$binary" run --jobs "$jobs" --state "$state" 2>> "$work/daemon.log" &
    daemon=$!
    # Up to 2 s of life, with a manual trigger at a random point of it half the time.
    life=$(random_ms 2000)
    if ((RANDOM % 2)); then
        first=$(random_ms "$life")
        sleep "$(awk "BEGIN{print $first/1000}")"
        drop_trigger
        sleep "$(awk "BEGIN{print ($life-$first)/1000}")"
    else
        sleep "$(awk "BEGIN{print $life/1000}")"
    fi
    kill -9 "$daemon" 2>/dev/null || true
    wait "$daemon" 2>/dev/null || true
    # Down for up to MAX_DOWN_SECONDS; sometimes a trigger is dropped meanwhile.
    ((RANDOM % 4 == 0)) && drop_trigger
    sleep "$(awk "BEGIN{print $(random_ms $((max_down * 1000)))/1000}")"
done

# A last daemon collects everything and stops gracefully once all runs have ended.
"$binary" run --jobs "$jobs" --state "$state" --shutdown-grace 30s 2>> "$work/daemon.log" &
daemon=$!
sleep 5
rm -f "$jobs"/*.yaml   # nothing new fires; what runs finishes
sleep 3
kill -TERM "$daemon"
wait "$daemon" || true
elapsed=$(($(date +%s) - started))

python3 - "$state" "$ledger" "$dropped" "$kills" "$elapsed" <<'PY'
import json, os, sys, collections
state, ledger, dropped, kills, elapsed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
problems, records = [], []
for root, _, files in os.walk(state):
    for name in files:
        if not name.endswith(".json"):
            continue
        path = os.path.join(root, name)
        try:
            obj = json.load(open(path))
        except Exception as e:
            problems.append(f"{path}: does not parse: {e}")
            continue
        if obj.get("schema") == "jobdir.execution/v1":
            records.append(obj)
starts, dones, manual_n = collections.Counter(), set(), {}
for line in open(ledger):
    parts = line.split()
    if parts and parts[0] == "start":
        starts[parts[2]] += 1
        if parts[1] == "manual" and len(parts) > 3:
            manual_n[parts[2]] = int(parts[3])
    elif parts and parts[0] == "done":
        dones.add(parts[2])
by_job = collections.defaultdict(list)
for r in records:
    by_job[r["job"]].append(r)
live = [r["id"] for r in records if r["state"] in ("queued", "running", "awaiting_approval")]
# Each job's result counts every ended record of its job, by state, and lists none of them
# as running, queued or awaiting approval.
results_behind = []
for job, job_records in sorted(by_job.items()):
    path = os.path.join(state, "results", job + ".json")
    if not os.path.exists(path):
        continue
    result = json.load(open(path))
    ended = [r for r in job_records if r["state"] not in ("queued", "running", "awaiting_approval")]
    counted = collections.Counter({k: v for k, v in (result.get("counts") or {}).items() if v})
    listed = set(result.get("running", [])) | {q["id"] for q in result.get("queued", [])} | set(result.get("pending_approvals", []))
    if counted != collections.Counter(r["state"] for r in ended) or listed & {r["id"] for r in ended}:
        results_behind.append(f"{job}: counts {dict(counted)}, records {dict(collections.Counter(r['state'] for r in ended))}, ended but listed {sorted(listed & {r['id'] for r in ended})}")
doubled_slots = 0
for job in ("tick", "interval"):
    slots = collections.Counter(r["occurrence"] for r in by_job[job])
    doubled_slots += sum(n - 1 for n in slots.values() if n > 1)
ran_twice = sum(n - 1 for n in starts.values() if n > 1)
manual = by_job["manual"]
# Each dropped trigger N has exactly one record. Its command saw N, unless it never
# started: a daemon killed between the durable `running` record and the supervisor's
# launch leaves a record that ends `interrupted` with no command run (and no N to match).
manual_counts = collections.Counter(manual_n[r["id"]] for r in manual if r["id"] in manual_n)
never_started = [r["id"] for r in manual if r["id"] not in manual_n]
manual_doubled = [n for n, c in manual_counts.items() if c > 1]
unmatched = [n for n in range(1, dropped + 1) if manual_counts[n] == 0]
manual_lost = unmatched[len(never_started):] if len(unmatched) >= len(never_started) else []
interrupted = [r for r in records if r["state"] == "interrupted"]
finished_but_interrupted = [r["id"] for r in interrupted if r["id"] in dones]
left_triggers = [n for n in os.listdir(os.path.join(state, "triggers")) if not n.startswith(".")]
claims = os.listdir(os.path.join(state, "triggers", ".claimed"))
states = collections.Counter(r["state"] for r in records)
print(f"kills: {kills} in {elapsed} s; records: {len(records)} ({dict(sorted(states.items()))})")
print(f"runs started (ledger): {sum(starts.values())}, finished: {len(dones)}")
print(f"slots recorded twice: {doubled_slots}; executions started twice: {ran_twice}")
print(f"manual triggers dropped: {dropped}, manual records: {len(manual)} ({len(manual) - len(never_started)} ran, {len(never_started)} ended before their command started), lost: {len(manual_lost)}, doubled: {len(manual_doubled)}, triggers left: {len(left_triggers)}, claims left: {len(claims)}")
print(f"records left live: {len(live)}")
print(f"results that do not match their records: {len(results_behind)}")
print(f"interrupted: {len(interrupted)}, of which the command had finished: {len(finished_but_interrupted)}")
if doubled_slots or ran_twice: problems.append("a slot or execution ran twice")
if manual_lost or manual_doubled or len(manual) != dropped or left_triggers or claims:
    problems.append(f"a manual trigger was lost or doubled: lost {manual_lost[:5]}, doubled {manual_doubled[:5]}")
if live: problems.append(f"records left live: {live[:5]}")
if results_behind: problems.append(f"results that do not match their records: {results_behind}")
if finished_but_interrupted: problems.append(f"interrupted but finished: {finished_but_interrupted[:5]}")
for p in problems: print("PROBLEM:", p)
print("OK" if not problems else "FAILED")
sys.exit(1 if problems else 0)
PY
status=$?
echo "state kept in $work"
exit $status
