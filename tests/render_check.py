#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check that an output of bpftape gives back the recorded bytes.

    render_check.py KIND OUTPUT EXPECTED [KIND OUTPUT EXPECTED]...

EXPECTED holds one hex string per line: the bytes of field `s` of each event
in timestamp order; then, prefixed "comm ", the events' comm, and prefixed
"fl ", the name of the value of their flags field `fl`.
KIND says which output OUTPUT is and how to read it, with nothing but the
standard library, as a user would (docs/USAGE.md, "How values are rendered"):

    replay-json    bpftape replay --json             (json, per line)
    replay-text    bpftape replay                    (C escapes in s="...")
    query-json     bpftape query --format json 'SELECT s, comm, fl_str FROM ...'
    query-args     bpftape query --format json 'SELECT args FROM events ...'
    query-csv      bpftape query --format csv 'SELECT s, comm, fl_str FROM ...'
    export-csv     bpftape export --format csv
    export-chrome  bpftape export --format chrome

Exit status 0 if every value came back, 1 (with the differences) if not.
"""
import csv
import io
import json
import sys


def unescape(s, text=False):
    """The recorded bytes of a value rendered by bpftape.

    Valid UTF-8 stands for itself; a backslash starts an escape: "\\\\" for a
    backslash and "\\xNN" for any byte.  Text output adds "\\n", "\\t", "\\r"
    and '\\"'."""
    b = s.encode("utf-8")  # strict: a lone surrogate would fail here
    out = bytearray()
    i = 0
    simple = {ord("\\"): b"\\"}
    if text:
        simple.update({ord("n"): b"\n", ord("t"): b"\t", ord("r"): b"\r", ord('"'): b'"'})
    while i < len(b):
        c = b[i]
        if c != ord("\\"):
            out.append(c)
            i += 1
            continue
        n = b[i + 1] if i + 1 < len(b) else None
        if n in simple:
            out += simple[n]
            i += 2
        elif n == ord("x") and all(ch in b"0123456789abcdef" for ch in b[i + 2:i + 4]) \
                and len(b[i + 2:i + 4]) == 2:
            out.append(int(b[i + 2:i + 4], 16))
            i += 4
        else:
            raise ValueError("bad escape at %d in %r" % (i, s))
    return bytes(out)


def text_field(line, name):
    """The value of `name="..."` (or unquoted `name=...`) in a text replay
    line, unescaped."""
    key = " " + name + "="
    start = line.index(key) + len(key)
    if line[start] != '"':
        end = line.find(" ", start)
        return unescape(line[start:end if end >= 0 else len(line)], text=True)
    start += 1
    i = start
    while line[i] != '"':
        i += 2 if line[i] == "\\" else 1
    return unescape(line[start:i], text=True)


def values(kind, data):
    """(s values, comm values, fl names) in event order."""
    if kind == "replay-json":
        # lines end at LF only: str.splitlines() would also cut at U+0085
        # or U+2028, which a JSON string may hold as they are
        evs = [json.loads(l) for l in data.split("\n") if l]
        evs = [e for e in evs if e["type"] != "lost"]
        return ([unescape(e["fields"]["s"]) for e in evs], [unescape(e["comm"]) for e in evs],
                [unescape(e["names"]["fl"]) for e in evs])
    if kind == "replay-text":
        lines = [l for l in data.split("\n") if l]
        for l in lines:
            # one event, one line, and nothing that drives a terminal
            if any(ord(c) < 0x20 or 0x7f <= ord(c) < 0xa0 for c in l):
                raise ValueError("control character in %r" % l)
        return [text_field(l, "s") for l in lines], [], [text_field(l, "fl") for l in lines]
    if kind == "query-json":
        rows = json.loads(data)
        return ([unescape(r["s"]) for r in rows], [unescape(r["comm"]) for r in rows],
                [unescape(r["fl_str"]) for r in rows])
    if kind == "query-args":
        # the args column is a JSON document whose text query escaped again
        args = [json.loads(unescape(r["args"])) for r in json.loads(data)]
        return [unescape(a["s"]) for a in args], [], [unescape(a["fl"]) for a in args]
    if kind in ("query-csv", "export-csv"):
        csv.field_size_limit(sys.maxsize)
        rows = list(csv.DictReader(io.StringIO(data, newline="")))
        return ([unescape(r["s"]) for r in rows], [unescape(r["comm"]) for r in rows],
                [unescape(r["fl_str"]) for r in rows])
    if kind == "export-chrome":
        evs = [e for e in json.loads(data)["traceEvents"] if e.get("ph") == "i"
               and e.get("cat") != "lost"]
        return [unescape(e["args"]["s"]) for e in evs], [], [unescape(e["args"]["fl"]) for e in evs]
    raise ValueError("unknown kind " + kind)


def check(kind, output, expected):
    with open(output, "rb") as f:
        raw = f.read()
    data = raw.decode("utf-8")  # every output is valid UTF-8
    want_s, want_comm, want_fl = [], None, None
    with open(expected) as f:
        for line in f.read().split("\n"):
            if line.startswith("comm "):
                want_comm = bytes.fromhex(line[5:])
            elif line.startswith("fl "):
                want_fl = bytes.fromhex(line[3:])
            elif line or not want_comm:
                want_s.append(bytes.fromhex(line))
    got_s, got_comm, got_fl = values(kind, data)
    bad = 0
    if len(got_s) != len(want_s):
        print("%s: %d values, expected %d" % (kind, len(got_s), len(want_s)))
        bad += 1
    for i, (g, w) in enumerate(zip(got_s, want_s)):
        if g != w:
            print("%s: event %d: got %r, recorded %r" % (kind, i, g, w))
            bad += 1
    for i, g in enumerate(got_comm):
        if want_comm is not None and g != want_comm:
            print("%s: event %d comm: got %r, recorded %r" % (kind, i, g, want_comm))
            bad += 1
    if len(got_fl) != len(want_s):
        print("%s: %d flag names, expected %d" % (kind, len(got_fl), len(want_s)))
        bad += 1
    for i, g in enumerate(got_fl):
        if g != want_fl:
            print("%s: event %d fl: got %r, recorded name %r" % (kind, i, g, want_fl))
            bad += 1
    return 1 if bad else 0


def main():
    args = sys.argv[1:]
    if not args or len(args) % 3:
        print(__doc__)
        return 2
    bad = 0
    for i in range(0, len(args), 3):
        bad |= check(*args[i:i + 3])
    return bad


if __name__ == "__main__":
    sys.exit(main())
