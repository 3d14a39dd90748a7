// SPDX-License-Identifier: MIT
/*
 * bpftape export --format perfetto: Perfetto's protobuf trace, encoded by
 * hand (docs/perfetto/bpftape_trace.proto lists every message written).
 *
 * Size is the point of this format (Chrome JSON costs ~200 bytes an event,
 * and the Perfetto UI holds a trace in browser memory), so:
 *  - track events are on one packet sequence whose timestamps are deltas
 *    (an incremental clock, set by the sequence's defaults);
 *  - the track of a long run of events is the sequence's default track (set
 *    by new defaults in one of its packets), which its packets leave out;
 *  - a syscall slice carries only its return value, when not 0, as an
 *    argument of its own (a number; an error's text interned): its name
 *    and duration are the slice's, and the six raw registers (whatever the
 *    syscall's arity, mostly addresses seen once) would double the trace;
 *  - event names, argument names and every argument shown as text (paths,
 *    flag and enum names, errno names, hex values) are interned: sent once,
 *    then referred to by a small id.  The tables are bounded; when one is
 *    full the sequence's incremental state is cleared and they start again;
 *  - scheduler switches use Perfetto's own compact ftrace encoding (one
 *    bundle of parallel packed arrays per CPU), which the UI turns into CPU
 *    tracks and thread states.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "perfetto.h"
#include <bpftape/tape_proctab.h>
#include "tapes.h"

/* Field numbers (Perfetto's). */
enum {
	F_TRACE_PACKET = 1,
	/* TracePacket */
	F_PKT_FTRACE = 1,
	F_PKT_CLOCK_SNAPSHOT = 6,
	F_PKT_TIMESTAMP = 8,
	F_PKT_SEQ_ID = 10,
	F_PKT_TRACK_EVENT = 11,
	F_PKT_INTERNED = 12,
	F_PKT_SEQ_FLAGS = 13,
	F_PKT_SYSTEM_INFO = 45,
	F_PKT_TS_CLOCK = 58,
	F_PKT_DEFAULTS = 59,
	F_PKT_TRACK_DESC = 60,
	/* TracePacketDefaults, TrackEventDefaults */
	F_DEF_TS_CLOCK = 58,
	F_DEF_TRACK_EVENT = 11,
	F_TED_TRACK = 11,
	/* ClockSnapshot, Clock */
	F_CS_CLOCKS = 1,
	F_CLK_ID = 1,
	F_CLK_TS = 2,
	F_CLK_INCREMENTAL = 3,
	/* SystemInfo, Utsname */
	F_SI_UTSNAME = 1,
	F_UTS_SYSNAME = 1,
	F_UTS_RELEASE = 3,
	F_UTS_MACHINE = 4,
	/* TrackDescriptor, ProcessDescriptor, ThreadDescriptor */
	F_TD_UUID = 1,
	F_TD_NAME = 2,
	F_TD_PROCESS = 3,
	F_TD_THREAD = 4,
	F_TD_PARENT = 5,
	F_PD_PID = 1,
	F_PD_CMDLINE = 2,
	F_PD_NAME = 6,
	F_THD_PID = 1,
	F_THD_TID = 2,
	F_THD_NAME = 5,
	/* TrackEvent */
	F_TE_ANNOT = 4,
	F_TE_TYPE = 9,
	F_TE_NAME_IID = 10,
	F_TE_TRACK = 11,
	/* DebugAnnotation */
	F_DA_NAME_IID = 1,
	F_DA_UINT = 3,
	F_DA_INT = 4,
	F_DA_STRING = 6,
	F_DA_STRING_IID = 17,
	/* InternedData; EventName, DebugAnnotationName and InternedString
	 * are all {iid = 1, name/str = 2} */
	F_ID_EVENT_NAMES = 2,
	F_ID_ANNOT_NAMES = 3,
	F_ID_STRING_VALUES = 29,
	F_IE_IID = 1,
	F_IE_STR = 2,
	/* FtraceEventBundle, CompactSched */
	F_FB_CPU = 1,
	F_FB_COMPACT = 4,
	F_CS_TS = 1,
	F_CS_PREV_STATE = 2,
	F_CS_NEXT_PID = 3,
	F_CS_NEXT_PRIO = 4,
	F_CS_INTERN = 5,
	F_CS_COMM_IDX = 6,
};

enum { WT_VARINT = 0, WT_LEN = 2 };
enum { TYPE_SLICE_BEGIN = 1, TYPE_SLICE_END = 2, TYPE_INSTANT = 3 };
enum { SEQ_INCREMENTAL_STATE_CLEARED = 1 };
enum { CLOCK_BOOTTIME = 6, CLOCK_DELTA = 64 /* the first clock id of a sequence's own */ };

#define SEQ_EVENTS 1 /* the sequence of track events */
#define SEQ_SCHED  2 /* switch bundles: they use no incremental state */

/*
 * Interning bounds: ids below 2^14 take two bytes at most, and a table
 * holds at most INTERN_BYTES of strings.  Room is checked before each
 * event, which adds at most one name per field.
 */
#define INTERN_MAX   16000
#define INTERN_BYTES (4u << 20)
#define INTERN_LONG  4096 /* a longer value is written inline */
#define EVENT_ROOM   (TAPE_MAX_FIELDS + 2)
#define SEEN_SLOTS   65536 /* hashes of texts seen once */

/*
 * Switches are buffered per CPU and written as one bundle: SCHED_BATCH per
 * CPU, SCHED_TOTAL over all CPUs (then all are written).
 */
#define SCHED_BATCH 1024
#define SCHED_TOTAL 65536
/* What the tape does not record: the next task's priority (120: nice 0). */
#define SCHED_PRIO 120
/* With several hosts, host h's CPU c is h * SCHED_HOST_CPUS + c. */
#define SCHED_HOST_CPUS 256

#define LOSS_UUID 1

/* ---- protobuf encoding ---------------------------------------------------- */

struct pb {
	uint8_t *b;
	size_t len, cap;
	bool err;
};

static bool pb_room(struct pb *p, size_t n)
{
	if (p->len + n <= p->cap)
		return true;
	if (p->err)
		return false;
	size_t cap = p->cap ? p->cap : 256;
	while (cap < p->len + n)
		cap *= 2;
	uint8_t *b = realloc(p->b, cap);
	if (!b) {
		p->err = true;
		return false;
	}
	p->b = b;
	p->cap = cap;
	return true;
}

