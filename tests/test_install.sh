#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bpftape as a package: `make install` into a DESTDIR puts every file where
# dist/build.mk says; libtape exports nothing but tape_* (the .so exactly
# what format/include/bpftape/tape.h declares); a program found only through
# `pkg-config --cflags --libs libtape` builds and reads a tape, and so does
# one that defines crc32c, buf_free and other names libtape uses inside,
# linked against the .so and statically against the .a; the man page
# renders without a warning and has every verb and option; the bash
# completion loads and completes verbs, options, event names and files;
# `make uninstall` leaves nothing behind.  Prints cmocka-style result lines.
#
# Run from the repository root: tests/test_install.sh  (OUTPUT=build dir)
set -u
OUTPUT=${OUTPUT:-build}
TAPE=tests/golden/replay-basic.tape
CC=${CC:-cc}

for tool in pkg-config groff man nm readelf "$CC" bash make; do
	if ! command -v "$tool" >/dev/null; then
		echo "test_install: $tool is not installed (make deps); skipped"
		exit 77
	fi
done

. tests/harness.sh

root=$tmp/root
prefix=/usr/local
make_install() {
	${MAKE:-make} -s --no-print-directory OUTPUT="$OUTPUT" DESTDIR="$root" "$@"
}
if ! make_install install >"$tmp/install.log" 2>&1; then
	cat "$tmp/install.log"
	echo "[  FAILED  ] 1 test(s), listed below:"
	echo "[  FAILED  ] make install"
	exit 1
fi
lib=$root$prefix/lib
bin=$root$prefix/bin/bpftape
soname=$(readelf -d "$lib/libtape.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
major=$(sed -n 's/^#define TAPE_LIB_VERSION_MAJOR *//p' format/include/bpftape/tape.h)

test_files() {
	local f

	for f in bin/bpftape lib/bpftape/bpftape_sqlite.so lib/libtape.a \
		include/bpftape/tape.h include/bpftape/tape_proctab.h lib/pkgconfig/libtape.pc share/man/man1/bpftape.1 \
		share/bash-completion/completions/bpftape; do
		[ -f "$root$prefix/$f" ] || { echo "missing $prefix/$f"; return 1; }
	done
	[ -x "$bin" ] || { echo "$bin is not executable"; return 1; }
	# the soname is libtape's own major version, and the links lead to it
	[ "$soname" = "libtape.so.$major" ] || { echo "soname '$soname', want libtape.so.$major"; return 1; }
	if [ ! -L "$lib/libtape.so" ] || [ ! -L "$lib/$soname" ]; then
		echo "libtape.so links missing"
		ls -l "$lib"
		return 1
	fi
	[ -f "$(readlink -f "$lib/libtape.so")" ] || { echo "libtape.so leads nowhere"; return 1; }
	"$bin" --version
}
run "install: every file, the soname and its links" test_files

# a sanitized build's library needs the runtime in the program too (and
# first, in a program that was not built with it)
san="" preload=""
if ldd "$lib/libtape.so" | grep -q libasan; then
	san="-fsanitize=address,undefined"
	preload=$(ldd "$lib/libtape.so" | awk '/libasan/ { print $3 }')
fi

test_extension() {
	local n

	command -v sqlite3 >/dev/null || { echo "sqlite3 is not installed (make deps)"; return 1; }
	n=$(LD_PRELOAD=$preload ASAN_OPTIONS=detect_leaks=0 sqlite3 -cmd ".load $root$prefix/lib/bpftape/bpftape_sqlite" :memory: \
		"SELECT count(*) FROM tape_events('$TAPE')") || return 1
	[ "$n" = "$("$bin" query --format csv "$TAPE" -c 'SELECT count(*) FROM events' | tail -1)" ] ||
		{ echo "the installed extension counts $n events"; return 1; }
}
run "the installed SQLite extension loads and reads a tape" test_extension

# Defined global symbols of an object or library ($1: nm options).
exported() {
	nm "$@" --defined-only 2>/dev/null | awk 'NF == 3 && $2 ~ /[A-TV-Z]/ { print $3 }' | sort -u
}

test_archive_symbols() {
	local bad

	# (a sanitized build adds the sanitizers' own __odr_asan.* names)
	bad=$(exported -g "$lib/libtape.a" | grep -v -e '^tape_' -e '^__odr_asan')
	[ -z "$bad" ] || { echo "libtape.a exports names outside tape_:"; echo "$bad"; return 1; }
}
run "libtape.a: every global symbol starts with tape_" test_archive_symbols

test_shared_symbols() {
	local bad

	bad=$(exported -D "$lib/libtape.so" | grep -v '^tape_')
	[ -z "$bad" ] || { echo "libtape.so exports names outside tape_:"; echo "$bad"; return 1; }
	# exactly the functions the installed headers declare: no internal
	# tape__ helper, and nothing the header promises is missing
	cat "$root$prefix"/include/bpftape/*.h | grep -oE '\btape_[a-z0-9_]+ *\(' | sed 's/ *(//' |
		sort -u >"$tmp/declared"
	exported -D "$lib/libtape.so" >"$tmp/exported"
	diff -u "$tmp/declared" "$tmp/exported" || { echo "(- declared only, + exported only)"; return 1; }
}
run "libtape.so: exports exactly what tape.h declares" test_shared_symbols

# pkg-config finds the installed libtape and nothing else: its search path
# and sysroot point into DESTDIR, as for a cross build.
export PKG_CONFIG_SYSROOT_DIR=$root
export PKG_CONFIG_PATH=$root$prefix/lib/pkgconfig

# A user's program: opens per command, and the event count.
cat >"$tmp/opens.c" <<'EOF'
#include <stdio.h>
#include <string.h>
#include <bpftape/tape.h>

int main(int argc, char **argv)
{
	char err[256];
	struct tape_reader *r;
	struct tape_cursor *c;
	struct tape_select sel = { .sz = sizeof(sel), .no_losses = true };
	const struct tape_event *ev;
	unsigned long events = 0, opens = 0;
	int ret;

	if (argc != 2)
		return 2;
	r = tape_reader__open(argv[1], err, sizeof(err));
	if (!r) {
		fprintf(stderr, "%s: %s\n", argv[1], err);
		return 1;
	}
	c = tape_cursor__new(&r, 1, &sel);
	if (!c) {
		perror("tape_cursor__new");
		return 1;
	}
	while ((ret = tape_cursor__next(c, &ev)) > 0) {
		events++;
		if (!strcmp(ev->tp->name, "open")) {
			opens++;
			printf("open %s\n", ev->comm);
		}
	}
	if (ret < 0)
		fprintf(stderr, "%s: %s\n", argv[1], tape_cursor__errmsg(c));
	printf("events %lu opens %lu\n", events, opens);
	tape_cursor__free(c);
	tape_reader__free(r);
	return ret < 0;
}
EOF

# The same reader with names of its own that libtape uses inside: a
# crc32c that is not the CRC, a buf_free, and more.  Each must stay the
# program's without taking libtape's place.
{
	cat <<'EOF'
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
static int mine;
uint32_t crc32c(uint32_t crc, const void *p, size_t n);
uint32_t crc32c(uint32_t crc, const void *p, size_t n) { (void)p; return crc ^ (uint32_t)n ^ 0xdeadbeef; }
void buf_free(void *b);
void buf_free(void *b) { (void)b; mine++; }
int buf_put(int x);
int buf_put(int x) { return x + mine; }
const char *errfmt(void);
const char *errfmt(void) { return "mine"; }
int names__find(void);
int names__find(void) { return 42; }
int summary_decode;
EOF
	sed 's/^int main(/static int reader_main(/' "$tmp/opens.c" | grep -v '^#include <stdio.h>'
	cat <<'EOF'
int main(int argc, char **argv)
{
	int ret = reader_main(argc, argv);

	buf_free(NULL);
	/* the program's own definitions are the ones it calls */
	if (crc32c(0, "", 0) != 0xdeadbeef || mine != 1 || names__find() != 42)
		return 10;
	return ret;
}
EOF
} >"$tmp/mine.c"

