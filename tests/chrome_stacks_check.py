#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check the stacks of a trace of `bpftape export --format chrome`.

Usage: chrome_stacks_check.py TRACE ARG=VALUE

Loads TRACE as JSON (the Trace Event Format's object form) and checks
what a trace viewer relies on to draw stacks:

  - stackFrames maps string ids to {name, category[, parent]}, names and
    categories non-empty strings; each parent is an id of the dictionary;
    following parents ends at a root, with no cycle;
  - each event's sf (a number) is an id of the dictionary;
  - no two entries have one (parent, name, category): a frame is defined
    once under its parent.

Prints, for each event whose args hold ARG with VALUE, its frame chain,
innermost first, names joined by ';' (an empty line for an event without
sf), for the test to compare; exits 1 with the reason on the first
violation.
"""
import json
import sys


def fail(msg):
    print(msg, file=sys.stderr)
    sys.exit(1)


def main():
    if len(sys.argv) != 3 or '=' not in sys.argv[2]:
        fail(__doc__.strip().splitlines()[2])
    arg, value = sys.argv[2].split('=', 1)
    with open(sys.argv[1], encoding='utf-8') as f:
        trace = json.load(f)
    frames = trace.get('stackFrames', {})
    if not isinstance(frames, dict):
        fail('stackFrames is not an object')
    seen = set()
    for fid, fr in frames.items():
        if not isinstance(fr, dict):
            fail(f'frame {fid} is not an object')
        for k in ('name', 'category'):
            if not isinstance(fr.get(k), str) or not fr[k]:
                fail(f'frame {fid}: no {k}')
        parent = fr.get('parent')
        if parent is not None and (not isinstance(parent, str) or parent not in frames):
            fail(f'frame {fid}: parent {parent!r} is not a frame')
        key = (parent, fr['name'], fr['category'])
        if key in seen:
            fail(f'frame {fid}: {key} is defined twice')
        seen.add(key)

    def chain(fid):
        names, hops = [], 0
        while fid is not None:
            hops += 1
            if hops > len(frames) + 1:
                fail(f'frame {fid}: its parents form a cycle')
            names.append(frames[fid]['name'])
            fid = frames[fid].get('parent')
        return names

    for ev in trace['traceEvents']:
        sf = ev.get('sf')
        if sf is not None:
            if not isinstance(sf, int) or str(sf) not in frames:
                fail(f'event at ts {ev.get("ts")}: sf {sf!r} is not a frame')
            chain(str(sf))
        if ev.get('args', {}).get(arg) == value:
            print(';'.join(chain(str(sf))) if sf is not None else '')


if __name__ == '__main__':
    main()