static unsigned varint_len(uint64_t v)
{
	unsigned n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static void pb_varint(struct pb *p, uint64_t v)
{
	if (!pb_room(p, 10))
		return;
	while (v >= 0x80) {
		p->b[p->len++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p->b[p->len++] = (uint8_t)v;
}

static void pb_uint(struct pb *p, unsigned field, uint64_t v)
{
	pb_varint(p, (uint64_t)field << 3 | WT_VARINT);
	pb_varint(p, v);
}

static void pb_bytes(struct pb *p, unsigned field, const void *s, size_t n)
{
	pb_varint(p, (uint64_t)field << 3 | WT_LEN);
	pb_varint(p, n);
	if (n && pb_room(p, n)) {
		memcpy(p->b + p->len, s, n);
		p->len += n;
	}
}

static void pb_str(struct pb *p, unsigned field, const char *s)
{
	pb_bytes(p, field, s, strlen(s));
}

/* Start a length-delimited field; its length is filled by pb_close(). */
static size_t pb_open(struct pb *p, unsigned field)
{
	pb_varint(p, (uint64_t)field << 3 | WT_LEN);
	if (!pb_room(p, 1))
		return 0;
	p->b[p->len] = 0;
	return p->len++;
}

/* One byte was kept for the length: a longer one moves the body. */
static void pb_close(struct pb *p, size_t at)
{
	size_t body, n;

	if (p->err)
		return;
	body = p->len - at - 1;
	n = varint_len(body);
	if (n > 1) {
		if (!pb_room(p, n - 1))
			return;
		memmove(p->b + at + n, p->b + at + 1, body);
		p->len += n - 1;
	}
	for (size_t i = 0; i < n; i++, body >>= 7)
		p->b[at + i] = (uint8_t)((body & 0x7f) | (i + 1 < n ? 0x80 : 0));
}

static void pb_append(struct pb *p, const struct pb *q)
{
	if (q->len && pb_room(p, q->len)) {
		memcpy(p->b + p->len, q->b, q->len);
		p->len += q->len;
	}
}

/* ---- interning ------------------------------------------------------------- */

struct ient {
	uint64_t h;
	uint32_t off, len;
};

/* Strings -> ids 1..n of one kind of interned data. */
struct itab {
	uint32_t *slot; /* entry index + 1, 0 empty; INTERN_MAX * 2 rounded up */
	size_t cap;
	struct ient *e;
	size_t n;
	char *arena;
	size_t alen, acap;
};

static uint64_t str_hash(const void *s, size_t n)
{
	const unsigned char *c = s;
	uint64_t h = 14695981039346656037ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ c[i]) * 1099511628211ull;
	return h ^ (h >> 29);
}

static int itab_init(struct itab *t)
{
	t->cap = 32768; /* >= 2 * INTERN_MAX */
	t->slot = calloc(t->cap, sizeof(*t->slot));
	t->e = malloc(INTERN_MAX * sizeof(*t->e));
	return t->slot && t->e ? 0 : -ENOMEM;
}

static void itab_reset(struct itab *t)
{
	memset(t->slot, 0, t->cap * sizeof(*t->slot));
	t->n = 0;
	t->alen = 0;
}

static void itab_free(struct itab *t)
{
	free(t->slot);
	free(t->e);
	free(t->arena);
}

static bool itab_full(const struct itab *t)
{
	return t->n + EVENT_ROOM > INTERN_MAX || t->alen > INTERN_BYTES;
}

/* The id of @s, 0 if absent. */
static uint64_t itab_find(const struct itab *t, const char *s, size_t n)
{
	uint64_t h = str_hash(s, n);

	for (size_t i = h & (t->cap - 1); t->slot[i]; i = (i + 1) & (t->cap - 1)) {
		const struct ient *e = &t->e[t->slot[i] - 1];

		if (e->h == h && e->len == n && !memcmp(t->arena + e->off, s, n))
			return t->slot[i];
	}
	return 0;
}

/* The id of @s, and *@fresh when it was added now; 0 when out of memory. */
static uint64_t itab_get(struct itab *t, const char *s, size_t n, bool *fresh)
{
	uint64_t h = str_hash(s, n);
	size_t i = h & (t->cap - 1);

	*fresh = false;
	while (t->slot[i]) {
		const struct ient *e = &t->e[t->slot[i] - 1];

		if (e->h == h && e->len == n && !memcmp(t->arena + e->off, s, n))
			return t->slot[i];
		i = (i + 1) & (t->cap - 1);
	}
	if (t->n >= INTERN_MAX)
		return 0;
	if (t->alen + n > t->acap) {
		size_t cap = t->acap ? t->acap : 65536;
		char *a;

		while (cap < t->alen + n)
			cap *= 2;
		a = realloc(t->arena, cap);
		if (!a)
			return 0;
		t->arena = a;
		t->acap = cap;
	}
	memcpy(t->arena + t->alen, s, n);
	t->e[t->n] = (struct ient){.h = h, .off = (uint32_t)t->alen, .len = (uint32_t)n};
	t->alen += n;
	t->slot[i] = (uint32_t)++t->n;
	*fresh = true;
	return t->n;
}

/* ---- id maps -------------------------------------------------------------- */

/* u64 key -> u32 value, open addressing (value 0 is "absent"). */
struct umap {
	uint64_t *k;
	uint32_t *v;
	size_t n, cap;
};

static size_t umap_hash(uint64_t k, size_t cap)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return k & (cap - 1);
}

static uint32_t umap_get(const struct umap *m, uint64_t k)
{
	if (!m->cap)
		return 0;
	for (size_t i = umap_hash(k, m->cap); m->v[i]; i = (i + 1) & (m->cap - 1))
		if (m->k[i] == k)
			return m->v[i];
	return 0;
}

static int umap_put(struct umap *m, uint64_t k, uint32_t v)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 1024;
		uint64_t *nk = malloc(cap * sizeof(*nk));
		uint32_t *nv = calloc(cap, sizeof(*nv));

		if (!nk || !nv) {
			free(nk);
			free(nv);
			return -ENOMEM;
		}
		for (size_t j = 0; j < m->cap; j++) {
			if (!m->v[j])
				continue;
			for (i = umap_hash(m->k[j], cap); nv[i]; i = (i + 1) & (cap - 1))
				;
			nk[i] = m->k[j];
			nv[i] = m->v[j];
		}
		free(m->k);
		free(m->v);
		m->k = nk;
		m->v = nv;
		m->cap = cap;
	}
	for (i = umap_hash(k, m->cap); m->v[i]; i = (i + 1) & (m->cap - 1))
		if (m->k[i] == k)
			break;
	if (!m->v[i])
		m->n++;
	m->k[i] = k;
	m->v[i] = v;
	return 0;
}

static void umap_free(struct umap *m)
{
	free(m->k);
	free(m->v);
}

/* ---- state ------------------------------------------------------------------ */

