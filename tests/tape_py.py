#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""An independent reader of bpftape tapes, written from docs/FORMAT.md alone.

It exists to prove the spec is complete: tests/test_format_py.sh diffs its
canonical dump against the one the C library produces (tests/tape_dump.c).
Python 3 standard library only; chunk payloads are decompressed by the
`zstd` command-line tool.

usage: tape_py.py [--strict] TAPE

Prints the canonical dump on stdout (see dump()), problems on stderr, each
naming the block sequence number and offset.  Exit status: 0 clean, 1 the
tape could not be opened, 2 it was read but some blocks or chunks were bad.
"""

import heapq
import re
import struct
import subprocess
import sys

MAGIC = b"BPFTAPE\0"
BLOCK_MAGIC = 0x4B4C4254
BLOCK_MAGIC_BYTES = b"TBLK"
HDR = 20
TRAILER_LEN = 36
TRAILER_MAGIC = 0x444E4554
MAX_BODY = 256 << 20
MAX_RAW = 256 << 20
MAX_COUNT = 16 << 20
MAX_FIELDS = 64
MAX_DICT = 4096

B_META, B_SCHEMA, B_PROCS, B_CHUNK, B_LOSS, B_INDEX, B_TRAILER = range(1, 8)

K_U8, K_U16, K_U32, K_U64, K_S8, K_S16, K_S32, K_S64, K_STR, K_BYTES = range(1, 11)
INT_KINDS = range(K_U8, K_S64 + 1)
SIGNED_KINDS = range(K_S8, K_S64 + 1)
LOSS_FIELDS = ("cpu", "count", "first_ts", "last_ts")

MASK64 = (1 << 64) - 1


class Damage(Exception):
    """Input that does not follow the format; the text says what."""


# ---- primitives -------------------------------------------------------------

def _crc_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


CRC_TABLE = _crc_table()


def crc32c(data, crc=0):
    """CRC-32C; @crc is a previous result to continue from."""
    c = crc ^ 0xFFFFFFFF
    t = CRC_TABLE
    for b in data:
        c = t[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def unzigzag(u):
    v = (u >> 1) ^ -(u & 1)
    return v


class Buf:
    """A cursor over bytes that raises Damage when a read runs off the end."""

    def __init__(self, data, what):
        self.d = data
        self.p = 0
        self.what = what

    def left(self):
        return len(self.d) - self.p

    def need(self, n, name):
        if n < 0 or self.p + n > len(self.d):
            raise Damage("%s: %s runs past the end (%d bytes needed at %d, %d left)"
                         % (self.what, name, n, self.p, self.left()))

    def u8(self, name="u8"):
        self.need(1, name)
        v = self.d[self.p]
        self.p += 1
        return v

    def u32(self, name="u32"):
        self.need(4, name)
        v = struct.unpack_from("<I", self.d, self.p)[0]
        self.p += 4
        return v

    def u64(self, name="u64"):
        self.need(8, name)
        v = struct.unpack_from("<Q", self.d, self.p)[0]
        self.p += 8
        return v

    def varint(self, name="varint"):
        v = 0
        for i in range(10):
            self.need(1, name)
            b = self.d[self.p]
            self.p += 1
            v |= (b & 0x7F) << (7 * i)
            if not b & 0x80:
                if v > MASK64:
                    raise Damage("%s: %s overflows 64 bits" % (self.what, name))
                return v
        raise Damage("%s: %s is longer than 10 bytes" % (self.what, name))

    def raw(self, n, name="bytes"):
        self.need(n, name)
        v = self.d[self.p:self.p + n]
        self.p += n
        return bytes(v)

    def bytes_(self, name="bytes"):
        n = self.varint(name + " length")
        return self.raw(n, name)

    def sub(self, name):
        """A length-prefixed record as its own Buf."""
        return Buf(self.bytes_(name), "%s, %s" % (self.what, name))


# ---- block bodies -----------------------------------------------------------

def parse_meta(b, meta):
    count = b.varint("count")
    for _ in range(count):
        k = b.bytes_("key")
        v = b.bytes_("value")
        meta[k] = v


def parse_schema(b, enums, types):
    for _ in range(b.varint("n_enums")):
        r = b.sub("enum record")
        eid = r.varint("enum_id")
        if eid < 1:
            raise Damage("%s: enum id 0" % r.what)
        if eid in enums:
            raise Damage("%s: enum %d defined twice" % (r.what, eid))
        name = r.bytes_("enum name")
        vals = []
        for _ in range(r.varint("enum count")):
            vals.append((r.varint("enum value"), r.bytes_("enum symbol")))
        enums[eid] = (name, vals)
    for _ in range(b.varint("n_types")):
        r = b.sub("type record")
        tid = r.varint("type_id")
        if not 1 <= tid <= 65535:
            raise Damage("%s: type id %d out of range" % (r.what, tid))
        if tid in types:
            raise Damage("%s: type %d defined twice" % (r.what, tid))
        name = r.bytes_("type name")
        source = r.bytes_("source")
        fmt = r.bytes_("format")
        nfields = r.varint("nfields")
        if nfields > MAX_FIELDS:
            raise Damage("%s: %d fields (> %d)" % (r.what, nfields, MAX_FIELDS))
        fields = []
        for _ in range(nfields):
            fname = r.bytes_("field name")
            kind = r.u8("kind")
            disp = r.u8("display")
            eid = r.varint("enum_id")
            if eid and eid not in enums:
                # The spec says nothing here; libtape keeps the field without its
                # enum (the enum's schema block may be the damaged one).
                eid = 0
            fields.append((fname, kind, disp, eid))
        if any(t[0] == name for t in types.values()):
            raise Damage("%s: type name %r defined twice" % (r.what, name))
        types[tid] = (name, source, fmt, fields)


HEX64 = "[0-9a-f]{64}"
# docs/FORMAT.md, "Containers from cgroup paths": (runtime, component, parent)
CONTAINER_FORMS = [
    ("docker", "docker-(%s)\\.scope" % HEX64, None),
    ("containerd", "cri-containerd-(%s)\\.scope" % HEX64, None),
    ("cri-o", "crio-(%s)(?:\\.scope)?" % HEX64, None),
    ("podman", "libpod-(%s)(?:\\.scope)?" % HEX64, None),
    ("docker", "(%s)" % HEX64, "docker"),
    ("systemd-nspawn", "machine-(.+)\\.scope", "machine.slice"),
    ("systemd-nspawn", "systemd-nspawn@(.+)\\.service", "machine.slice"),
    ("lxc", "lxc\\.payload\\.(.+)", None),
    ("lxc", "(.+)", "lxc"),
]


def unescape(s):
    return re.sub(r"\\x([0-9a-fA-F]{2})", lambda m: chr(int(m.group(1), 16)), s)


def derive_container(cgroup):
    """A 1.0 record's container fields, from the cgroup path as FORMAT.md
    says: (id, name, runtime, pod), the innermost container winning."""
    found, kube, pod, parent = None, False, "", ""
    for comp in cgroup.decode(errors="replace").split("/"):
        if not comp:
            continue
        kube = kube or comp.startswith("kubepods")
        m = re.search(r"pod([0-9a-f_-]{32,})(?:\.slice)?$", comp) if kube else None
        if m:
            pod = m.group(1).replace("_", "-")
        for runtime, form, par in CONTAINER_FORMS:
            if par is not None and par != parent:
                continue
            m = re.fullmatch(form, comp)
            if m:
                cid = m.group(1)
                if len(cid) == 64 and re.fullmatch(HEX64, cid):
                    if runtime == "docker" and par and kube:
                        runtime = "containerd"
                    found = (cid, cid[:12], runtime)
                else:
                    found = (unescape(cid),) * 2 + (runtime,)
                break
        else:
            if kube and re.fullmatch(HEX64, comp):
                found = (comp, comp[:12], "containerd")
        parent = comp
    if not found:
        return (b"", b"", b"", b"")
    return tuple(x.encode() for x in found) + ((pod if kube else "").encode(),)


def parse_procs(b, procs):
    for _ in range(b.varint("count")):
        r = b.sub("process record")
        p = (r.varint("pid"), r.varint("ppid"), r.varint("uid"),
             r.varint("start_ts"), r.bytes_("comm"), r.bytes_("exe"),
             r.bytes_("argv"), r.bytes_("cgroup"))
        if r.left():  # 1.1: the container fields follow
            p += (r.bytes_("container"), r.bytes_("container_name"),
                  r.bytes_("runtime"), r.bytes_("pod"))
        else:
            p += derive_container(p[7])
        procs.append(p)


def parse_loss(b):
    cpu = b.varint("cpu")
    count = b.varint("count")
    first = b.varint("first_ts")
    last = (first + b.varint("last_ts - first_ts")) & MASK64
    return (cpu, count, first, last)


class Summary:
    def __init__(self, raw, what):
        self.raw = raw  # the bytes, to compare the index's copy with the chunk's
        b = Buf(raw, what + ", summary")
        self.codec = b.u8("codec")
        self.count = b.varint("count")
        if self.count > MAX_COUNT:
            raise Damage("%s: %d events (> 16 Mi)" % (b.what, self.count))
        self.min_ts = b.varint("min_ts")
        self.max_ts = (self.min_ts + b.varint("max_ts - min_ts")) & MASK64
        self.min_pid = b.varint("min_pid")
        self.max_pid = self.min_pid + b.varint("max_pid - min_pid")
        self.bloom = b.raw(32, "pid_bloom")
        self.raw_len = b.varint("raw_len")
        if self.raw_len > MAX_RAW:
            raise Damage("%s: raw_len %d (> 256 MiB)" % (b.what, self.raw_len))
        self.types = []
        last = 0
        total = 0
        for _ in range(b.varint("ntypes")):
            t = b.varint("type_id")
            n = b.varint("type count")
            if t <= last:
                raise Damage("%s: type ids not strictly ascending (%d after %d)"
                             % (b.what, t, last))
            last = t
            total += n
            self.types.append((t, n))
        if total != self.count:
            raise Damage("%s: type counts sum to %d, count is %d" % (b.what, total, self.count))


def bloom_bits(pid):
    h = (pid * 0x9E3779B97F4A7C15) & MASK64
    return ((h >> 32) & 255, (h >> 48) & 255)


def bloom_has(bloom, pid):
    return all(bloom[i // 8] & (1 << (i % 8)) for i in bloom_bits(pid))


def decode_column(b, n, name):
    """One column of @n values: a list of ints."""
    col = b.sub("column " + name)
    enc = col.u8("encoding")
    if enc == 0:
        base = col.varint("base")
        width = col.u8("width")
        if width > 8:
            raise Damage("%s: byte-plane width %d (> 8)" % (col.what, width))
        planes = [col.raw(n, "plane %d" % k) for k in range(width)]
        vals = []
        for i in range(n):
            v = base
            for k in range(width):
                v += planes[k][i] << (8 * k)
            if v > MASK64:
                raise Damage("%s: value %d overflows 64 bits" % (col.what, i))
            vals.append(v)
    elif enc == 1:
        k = col.varint("dictionary size")
        if not 1 <= k <= MAX_DICT or k > n:
            raise Damage("%s: dictionary of %d entries for %d values" % (col.what, k, n))
        dic = []
        acc = 0
        for j in range(k):
            d = col.varint("dictionary delta")
            if j and d == 0:
                raise Damage("%s: dictionary not strictly ascending" % col.what)
            acc += d
            if acc > MASK64:
                raise Damage("%s: dictionary value overflows 64 bits" % col.what)
            dic.append(acc)
        bits = col.u8("bits")
        if bits > 16:
            raise Damage("%s: %d bits per index (> 16)" % (col.what, bits))
        packed = col.raw((n * bits + 7) // 8, "packed indexes")
        stream = int.from_bytes(packed, "little")
        m = (1 << bits) - 1
        vals = []
        for i in range(n):
            idx = (stream >> (i * bits)) & m
            if idx >= k:
                raise Damage("%s: index %d >= dictionary size %d" % (col.what, idx, k))
            vals.append(dic[idx])
    else:
        raise Damage("%s: unknown encoding %d" % (col.what, enc))
    if col.left():
        raise Damage("%s: %d bytes after the encoded values" % (col.what, col.left()))
    return vals


def is_tracepoint(t):
    name, source, fmt, fields = t
    return bool(fmt) and len(fields) == 1 and fields[0][0] == b"raw" and fields[0][1] == K_BYTES


_tp_cache = {}


def tp_fields(fmt):
    if fmt not in _tp_cache:
        _tp_cache[fmt] = _tp_fields(fmt)
    return _tp_cache[fmt]


def _tp_fields(fmt):
    """The decoded fields of a tracepoint type, from its format text:
    (name, kind, display, enum_id, offset, size, how) after the common_* ones."""
    out = []
    for line in fmt.split(b"\n"):
        line = line.strip()
        if not line.startswith(b"field:"):
            continue
        parts = [x.strip() for x in line[6:].split(b";")]
        decl = parts[0]
        attrs = dict(x.split(b":", 1) for x in parts[1:] if b":" in x)
        try:
            off, size = int(attrs[b"offset"]), int(attrs[b"size"])
            signed = int(attrs.get(b"signed", b"0"))
        except (KeyError, ValueError):
            raise Damage("tracepoint format: cannot parse %r" % line)
        m = re.search(rb"([A-Za-z_][A-Za-z0-9_]*)\s*(\[[^\]]*\])?\s*$", decl)
        if not m:
            raise Damage("tracepoint format: no field name in %r" % line)
        name = m.group(1)
        if name.startswith(b"common_"):
            continue
        ctype = decl[:m.start(1)].strip()
        array = b"[" in decl
        # Plain "char" only: libtape shows unsigned char[N] as bytes (found by
        # comparison; FORMAT.md just says "char[N]").
        is_char = re.match(rb"^(__data_loc\s+)?(const\s+)?char\s*(\[\])?$", ctype) is not None
        disp = 0
        if decl.startswith(b"__data_loc"):
            how = "loc"
            kind = K_STR if is_char else K_BYTES
        elif array:
            how = "arr"
            # A flexible "char buf[]" (size 0) is bytes in libtape.
            kind = K_STR if is_char and size > 0 else K_BYTES
        elif size in (1, 2, 4, 8):
            how = "int"
            kind = {1: K_U8, 2: K_U16, 4: K_U32, 8: K_U64}[size] + (4 if signed else 0)
            # Display hints libtape gives (not in FORMAT.md): pointers, and
            # "ret" as -errno.
            if b"*" in ctype:
                disp = 10
            elif name == b"ret" and signed:
                disp = 2
        else:
            how = "arr"
            kind = K_BYTES
        out.append((name, kind, disp, 0, off, size, how))
    return out


def tp_decode(fields, raw, what):
    """Values of one raw record.  In libtape (found by comparison; FORMAT.md
    does not say) an integer not wholly inside the record is 0, and arrays
    and __data_loc spans are clipped to the record; @what is never needed."""
    vals = []
    for name, kind, _d, _e, off, size, how in fields:
        if how == "loc":
            loc = int.from_bytes(raw[off:off + 4].ljust(4, b"\0"), "little")
            doff, dlen = loc & 0xFFFF, loc >> 16
            v = raw[doff:doff + dlen]
        elif how == "arr" and size == 0:
            # A flexible array ("u32 buf[]", size 0) holds the rest of the
            # record in libtape (not in FORMAT.md).
            v = raw[off:]
        else:
            v = raw[off:off + size]
        if kind == K_STR:
            v = v.split(b"\0", 1)[0]
        elif how == "int":
            v = int.from_bytes(v, "little", signed=kind in SIGNED_KINDS) if len(v) == size else 0
        vals.append(v)
    return vals


def zstd_decompress(data, what):
    try:
        p = subprocess.run(["zstd", "-d", "-c", "-q"], input=data, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, check=False)
    except OSError as e:
        raise Damage("%s: cannot run zstd: %s" % (what, e))
    if p.returncode != 0:
        raise Damage("%s: zstd: %s" % (what, p.stderr.decode(errors="replace").strip()))
    return p.stdout


def decode_payload(raw, summ, types, what):
    """Events of one chunk: (ts, pid, tid, cpu, type_id, comm, values)."""
    b = Buf(raw, what + ", payload")
    n = summ.count
    strings = []
    nstrings = b.varint("nstrings")
    # each entry is a distinct string or bytes value of the chunk
    refs = n + sum(tn * sum(1 for f in types[t][3] if f[1] in (K_STR, K_BYTES))
                   for t, tn in summ.types if t in types)
    if nstrings > refs:
        raise Damage("%s: string table of %d entries for %d string values"
                     % (b.what, nstrings, refs))
    for _ in range(nstrings):
        ln = b.varint("string length")
        strings.append(b.raw(ln, "string"))
        if b.u8("string terminator") != 0:
            raise Damage("%s: string %d not followed by NUL" % (b.what, len(strings) - 1))

    def string(i, name):
        if i >= len(strings):
            raise Damage("%s: %s string index %d >= %d strings" % (b.what, name, i, len(strings)))
        return strings[i]

    ts_d = decode_column(b, n, "ts")
    typ = decode_column(b, n, "type")
    cpu = decode_column(b, n, "cpu")
    pid_d = decode_column(b, n, "pid")
    tid_z = decode_column(b, n, "tid")
    comm = decode_column(b, n, "comm")

    # Field columns, type by type, then dealt out to that type's events.
    values = {}
    for t, tn in summ.types:
        if t not in types:
            raise Damage("%s: events of undefined type %d" % (b.what, t))
        fields = types[t][3]
        cols = []
        for fname, kind, _disp, _eid in fields:
            if kind not in INT_KINDS and kind not in (K_STR, K_BYTES):
                raise Damage("%s: type %d field %r has unknown kind %d"
                             % (b.what, t, fname, kind))
            c = decode_column(b, tn, "%s.%s" % (types[t][0].decode(errors="replace"),
                                                fname.decode(errors="replace")))
            if kind in SIGNED_KINDS:
                c = [unzigzag(v) for v in c]
            elif kind in (K_STR, K_BYTES):
                c = [string(v, fname.decode(errors="replace")) for v in c]
            cols.append(c)
        values[t] = cols
    # Bytes after the last column are ignored: room for later additions
    # (FORMAT.md), so a newer writer's chunk stays readable.

    want = dict(summ.types)
    seen = {}
    events = []
    ts = summ.min_ts
    for i in range(n):
        ts += ts_d[i]
        if ts > MASK64:
            raise Damage("%s: event %d timestamp overflows" % (b.what, i))
        t = typ[i]
        k = seen.get(t, 0)
        if k >= want.get(t, 0):
            raise Damage("%s: event %d of type %d beyond the summary's count" % (b.what, i, t))
        seen[t] = k + 1
        pid = summ.min_pid + pid_d[i]
        tid = (pid + unzigzag(tid_z[i])) & 0xFFFFFFFF
        events.append((ts, pid, tid, cpu[i], t, string(comm[i], "comm"),
                       [c[k] for c in values[t]]))
    check_summary(events, summ, b.what)
    return events


def check_summary(events, summ, what):
    """The summary must describe the events (the index relies on it)."""
    if not events:
        return
    ts = [e[0] for e in events]
    pids = [e[1] for e in events]
    if any(a > b for a, b in zip(ts, ts[1:])):
        raise Damage("%s: timestamps not in order" % what)
    if ts[-1] != summ.max_ts:
        raise Damage("%s: max_ts %d, last event at %d" % (what, summ.max_ts, ts[-1]))
    if min(pids) != summ.min_pid or max(pids) != summ.max_pid:
        raise Damage("%s: pid range %d..%d, events have %d..%d"
                     % (what, summ.min_pid, summ.max_pid, min(pids), max(pids)))
    for p in set(pids):
        if not bloom_has(summ.bloom, p):
            raise Damage("%s: pid %d missing from the pid bloom filter" % (what, p))


# ---- the tape ---------------------------------------------------------------

class Chunk:
    def __init__(self, seq, offset, block_len, summ):
        self.seq = seq  # None when known from the index only
        self.offset = offset
        self.block_len = block_len
        self.summ = summ


class Tape:
    def __init__(self, path, strict=False):
        self.path = path
        self.problems = []  # damage found, each naming block and offset
        self.meta = {}
        self.enums = {}
        self.types = {}
        self.procs = []
        self.losses = []
        self.chunks = []
        self.recovered = False
        with open(path, "rb") as f:
            self.data = f.read()
        self._header()
        if not self._open_index():
            self.recovered = True
            self.meta, self.enums, self.types = {}, {}, {}
            self.procs, self.losses, self.chunks = [], [], []
            self._scan()

    def problem(self, msg):
        self.problems.append(msg)

    def _header(self):
        d = self.data
        if len(d) < 16 or d[:8] != MAGIC:
            raise Damage("offset 0: not a tape (bad magic)")
        major, minor, _flags = struct.unpack_from("<HHI", d, 8)
        if major != 1:
            raise Damage("offset 8: tape version %d.%d, this reader knows 1.x" % (major, minor))

    def _block_at(self, off):
        """(type, seq, body) of a good block at @off, or raise Damage."""
        d = self.data
        if off + HDR > len(d):
            raise Damage("block at offset %d: header runs past the end of the file" % off)
        magic, btype, _flags, seq, n, crc = struct.unpack_from("<IHHIII", d, off)
        if magic != BLOCK_MAGIC:
            raise Damage("block at offset %d: bad block magic 0x%08x" % (off, magic))
        if n > MAX_BODY:
            raise Damage("block %d at offset %d: body of %d bytes (> 256 MiB)" % (seq, off, n))
        if off + HDR + n > len(d):
            raise Damage("block %d at offset %d: body of %d bytes runs past the end of the file"
                         % (seq, off, n))
        body = d[off + HDR:off + HDR + n]
        got = crc32c(body, crc32c(d[off:off + 16]))
        if got != crc:
            raise Damage("block %d (type %d) at offset %d: CRC mismatch (stored 0x%08x, "
                         "computed 0x%08x)" % (seq, btype, off, crc, got))
        return btype, seq, body

    def _take(self, btype, seq, off, body):
        """Take in one non-index block."""
        what = "block %d (type %d) at offset %d" % (seq, btype, off)
        b = Buf(body, what)
        if btype == B_META:
            parse_meta(b, self.meta)
        elif btype == B_SCHEMA:
            parse_schema(b, self.enums, self.types)
        elif btype == B_PROCS:
            parse_procs(b, self.procs)
        elif btype == B_LOSS:
            self.losses.append(parse_loss(b))
        elif btype == B_CHUNK:
            s = b.bytes_("summary")
            self.chunks.append(Chunk(seq, off, HDR + len(body), Summary(s, what)))
        # index, trailer and unknown types: nothing to take

    def _open_index(self):
        d = self.data
        end = len(d)
        if end < 16 + TRAILER_LEN:
            return False
        toff = end - TRAILER_LEN
        try:
            btype, seq, body = self._block_at(toff)
        except Damage as e:
            self.problem("trailer: %s" % e)
            return False
        if btype != B_TRAILER or len(body) < 16:
            self.problem("offset %d: last block is not a trailer" % toff)
            return False
        ioff, ilen, tmagic = struct.unpack_from("<QII", body, 0)
        if tmagic != TRAILER_MAGIC or ioff + ilen != toff or ioff < 16:
            self.problem("trailer at offset %d: index at %d+%d does not end at the trailer"
                         % (toff, ioff, ilen))
            return False
        try:
            itype, iseq, ibody = self._block_at(ioff)
            if itype != B_INDEX or HDR + len(ibody) != ilen:
                raise Damage("block %d at offset %d: not the index the trailer names"
                             % (iseq, ioff))
            b = Buf(ibody, "index block %d at offset %d" % (iseq, ioff))
            entries = []
            for _ in range(b.varint("count")):
                e = b.sub("index entry")
                et = e.u8("block type")
                eoff = e.varint("offset")
                elen = e.varint("block_len")
                summ = None
                if et == B_CHUNK:
                    summ = Summary(e.bytes_("summary"), "%s, chunk at %d" % (e.what, eoff))
                if eoff < 16 or eoff + elen > ioff or elen < HDR:
                    raise Damage("%s: block at %d+%d outside the tape" % (e.what, eoff, elen))
                entries.append((et, eoff, elen, summ))
        except Damage as e:
            self.problem("index: %s" % e)
            return False
        for et, eoff, elen, summ in entries:
            if et == B_CHUNK:
                self.chunks.append(Chunk(None, eoff, elen, summ))
                continue
            if et in (B_INDEX, B_TRAILER):
                continue
            try:
                btype, seq, body = self._block_at(eoff)
                if btype != et or HDR + len(body) != elen:
                    raise Damage("block %d at offset %d: index says type %d, %d bytes"
                                 % (seq, eoff, et, elen))
                self._take(btype, seq, eoff, body)
            except Damage as e:
                # A bad non-chunk block costs that block only, as in a scan.
                self.problem(str(e))
        return True

    def _scan(self):
        d = self.data
        off = 16
        while off < len(d):
            try:
                btype, seq, body = self._block_at(off)
            except Damage as e:
                nxt = self._body_damage_end(off)
                if nxt is None:
                    nxt = self._resync(off + 1)
                if nxt is None:
                    if d.find(BLOCK_MAGIC_BYTES, off, off + 4) == off and off + HDR <= len(d) \
                            and "runs past the end" in str(e):
                        self.problem("incomplete tail: %s" % e)
                    else:
                        self.problem("%s; %d bytes lost to the end" % (e, len(d) - off))
                    return
                self.problem("%s; resynchronised at offset %d" % (e, nxt))
                off = nxt
                continue
            try:
                self._take(btype, seq, off, body)
            except Damage as e:
                self.problem(str(e))
            off += HDR + len(body)

    def _body_damage_end(self, off):
        """Where a block with a bad CRC ends, if its framing is confirmed (the
        end of the file, or a good block there): the damage is in its body,
        which is skipped whole, so no block inside it is taken for real."""
        d = self.data
        if off + HDR > len(d):
            return None
        magic, _t, _f, _s, n, _c = struct.unpack_from("<IHHIII", d, off)
        end = off + HDR + n
        if magic != BLOCK_MAGIC or n > MAX_BODY or end > len(d):
            return None
        if len(d) - end < HDR:
            return end
        try:
            self._block_at(end)
            return end
        except Damage:
            return None

    def _resync(self, off):
        d = self.data
        while True:
            off = d.find(BLOCK_MAGIC_BYTES, off)
            if off < 0:
                return None
            try:
                self._block_at(off)
                return off
            except Damage:
                off += 1

    def read_chunk(self, c):
        """The events of chunk @c; Damage names the block and offset."""
        btype, seq, body = self._block_at(c.offset)
        what = "chunk block %d at offset %d" % (seq, c.offset)
        if btype != B_CHUNK or HDR + len(body) != c.block_len:
            raise Damage("%s: index says a %d-byte chunk, found type %d of %d bytes"
                         % (what, c.block_len, btype, HDR + len(body)))
        b = Buf(body, what)
        s = b.bytes_("summary")
        if s != c.summ.raw:
            raise Damage("%s: summary differs from the index's copy" % what)
        summ = c.summ
        if summ.codec != 1:
            raise Damage("%s: unknown codec %d" % (what, summ.codec))
        raw = zstd_decompress(b.raw(b.left(), "payload"), what)
        if len(raw) != summ.raw_len:
            raise Damage("%s: payload decompresses to %d bytes, raw_len says %d"
                         % (what, len(raw), summ.raw_len))
        return decode_payload(raw, summ, self.types, what)

    def events(self):
        """Yield events and losses in timestamp order, and ("error", msg) for
        chunks that cannot be read, where the merge would have opened them."""
        order = sorted(range(len(self.chunks)),
                       key=lambda i: (self.chunks[i].summ.min_ts, self.chunks[i].offset))
        heap = []
        # Losses: a pseudo-chunk always open.  Ties: see dump() in the report.
        for j, l in enumerate(self.losses):
            heapq.heappush(heap, (l[2], -1, j, (l[2], 0, 0, l[0], 0, b"", list(l))))
        nxt = 0
        while True:
            while nxt < len(order) and (not heap or heap[0][0] >= self.chunks[order[nxt]].summ.min_ts):
                c = self.chunks[order[nxt]]
                try:
                    evs = self.read_chunk(c)
                except Damage as e:
                    self.problem(str(e))
                    yield ("error", str(e))
                    evs = []
                for k, ev in enumerate(evs):
                    heapq.heappush(heap, (ev[0], nxt, k, ev))
                nxt += 1
            if not heap:
                return
            yield heapq.heappop(heap)[3]


# ---- canonical dump ---------------------------------------------------------

def hx(b):
    return b.hex()


def dump(t, out):
    w = out.write
    w("recovered %s\n" % ("yes" if t.recovered else "no"))
    for k in sorted(t.meta):
        w("meta %s=%s\n" % (hx(k), hx(t.meta[k])))
    for tid in sorted(t.types):
        name, source, fmt, fields = t.types[tid]
        line = "type %d %s source=%s format=%s" % (tid, name.decode(errors="replace"),
                                                   hx(source), hx(fmt))
        if is_tracepoint(t.types[tid]):
            fields = tp_fields(fmt)
        for fname, kind, disp, eid, *_ in fields:
            line += " %s:%d:%d" % (fname.decode(errors="replace"), kind, disp)
            if eid:
                ename, vals = t.enums[eid]
                line += ":%s{%s}" % (ename.decode(errors="replace"),
                                     ",".join("%d=%s" % (v, hx(s)) for v, s in vals))
        w(line + "\n")
    for p in t.procs:
        w("proc pid=%d ppid=%d uid=%d start_ts=%d comm=%s exe=%s argv=%s cgroup=%s "
          "container=%s container_name=%s runtime=%s pod=%s\n"
          % (p[:4] + tuple(hx(x) for x in p[4:])))
    for l in t.losses:
        w("loss cpu=%d count=%d first_ts=%d last_ts=%d\n" % l)
    total = 0
    for c in t.chunks:
        s = c.summ
        total += s.count
        w("chunk offset=%d block_len=%d raw_len=%d min_ts=%d max_ts=%d count=%d "
          "min_pid=%d max_pid=%d types=%s\n"
          % (c.offset, c.block_len, s.raw_len, s.min_ts, s.max_ts, s.count, s.min_pid,
             s.max_pid, ",".join("%d:%d" % tc for tc in s.types)))
    w("events %d\n" % total)
    for ev in t.events():
        if ev[0] == "error":
            w("error\n")
            continue
        ts, pid, tid, cpu, typ, comm, vals = ev
        if typ == 0:
            name, fields = "lost", [(f, K_U64, 0, 0) for f in LOSS_FIELDS]
        else:
            name, _src, _fmt, fields = t.types[typ]
            name = name.decode(errors="replace")
        line = "%d %d %d %d %s comm=%s" % (ts, pid, tid, cpu, name, hx(comm))
        if typ and is_tracepoint(t.types[typ]):
            fields = tp_fields(t.types[typ][2])
            try:
                vals = tp_decode(fields, vals[0], "event at %d of type %s" % (ts, name))
            except Damage as e:
                t.problem(str(e))
                w("error\n")
                continue
        for (fname, kind, _d, _e, *_), v in zip(fields, vals):
            fname = fname if isinstance(fname, str) else fname.decode(errors="replace")
            line += " %s=%s" % (fname, hx(v) if kind in (K_STR, K_BYTES) else "%d" % v)
        w(line + "\n")


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    if len(args) != 1 or "--help" in argv:
        sys.stderr.write("usage: tape_py.py TAPE\n\nEXAMPLES\n  tests/tape_py.py t.tape > t.dump\n")
        return 1 if "--help" not in argv else 0
    try:
        t = Tape(args[0])
    except (Damage, OSError) as e:
        sys.stderr.write("tape_py: %s: %s\n" % (args[0], e))
        return 1
    out = sys.stdout
    try:
        dump(t, out)
    except Damage as e:
        t.problem(str(e))
    out.flush()
    for p in t.problems:
        sys.stderr.write("tape_py: %s: %s\n" % (args[0], p))
    bad = [p for p in t.problems if not p.startswith(("trailer:", "offset "))]
    return 2 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
