#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Is docs/FORMAT.md enough to read a tape?  tests/tape_py.py is a reader
# written from the spec alone; this diffs its canonical dump against the one
# libtape produces (tests/tape_dump.c) on the golden tapes, on a freshly
# written tape that exercises ties, overlapping chunks, losses and extreme
# values, on damaged copies of it, and on a crafted chunk with bytes after
# its last column (test_format --write-trailing); then checks how the Python
# reader reports the corrupt goldens.  Prints cmocka-style result lines.
#
# Run from the repository root: tests/test_format_py.sh  (OUTPUT=build dir)
set -u
OUTPUT=${OUTPUT:-build}
DUMP=$OUTPUT/tests/tape_dump
PY=${TAPE_PY:-tests/tape_py.py}
GOLD=tests/golden

if ! command -v python3 >/dev/null; then
	echo "test_format_py: skipped: python3 is not installed"
	exit 77
fi
if ! command -v zstd >/dev/null; then
	echo "test_format_py: skipped: the zstd command is not installed (apt-get install zstd)"
	exit 77
fi
if [ ! -x "$DUMP" ]; then
	echo "test_format_py: $DUMP is not built (make $DUMP)"
	echo "[  FAILED  ] 1 test(s), listed below:"
	echo "[  FAILED  ] build"
	exit 1
fi

RUN_LOG_LINES=40
. "$(dirname "$0")/harness.sh"

# same TAPE: both readers open it, or both refuse it; the dumps are identical.
same() {
	local t=$1 b
	b=$(basename "$t")
	"$PY" "$t" >"$tmp/$b.py" 2>"$tmp/$b.py.err"
	local prc=$?
	"$DUMP" "$t" >"$tmp/$b.c" 2>"$tmp/$b.c.err"
	local crc=$?
	cat "$tmp/$b.py.err" "$tmp/$b.c.err"
	if [ $prc -eq 1 ] || [ $crc -eq 1 ]; then
		[ $prc -eq 1 ] && [ $crc -eq 1 ] && return 0
		echo "$t: python exit $prc, C exit $crc: only one reader refused the tape"
		return 1
	fi
	[ $prc -le 2 ] || { echo "python reader crashed (exit $prc)"; return 1; }
	[ $crc -le 2 ] || { echo "C dump crashed (exit $crc)"; return 1; }
	[ -s "$tmp/$b.c" ] || { echo "empty dump"; return 1; }
	diff "$tmp/$b.py" "$tmp/$b.c" | head -20
	[ "${PIPESTATUS[0]}" -eq 0 ]
}

# Byte surgery on a copy: poke FILE OFFSET BYTE-XOR.
poke() {
	python3 -c 'import sys
p, off, x = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
d = bytearray(open(p, "rb").read()); d[off] ^= x; open(p, "wb").write(d)' "$@"
}

# Offset and length of the Nth chunk listed in a dump.
chunk_field() {
	sed -n 's/^chunk offset=\([0-9]*\) block_len=\([0-9]*\).*/\1 \2/p' "$1" | sed -n "$2p"
}

events_of() { grep -Ev '^(recovered|meta|type|proc|loss|chunk|events|error)( |$)' "$1"; }