struct pthread {
	uint64_t uuid;
	uint64_t end; /* the pending slice end (hpos >= 0) */
	uint32_t pid;
	int32_t hpos; /* index in the heap of pending ends, -1 */
	char comm[TAPE_COMM_LEN];
};

struct pproc {
	uint64_t uuid;
	uint64_t desc; /* hash of the descriptor last written */
};

/* Switches of one CPU waiting for their bundle. */
struct cpubuf {
	uint64_t *ts;
	int64_t *state;
	int32_t *pid;
	char (*comm)[TAPE_COMM_LEN];
	size_t n, cap;
};

/* How an event's type is written, found once per type. */
struct tkind {
	const struct tape_type *tp;
	enum { K_INSTANT, K_SYSCALL, K_SWITCH } kind;
	int a, b, c, d; /* syscall: nr, latency; switch: prev_state, next_pid, next_comm */
	int e;
	bool exec; /* the process table may have changed its process */
};

#define TKIND_CACHE 256

struct perfetto {
	struct out *o;
	const struct tapes *t;
	const struct render *rd;
	uint64_t host_ids;
	bool by_wall;
	struct pb pkt, ev, in, line;
	struct itab names, anames, values;
	bool started, loss_track;
	uint64_t last_ts;		/* of the incremental clock */
	uint64_t def_track, last_track; /* the defaults' track, the last event's */
	uint64_t run;			/* events in a row on last_track */
	uint64_t next_uuid;
	struct pthread *thr;
	size_t nthr, thrcap;
	struct umap thr_of, proc_of;
	struct pproc *proc;
	size_t nproc, proccap;
	uint32_t *heap; /* thread indices, by pending end */
	size_t nheap, heapcap;
	struct cpubuf *cpus;
	size_t ncpus, sched_total;
	struct tkind kinds[TKIND_CACHE];
	char *text;
	size_t textcap;
	uint64_t *seen; /* SEEN_SLOTS */
	uint64_t events, bytes;
};

static int emit(struct perfetto *p)
{
	if (p->pkt.err)
		return -ENOMEM;
	out__write(p->o, p->pkt.b, p->pkt.len);
	p->bytes += p->pkt.len;
	return 0;
}

/* The trace's time of @ts of tape @src: with tapes of several boots, the
 * wall-clock timeline in the clock of the first tape. */
static uint64_t trace_ts(const struct perfetto *p, unsigned src, uint64_t ts)
{
	int64_t v;

	if (!p->by_wall || !p->rd->off || src >= p->rd->nsrcs)
		return ts;
	v = (int64_t)ts + p->rd->off[src] - p->rd->off[0];
	return v < 0 ? 0 : (uint64_t)v;
}

/* The packet timestamp: a delta on the sequence's clock, or (older than the
 * last one: a tape out of order) absolute on BOOTTIME. */
static void put_ts(struct perfetto *p, uint64_t ts)
{
	if (ts >= p->last_ts) {
		pb_uint(&p->pkt, F_PKT_TIMESTAMP, ts - p->last_ts);
		p->last_ts = ts;
	} else {
		pb_uint(&p->pkt, F_PKT_TIMESTAMP, ts);
		pb_uint(&p->pkt, F_PKT_TS_CLOCK, CLOCK_BOOTTIME);
	}
	pb_uint(&p->pkt, F_PKT_SEQ_ID, SEQ_EVENTS);
}

/*
 * The track of a track event: left out when it is the sequence's default
 * track.  New defaults (which keep the interned data) cost 9 bytes and the
 * track's varint; each event that names its track costs 1 byte and that
 * varint.  Which events a run on one thread will have is not known yet, so
 * a track becomes the default once the events of its run have cost as much
 * as new defaults would (at most twice the best choice): short runs, and
 * threads that alternate event by event, keep naming their track.  True if
 * the packet must carry the defaults.
 */
static bool put_track(struct perfetto *p, struct pb *ev, uint64_t track)
{
	unsigned v = varint_len(track);
	bool def = false;

	p->run = track == p->last_track ? p->run + 1 : 1;
	p->last_track = track;
	if (track != p->def_track && p->run * (1 + v) > 9 + v) {
		p->def_track = track;
		def = true;
	}
	if (track != p->def_track)
		pb_uint(ev, F_TE_TRACK, track);
	return def;
}

/* The sequence's defaults, in the packet being built: the incremental
 * clock, and @track (if not 0) for the track events that name none. */
static void put_defaults(struct perfetto *p, uint64_t track)
{
	size_t at = pb_open(&p->pkt, F_PKT_DEFAULTS), te;

	pb_uint(&p->pkt, F_DEF_TS_CLOCK, CLOCK_DELTA);
	if (track) {
		te = pb_open(&p->pkt, F_DEF_TRACK_EVENT);
		pb_uint(&p->pkt, F_TED_TRACK, track);
		pb_close(&p->pkt, te);
	}
	pb_close(&p->pkt, at);
}

/*
 * Start (or start again) the sequence's incremental state at @ts: no
 * interned data, timestamps deltas from @ts on clock 64.
 */
static int clear_state(struct perfetto *p, uint64_t ts)
{
	size_t pk, at, c;

	itab_reset(&p->names);
	itab_reset(&p->anames);
	itab_reset(&p->values);
	memset(p->seen, 0, SEEN_SLOTS * sizeof(*p->seen));
	p->last_ts = ts;
	p->def_track = p->last_track = p->run = 0;
	p->pkt.len = 0;
	pk = pb_open(&p->pkt, F_TRACE_PACKET);
	pb_uint(&p->pkt, F_PKT_TIMESTAMP, ts);
	pb_uint(&p->pkt, F_PKT_TS_CLOCK, CLOCK_BOOTTIME);
	pb_uint(&p->pkt, F_PKT_SEQ_ID, SEQ_EVENTS);
	pb_uint(&p->pkt, F_PKT_SEQ_FLAGS, SEQ_INCREMENTAL_STATE_CLEARED);
	put_defaults(p, 0);
	at = pb_open(&p->pkt, F_PKT_CLOCK_SNAPSHOT);
	c = pb_open(&p->pkt, F_CS_CLOCKS);
	pb_uint(&p->pkt, F_CLK_ID, CLOCK_DELTA);
	pb_uint(&p->pkt, F_CLK_TS, ts);
	pb_uint(&p->pkt, F_CLK_INCREMENTAL, 1);
	pb_close(&p->pkt, c);
	c = pb_open(&p->pkt, F_CS_CLOCKS);
	pb_uint(&p->pkt, F_CLK_ID, CLOCK_BOOTTIME);
	pb_uint(&p->pkt, F_CLK_TS, ts);
	pb_close(&p->pkt, c);
	pb_close(&p->pkt, at);
	pb_close(&p->pkt, pk);
	return emit(p);
}

