#!/usr/bin/env bash
# Builds jobdir for release and installs it with its unit, man page, completions and
# example jobs.
#
#   Scripts/install.sh [--prefix /usr/local] [--destdir DIR] [--build-only]
#   (or PREFIX=... DESTDIR=... in the environment, as `make install` passes them)
#
# The binary is built with the Swift standard library and Foundation linked in
# (--static-swift-stdlib) and without the toolchain's runpath, so it runs on a machine
# with no Swift; it needs only system C libraries (libc, libstdc++, libyaml, libcurl,
# libcrypto). The commit it is built from
# is written into Sources/BuildInfo/BuildStamp.generated.swift (ignored by git) and
# compiled in with -D JOBDIR_STAMPED; plain `swift build` reports `unknown`.
#
# Everything is built under .build/static; --build-only stops there (Scripts/build-deb.sh
# and the tests use it so the release build happens once).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

prefix=${PREFIX:-/usr/local}
destdir=${DESTDIR:-}
build_only=false
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#*=}; shift ;;
    --destdir) destdir=$2; shift 2 ;;
    --destdir=*) destdir=${1#*=}; shift ;;
    --build-only) build_only=true; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

scratch=$root/.build/static
dist=$scratch/dist

# The commit: 12 hex digits, -dirty when tracked files differ from it.
commit=unknown
if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
  commit=$(git -C "$root" rev-parse --short=12 HEAD)
  git -C "$root" diff --quiet HEAD -- 2>/dev/null || commit="$commit-dirty"
fi
stamp=$root/Sources/BuildInfo/BuildStamp.generated.swift
stamp_text="// Written by Scripts/install.sh; ignored by git. See BuildInfo.swift.
#if JOBDIR_STAMPED
let stampedCommit = \"$commit\"
#endif"
# Rewritten only when it changes, so an unchanged tree rebuilds nothing.
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$stamp_text" ]; then
  printf '%s\n' "$stamp_text" > "$stamp"
fi

echo "install.sh: building jobdir (release, static Swift standard library, commit $commit)" >&2
swift build -c release --product jobdir --scratch-path "$scratch" \
  --static-swift-stdlib -Xswiftc -DJOBDIR_STAMPED -Xswiftc -no-toolchain-stdlib-rpath
binary=$(swift build -c release --product jobdir --scratch-path "$scratch" \
  --static-swift-stdlib -Xswiftc -DJOBDIR_STAMPED -Xswiftc -no-toolchain-stdlib-rpath --show-bin-path)/jobdir
# Each run's supervisor (static C), installed beside jobdir, where the daemon looks for it.
swift build -c release --product jobdir-supervisor --scratch-path "$scratch" \
  --static-swift-stdlib -Xswiftc -DJOBDIR_STAMPED -Xswiftc -no-toolchain-stdlib-rpath
supervisor=$(dirname "$binary")/jobdir-supervisor

# The man page, from the argument parser's own generator (its generate-manual tool,
# built from the resolved swift-argument-parser checkout) run on the built binary.
checkout=$(find "$scratch/checkouts" -maxdepth 1 -name 'swift-argument-parser*' -type d | head -n 1)
[ -n "$checkout" ] || { echo "install.sh: swift-argument-parser checkout not found under $scratch/checkouts" >&2; exit 1; }
# (A debug build: it compiles faster and runs once.)
swift build --package-path "$checkout" --scratch-path "$scratch/argument-parser" --product generate-manual
generator=$(swift build --package-path "$checkout" --scratch-path "$scratch/argument-parser" --product generate-manual --show-bin-path)/generate-manual

rm -rf "$dist"
mkdir -p "$dist/man" "$dist/completions"
cp "$binary" "$dist/jobdir"
cp "$supervisor" "$dist/jobdir-supervisor"
# Dated by the commit, so the same commit gives the same page.
date=$(git -C "$root" log -1 --format=%cs 2>/dev/null || date +%F)
"$generator" "$dist/jobdir" --output-directory "$dist/man" --section 1 --date "$date" --authors "the jobdir authors"
[ -f "$dist/man/jobdir.1" ] || { echo "install.sh: no man page generated" >&2; exit 1; }
gzip -9n "$dist/man/"*.1
for shell in bash zsh fish; do
  "$dist/jobdir" --generate-completion-script "$shell" > "$dist/completions/$shell"
done
# bash-completion sources the file; a #! line there means nothing.
sed -i '1{/^#!/d}' "$dist/completions/bash"
"$dist/jobdir" --version

$build_only && exit 0

# Installed layout.
bindir=$destdir$prefix/bin
mandir=$destdir$prefix/share/man/man1
docdir=$destdir$prefix/share/doc/jobdir
if [ "$prefix" = /usr ]; then unitdir=$destdir/lib/systemd/system; else unitdir=$destdir$prefix/lib/systemd/system; fi

install -d "$bindir" "$mandir" "$docdir/examples" "$unitdir" \
  "$destdir$prefix/share/bash-completion/completions" "$destdir$prefix/share/zsh/vendor-completions" \
  "$destdir$prefix/share/fish/vendor_completions.d"
install -m 0755 "$dist/jobdir" "$bindir/jobdir"
# A helper, not a command people run: in lib/jobdir, where the daemon also looks for it.
install -d "$destdir$prefix/lib/jobdir"
install -m 0755 "$dist/jobdir-supervisor" "$destdir$prefix/lib/jobdir/jobdir-supervisor"
install -m 0644 "$dist/man/"*.1.gz "$mandir/"
install -m 0644 "$dist/completions/bash" "$destdir$prefix/share/bash-completion/completions/jobdir"
install -m 0644 "$dist/completions/zsh" "$destdir$prefix/share/zsh/vendor-completions/_jobdir"
install -m 0644 "$dist/completions/fish" "$destdir$prefix/share/fish/vendor_completions.d/jobdir.fish"
sed -e "s|/usr/bin/jobdir|$prefix/bin/jobdir|g" -e "s|/usr/share/doc/jobdir|$prefix/share/doc/jobdir|g" \
  contrib/systemd/jobdir.service > "$unitdir/jobdir.service"
chmod 0644 "$unitdir/jobdir.service"
install -m 0644 README.md "$docdir/README.md"
# The examples, as files readable by all and writable by the owner only (jobdir refuses
# job files others can write).
(cd jobs.example && find . -type d -exec install -d -m 0755 "$docdir/examples/{}" \; \
  && find . -type f -exec install -m 0644 "{}" "$docdir/examples/{}" \;)
echo "install.sh: installed into ${destdir:-/}${destdir:+ }(prefix $prefix)" >&2
