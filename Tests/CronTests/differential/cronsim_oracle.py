#!/usr/bin/env python3
"""Reference answers from cronsim for jobdir's differential cron test.

Usage: cronsim_oracle.py IN OUT

IN holds one case per line: EXPR <TAB> ZONE <TAB> START <TAB> COUNT, START in whole
UTC seconds since 1970. OUT gets one line per case: `ok T1 T2 ...` (up to COUNT fire
times, UTC seconds, each strictly after START) or `error MESSAGE` when cronsim refuses
the expression, or `timeout` when cronsim runs for more than 5 seconds (it can loop
forever when a repeated hour spans midnight, e.g. America/St_Johns 2001-2011; jobdir
resumes after the repeated period there). Macros (@daily ...) are expanded first:
cronsim has none.
jobdir skips the fire times cronsim yields at or before START (it can, when START is
in the second pass of a repeated hour); so does this script.
"""
import signal
import sys
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

try:
    from cronsim import CronSim, CronSimError
except ImportError:
    sys.stderr.write("cronsim is not installed: pip install cronsim\n")
    sys.exit(3)

MACROS = {
    "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}


def answer(expr, zone_name, start, count):
    expr = MACROS.get(expr.strip().lower(), expr)
    zone = timezone.utc if zone_name == "UTC" else ZoneInfo(zone_name)
    begin = datetime.fromtimestamp(start, tz=zone)
    try:
        it = CronSim(expr, begin)
    except CronSimError as e:
        return "error " + str(e)
    out = []
    for _ in range(count + 10000):
        try:
            t = next(it)
        except StopIteration:
            break
        ts = int(t.timestamp())
        if ts > start:
            out.append(str(ts))
            if len(out) == count:
                break
    return " ".join(["ok"] + out)


class Timeout(Exception):
    pass


def on_alarm(signum, frame):
    raise Timeout()


def main():
    src, dst = sys.argv[1], sys.argv[2]
    signal.signal(signal.SIGALRM, on_alarm)
    with open(src, encoding="utf-8") as f, open(dst, "w", encoding="utf-8") as g:
        for line in f:
            expr, zone_name, start, count = line.rstrip("\n").split("\t")
            signal.alarm(5)
            try:
                result = answer(expr, zone_name, int(start), int(count))
            except Timeout:
                result = "timeout"
            finally:
                signal.alarm(0)
            g.write(result + "\n")


if __name__ == "__main__":
    main()
