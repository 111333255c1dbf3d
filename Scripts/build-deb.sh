#!/usr/bin/env bash
# Builds the Debian package from this checkout with dpkg-deb and checks it with lintian:
#
#   Scripts/build-deb.sh        prints the path of .build/deb/jobdir_VERSION_ARCH.deb
#
# The binary, man page and completions come from Scripts/install.sh (release build with
# the static Swift standard library, built once under .build/static); the Depends line
# is worked out by dpkg-shlibdeps from the libraries the binary links (libc, libstdc++,
# libyaml, ...). The maintainer scripts are contrib/debian/{postinst,prerm,postrm}.
# lintian must report no errors, or this fails; what it reports is kept beside the .deb
# (jobdir_VERSION_ARCH.lintian, written after it), where the packaging tests read it
# instead of running lintian (10 s of CPU) a second time.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

# The Debian tools: installed through Scripts/setup.sh (as root, or with sudo) when missing.
tools=(dpkg-deb dpkg-shlibdeps lintian strip)
missing() { for tool in "${tools[@]}"; do command -v "$tool" >/dev/null || echo "$tool"; done; }
if [ -n "$(missing)" ]; then
  echo "build-deb.sh: missing $(missing | tr '\n' ' ')- installing with Scripts/setup.sh --packaging" >&2
  Scripts/setup.sh --packaging >&2 || true
  if [ -n "$(missing)" ]; then
    echo "build-deb.sh: still missing $(missing | tr '\n' ' ')- run Scripts/setup.sh --packaging as root or with sudo," >&2
    echo "  or: apt-get install dpkg-dev lintian binutils" >&2
    exit 1
  fi
fi

version=$(sed -n 's/.*static let version = "\(.*\)".*/\1/p' Sources/BuildInfo/BuildInfo.swift)
arch=$(dpkg --print-architecture)
out=$root/.build/deb
stage=$out/root
deb=$out/jobdir_${version}_${arch}.deb
lint=${deb%.deb}.lintian

Scripts/install.sh --prefix /usr --destdir "$stage.new" >&2 </dev/null
rm -rf "$stage" && mv "$stage.new" "$stage"

strip --strip-unneeded --remove-section=.comment --remove-section=.note "$stage/usr/bin/jobdir" "$stage/usr/lib/jobdir/jobdir-supervisor"
# The supervisor is static on purpose: a job's LD_PRELOAD or LD_LIBRARY_PATH cannot reach
# the process that writes its outcome, and it costs no dynamic loading per run.
mkdir -p "$stage/usr/share/lintian/overrides"
echo "jobdir: statically-linked-binary [usr/lib/jobdir/jobdir-supervisor]" > "$stage/usr/share/lintian/overrides/jobdir"
chmod 0644 "$stage/usr/share/lintian/overrides/jobdir"
doc=$stage/usr/share/doc/jobdir
commit=$("$stage/usr/bin/jobdir" --version | sed -n 's/.*(commit \(.*\)).*/\1/p')
date=$(git log -1 --format=%aD 2>/dev/null || date -R)
maintainer="jobdir maintainers <jobdir@example.org>"
gzip -9n > "$doc/changelog.gz" <<TXT
jobdir ($version) unstable; urgency=medium

  * Built from commit $commit.

 -- $maintainer  $date
TXT
cat > "$doc/copyright" <<'TXT'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: jobdir

Files: *
Copyright: the jobdir authors
License: unspecified
 No license has been declared for jobdir yet; see the source repository.
 The binary links the Swift standard library and Foundation statically
 (Apache License 2.0 with Runtime Library Exception, Copyright Apple Inc.
 and the Swift project authors) and swift-argument-parser (Apache License
 2.0, Copyright Apple Inc.). On Debian systems the Apache License 2.0 is in
 /usr/share/common-licenses/Apache-2.0.
TXT

# Dependencies of the binary, as Debian's tools see them.
shlibs=$(mktemp -d)
trap 'rm -rf "$shlibs"' EXIT
mkdir -p "$shlibs/debian"
printf 'Source: jobdir\n\nPackage: jobdir\nArchitecture: any\n' > "$shlibs/debian/control"
# The staged tree (with its DEBIAN directory) where dpkg-shlibdeps expects a package's
# files; its warnings and errors go to stderr, where they are seen.
mkdir -p "$stage/DEBIAN"
ln -s "$stage" "$shlibs/debian/jobdir"
depends=$(cd "$shlibs" && dpkg-shlibdeps -O debian/jobdir/usr/bin/jobdir | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "build-deb.sh: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

cat > "$stage/DEBIAN/control" <<TXT
Package: jobdir
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $(du -sk --exclude=DEBIAN "$stage" | cut -f1)
Depends: $depends
Suggests: prometheus-node-exporter
Section: admin
Priority: optional
Description: job runner driven by a directory of YAML files
 jobdir runs jobs defined as YAML files in a directory: drop or edit a job
 file and it is picked up at once (inotify). Jobs fire on cron schedules,
 intervals, one-shot times, file changes, after other jobs, or by hand;
 each run is a child process in its own session with a timeout. Every
 execution, every job's latest result and every approval is a JSON file
 under the state directory, written atomically.
 .
 This package ships the daemon with a systemd unit (jobs in
 /etc/jobdir/jobs, state in /var/lib/jobdir), the man page, shell
 completions and example jobs.
TXT
for script in postinst prerm postrm; do install -m 0755 "contrib/debian/$script" "$stage/DEBIAN/$script"; done
(cd "$stage" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z | xargs -0 md5sum > DEBIAN/md5sums)
find "$stage" -type d -exec chmod 0755 {} +
chmod 0644 "$stage/DEBIAN/control" "$stage/DEBIAN/md5sums"
rm -f "$deb" "$lint"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >&2

# Errors fail the build; warnings are shown.
report=$(lintian --fail-on error --tag-display-limit 0 "$deb" 2>&1) || { echo "$report" >&2; echo "build-deb.sh: lintian reports errors" >&2; exit 1; }
[ -z "$report" ] || echo "$report" >&2
printf '%s' "$report" > "$lint"
echo "$deb"