for t in "$GOLD"/*.tape; do
	run "same $(basename "$t")" same "$t"
done

crc_golden() {
	"$PY" "$GOLD/format-crc.tape" >"$tmp/crc.py" 2>"$tmp/crc.err"
	local rc=$?
	"$PY" "$GOLD/format-valid.tape" >"$tmp/valid.py" 2>/dev/null || return 1
	cat "$tmp/crc.err"
	[ $rc -eq 2 ] || { echo "exit $rc, want 2 (bad chunk)"; return 1; }
	# Which chunk is damaged, found without trusting either reader.
	local diffat
	diffat=$(cmp "$GOLD/format-valid.tape" "$GOLD/format-crc.tape" | sed -n 's/.* byte \([0-9]*\),.*/\1/p')
	[ -n "$diffat" ] || { echo "format-crc.tape does not differ from format-valid.tape"; return 1; }
	diffat=$((diffat - 1))
	local off len cnt bad=
	while read -r off len cnt; do
		[ "$diffat" -ge "$off" ] && [ "$diffat" -lt $((off + len)) ] && bad="$off $cnt"
	done < <(sed -n 's/^chunk offset=\([0-9]*\) block_len=\([0-9]*\).* count=\([0-9]*\) .*/\1 \2 \3/p' "$tmp/valid.py")
	[ -n "$bad" ] || { echo "byte $diffat is in no chunk"; return 1; }
	set -- $bad
	[ "$(grep -c 'CRC mismatch' "$tmp/crc.err")" -eq 1 ] || { echo "want one CRC error"; return 1; }
	grep -q "at offset $1: CRC mismatch" "$tmp/crc.err" || { echo "error does not name offset $1"; return 1; }
	[ "$(grep -c '^error$' "$tmp/crc.py")" -eq 1 ] || { echo "want one error line in the dump"; return 1; }
	local want=$(($(events_of "$tmp/valid.py" | grep -vc ' lost ') - $2))
	local got
	got=$(events_of "$tmp/crc.py" | grep -vc ' lost ')
	[ "$got" -eq "$want" ] || { echo "$got events, want $want (all but the bad chunk's $2)"; return 1; }
}
run "python: format-crc.tape loses exactly the bad chunk" crc_golden

truncated_golden() {
	"$PY" "$GOLD/format-truncated.tape" >"$tmp/tr.py" 2>"$tmp/tr.err" || [ $? -eq 2 ] || return 1
	"$PY" "$GOLD/format-valid.tape" >"$tmp/valid.py" 2>/dev/null || return 1
	cat "$tmp/tr.err"
	head -1 "$tmp/tr.py" | grep -qx 'recovered yes' || { echo "not recovered by scanning"; return 1; }
	local size want=0 off len cnt
	size=$(stat -c %s "$GOLD/format-truncated.tape")
	while read -r off len cnt; do
		[ $((off + len)) -le "$size" ] && want=$((want + cnt))
	done < <(sed -n 's/^chunk offset=\([0-9]*\) block_len=\([0-9]*\).* count=\([0-9]*\) .*/\1 \2 \3/p' "$tmp/valid.py")
	grep -qx "events $want" "$tmp/tr.py" || { echo "want events $want (complete chunks), got $(grep ^events "$tmp/tr.py")"; return 1; }
	# Every event kept is one of the original tape's, in the same order.
	events_of "$tmp/tr.py" | grep -v ' lost ' >"$tmp/tr.ev"
	events_of "$tmp/valid.py" | grep -v ' lost ' | head -n "$want" >"$tmp/valid.ev"
	diff "$tmp/tr.ev" "$tmp/valid.ev" | head
	[ "${PIPESTATUS[0]}" -eq 0 ]
}
run "python: format-truncated.tape keeps the complete chunks" truncated_golden

badfooter_golden() {
	"$PY" "$GOLD/format-badfooter.tape" >"$tmp/bf.py" 2>"$tmp/bf.err" || [ $? -eq 2 ] || return 1
	"$PY" "$GOLD/format-valid.tape" >"$tmp/valid.py" 2>/dev/null || return 1
	cat "$tmp/bf.err"
	head -1 "$tmp/bf.py" | grep -qx 'recovered yes' || { echo "not recovered by scanning"; return 1; }
	diff <(tail -n +2 "$tmp/bf.py") <(tail -n +2 "$tmp/valid.py") | head
	[ "${PIPESTATUS[0]}" -eq 0 ]
}
run "python: format-badfooter.tape recovered by scanning" badfooter_golden