static int system_info(struct perfetto *p)
{
	const struct tape_reader *r = p->t->n ? p->t->readers[0] : NULL;
	const char *rel = r ? tape_reader__meta(r, "host.kernel") : NULL;
	const char *mach = r ? tape_reader__meta(r, "host.machine") : NULL;
	size_t pk, si, u;

	/* the kernel release tells Perfetto how sched_switch reports states */
	if (!rel)
		return 0;
	p->pkt.len = 0;
	pk = pb_open(&p->pkt, F_TRACE_PACKET);
	si = pb_open(&p->pkt, F_PKT_SYSTEM_INFO);
	u = pb_open(&p->pkt, F_SI_UTSNAME);
	pb_str(&p->pkt, F_UTS_SYSNAME, "Linux");
	pb_str(&p->pkt, F_UTS_RELEASE, rel);
	if (mach)
		pb_str(&p->pkt, F_UTS_MACHINE, mach);
	pb_close(&p->pkt, u);
	pb_close(&p->pkt, si);
	pb_close(&p->pkt, pk);
	return emit(p);
}

/* ---- tracks ----------------------------------------------------------------- */

/* A descriptor packet: timestamped like the event that needs it. */
static size_t desc_open(struct perfetto *p, uint64_t ts, uint64_t uuid, size_t *pk)
{
	size_t td;

	p->pkt.len = 0;
	*pk = pb_open(&p->pkt, F_TRACE_PACKET);
	put_ts(p, ts);
	td = pb_open(&p->pkt, F_PKT_TRACK_DESC);
	pb_uint(&p->pkt, F_TD_UUID, uuid);
	return td;
}

static void desc_close(struct perfetto *p, size_t td, size_t pk)
{
	pb_close(&p->pkt, td);
	pb_close(&p->pkt, pk);
}

static int loss_track(struct perfetto *p, uint64_t ts)
{
	size_t pk, td;

	if (p->loss_track)
		return 0;
	p->loss_track = true;
	td = desc_open(p, ts, LOSS_UUID, &pk);
	pb_str(&p->pkt, F_TD_NAME, "Lost events");
	desc_close(p, td, pk);
	return emit(p);
}

/* What host @host adds to its pids and tids. */
static uint64_t id_base(const struct perfetto *p, unsigned host)
{
	return p->host_ids ? p->host_ids * (host + 1) : 0;
}

static uint64_t host_key(unsigned host, uint32_t id)
{
	return (uint64_t)host << 32 | id;
}

/* The process track of @pid, its descriptor written again when the process
 * table names it differently (an exec). */
static int process_track(struct perfetto *p, uint64_t ts, unsigned host, uint32_t pid,
			 const char *comm, uint64_t *uuid)
{
	const struct tape_proc_state *ps =
		host < p->t->nhosts ? tape_proctab__get(p->t->hosts[host], pid) : NULL;
	const char *name = ps && ps->comm[0] ? ps->comm : comm;
	const char *hname = "";
	uint32_t i = umap_get(&p->proc_of, host_key(host, pid));
	uint64_t h;
	size_t pk, td, pd;

	if (p->t->nhosts > 1)
		hname = p->t->host_name[host][0] ? p->t->host_name[host] : "?";
	h = str_hash(name, strlen(name)) ^ (ps && ps->argv ? str_hash(ps->argv, ps->argv_len) : 0);
	if (!i) {
		if (p->nproc == p->proccap) {
			size_t cap = p->proccap ? p->proccap * 2 : 256;
			struct pproc *np = realloc(p->proc, cap * sizeof(*np));

			if (!np)
				return -ENOMEM;
			p->proc = np;
			p->proccap = cap;
		}
		p->proc[p->nproc] = (struct pproc){.uuid = ++p->next_uuid, .desc = h + 1};
		i = (uint32_t)++p->nproc;
		if (umap_put(&p->proc_of, host_key(host, pid), i))
			return -ENOMEM;
	} else if (p->proc[i - 1].desc == h) {
		*uuid = p->proc[i - 1].uuid;
		return 0;
	}
	p->proc[i - 1].desc = h;
	*uuid = p->proc[i - 1].uuid;
	td = desc_open(p, ts, *uuid, &pk);
	pd = pb_open(&p->pkt, F_TD_PROCESS);
	pb_uint(&p->pkt, F_PD_PID, id_base(p, host) + pid);
	if (ps && ps->argv) {
		for (uint32_t off = 0; off < ps->argv_len;) {
			const char *a = ps->argv + off;
			size_t n = strnlen(a, ps->argv_len - off);
			size_t len = tape_escape(a, n, TAPE_ESC_PLAIN, NULL, 0);

			if (len + 1 > p->textcap) {
				char *nt = realloc(p->text, len + 1);

				if (!nt)
					return -ENOMEM;
				p->text = nt;
				p->textcap = len + 1;
			}
			tape_escape(a, n, TAPE_ESC_PLAIN, p->text, p->textcap);
			pb_bytes(&p->pkt, F_PD_CMDLINE, p->text, len);
			off += (uint32_t)n + 1;
		}
	}
	{
		char full[512];

		snprintf(full, sizeof(full), "%s%s%s", hname, hname[0] ? ": " : "", name);
		pb_str(&p->pkt, F_PD_NAME, full);
	}
	pb_close(&p->pkt, pd);
	desc_close(p, td, pk);
	return emit(p);
}

/* The thread track of @ev's task, described on first sight and again when
 * its process or comm change. */
