#!/usr/bin/env bash
# Installs what is missing on a Debian machine with Swift: the system packages to build
# and run jobdir and, with --tests, those the tests use and the Python test oracles
# (cronsim, jsonschema, PyYAML) in a virtual environment in .build/venv — never into the
# system Python; with --packaging, those Scripts/build-deb.sh needs. Packages already present are left alone; apt-get runs as root, or
# through sudo.
set -euo pipefail
cd "$(dirname "$0")/.."

# libcurl: the daemon's HTTP client (notifications, fleet) links it; libcrypto (libssl-dev): SHA-256.
packages=(libyaml-dev pkg-config libcurl4-openssl-dev libssl-dev)
if [ "${1:-}" = --tests ]; then
  # promtool (metrics), lintian and dpkg-dev (the .deb), systemd-analyze and /bin/kill
  # of procps (the unit's ExecStart and ExecReload must exist for it),
  # binutils (strip, readelf), python3-venv (the oracles' environment).
  # etcd-server: the fleet tests start their own etcd members.
  packages+=(prometheus lintian dpkg-dev systemd procps binutils python3-venv etcd-server)
elif [ "${1:-}" = --packaging ]; then
  packages+=(lintian dpkg-dev binutils)
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup.sh: installing ${missing[*]}" >&2
  if [ "$(id -u)" -eq 0 ]; then sudo=(); elif command -v sudo >/dev/null; then sudo=(sudo); else
    echo "setup.sh: run as root or install sudo, or run: apt-get install ${missing[*]}" >&2
    exit 1
  fi
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "${1:-}" = --tests ]; then
  venv=.build/venv
  # Made again when Tests/requirements.txt (the pinned versions) changes.
  if ! cmp -s Tests/requirements.txt "$venv/requirements.txt" || ! "$venv/bin/python" -c "import cronsim, jsonschema, yaml" 2>/dev/null; then
    echo "setup.sh: making $venv with the oracles of Tests/requirements.txt" >&2
    # Debian's own Python (python3-venv above), not one a version manager put first on PATH.
    python=/usr/bin/python3
    [ -x "$python" ] || python=python3
    rm -rf "$venv"
    mkdir -p .build
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r Tests/requirements.txt
    cp Tests/requirements.txt "$venv/requirements.txt"
  fi
fi
