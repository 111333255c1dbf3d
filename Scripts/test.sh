#!/usr/bin/env bash
# The tests, on a fresh Debian machine with Swift as on a developer's: installs what is
# missing (Scripts/setup.sh --tests), builds the release binary and the .deb once
# (Scripts/build-deb.sh), then runs `swift test` with
#   JOBDIR_PYTHON        the virtual environment's Python, for the test oracles
#   JOBDIR_DEB           the .deb, for the packaging tests (lint, unpack, run)
#   JOBDIR_STATIC_BINARY the release binary built with the static Swift standard library
# lintian (10 s of CPU) runs once, in build-deb.sh: the packaging tests read the report
# it keeps beside the .deb. They run after the rest, so that unpacking and running the
# package does not slow the timing-sensitive end-to-end tests on a 2-core machine.
# Arguments go to one `swift test` instead (e.g. --filter PackagingTests).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

Scripts/setup.sh --tests
export JOBDIR_PYTHON=$root/.build/venv/bin/python
deb=$(Scripts/build-deb.sh)
export JOBDIR_DEB=$deb
export JOBDIR_STATIC_BINARY=$root/.build/static/dist/jobdir
if [ $# -gt 0 ]; then
  exec swift test "$@"
fi
swift test --skip PackagingTests
swift test --skip-build --filter PackagingTests