want=$("$bin" query --format csv "$TAPE" -c "SELECT count(*), sum(type = 'open') FROM events" | tail -1 | tr , ' ')

# Build $2 into $1 with pkg-config's flags, and $3 ("static": linked
# statically, with pkg-config --static).
build() {
	local out=$1 src=$2 how=${3-} ccflags=$san pcflags=""

	[ "$how" = static ] && ccflags="-static" pcflags="--static"
	# shellcheck disable=SC2046,SC2086 # pkg-config's words are meant to split
	$CC -std=gnu11 -Wall -Wextra -Werror $ccflags -o "$out" "$src" \
		$(pkg-config $pcflags --cflags --libs libtape)
}

check_reader() {
	local out

	out=$(LD_LIBRARY_PATH=$lib "$1" "$TAPE" 2>&1) || { echo "$1 failed: $out"; return 1; }
	grep -qx "events ${want% *} opens ${want#* }" <<<"$out" ||
		{ echo "$1 read '$(tail -1 <<<"$out")'; bpftape query says $want"; return 1; }
	grep -qx "open cat" <<<"$out" || { echo "no open by cat in: $out"; return 1; }
}

test_pkgconfig_program() {
	[ "$(pkg-config --modversion libtape)" = "$(sed -n 's/^Version: //p' "$root$prefix/lib/pkgconfig/libtape.pc")" ] || return 1
	build "$tmp/opens" "$tmp/opens.c" || return 1
	# it runs with the installed library, not one from the build tree
	LD_LIBRARY_PATH=$lib ldd "$tmp/opens" | grep -F "libtape.so.$major => $lib/" ||
		{ LD_LIBRARY_PATH=$lib ldd "$tmp/opens"; return 1; }
	check_reader "$tmp/opens"
}
run "a program built with pkg-config only reads a tape" test_pkgconfig_program

test_own_names_shared() {
	build "$tmp/mine" "$tmp/mine.c" && check_reader "$tmp/mine"
}
run "a program with its own crc32c and buf_free: libtape.so" test_own_names_shared

