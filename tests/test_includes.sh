#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The header tiers of docs/HACKING.md, checked on every include line of the
# tree: a quoted include names a file beside the including one, a private
# header of libtape ("private/names.h") or a generated one; public headers
# are included as <bpftape/NAME> and exist; a header of another directory is
# one of the cross-module headers the page lists (tests may also reach a
# module's own headers, not libtape's local ones); examples/ and the public
# headers see the public tier alone.
#
# Run from the repository root: tests/test_includes.sh
set -u
if ! command -v python3 >/dev/null; then
	echo "test_includes: skipped: no python3"
	exit 77
fi

. "$(dirname "$0")/harness.sh"

# check RULE: prints each include line that breaks RULE, fails if any
check() {
	python3 - "$1" <<'PY'
import os, re, sys

rule = sys.argv[1]
dirs = ["cli", "format", "replay", "query", "record", "bpf", "tests", "examples"]
files = []
for top in dirs:
    for root, _, names in os.walk(top):
        files += [os.path.join(root, n) for n in names if n.endswith((".c", ".h"))]
GENERATED = re.compile(r"(\.skel\.h|^vmlinux\.h|^syscall_names\.h)$")
# what a module may include from another directory
SHARED = {"cli/cli.h", "cli/verbs.h", "bpf/events.h", "bpf/generic_abi.h"}
inc = re.compile(r'^\s*#\s*include\s+([<"])([^>"]+)[>"]')
bad = 0
for f in sorted(files):
    d = os.path.dirname(f)
    top = f.split(os.sep)[0]
    public = f.startswith("format/include/bpftape/")
    for n, line in enumerate(open(f, encoding="utf-8", errors="replace"), 1):
        m = inc.match(line)
        if not m:
            continue
        kind, name = m.groups()
        where = os.path.normpath(os.path.join(d, name))
        why = None
        if rule == "resolve" and kind == '"':
            if name.startswith("bpftape/"):
                why = "a public header is included as <%s>" % name
            elif not (os.path.exists(where) or GENERATED.search(name)
                      or (name.startswith("private/")
                          and os.path.exists(os.path.join("format/include", name)))):
                why = "names no file beside it nor a private or generated header"
        elif rule == "public" and kind == "<" and name.startswith("bpftape/"):
            if not os.path.exists(os.path.join("format/include", name)):
                why = "no such public header in format/include/bpftape/"
        elif rule == "cross" and kind == '"' and os.path.exists(where) \
                and os.path.dirname(where) != d and not where.startswith(d + os.sep):
            if top == "tests":
                # a fuzz target drives one of libtape's parsers from inside,
                # so that every mutation reaches it: white-box by design
                if where.startswith("format" + os.sep) and not (
                        f.startswith("tests/fuzz/") and where == "format/tape_int.h"):
                    why = "libtape's local header: use the public or private tier"
            elif where not in SHARED:
                why = "a local header of another directory (shared ones: %s)" \
                    % ", ".join(sorted(SHARED))
        elif rule == "outside" and (top == "examples" or public) and kind == '"':
            if not (public and os.path.dirname(where) == d):
                why = "only the public headers, as <bpftape/NAME>"
        if why:
            print("%s:%d: %s: %s" % (f, n, line.strip(), why))
            bad += 1
sys.exit(1 if bad else 0)
PY
}

run "a quoted include names a file beside it, a private or a generated header" check resolve
run "every <bpftape/NAME> is a public header" check public
run "a header of another directory is a shared one (tests: any but libtape's local; fuzz targets may reach its parsers)" check cross
run "examples/ and the public headers include the public tier alone" check outside

summary