static int thread_track(struct perfetto *p, uint64_t ts, unsigned host, const struct tape_event *ev,
			bool exec, uint32_t *index)
{
	uint64_t key = host_key(host, ev->tid), puuid;
	uint32_t i = umap_get(&p->thr_of, key);
	const char *comm = ev->comm ? ev->comm : "";
	struct pthread *th;
	size_t pk, td, d;
	int rc;

	if (!i) {
		if (p->nthr == p->thrcap) {
			size_t cap = p->thrcap ? p->thrcap * 2 : 256;
			struct pthread *nt = realloc(p->thr, cap * sizeof(*nt));

			if (!nt)
				return -ENOMEM;
			p->thr = nt;
			p->thrcap = cap;
		}
		p->thr[p->nthr] = (struct pthread){.uuid = ++p->next_uuid, .hpos = -1};
		i = (uint32_t)++p->nthr;
		if (umap_put(&p->thr_of, key, i))
			return -ENOMEM;
		th = &p->thr[i - 1];
		th->pid = ev->pid + 1; /* differs: described below */
	}
	th = &p->thr[i - 1];
	*index = i - 1;
	/* its process is looked at again on a new comm or pid, and on an exec
	 * (a syscall event of the execve can bring the new comm before it) */
	if (th->pid == ev->pid && !strncmp(th->comm, comm, sizeof(th->comm)) && !exec)
		return 0;
	if ((rc = process_track(p, ts, host, ev->pid, comm, &puuid)))
		return rc;
	if (th->pid == ev->pid && !strncmp(th->comm, comm, sizeof(th->comm)))
		return 0;
	th->pid = ev->pid;
	snprintf(th->comm, sizeof(th->comm), "%s", comm);
	td = desc_open(p, ts, th->uuid, &pk);
	pb_uint(&p->pkt, F_TD_PARENT, puuid);
	d = pb_open(&p->pkt, F_TD_THREAD);
	pb_uint(&p->pkt, F_THD_PID, id_base(p, host) + ev->pid);
	pb_uint(&p->pkt, F_THD_TID, id_base(p, host) + ev->tid);
	{
		char name[TAPE_ESC_MAX * TAPE_COMM_LEN + 1];

		tape_escape(th->comm, strlen(th->comm), TAPE_ESC_PLAIN, name, sizeof(name));
		pb_str(&p->pkt, F_THD_NAME, name);
	}
	pb_close(&p->pkt, d);
	desc_close(p, td, pk);
	return emit(p);
}

/* ---- pending slice ends ------------------------------------------------------ */

static bool heap_less(const struct perfetto *p, size_t a, size_t b)
{
	return p->thr[p->heap[a]].end < p->thr[p->heap[b]].end;
}

static void heap_swap(struct perfetto *p, size_t a, size_t b)
{
	uint32_t t = p->heap[a];

	p->heap[a] = p->heap[b];
	p->heap[b] = t;
	p->thr[p->heap[a]].hpos = (int32_t)a;
	p->thr[p->heap[b]].hpos = (int32_t)b;
}

