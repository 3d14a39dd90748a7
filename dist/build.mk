# dist/: what `make install` puts where, and the files it generates.
#
#   make install   [PREFIX=/usr/local] [DESTDIR=] [BINDIR=$(PREFIX)/bin] ...
#   make uninstall (the same variables) removes exactly what install put there
#
# install copies what `make` built (building what is missing); libtape.pc
# is written at install time, for the PREFIX and LIBDIR given then.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
# the SQLite extension, for sqlite3's .load
EXTDIR ?= $(LIBDIR)/bpftape
INSTALL ?= install

.PHONY: install uninstall

# One page for the command and every verb, from the binary's own --help, so
# the page and the binary never disagree about an option.
$(OUTPUT)/bpftape.1: $(OUTPUT)/bpftape dist/gen-man.sh dist/bpftape.1.in
	$(call msg,MAN,$@)
	$(Q)dist/gen-man.sh $(OUTPUT)/bpftape dist/bpftape.1.in > $@

# Every installed file, by its path under $(DESTDIR): uninstall removes
# these, and tests/test_install.sh checks that nothing else was left.
# The public headers are what format/include/bpftape/ holds (docs/HACKING.md).
PUBLIC_HEADERS := $(wildcard format/include/bpftape/*.h)
INSTALLED := $(BINDIR)/bpftape $(EXTDIR)/bpftape_sqlite.so \
	$(LIBDIR)/libtape.so.$(LIBTAPE_VERSION) $(LIBDIR)/$(LIBTAPE_SONAME) $(LIBDIR)/libtape.so \
	$(LIBDIR)/libtape.a $(addprefix $(INCLUDEDIR)/bpftape/,$(notdir $(PUBLIC_HEADERS))) \
	$(PKGCONFIGDIR)/libtape.pc \
	$(MANDIR)/man1/bpftape.1 $(BASHCOMPDIR)/bpftape

install: $(OUTPUT)/bpftape $(OUTPUT)/bpftape_sqlite.so $(LIBTAPE_SO) $(LIBTAPE) \
		$(OUTPUT)/bpftape.1 dist/libtape.pc.in dist/bpftape.bash
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(EXTDIR) $(DESTDIR)$(LIBDIR) \
		$(DESTDIR)$(INCLUDEDIR)/bpftape $(DESTDIR)$(PKGCONFIGDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR)
	$(Q)$(INSTALL) -m 755 $(OUTPUT)/bpftape $(DESTDIR)$(BINDIR)/bpftape
	$(Q)$(INSTALL) -m 755 $(OUTPUT)/bpftape_sqlite.so $(DESTDIR)$(EXTDIR)/bpftape_sqlite.so
	$(Q)$(INSTALL) -m 755 $(LIBTAPE_SO) $(DESTDIR)$(LIBDIR)/libtape.so.$(LIBTAPE_VERSION)
	$(Q)ln -sfn libtape.so.$(LIBTAPE_VERSION) $(DESTDIR)$(LIBDIR)/$(LIBTAPE_SONAME)
	$(Q)ln -sfn $(LIBTAPE_SONAME) $(DESTDIR)$(LIBDIR)/libtape.so
	$(Q)$(INSTALL) -m 644 $(LIBTAPE) $(DESTDIR)$(LIBDIR)/libtape.a
	$(Q)$(INSTALL) -m 644 $(PUBLIC_HEADERS) $(DESTDIR)$(INCLUDEDIR)/bpftape/
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(LIBTAPE_VERSION)|' \
		dist/libtape.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/libtape.pc
	$(Q)chmod 644 $(DESTDIR)$(PKGCONFIGDIR)/libtape.pc
	$(Q)$(INSTALL) -m 644 $(OUTPUT)/bpftape.1 $(DESTDIR)$(MANDIR)/man1/bpftape.1
	$(Q)$(INSTALL) -m 644 dist/bpftape.bash $(DESTDIR)$(BASHCOMPDIR)/bpftape

# Directories are removed only when empty and only those that are bpftape's
# own: $(PREFIX)/lib and the like belong to everyone.
uninstall:
	$(call msg,REMOVE,$(DESTDIR)$(PREFIX))
	$(Q)rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	$(Q)rmdir $(DESTDIR)$(EXTDIR) $(DESTDIR)$(INCLUDEDIR)/bpftape 2>/dev/null || true