test_own_names_static() {
	build "$tmp/mine-static" "$tmp/mine.c" static || return 1
	if ldd "$tmp/mine-static" 2>/dev/null | grep -q libtape; then
		echo "linked libtape.so, not libtape.a"
		return 1
	fi
	check_reader "$tmp/mine-static"
}
if [ -n "$san" ]; then
	# the sanitizers' runtime does not link statically
	echo "test_install: libtape.a is sanitized here: the static program is not built"
	echo "[  SKIPPED ] a program with its own crc32c and buf_free: libtape.a"
else
	run "a program with its own crc32c and buf_free: libtape.a" test_own_names_static
fi

# The verbs and options the binary's help lists.
verbs=$("$bin" --help | sed -n '/^Verbs:/,/^$/{/^  [a-z]/s/^  \([a-z-]*\).*/\1/p}')

test_man() {
	local page=$root$prefix/share/man/man1/bpftape.1 v o warn text sect terms

	warn=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
	[ -z "$warn" ] || { echo "groff warns:"; echo "$warn"; return 1; }
	text=$(MANWIDTH=200 man --no-hyphenation --no-justification -l "$page" 2>&1) ||
		{ echo "man -l failed"; return 1; }
	for sec in NAME SYNOPSIS DESCRIPTION COMMANDS "EXIT STATUS" FILES "SEE ALSO"; do
		grep -qx "$sec" <<<"$text" || { echo "no $sec section"; return 1; }
	done
	for v in $verbs; do
		grep -qx "   $v" <<<"$text" || { echo "no subsection for $v"; return 1; }
		# the verb's subsection lists each of its options as a term of its
		# own, and has its first example
		sect=$(awk -v v="   $v" '$0 == v { on = 1; next } on && /^ {0,3}[^ ]/ { exit } on' <<<"$text")
		terms=$(grep -E '^       -' <<<"$sect")
		for o in $("$bin" "$v" --help | grep -oE '^ +(-[a-zA-Z], )?--[a-z-]+' | grep -oE -- '--[a-z-]+'); do
			grep -qE -- "(^|[ ,])$o([ ,=[]|$)" <<<"$terms" ||
				{ echo "$v: $o is not a term of its subsection"; return 1; }
		done
		o=$("$bin" "$v" --help | sed -n '/^Examples:/{n;s/^ *//p;q}')
		grep -qF -- "$o" <<<"$sect" || { echo "$v: example '$o' is not in its subsection"; return 1; }
	done
}
run "man page: renders without warnings, every verb and option" test_man

# Completion as bash runs it: COMP_LINE/COMP_POINT set, the function called.
complete_line() {
	PATH=$root$prefix/bin:$PATH bash --norc --noprofile -c '
		source "$1" || exit 1
		complete -p bpftape | grep -q -- "-F _bpftape" || exit 1
		COMP_LINE=$2 COMP_POINT=${#2} COMP_WORDS=($2) COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_bpftape
		printf "%s\n" "${COMPREPLY[@]}"' _ "$root$prefix/share/bash-completion/completions/bpftape" "$1"
}

expect() {
	local line=$1 out

	shift
	out=$(complete_line "$line") || { echo "'$line': the completion did not load"; return 1; }
	for w in "$@"; do
		grep -qxF -- "$w" <<<"$out" || { echo "'$line' completes to:"; echo "$out"; echo "want $w"; return 1; }
	done
}

test_completion() {
	local v

	for v in $verbs; do
		expect "bpftape " "$v" || return 1
	done
	expect "bpftape re" replay recover || return 1
	expect "bpftape help fi" filter || return 1
	expect "bpftape replay --t" --time --tid --type || return 1
	expect "bpftape replay --time " rel wall raw || return 1
	expect "bpftape query --format j" json || return 1
	expect "bpftape replay tests/golden/replay-ba" "$TAPE" || return 1
	expect "bpftape filter -o tests/gol" tests/golden || return 1
	[ -z "$(complete_line 'bpftape replay --pid ')" ] || { echo "--pid offers values"; return 1; }
}
run "bash completion: verbs, options, their values, files" test_completion

test_completion_events() {
	expect "bpftape record -" -o --output -e --events --duration || return 1
	expect "bpftape record -e fi" file || return 1
	expect "bpftape record -e proc,op" proc,open || return 1
	expect "bpftape replay --type ex" exec exit || return 1
}
# event names come from list-events, a part of the recorder
if grep -qx record <<<"$verbs"; then
	run "bash completion: record's options, event names" test_completion_events
else
	echo "test_install: this bpftape has no record (make tools): no event names to complete"
	echo "[  SKIPPED ] bash completion: record's options, event names"
fi

test_uninstall() {
	local left

	make_install uninstall || return 1
	left=$(find "$root" \( -type f -o -type l \) -printf '%P\n')
	[ -z "$left" ] || { echo "left after uninstall:"; echo "$left"; return 1; }
	for d in lib/bpftape include/bpftape; do
		[ ! -e "$root$prefix/$d" ] || { echo "$prefix/$d is left"; return 1; }
	done
}
run "make uninstall removes everything install put there" test_uninstall

summary