static void heap_fix(struct perfetto *p, size_t i)
{
	while (i && heap_less(p, i, (i - 1) / 2)) {
		heap_swap(p, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	for (;;) {
		size_t l = 2 * i + 1, m = i;

		if (l < p->nheap && heap_less(p, l, m))
			m = l;
		if (l + 1 < p->nheap && heap_less(p, l + 1, m))
			m = l + 1;
		if (m == i)
			break;
		heap_swap(p, i, m);
		i = m;
	}
}

static void heap_remove(struct perfetto *p, uint32_t ti)
{
	size_t i = (size_t)p->thr[ti].hpos;

	p->thr[ti].hpos = -1;
	if (i != --p->nheap) {
		p->heap[i] = p->heap[p->nheap];
		p->thr[p->heap[i]].hpos = (int32_t)i;
		heap_fix(p, i);
	}
}

static int heap_push(struct perfetto *p, uint32_t ti)
{
	if (p->nheap == p->heapcap) {
		size_t cap = p->heapcap ? p->heapcap * 2 : 256;
		uint32_t *h = realloc(p->heap, cap * sizeof(*h));

		if (!h)
			return -ENOMEM;
		p->heap = h;
		p->heapcap = cap;
	}
	p->heap[p->nheap] = ti;
	p->thr[ti].hpos = (int32_t)p->nheap;
	p->nheap++;
	heap_fix(p, p->nheap - 1);
	return 0;
}

static int slice_end(struct perfetto *p, uint32_t ti, uint64_t ts)
{
	size_t pk, te;
	bool def;

	heap_remove(p, ti);
	p->ev.len = 0;
	def = put_track(p, &p->ev, p->thr[ti].uuid);
	p->pkt.len = 0;
	pk = pb_open(&p->pkt, F_TRACE_PACKET);
	put_ts(p, ts);
	if (def)
		put_defaults(p, p->def_track);
	te = pb_open(&p->pkt, F_PKT_TRACK_EVENT);
	pb_uint(&p->pkt, F_TE_TYPE, TYPE_SLICE_END);
	pb_append(&p->pkt, &p->ev);
	pb_close(&p->pkt, te);
	pb_close(&p->pkt, pk);
	return emit(p);
}

/* The slices that ended by @ts, in time order. */
static int ends_until(struct perfetto *p, uint64_t ts)
{
	int rc;

	while (p->nheap && p->thr[p->heap[0]].end <= ts)
		if ((rc = slice_end(p, p->heap[0], p->thr[p->heap[0]].end)))
			return rc;
	return 0;
}

/* ---- track events ----------------------------------------------------------- */

/* @s in table @t, its entry added to the packet's interned data (field
 * @field of InternedData) the first time.  0 when out of memory. */
static uint64_t intern(struct perfetto *p, struct itab *t, unsigned field, const char *s, size_t n)
{
	bool fresh;
	uint64_t iid = itab_get(t, s, n, &fresh);
	size_t at;

	if (!iid || !fresh)
		return iid;
	at = pb_open(&p->in, field);
	pb_uint(&p->in, F_IE_IID, iid);
	pb_bytes(&p->in, F_IE_STR, s, n);
	pb_close(&p->in, at);
	return iid;
}

/* The display text of field @i escaped as @esc says (UTF-8, as protobuf
 * strings must be) in p->text; its length, or -ENOMEM. */
static ssize_t field_text(struct perfetto *p, const struct tape_event *ev, unsigned i,
			  enum tape_esc esc)
{
	ssize_t n;

	if (!p->textcap && !(p->text = malloc(p->textcap = 1024)))
		return -ENOMEM;
	n = tape_format_value(ev->tp, i, &ev->values[i], esc, p->text, p->textcap);
	if (n < 0)
		return 0;
	if ((size_t)n >= p->textcap) {
		char *t = realloc(p->text, (size_t)n + 1);

		if (!t)
			return -ENOMEM;
		p->text = t;
		p->textcap = (size_t)n + 1;
		n = tape_format_value(ev->tp, i, &ev->values[i], esc, p->text, p->textcap);
		if (n < 0)
			return 0;
	}
	return n;
}

/* A 0 shown as a number (not a name, as O_RDONLY or a signal's), or a
 * return value of 0 (success): left out, as protobuf leaves out fields at
 * their default. */
static bool zero_number(const struct tape_field *f, const union tape_value *v)
{
	if (f->kind == TAPE_STR || f->kind == TAPE_BYTES || v->u)
		return false;
	return f->display == TAPE_DISP_DEFAULT || f->display == TAPE_DISP_HEX ||
	       f->display == TAPE_DISP_OCTAL || f->display == TAPE_DISP_PTR ||
	       f->display == TAPE_DISP_NSEC || f->display == TAPE_DISP_ERRNO;
}

/*
 * True if the text @s was seen before, since the last clear (or a text of
 * the same hash, which only costs it an id).  A text is interned the second
 * time: one seen once (an address, a count) costs its bytes inline and
 * leaves the table to the texts that come back.  Texts longer than
 * INTERN_LONG are never interned.
 */
static bool seen_before(struct perfetto *p, const void *s, size_t n)
{
	uint64_t h = str_hash(s, n) | 1;
	uint64_t *slot = &p->seen[h % SEEN_SLOTS];

	if (n > INTERN_LONG)
		return false;
	if (*slot == h)
		return true;
	*slot = h;
	return false;
}

/*
 * The event's fields as one argument, "args", the text `bpftape replay`
 * shows ("fd=3 ret=0"), interned.  Why not one argument per field: an
 * argument costs 5 to 8 bytes before its value, and the fields of most
 * events come back again and again (a loop's syscalls, a storm's opens),
 * which one interned string then costs 7 or 8 bytes in all.  A text
 * longer than INTERN_LONG is written inline.
 */
static int args_line(struct perfetto *p, const struct tape_event *ev)
{
	uint64_t name, iid;
	size_t at;

	p->line.len = 0;
	for (unsigned i = 0; i < ev->tp->nfields; i++) {
		const char *fname = ev->tp->fields[i].name;
		ssize_t n;

		if (zero_number(&ev->tp->fields[i], &ev->values[i]))
			continue;
		n = field_text(p, ev, i, TAPE_ESC_TEXT);
		if (n < 0)
			return (int)n;
		/* nor an empty text, or a 0 that no name was found for (flags) */
		if (!n || (n == 1 && p->text[0] == '0') || (n == 2 && !memcmp(p->text, "\"\"", 2)))
			continue;
		if (!pb_room(&p->line, strlen(fname) + (size_t)n + 2))
			return -ENOMEM;
		if (p->line.len)
			p->line.b[p->line.len++] = ' ';
		memcpy(p->line.b + p->line.len, fname, strlen(fname));
		p->line.len += strlen(fname);
		p->line.b[p->line.len++] = '=';
		memcpy(p->line.b + p->line.len, p->text, (size_t)n);
		p->line.len += (size_t)n;
	}
	/* nothing to say (a syscall that returned 0): no argument */
	if (!p->line.len)
		return 0;
	name = intern(p, &p->anames, F_ID_ANNOT_NAMES, "args", 4);
	if (!name)
		return -ENOMEM;
	at = pb_open(&p->ev, F_TE_ANNOT);
	pb_uint(&p->ev, F_DA_NAME_IID, name);
	iid = itab_find(&p->values, (const char *)p->line.b, p->line.len);
	if (!iid && !seen_before(p, p->line.b, p->line.len)) {
		pb_bytes(&p->ev, F_DA_STRING, p->line.b, p->line.len);
	} else if (iid) {
		pb_uint(&p->ev, F_DA_STRING_IID, iid);
	} else {
		iid = intern(p, &p->values, F_ID_STRING_VALUES, (const char *)p->line.b,
			     p->line.len);
		if (!iid)
			return -ENOMEM;
		pb_uint(&p->ev, F_DA_STRING_IID, iid);
	}
	pb_close(&p->ev, at);
	return 0;
}

/*
 * A syscall slice's return value, field @i, as the argument "ret": left
 * out when 0, a number when positive (an address or a count, mostly seen
 * once: a varint is a third of its text), an error's text ("-2(ENOENT)",
 * one of a few) interned.
 */
static int ret_arg(struct perfetto *p, const struct tape_event *ev, unsigned i)
{
	int64_t v = ev->values[i].s;
	uint64_t name, iid;
	ssize_t n;
	size_t at;

	if (ev->tp->fields[i].kind < TAPE_S8)
		v = (int64_t)ev->values[i].u;
	if (!v)
		return 0;
	name = intern(p, &p->anames, F_ID_ANNOT_NAMES, "ret", 3);
	if (!name)
		return -ENOMEM;
	at = pb_open(&p->ev, F_TE_ANNOT);
	pb_uint(&p->ev, F_DA_NAME_IID, name);
	if (v > 0) {
		pb_uint(&p->ev, F_DA_INT, (uint64_t)v);
	} else {
		n = field_text(p, ev, i, TAPE_ESC_TEXT);
		if (n < 0)
			return (int)n;
		iid = intern(p, &p->values, F_ID_STRING_VALUES, p->text, (size_t)n);
		if (!iid)
			return -ENOMEM;
		pb_uint(&p->ev, F_DA_STRING_IID, iid);
	}
	pb_close(&p->ev, at);
	return 0;
}

/* The packet of the track event in p->ev, with the interned data in p->in
 * and, if @def, new defaults. */
static int event_packet(struct perfetto *p, uint64_t ts, bool def)
{
	size_t pk, at;

	p->pkt.len = 0;
	pk = pb_open(&p->pkt, F_TRACE_PACKET);
	put_ts(p, ts);
	if (def)
		put_defaults(p, p->def_track);
	if (p->in.len) {
		at = pb_open(&p->pkt, F_PKT_INTERNED);
		pb_append(&p->pkt, &p->in);
		pb_close(&p->pkt, at);
	}
	at = pb_open(&p->pkt, F_PKT_TRACK_EVENT);
	pb_append(&p->pkt, &p->ev);
	pb_close(&p->pkt, at);
	pb_close(&p->pkt, pk);
	if (p->ev.err || p->in.err)
		return -ENOMEM;
	return emit(p);
}

/* Room in the interning tables for one more event, or a fresh start. */
static int intern_room(struct perfetto *p, uint64_t ts)
{
	if (itab_full(&p->names) || itab_full(&p->anames) || itab_full(&p->values))
		return clear_state(p, ts < p->last_ts ? p->last_ts : ts);
	return 0;
}

static int track_event(struct perfetto *p, const struct tape_event *ev, uint64_t ts, int type,
		       uint64_t track, const char *name, size_t nlen, int ret)
{
	uint64_t iid;
	bool def;
	int rc;

	if ((rc = intern_room(p, ts)))
		return rc;
	p->ev.len = 0;
	p->in.len = 0;
	iid = intern(p, &p->names, F_ID_EVENT_NAMES, name, nlen);
	if (!iid)
		return -ENOMEM;
	pb_uint(&p->ev, F_TE_TYPE, (uint64_t)type);
	def = put_track(p, &p->ev, track);
	pb_uint(&p->ev, F_TE_NAME_IID, iid);
	if (ret >= 0)
		rc = ret_arg(p, ev, (unsigned)ret);
	else if (ev->tp)
		rc = args_line(p, ev);
	if (rc)
		return rc;
	return event_packet(p, ts, def);
}

/* A loss: an instant on the track of losses, its figures as arguments. */
static int loss_event(struct perfetto *p, const struct tape_event *ev, uint64_t ts)
{
	static const char *const names[] = {"cpu", "count", "first_ts", "last_ts"};
	static const char title[] = "events lost";
	uint64_t iid;
	bool def;
	int rc;

	if ((rc = loss_track(p, ts)) || (rc = intern_room(p, ts)))
		return rc;
	p->ev.len = 0;
	p->in.len = 0;
	iid = intern(p, &p->names, F_ID_EVENT_NAMES, title, sizeof(title) - 1);
	if (!iid)
		return -ENOMEM;
	pb_uint(&p->ev, F_TE_TYPE, TYPE_INSTANT);
	def = put_track(p, &p->ev, LOSS_UUID);
	pb_uint(&p->ev, F_TE_NAME_IID, iid);
	for (unsigned i = 0; i < TAPE_LOSS_NFIELDS; i++) {
		uint64_t v = ev->values[i].u;
		uint64_t n = intern(p, &p->anames, F_ID_ANNOT_NAMES, names[i], strlen(names[i]));
		size_t at;

		if (!n)
			return -ENOMEM;
		/* times of the trace's clock, as the events' */
		if (i == TAPE_LOSS_FIRST_TS || i == TAPE_LOSS_LAST_TS)
			v = trace_ts(p, ev->source, v);
		at = pb_open(&p->ev, F_TE_ANNOT);
		pb_uint(&p->ev, F_DA_NAME_IID, n);
		pb_uint(&p->ev, F_DA_UINT, v);
		pb_close(&p->ev, at);
	}
	return event_packet(p, ts, def);
}

/* ---- scheduler switches ------------------------------------------------------- */

/*
 * The prev_state a sched_switch tracepoint reports (what Perfetto decodes
 * for kernels from 4.14): the most significant state of TASK_REPORT, with
 * TASK_IDLE as REPORT_TASK_IDLE and RTLOCK_WAIT as D.  The tape holds the
 * task's raw state; 0 is runnable (preempted).
 */
static int64_t report_state(uint64_t raw)
{
	uint64_t s = raw & 0x7f;
	int64_t bit = 0;

	if (raw == 0x402) /* TASK_UNINTERRUPTIBLE | TASK_NOLOAD */
		return 0x80;
	if (raw == 0x1000) /* TASK_RTLOCK_WAIT */
		return 0x2;
	while (s) {
		bit = (int64_t)(s & -s);
		s &= s - 1;
	}
	return bit;
}

static int sched_flush(struct perfetto *p, size_t cpu)
{
	struct cpubuf *c = &p->cpus[cpu];
	size_t pk, fb, cs, at, nstr = 0;
	uint32_t *idx = NULL;
	uint16_t slots[2 * SCHED_BATCH];
	uint64_t prev = 0;

	if (!c->n)
		return 0;
	idx = malloc(c->n * sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	p->pkt.len = 0;
	pk = pb_open(&p->pkt, F_TRACE_PACKET);
	pb_uint(&p->pkt, F_PKT_SEQ_ID, SEQ_SCHED);
	fb = pb_open(&p->pkt, F_PKT_FTRACE);
	pb_uint(&p->pkt, F_FB_CPU, cpu);
	cs = pb_open(&p->pkt, F_FB_COMPACT);
	/* the bundle's own table of comms */
	memset(slots, 0, sizeof(slots));
	for (size_t i = 0; i < c->n; i++) {
		size_t len = strnlen(c->comm[i], TAPE_COMM_LEN);
		size_t h = str_hash(c->comm[i], len) & (2 * SCHED_BATCH - 1);

		while (slots[h] && strncmp(c->comm[slots[h] - 1], c->comm[i], TAPE_COMM_LEN))
			h = (h + 1) & (2 * SCHED_BATCH - 1);
		if (!slots[h]) {
			char name[TAPE_ESC_MAX * TAPE_COMM_LEN + 1];

			slots[h] = (uint16_t)(i + 1);
			tape_escape(c->comm[i], len, TAPE_ESC_PLAIN, name, sizeof(name));
			pb_str(&p->pkt, F_CS_INTERN, name);
			idx[i] = (uint32_t)nstr++;
		} else {
			idx[i] = idx[slots[h] - 1];
		}
	}
	at = pb_open(&p->pkt, F_CS_TS);
	for (size_t i = 0; i < c->n; i++) {
		pb_varint(&p->pkt, c->ts[i] - prev);
		prev = c->ts[i];
	}
	pb_close(&p->pkt, at);
	at = pb_open(&p->pkt, F_CS_PREV_STATE);
	for (size_t i = 0; i < c->n; i++)
		pb_varint(&p->pkt, (uint64_t)c->state[i]);
	pb_close(&p->pkt, at);
	at = pb_open(&p->pkt, F_CS_NEXT_PID);
	for (size_t i = 0; i < c->n; i++)
		pb_varint(&p->pkt, (uint64_t)(int64_t)c->pid[i]);
	pb_close(&p->pkt, at);
	at = pb_open(&p->pkt, F_CS_NEXT_PRIO);
	for (size_t i = 0; i < c->n; i++)
		pb_varint(&p->pkt, SCHED_PRIO);
	pb_close(&p->pkt, at);
	at = pb_open(&p->pkt, F_CS_COMM_IDX);
	for (size_t i = 0; i < c->n; i++)
		pb_varint(&p->pkt, idx[i]);
	pb_close(&p->pkt, at);
	pb_close(&p->pkt, cs);
	pb_close(&p->pkt, fb);
	pb_close(&p->pkt, pk);
	free(idx);
	p->sched_total -= c->n;
	c->n = 0;
	return emit(p);
}

static int sched_flush_all(struct perfetto *p)
{
	int rc;

	for (size_t i = 0; i < p->ncpus; i++)
		if ((rc = sched_flush(p, i)))
			return rc;
	return 0;
}

static int sched_switch(struct perfetto *p, const struct tape_event *ev, unsigned host,
			const struct tkind *k, uint64_t ts)
{
	size_t cpu = p->t->nhosts > 1 ? (size_t)host * SCHED_HOST_CPUS + ev->cpu : ev->cpu;
	uint64_t base = id_base(p, host);
	const union tape_value *cv = &ev->values[k->e];
	struct cpubuf *c;
	int rc;

	if (cpu >= p->ncpus) {
		size_t n = cpu + 1;
		struct cpubuf *nc = realloc(p->cpus, n * sizeof(*nc));

		if (!nc)
			return -ENOMEM;
		memset(nc + p->ncpus, 0, (n - p->ncpus) * sizeof(*nc));
		p->cpus = nc;
		p->ncpus = n;
	}
	c = &p->cpus[cpu];
	/* a bundle's times only go forward */
	if (c->n && (ts < c->ts[c->n - 1] || c->n == SCHED_BATCH) && (rc = sched_flush(p, cpu)))
		return rc;
	if (p->sched_total >= SCHED_TOTAL && (rc = sched_flush_all(p)))
		return rc;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		uint64_t *t = realloc(c->ts, cap * sizeof(*t));
		int64_t *s = t ? realloc(c->state, cap * sizeof(*s)) : NULL;
		int32_t *pd = NULL;
		char(*cm)[TAPE_COMM_LEN] = NULL;

		if (t)
			c->ts = t;
		if (s) {
			c->state = s;
			pd = realloc(c->pid, cap * sizeof(*pd));
		}
		if (pd) {
			c->pid = pd;
			cm = realloc(c->comm, cap * sizeof(*cm));
		}
		if (!cm)
			return -ENOMEM;
		c->comm = cm;
		c->cap = cap;
	}
	c->ts[c->n] = ts;
	c->state[c->n] = report_state(ev->values[k->a].u);
	c->pid[c->n] = (int32_t)(base + ev->values[k->c].u);
	memset(c->comm[c->n], 0, TAPE_COMM_LEN);
	if (cv->b.ptr)
		memcpy(c->comm[c->n], cv->b.ptr,
		       cv->b.len < TAPE_COMM_LEN - 1 ? cv->b.len : TAPE_COMM_LEN - 1);
	c->n++;
	p->sched_total++;
	return 0;
}

/* ---- events -------------------------------------------------------------------- */

static const struct tkind *kind_of(struct perfetto *p, const struct tape_type *tp)
{
	struct tkind *k = &p->kinds[((uintptr_t)tp >> 4) % TKIND_CACHE];

	if (k->tp == tp)
		return k;
	memset(k, 0, sizeof(*k));
	k->tp = tp;
	k->kind = K_INSTANT;
	k->exec = !strcmp(tp->name, "exec");
	if (!strcmp(tp->name, "syscall")) {
		k->a = tape_type__field_index(tp, "nr");
		k->b = tape_type__field_index(tp, "latency");
		k->c = tape_type__field_index(tp, "ret");
		if (k->a >= 0 && k->b >= 0 && k->c >= 0 && tp->fields[k->c].kind <= TAPE_S64)
			k->kind = K_SYSCALL;
	} else if (!strcmp(tp->name, "sched_switch")) {
		k->a = tape_type__field_index(tp, "prev_state");
		k->c = tape_type__field_index(tp, "next_pid");
		k->e = tape_type__field_index(tp, "next_comm");
		if (k->a >= 0 && k->c >= 0 && k->e >= 0 && tp->fields[k->e].kind == TAPE_STR &&
		    tp->fields[k->a].kind <= TAPE_S64 && tp->fields[k->c].kind <= TAPE_S64)
			k->kind = K_SWITCH;
	}
	return k;
}

int perfetto__event(struct perfetto *p, const struct tape_event *ev, unsigned host)
{
	uint64_t ts = trace_ts(p, ev->source, ev->ts);
	const struct tkind *k;
	uint32_t ti;
	int rc;

	if (!p->started) {
		p->started = true;
		if ((rc = system_info(p)) || (rc = clear_state(p, ts)))
			return rc;
	}
	p->events++;
	if ((rc = ends_until(p, ts)))
		return rc;
	if (ev->type == TAPE_TYPE_LOSS)
		return loss_event(p, ev, ts);
	if (!ev->tp)
		return 0; /* a cursor gives every event its type */
	k = kind_of(p, ev->tp);
	if (k->kind == K_SWITCH)
		return sched_switch(p, ev, host, k, ts);
	if ((rc = thread_track(p, ts, host, ev, k->exec, &ti)))
		return rc;
	if (k->kind == K_SYSCALL) {
		uint64_t lat = ev->values[k->b].u;
		ssize_t n;

		/* one thread, one syscall at a time: an overlap (a damaged
		 * tape) ends the earlier slice here */
		if (p->thr[ti].hpos >= 0 && (rc = slice_end(p, ti, ts)))
			return rc;
		n = field_text(p, ev, (unsigned)k->a, TAPE_ESC_PLAIN);
		if (n < 0)
			return (int)n;
		/* the name and the duration are the slice's: not arguments */
		{
			char name[128];

			snprintf(name, sizeof(name), "%.*s", (int)n, p->text);
			rc = track_event(p, ev, ts, TYPE_SLICE_BEGIN, p->thr[ti].uuid, name,
					 strlen(name), k->c);
		}
		if (rc)
			return rc;
		p->thr[ti].end = ts + lat < ts ? UINT64_MAX : ts + lat;
		return heap_push(p, ti);
	}
	return track_event(p, ev, ts, TYPE_INSTANT, p->thr[ti].uuid, ev->tp->name,
			   strlen(ev->tp->name), -1);
}

int perfetto__finish(struct perfetto *p)
{
	int rc;

	if ((rc = ends_until(p, UINT64_MAX)))
		return rc;
	return sched_flush_all(p);
}

struct perfetto *perfetto__new(struct out *o, const struct tapes *t, const struct render *rd,
			       uint64_t host_ids)
{
	struct perfetto *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->o = o;
	p->t = t;
	p->rd = rd;
	p->host_ids = host_ids;
	p->by_wall = t->cur && tapes_merge__by_wall(t->cur);
	p->next_uuid = LOSS_UUID;
	p->seen = calloc(SEEN_SLOTS, sizeof(*p->seen));
	if (!p->seen || itab_init(&p->names) || itab_init(&p->anames) || itab_init(&p->values)) {
		perfetto__free(p);
		errno = ENOMEM;
		return NULL;
	}
	return p;
}

void perfetto__stats(const struct perfetto *p, uint64_t *events, uint64_t *bytes)
{
	*events = p->events;
	*bytes = p->bytes;
}

void perfetto__free(struct perfetto *p)
{
	if (!p)
		return;
	free(p->pkt.b);
	free(p->ev.b);
	free(p->in.b);
	free(p->line.b);
	itab_free(&p->names);
	itab_free(&p->anames);
	itab_free(&p->values);
	free(p->thr);
	free(p->proc);
	umap_free(&p->thr_of);
	umap_free(&p->proc_of);
	free(p->heap);
	for (size_t i = 0; i < p->ncpus; i++) {
		free(p->cpus[i].ts);
		free(p->cpus[i].state);
		free(p->cpus[i].pid);
		free(p->cpus[i].comm);
	}
	free(p->cpus);
	free(p->text);
	free(p->seen);
	free(p);
}
