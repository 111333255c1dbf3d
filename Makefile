# make                 release build (static Swift standard library) of the binary, man page, completions
# make install         installs them, the systemd unit and the example jobs under PREFIX
# make deb             the Debian package (.build/deb/jobdir_VERSION_ARCH.deb), checked by lintian
# make test            the tests, installing what they need first (as README says)
PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: all install deb test
all:
	Scripts/install.sh --build-only
install:
	Scripts/install.sh --prefix "$(PREFIX)" --destdir "$(DESTDIR)"
deb:
	Scripts/build-deb.sh
test:
	Scripts/test.sh