refuses() {
	local rc
	"$PY" "$1" >/dev/null 2>"$tmp/ref.err"
	rc=$?
	cat "$tmp/ref.err"
	[ $rc -eq 1 ] && grep -q 'not a tape' "$tmp/ref.err"
}
run "python: format-empty.tape is not a tape" refuses "$GOLD/format-empty.tape"
run "python: format-foreign.tape is not a tape" refuses "$GOLD/format-foreign.tape"

# A fresh tape from the C writer, and damaged copies of it.
S=$tmp/sample.tape
run "write sample tape" "$DUMP" --write "$S" "${SAMPLE_EVENTS:-20000}"
run "same sample.tape" same "$S"
run "write unfinished tape" "$DUMP" --write "$tmp/unfinished.tape" 3000 unfinished
run "same unfinished.tape" same "$tmp/unfinished.tape"

if [ -s "$tmp/sample.tape.py" ]; then
	size=$(stat -c %s "$S")
	# No trailer: scanned.
	head -c $((size - 36)) "$S" >"$tmp/notrailer.tape"
	run "same notrailer.tape" same "$tmp/notrailer.tape"

	# A bad chunk in the middle and a bad trailer: scan, resync after it.
	read -r off len < <(chunk_field "$tmp/sample.tape.py" 3)
	cp "$S" "$tmp/resync.tape"
	poke "$tmp/resync.tape" $((off + len / 2)) 1
	poke "$tmp/resync.tape" $((size - 5)) 1
	resync() {
		same "$tmp/resync.tape" || return 1
		grep -q "at offset $off: CRC mismatch" "$tmp/resync.tape.py.err" ||
			{ echo "no CRC error naming offset $off"; return 1; }
		grep -qx 'recovered yes' "$tmp/resync.tape.py"
	}
	run "same resync.tape (bad chunk, bad trailer)" resync

	# A chunk whose length field points past the end of the file.
	read -r off len < <(chunk_field "$tmp/sample.tape.py" 5)
	cp "$S" "$tmp/badlen.tape"
	poke "$tmp/badlen.tape" $((off + 14)) 64
	poke "$tmp/badlen.tape" $((size - 5)) 1
	run "same badlen.tape (bad block length, bad trailer)" same "$tmp/badlen.tape"

	# Cut at arbitrary points, as a killed recorder leaves it.
	S=$tmp/small.tape
	"$DUMP" --write "$S" 3000 || failed+=("write small.tape")
	size=$(stat -c %s "$S")
	for cut in 15 16 17 35 36 37 $((size / 7)) $((size / 3)) $((size / 2 + 1)) $((size - 37)) $((size - 1)); do
		head -c "$cut" "$S" >"$tmp/cut-$cut.tape"
		run "same cut-$cut.tape" same "$tmp/cut-$cut.tape"
	done
fi

# A chunk whose payload goes on after its last column, as a newer writer's
# may: both readers ignore those bytes and read its three events.
trailing() {
	"$OUTPUT/tests/test_format" --write-trailing "$tmp/trailing.tape" || return 1
	same "$tmp/trailing.tape" || return 1
	grep -qx 'events 3' "$tmp/trailing.tape.py" || { echo "want events 3"; return 1; }
	! grep -qx error "$tmp/trailing.tape.py" || { echo "the chunk was refused"; return 1; }
}
run "same trailing.tape (bytes after the last column)" trailing

# Every tracepoint format of this kernel, decoded by both readers.
"$DUMP" --write-formats "$tmp/formats.tape" >"$tmp/wf.log" 2>&1
case $? in
0) run "same formats.tape (this kernel's tracepoint formats)" same "$tmp/formats.tape" ;;
77)
	cat "$tmp/wf.log"
	echo "[  SKIPPED ] same formats.tape (tracefs not readable here)"
	;;
*) run "write formats.tape" sh -c 'cat "$1"; exit 1' - "$tmp/wf.log" ;;
esac

summary
