#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check a trace of `bpftape export --format perfetto` as Perfetto reads it.

Usage: perfetto_check.py PROTO_DIR TRACE

Decodes TRACE with `protoc --decode=perfetto.protos.Trace` and the project's
docs/perfetto/bpftape_trace.proto (so every field must be one the .proto
declares, with Perfetto's numbers), then checks what the Perfetto UI relies
on, following each packet sequence's incremental state:

  - a SEQ_INCREMENTAL_STATE_CLEARED packet with the defaults (clock 64) and
    a clock snapshot starts the sequence; timestamps on clock 64 add up;
  - every interned id an event uses (event name, argument name, argument
    value) was defined on its sequence since the last clear;
  - every track an event is on (its track_uuid, or the track of the
    sequence's defaults: new defaults replace the old ones whole, and keep
    the interned data) was described before (process, thread, or the track
    of losses);
  - packets with defaults or interned data name their sequence (Perfetto
    ignores both on packets without one);
  - slices: begin and end pair on each track, none left open;
  - switch bundles: parallel arrays of one length, comm indices in range.

Prints a JSON summary (threads, processes, slices, instants, switches) for
a test to compare; exits 1 with the reason on the first violation.
"""
import json
import os
import re
import subprocess
import sys

TOKEN = re.compile(r'\s*(?:([A-Za-z_][A-Za-z0-9_]*)|(-?\d+)|("(?:[^"\\]|\\.)*")|([:{}]))')


def unescape(s):
    out = bytearray()
    i = 0
    b = s.encode('utf-8')
    while i < len(b):
        c = b[i]
        if c != 0x5c:
            out.append(c)
            i += 1
            continue
        n = b[i + 1]
        if 0x30 <= n <= 0x37:
            j = i + 1
            v = 0
            while j < len(b) and j < i + 4 and 0x30 <= b[j] <= 0x37:
                v = v * 8 + b[j] - 0x30
                j += 1
            out.append(v)
            i = j
            continue
        m = {ord('n'): 10, ord('t'): 9, ord('r'): 13, ord('"'): 34, ord("'"): 39, ord('\\'): 92}
        if n == ord('x'):
            out.append(int(b[i + 2:i + 4], 16))
            i += 4
            continue
        out.append(m.get(n, n))
        i += 2
    return out.decode('utf-8')


def parse(text):
    """protoc's text format -> {field: [values]} (messages as dicts)."""
    toks = TOKEN.findall(text)
    rest = TOKEN.sub('', text).strip()
    if rest:
        fail('cannot parse protoc output: %r' % rest[:40])
    stack = [{}]
    i = 0
    while i < len(toks):
        ident, num, string, punct = toks[i]
        if punct == '}':
            stack.pop()
            i += 1
            continue
        name = ident
        if toks[i + 1][3] == '{':
            msg = {}
            stack[-1].setdefault(name, []).append(msg)
            stack.append(msg)
            i += 2
            continue
        assert toks[i + 1][3] == ':', toks[i:i + 2]
        _, vnum, vstr, _ = toks[i + 2]
        vid = toks[i + 2][0]
        if vnum:
            v = int(vnum)
        elif vstr:
            v = unescape(vstr[1:-1])
        else:
            v = {'true': True, 'false': False}.get(vid, vid)
        stack[-1].setdefault(name, []).append(v)
        i += 3
    return stack[0]


def one(msg, name, default=None):
    v = msg.get(name)
    return v[0] if v else default


def fail(why):
    print('perfetto_check: ' + why, file=sys.stderr)
    sys.exit(1)


def main():
    proto_dir, trace = sys.argv[1], sys.argv[2]
    with open(trace, 'rb') as f:
        r = subprocess.run(['protoc', '-I', proto_dir, '--decode=perfetto.protos.Trace',
                            'bpftape_trace.proto'], stdin=f, capture_output=True, text=True)
    if r.returncode:
        fail('protoc --decode failed: ' + r.stderr.strip())
    trace_msg = parse(r.stdout)
    packets = trace_msg.get('packet', [])
    seqs = {}
    tracks = {}
    threads, processes = {}, {}
    open_slices = {}
    slices, instants = [], []
    switches = 0
    clears = 0
    defaults = 0
    implicit = 0
    cpus = set()
    for n, p in enumerate(packets):
        where = 'packet %d' % n
        seq = one(p, 'trusted_packet_sequence_id', 0)
        if 'ftrace_events' in p:
            fb = p['ftrace_events'][0]
            cs = one(fb, 'compact_sched', {})
            arrays = [cs.get(k, []) for k in ('switch_timestamp', 'switch_prev_state',
                                              'switch_next_pid', 'switch_next_prio',
                                              'switch_next_comm_index')]
            if len(set(map(len, arrays))) != 1 or not arrays[0]:
                fail('%s: compact_sched arrays of different lengths' % where)
            table = cs.get('intern_table', [])
            if any(i >= len(table) for i in arrays[4]):
                fail('%s: comm index out of the bundle\'s table' % where)
            switches += len(arrays[0])
            cpus.add(one(fb, 'cpu', 0))
            continue
        st = seqs.get(seq)
        if ('trace_packet_defaults' in p or 'interned_data' in p) and \
                'trusted_packet_sequence_id' not in p:
            fail('%s: defaults or interned data without a sequence id' % where)
        if one(p, 'sequence_flags', 0) & 1:
            clears += 1
            st = seqs[seq] = {'names': {}, 'anames': {}, 'values': {}, 'clock': None,
                              'default_clock': None, 'default_track': None}
        d = one(p, 'trace_packet_defaults')
        if d is not None:
            if st is None:
                fail('%s: defaults before the sequence was cleared' % where)
            ted = one(d, 'track_event_defaults', {})
            st['default_clock'] = one(d, 'timestamp_clock_id')
            st['default_track'] = one(ted, 'track_uuid')
            defaults += 1
        if 'clock_snapshot' in p:
            if st is None:
                fail('%s: clock snapshot before the sequence was cleared' % where)
            for c in p['clock_snapshot'][0]['clocks']:
                if one(c, 'is_incremental'):
                    st['clock'] = (one(c, 'clock_id'), one(c, 'timestamp'))
        ts = None
        if 'timestamp' in p:
            clock = one(p, 'timestamp_clock_id') or (st and st['default_clock'])
            if clock == 6:
                ts = one(p, 'timestamp')
            elif st and st['clock'] and clock == st['clock'][0]:
                ts = st['clock'][1] + one(p, 'timestamp')
                st['clock'] = (clock, ts)
            else:
                fail('%s: timestamp on clock %s, which the sequence does not define' %
                     (where, clock))
        for idata in p.get('interned_data', []):
            if st is None:
                fail('%s: interned data before the sequence was cleared' % where)
            for key, table, field in (('event_names', 'names', 'name'),
                                      ('debug_annotation_names', 'anames', 'name'),
                                      ('debug_annotation_string_values', 'values', 'str')):
                for e in idata.get(key, []):
                    # an id means one string until the state is cleared
                    if one(e, 'iid') in st[table]:
                        fail('%s: %s id %s defined again' % (where, key, one(e, 'iid')))
                    st[table][one(e, 'iid')] = one(e, field)
        for td in p.get('track_descriptor', []):
            uuid = one(td, 'uuid')
            tracks[uuid] = td
            if 'thread' in td:
                t = td['thread'][0]
                threads[str(one(t, 'tid'))] = [one(t, 'pid'), one(t, 'thread_name')]
            if 'process' in td:
                pr = td['process'][0]
                processes[str(one(pr, 'pid'))] = [one(pr, 'process_name'),
                                                  pr.get('cmdline', [])]
        for te in p.get('track_event', []):
            if st is None or ts is None:
                fail('%s: track event without a cleared sequence or a timestamp' % where)
            uuid = one(te, 'track_uuid')
            if uuid is None:
                uuid = st['default_track']
                if uuid is None:
                    fail('%s: track event without a track, and no default one' % where)
                implicit += 1
            if uuid not in tracks:
                fail('%s: track %s not described' % (where, uuid))
            kind = one(te, 'type')
            td = tracks[uuid]
            who = str(one(td['thread'][0], 'tid')) if 'thread' in td else one(td, 'name')
            if kind == 'TYPE_SLICE_END':
                stack = open_slices.get(uuid)
                if not stack:
                    fail('%s: slice end without a begin on track %s' % (where, uuid))
                s = stack.pop()
                s[2] = ts - s[1]
                continue
            iid = one(te, 'name_iid')
            if iid not in st['names']:
                fail('%s: event name id %s not interned' % (where, iid))
            args = {}
            for a in te.get('debug_annotations', []):
                aname = st['anames'].get(one(a, 'name_iid'))
                if aname is None:
                    fail('%s: argument name id %s not interned' % (where, one(a, 'name_iid')))
                if 'string_value_iid' in a:
                    v = st['values'].get(one(a, 'string_value_iid'))
                    if v is None:
                        fail('%s: argument value id %s not interned' %
                             (where, one(a, 'string_value_iid')))
                else:
                    v = one(a, 'string_value', one(a, 'uint_value', one(a, 'int_value')))
                args[aname] = v
            if kind == 'TYPE_SLICE_BEGIN':
                s = [st['names'][iid], ts, None, who, args]
                open_slices.setdefault(uuid, []).append(s)
                slices.append(s)
            elif kind == 'TYPE_INSTANT':
                instants.append([st['names'][iid], ts, who, args])
            else:
                fail('%s: event of type %s' % (where, kind))
    left = [u for u, s in open_slices.items() if s]
    if left:
        fail('slices left open on tracks %s' % left)
    json.dump({'packets': len(packets), 'threads': threads, 'processes': processes,
               'slices': slices, 'instants': instants, 'switches': switches,
               'cpus': sorted(cpus), 'clears': clears,
               'defaults': defaults, 'implicit_track': implicit, 'bytes': os.path.getsize(trace)}, sys.stdout)
    print()


main()
