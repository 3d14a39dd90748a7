// SPDX-License-Identifier: MIT
/*
 * Cursors: events of one or more tapes in timestamp order.
 *
 * Chunks the index proves cannot match the selection are never read.  The
 * rest are kept in order of their first timestamp; a chunk is opened only
 * when the next event due could come from it, so memory stays bounded by
 * the chunks whose time ranges overlap.  Open chunks (and each tape's loss
 * records) sit in a small heap ordered by their current event, and each
 * chunk is decoded one event at a time, straight from its columns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <zstd.h>

#include "tape_int.h"
#include "tpfmt_hook.h"

enum { COL_TS, COL_TYPE, COL_CPU, COL_PID, COL_TID, COL_COMM, NCOMMON };

#define RAW_PAD 8

struct src {
	struct tape_reader *r;
	uint8_t *types; /* selected type ids, NULL for all */
	bool losses;	/* loss records wanted */
	size_t next_chunk, next_loss;
};

/* An integer column (docs/FORMAT.md): byte planes, or a dictionary of
 * values with bit-packed indexes, read in place (unpacked, 16 Mi events of
 * 64 columns would take 2 GiB for a few MiB of payload). */
struct col {
	const uint8_t *p; /* planes, or packed indexes */
	uint64_t base;
	uint64_t *dict;
	uint32_t n, pos;
	uint8_t width; /* planes: bytes per value; dictionary: bits per index */
};

static inline uint64_t col_next(struct col *c)
{
	uint32_t i = c->pos++;
	const uint8_t *p;
	uint64_t v;

	if (c->dict) {
		/* bits <= 12: an index spans at most 3 bytes, and the payload is
		 * padded so that reading them never leaves it */
		uint64_t bit = (uint64_t)i * c->width;

		p = c->p + (bit >> 3);
		v = p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
		return c->dict[(v >> (bit & 7)) & ((1u << c->width) - 1)];
	}
	if (!c->width)
		return c->base;
	p = c->p + i;
	switch (c->width) {
	case 1:
		return c->base + p[0];
	case 2:
		return c->base + (p[0] | (uint64_t)p[c->n] << 8);
	}
	v = 0;
	for (unsigned k = 0; k < c->width; k++, p += c->n)
		v |= (uint64_t)*p << (8 * k);
	return c->base + v;
}

static void col_free(struct col *c)
{
	free(c->dict);
	c->dict = NULL;
}

struct tape_cursor;
struct dec;
static int budget(struct tape_cursor *c, struct dec *d, uint64_t bytes);

/* Parse a column of @n values from @r for decoder @d of cursor @cur.  0,
 * -EBADMSG, -E2BIG (over the cursor's memory limit) or -ENOMEM. */
static int col_parse(struct tape_cursor *cur, struct dec *dd, struct rd *r, uint32_t n,
		     struct col *c)
{
	struct rd d = rd_sub(r);
	uint64_t k, prev = 0, acc = 0;
	unsigned bits, nacc = 0;

	memset(c, 0, sizeof(*c));
	if (d.bad)
		return -EBADMSG;
	c->n = n;
	switch (rd_u8(&d)) {
	case COLUMN_PLANES:
		c->base = rd_varint(&d);
		c->width = rd_u8(&d);
		c->p = d.p;
		if (d.bad || c->width > 8 || (size_t)(d.end - d.p) != (size_t)c->width * n)
			return -EBADMSG;
		return 0;
	case COLUMN_DICT:
		break;
	default:
		return -EBADMSG;
	}
	k = rd_varint(&d);
	if (d.bad || k == 0 || k > DICT_MAX || k > n)
		return -EBADMSG;
	if (k == 1) {
		/* One value: no indexes to unpack (nor to allocate for). */
		c->base = rd_varint(&d);
		if (d.bad || rd_u8(&d) != 0 || d.p != d.end)
			return -EBADMSG;
		return 0;
	}
	if (budget(cur, dd, k * sizeof(*c->dict)))
		return -E2BIG;
	c->dict = malloc(k * sizeof(*c->dict));
	if (!c->dict)
		return -ENOMEM;
	for (uint64_t i = 0; i < k; i++) {
		prev += rd_varint(&d);
		c->dict[i] = prev;
	}
	bits = rd_u8(&d);
	if (d.bad || bits != (unsigned)(64 - __builtin_clzll(k - 1)) ||
	    (size_t)(d.end - d.p) != ((size_t)n * bits + 7) / 8)
		return -EBADMSG;
	c->p = d.p;
	c->width = bits;
	/* every index checked once here, so that col_next() need not */
	for (uint32_t i = 0; i < n; i++) {
		while (nacc < bits) {
			acc |= (uint64_t)*d.p++ << nacc;
			nacc += 8;
		}
		if ((acc & ((1u << bits) - 1)) >= k)
			return -EBADMSG;
		acc >>= bits;
		nacc -= bits;
	}
	return 0;
}

struct dec {
	struct src *src;
	uint32_t source;
	size_t chunk; /* index in the reader, or SIZE_MAX for losses */
	uint64_t order;

	/* chunk state */
	uint8_t *raw;
	const uint8_t *raw_end;
	uint32_t *soff; /* string k: its length's offset in raw */
	uint32_t nstr;
	uint64_t mem; /* bytes counted against the cursor's limit */
	struct tape_cursor *cur;
	struct col col[NCOMMON];
	struct col *fcol; /* field columns of every type present */
	uint32_t nfcol;
	uint32_t *tmap;	 /* type id -> first field column + 1 */
	struct col scol; /* stack ids, when the chunk has them */
	bool has_stacks;
	struct chunk_summary sum;
	uint32_t remaining;
	uint32_t min_pid;
	uint64_t ts;
	struct buf scratch; /* decoded tracepoint strings */

	/* loss state */
	size_t *loss_idx;
	size_t nloss, loss_pos;

	struct tape_event ev;
	union tape_value stored[TAPE_MAX_FIELDS];
	union tape_value vals[TAPE_MAX_FIELDS];
};

struct pending {
	uint64_t min_ts;
	uint32_t source;
	size_t chunk;
};

struct tape_cursor {
	struct src *srcs;
	size_t nsrcs;
	uint64_t since, until;
	uint32_t *pids, *tids;
	size_t npids, ntids;
	bool no_losses;
	bool no_fields; /* headers only */

	struct pending *pend;
	size_t npend, pend_pos, cappend;
	struct dec **heap;
	size_t nheap, capheap;
	struct dec *last; /* the decoder whose event was returned last */
	uint64_t order;

	struct tape_cursor_stats st;
	uint64_t mem; /* what the open decoders hold (budget()) */
	struct buf blk;
	ZSTD_DCtx *dctx;
	char errmsg[256];
	int errsrc; /* the tape of the last error */
};

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* A sorted copy of @n values (for in_set()), or NULL. */
static uint32_t *sorted_copy(const uint32_t *v, size_t n, size_t *nout)
{
	uint32_t *c = malloc((n ? n : 1) * sizeof(*c));

	if (!c)
		return NULL;
	memcpy(c, v, n * sizeof(*c));
	qsort(c, n, sizeof(*c), u32_cmp);
	*nout = n;
	return c;
}

static bool in_set(const uint32_t *set, size_t n, uint32_t v)
{
	return bsearch(&v, set, n, sizeof(v), u32_cmp) != NULL;
}

/* ---- decoders ---- */

static void dec_free(struct dec *d)
{
	if (!d)
		return;
	for (int i = 0; i < NCOMMON; i++)
		col_free(&d->col[i]);
	for (uint32_t i = 0; d->fcol && i < d->nfcol; i++)
		col_free(&d->fcol[i]);
	col_free(&d->scol);
	if (d->cur)
		d->cur->mem -= d->mem;
	free(d->raw);
	free(d->soff);
	free(d->fcol);
	free(d->tmap);
	free(d->loss_idx);
	tape__summary_free(&d->sum);
	tape__buf_free(&d->scratch);
	free(d);
}

static int dec_bad(struct tape_cursor *c, struct dec *d, const char *what)
{
	const struct rchunk *ch = &d->src->r->chunks[d->chunk];

	c->errsrc = (int)d->source;
	snprintf(c->errmsg, sizeof(c->errmsg), "tape %u, chunk at offset %llu: %s", d->source,
		 (unsigned long long)ch->off, what);
	return -EBADMSG;
}

/* String @k of the chunk's table (checked when the chunk was opened). */
static inline const char *dec_str(const struct dec *d, uint64_t k, uint32_t *len)
{
	struct rd r = {d->raw + d->soff[k], d->raw_end, false, NULL};

	*len = (uint32_t)rd_varint(&r);
	return (const char *)r.p;
}

/* Count @bytes of what decoder @d is about to allocate against the cursor's
 * limit (MAX_DECODE_MEM): every chunk open at once, since chunks that
 * overlap in time are decoded together.  0, or -E2BIG with the reason in
 * the cursor's errmsg. */
static int budget(struct tape_cursor *c, struct dec *d, uint64_t bytes)
{
	if (c->mem + bytes > MAX_DECODE_MEM) {
		const struct rchunk *ch = &d->src->r->chunks[d->chunk];

		c->errsrc = (int)d->source;
		snprintf(c->errmsg, sizeof(c->errmsg),
			 "tape %u, chunk at offset %llu: decoding it would hold %llu MiB with the "
			 "chunks open beside it, over the limit of %llu MiB",
			 d->source, (unsigned long long)ch->off,
			 (unsigned long long)((c->mem + bytes) >> 20),
			 (unsigned long long)(MAX_DECODE_MEM >> 20));
		return -E2BIG;
	}
	c->mem += bytes;
	d->mem += bytes;
	return 0;
}

/* Whether the selection wants an event of a selected type with this
 * header. */
static inline bool header_selected(const struct tape_cursor *c, const struct dec *d, uint64_t pid)
{
	if (c->until && d->ts > c->until)
		return false;
	if (c->since && d->ts < c->since)
		return false;
	if (c->pids && !in_set(c->pids, c->npids, (uint32_t)pid))
		return false;
	return !c->tids || in_set(c->tids, c->ntids, d->ev.tid);
}

/* Load the next event into d->ev: 1, 0 when exhausted, or -EBADMSG. */
static int dec_next(struct tape_cursor *c, struct dec *d)
{
	const struct rtype *t;
	uint64_t type, cpu, pid, comm, stack;
	uint32_t first;

	if (d->chunk == SIZE_MAX) {
		const struct tape_loss *l;

		if (d->loss_pos >= d->nloss)
			return 0;
		l = &d->src->r->losses[d->loss_idx[d->loss_pos++]];
		d->ev.ts = l->first_ts;
		d->ev.cpu = l->cpu;
		d->vals[TAPE_LOSS_CPU].u = l->cpu;
		d->vals[TAPE_LOSS_COUNT].u = l->count;
		d->vals[TAPE_LOSS_FIRST_TS].u = l->first_ts;
		d->vals[TAPE_LOSS_LAST_TS].u = l->last_ts;
		return 1;
	}
	/* Events the selection rejects are passed over here: those of a type
	 * not selected by their time and type alone (each type's fields have
	 * columns of their own, and the other columns are read by position),
	 * the others stepping their fields' columns without decoding them. */
	for (;;) {
		if (!d->remaining)
			return 0;
		d->remaining--;
		d->ts += col_next(&d->col[COL_TS]);
		type = col_next(&d->col[COL_TYPE]);
		if (d->src->types && type <= d->src->r->maxtype && d->tmap[type] &&
		    !d->src->types[type]) {
			d->col[COL_CPU].pos++;
			d->col[COL_PID].pos++;
			d->col[COL_TID].pos++;
			d->col[COL_COMM].pos++;
			d->scol.pos++;
			continue;
		}
		cpu = col_next(&d->col[COL_CPU]);
		pid = d->min_pid + col_next(&d->col[COL_PID]);
		d->ev.tid = (uint32_t)(pid + unzigzag(col_next(&d->col[COL_TID])));
		comm = col_next(&d->col[COL_COMM]);
		stack = d->has_stacks ? col_next(&d->scol) : 0;
		if (type > d->src->r->maxtype || !d->tmap[type])
			return dec_bad(c, d, "event of a type the chunk does not declare");
		if (comm >= d->nstr || cpu > UINT16_MAX || pid > UINT32_MAX || stack > UINT32_MAX)
			return dec_bad(c, d, "event header out of range");
		if (header_selected(c, d, pid))
			break;
		t = d->src->r->types[type];
		for (unsigned f = 0; f < t->nstored; f++)
			d->fcol[d->tmap[type] - 1 + f].pos++;
	}
	t = d->src->r->types[type];
	first = d->tmap[type] - 1;
	d->ev.ts = d->ts;
	d->ev.type = type;
	d->ev.cpu = cpu;
	d->ev.pid = pid;
	d->ev.stack_id = stack;
	d->ev.comm = dec_str(d, comm, &d->ev.comm_len);
	d->ev.tp = &t->pub;
	if (c->no_fields)
		return 1;

	union tape_value *out = t->tpfmt ? d->stored : d->vals;
	for (unsigned f = 0; f < t->nstored; f++) {
		struct col *col = &d->fcol[first + f];
		unsigned kind = t->stored[f].kind;
		uint64_t v;

		if (col->pos >= col->n)
			return dec_bad(c, d, "more events of a type than the chunk declares");
		v = col_next(col);
		if (kind_is_signed(kind)) {
			out[f].s = unzigzag(v);
		} else if (kind_is_int(kind)) {
			out[f].u = v;
		} else {
			if (v >= d->nstr)
				return dec_bad(c, d, "string index out of range");
			out[f].b.ptr = dec_str(d, v, &out[f].b.len);
		}
	}
	if (t->tpfmt && tape__tpfmt_hook_decode(t, d->stored, d->vals, &d->scratch))
		return dec_bad(c, d, "cannot decode the raw tracepoint record");
	return 1;
}

static int dec_fail(struct tape_cursor *c, struct dec *d, const char *what)
{
	int err = dec_bad(c, d, what);

	dec_free(d);
	return err;
}

/* Read, check and decompress chunk @i of @s; *out is NULL if it is empty. */
static int dec_open(struct tape_cursor *c, struct src *s, uint32_t source, size_t i,
		    struct dec **out)
{
	const struct rchunk *ch = &s->r->chunks[i];
	struct tape_reader *r = s->r;
	struct chunk_summary sum;
	struct rblock b;
	struct dec *d;
	struct rd rd;
	size_t slen, got, ncols = 0;
	uint64_t n, nrefs;
	int err;

	*out = NULL;
	c->errsrc = (int)source;
	err = tape__reader_read_block(r, ch->off, &c->blk, &b, c->errmsg, sizeof(c->errmsg));
	c->st.bytes_read += ch->block_len;
	c->st.chunks_read++;
	if (err)
		return err == -ENODATA ? -EBADMSG : err;
	if (b.type != BLOCK_CHUNK || b.len != ch->block_len) {
		snprintf(c->errmsg, sizeof(c->errmsg),
			 "block %u at offset %llu: index says an event chunk of %u bytes, found %s "
			 "of %u",
			 b.seq, (unsigned long long)ch->off, ch->block_len,
			 tape__block_type_name(b.type), b.len);
		return -EBADMSG;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->src = s;
	d->source = source;
	d->chunk = i;
	d->ev.source = source;
	d->cur = c;
	if (budget(c, d, sizeof(*d) + (r->maxtype + 1) * sizeof(*d->tmap)))
		goto over;
	if (tape__summary_decode(c->blk.data, c->blk.len, &d->sum, &slen))
		return dec_fail(c, d, "bad chunk summary");
	sum = d->sum;
	nrefs = sum.count; /* comm */
	/* Decode from the block's own summary, not the index's copy. */
	d->remaining = sum.count;
	d->min_pid = sum.min_pid;
	d->ts = sum.min_ts;
	d->tmap = calloc(r->maxtype + 1, sizeof(*d->tmap));
	if (!d->tmap)
		goto nomem;
	for (uint32_t k = 0; k < sum.ntypes; k++) {
		unsigned t = sum.types[k].type;

		if (t > r->maxtype || !r->types[t]) {
			char msg[96];

			snprintf(msg, sizeof(msg), "event type %u is not in the schema", t);
			return dec_fail(c, d, msg);
		}
		d->tmap[t] = NCOMMON + ncols + 1;
		ncols += r->types[t]->nstored;
		for (unsigned f = 0; f < r->types[t]->nstored; f++)
			if (!kind_is_int(r->types[t]->stored[f].kind))
				nrefs += sum.types[k].count;
	}
	if (sum.codec != CODEC_ZSTD)
		return dec_fail(c, d, "unknown compression codec");
	/* padded: a dictionary index is read 3 bytes at a time (col_next()) */
	if (budget(c, d, (uint64_t)sum.raw_len + RAW_PAD))
		goto over;
	d->raw = malloc(sum.raw_len + RAW_PAD);
	if (!d->raw)
		goto nomem;
	memset(d->raw + sum.raw_len, 0, RAW_PAD);
	got = ZSTD_decompressDCtx(c->dctx, d->raw, sum.raw_len, c->blk.data + slen,
				  c->blk.len - slen);
	if (ZSTD_isError(got) || got != sum.raw_len)
		return dec_fail(c, d,
				ZSTD_isError(got) ? ZSTD_getErrorName(got)
						  : "payload size differs from its summary");

	d->raw_end = d->raw + got;
	rd = (struct rd){d->raw, d->raw + got, false, NULL};
	n = rd_varint(&rd);
	if (rd.bad || n > got)
		return dec_fail(c, d, "bad string table");
	/* each entry is a distinct value some event refers to (docs/FORMAT.md) */
	if (n > nrefs) {
		char msg[128];

		snprintf(msg, sizeof(msg),
			 "string table of %llu entries for %llu string values: more than it can "
			 "hold",
			 (unsigned long long)n, (unsigned long long)nrefs);
		return dec_fail(c, d, msg);
	}
	if (budget(c, d, (n ? n : 1) * sizeof(*d->soff) + (ncols ? ncols : 1) * sizeof(*d->fcol)))
		goto over;
	d->soff = malloc((n ? n : 1) * sizeof(*d->soff));
	if (!d->soff)
		goto nomem;
	for (uint64_t k = 0; k < n; k++) {
		size_t len;

		d->soff[k] = (uint32_t)(rd.p - d->raw);
		if (!tape__rd_bytes(&rd, &len) || rd.p >= rd.end || *rd.p != 0)
			return dec_fail(c, d, "bad string table");
		rd.p++;
	}
	d->nstr = n;
	d->fcol = calloc(ncols ? ncols : 1, sizeof(*d->fcol));
	if (!d->fcol)
		goto nomem;
	d->nfcol = ncols;
	for (size_t k = 0; k < NCOMMON; k++) {
		err = col_parse(c, d, &rd, sum.count, &d->col[k]);
		if (err == -ENOMEM)
			goto nomem;
		if (err == -E2BIG)
			goto over;
		if (err)
			return dec_fail(c, d, "bad common column");
	}
	for (uint32_t k = 0, fc = 0; k < sum.ntypes; k++) {
		const struct rtype *t = r->types[sum.types[k].type];
		/* the fields of a type not selected are never read */
		bool skip = c->no_fields || (s->types && !s->types[sum.types[k].type]);

		for (unsigned f = 0; f < t->nstored; f++, fc++) {
			if (skip) {
				if (rd_sub(&rd).bad)
					return dec_fail(c, d, "bad field column");
				continue;
			}
			err = col_parse(c, d, &rd, sum.types[k].count, &d->fcol[fc]);
			if (err == -ENOMEM)
				goto nomem;
			if (err == -E2BIG)
				goto over;
			if (err)
				return dec_fail(c, d, "bad field column");
		}
	}
	/* format 1.2: tagged sections after the field columns (a 1.1 chunk
	 * has none).  Bytes from a tag this reader does not know on are
	 * ignored, as 1.1 readers ignore everything after the columns. */
	while (rd.p < rd.end && !d->has_stacks) {
		uint64_t tag = rd_varint(&rd);

		if (rd.bad || tag != SECTION_STACKS)
			break;
		err = col_parse(c, d, &rd, sum.count, &d->scol);
		if (err == -ENOMEM)
			goto nomem;
		if (err == -E2BIG)
			goto over;
		if (err)
			return dec_fail(c, d, "bad stack column");
		d->has_stacks = true;
	}
	for (unsigned t = 0; t <= r->maxtype; t++)
		if (d->tmap[t])
			d->tmap[t] -= NCOMMON;
	*out = d;
	return 0;
over:
	dec_free(d);
	return -E2BIG;
nomem:
	dec_free(d);
	return -ENOMEM;
}

/* ---- heap of decoders, ordered by (ts, order) ---- */

static bool dec_less(const struct dec *a, const struct dec *b)
{
	if (a->ev.ts != b->ev.ts)
		return a->ev.ts < b->ev.ts;
	return a->order < b->order;
}

static void heap_down(struct tape_cursor *c, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;

		if (l < c->nheap && dec_less(c->heap[l], c->heap[m]))
			m = l;
		if (l + 1 < c->nheap && dec_less(c->heap[l + 1], c->heap[m]))
			m = l + 1;
		if (m == i)
			return;
		struct dec *t = c->heap[i];
		c->heap[i] = c->heap[m];
		c->heap[m] = t;
		i = m;
	}
}

static int heap_push(struct tape_cursor *c, struct dec *d)
{
	size_t i;

	if (array_grow(&c->heap, &c->capheap, c->nheap, sizeof(*c->heap), 8))
		return -ENOMEM;
	d->order = c->order++;
	i = c->nheap++;
	c->heap[i] = d;
	while (i && dec_less(c->heap[i], c->heap[(i - 1) / 2])) {
		struct dec *t = c->heap[i];

		c->heap[i] = c->heap[(i - 1) / 2];
		c->heap[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
	return 0;
}

static void heap_pop(struct tape_cursor *c)
{
	dec_free(c->heap[0]);
	c->heap[0] = c->heap[--c->nheap];
	heap_down(c, 0);
}

/* ---- selection ---- */

static bool chunk_selected(const struct tape_cursor *c, const struct src *s,
			   const struct chunk_summary *sum)
{
	bool any;

	if (!sum->count)
		return false;
	if (c->since && sum->max_ts < c->since)
		return false;
	if (c->until && sum->min_ts > c->until)
		return false;
	if (c->pids) {
		any = false;
		for (size_t i = 0; i < c->npids && !any; i++)
			any = c->pids[i] >= sum->min_pid && c->pids[i] <= sum->max_pid &&
			      bloom_test(sum->bloom, c->pids[i]);
		if (!any)
			return false;
	}
	if (s->types) {
		any = false;
		for (uint32_t i = 0; i < sum->ntypes && !any; i++)
			any = sum->types[i].type <= s->r->maxtype && s->types[sum->types[i].type];
		if (!any)
			return false;
	}
	return true;
}

/* Whether the event on top of the heap is yielded.  dec_next() already
 * passed over the chunk events the selection rejects: only loss records
 * are judged here. */
static bool event_selected(const struct tape_cursor *c, const struct dec *d)
{
	const struct tape_event *ev = &d->ev;

	if (d->chunk != SIZE_MAX)
		return true;
	return d->src->losses && (!c->until || ev->ts <= c->until) &&
	       (!c->since || d->vals[TAPE_LOSS_LAST_TS].u >= c->since);
}

static int pend_cmp(const void *a, const void *b)
{
	const struct pending *x = a, *y = b;

	if (x->min_ts != y->min_ts)
		return x->min_ts < y->min_ts ? -1 : 1;
	if (x->source != y->source)
		return x->source < y->source ? -1 : 1;
	return x->chunk < y->chunk ? -1 : x->chunk > y->chunk;
}

struct loss_key {
	uint64_t ts;
	size_t idx;
};

static int loss_key_cmp(const void *a, const void *b)
{
	const struct loss_key *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Order @n indexes into @losses by the loss's first timestamp, ties in
 * index (file) order.  0 or -ENOMEM. */
static int sort_losses(const struct tape_loss *losses, size_t *idx, size_t n)
{
	struct loss_key *k = malloc((n ? n : 1) * sizeof(*k));

	if (!k)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		k[i] = (struct loss_key){losses[idx[i]].first_ts, idx[i]};
	qsort(k, n, sizeof(*k), loss_key_cmp);
	for (size_t i = 0; i < n; i++)
		idx[i] = k[i].idx;
	free(k);
	return 0;
}

/* Take in the chunks and losses readers gained since the last call. */
static int collect(struct tape_cursor *c)
{
	size_t before = c->npend;

	for (uint32_t i = 0; i < c->nsrcs; i++) {
		struct src *s = &c->srcs[i];
		struct tape_reader *r = s->r;

		for (; s->next_chunk < r->nchunks; s->next_chunk++) {
			const struct rchunk *ch = &r->chunks[s->next_chunk];

			if (!chunk_selected(c, s, &ch->s)) {
				c->st.chunks_skipped++;
				continue;
			}
			if (array_grow(&c->pend, &c->cappend, c->npend, sizeof(*c->pend), 64))
				return -ENOMEM;
			c->pend[c->npend++] = (struct pending){ch->s.min_ts, i, s->next_chunk};
		}
		if (s->losses && s->next_loss < r->nlosses) {
			struct dec *d = calloc(1, sizeof(*d));
			size_t n = 0;

			if (!d)
				return -ENOMEM;
			d->loss_idx = calloc(r->nlosses - s->next_loss, sizeof(*d->loss_idx));
			if (!d->loss_idx) {
				dec_free(d);
				return -ENOMEM;
			}
			/* by first timestamp, ties in file order: sorted, since a
			 * tape may hold many loss records */
			for (; s->next_loss < r->nlosses; s->next_loss++)
				d->loss_idx[n++] = s->next_loss;
			if (sort_losses(r->losses, d->loss_idx, n)) {
				dec_free(d);
				return -ENOMEM;
			}
			d->nloss = n;
			d->src = s;
			d->source = i;
			d->chunk = SIZE_MAX;
			d->ev.source = i;
			d->ev.type = TAPE_TYPE_LOSS;
			d->ev.comm = "";
			d->ev.tp = &tape_loss_type;
			d->ev.values = d->vals;
			if (dec_next(c, d) != 1) {
				dec_free(d);
			} else if (heap_push(c, d)) {
				dec_free(d);
				return -ENOMEM;
			}
		}
	}
	if (c->npend > before) {
		/* Keep the unconsumed tail sorted; consumed entries are dropped. */
		memmove(c->pend, c->pend + c->pend_pos,
			(c->npend - c->pend_pos) * sizeof(*c->pend));
		c->npend -= c->pend_pos;
		c->pend_pos = 0;
		qsort(c->pend, c->npend, sizeof(*c->pend), pend_cmp);
	}
	return 0;
}

struct tape_cursor *tape_cursor__new(struct tape_reader *const *readers, size_t n,
				     const struct tape_select *sel)
{
	struct tape_cursor *c;

	if ((!readers && n) || (sel && sel->sz < sizeof(size_t))) {
		errno = EINVAL;
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (!readers[i]) {
			errno = EINVAL;
			return NULL;
		}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->srcs = calloc(n ? n : 1, sizeof(*c->srcs));
	c->dctx = ZSTD_createDCtx();
	if (!c->srcs || !c->dctx)
		goto nomem;
	c->nsrcs = n;
	if (sel) {
		c->since = sel->since;
		c->until = sel->until;
		c->no_losses = sel->no_losses;
		if (sel->sz >= offsetof(struct tape_select, no_fields) + sizeof(sel->no_fields))
			c->no_fields = sel->no_fields;
		if ((sel->pids && !(c->pids = sorted_copy(sel->pids, sel->npids, &c->npids))) ||
		    (sel->tids && !(c->tids = sorted_copy(sel->tids, sel->ntids, &c->ntids))))
			goto nomem;
	}
	for (size_t i = 0; i < n; i++) {
		struct src *s = &c->srcs[i];

		s->r = readers[i];
		s->losses = !c->no_losses;
		if (sel && sel->types) {
			s->types = calloc(s->r->maxtype + 1, 1);
			if (!s->types)
				goto nomem;
			s->losses = false;
			for (size_t k = 0; k < sel->ntypes; k++) {
				const struct tape_type *t;

				if (!sel->types[k])
					continue;
				t = tape_reader__type_by_name(s->r, sel->types[k]);
				if (!t)
					continue;
				if (t->id == TAPE_TYPE_LOSS)
					s->losses = !c->no_losses;
				else
					s->types[t->id] = 1;
			}
		}
	}
	if (collect(c))
		goto nomem;
	return c;
nomem:
	tape_cursor__free(c);
	errno = ENOMEM;
	return NULL;
}

void tape_cursor__free(struct tape_cursor *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nheap; i++)
		dec_free(c->heap[i]);
	free(c->heap);
	for (size_t i = 0; i < c->nsrcs; i++)
		free(c->srcs[i].types);
	free(c->srcs);
	free(c->pids);
	free(c->tids);
	free(c->pend);
	tape__buf_free(&c->blk);
	ZSTD_freeDCtx(c->dctx);
	free(c);
}

int tape_cursor__next(struct tape_cursor *c, const struct tape_event **ev)
{
	int ret;

	if (!c || !ev)
		return -EINVAL;
	c->errmsg[0] = 0;
	if (c->last) {
		c->last = NULL;
		ret = dec_next(c, c->heap[0]);
		if (ret <= 0) {
			heap_pop(c);
			if (ret < 0)
				return ret;
		} else {
			heap_down(c, 0);
		}
	}
	for (;;) {
		struct dec *top;

		while (c->pend_pos < c->npend &&
		       (!c->nheap || c->pend[c->pend_pos].min_ts <= c->heap[0]->ev.ts)) {
			const struct pending *p = &c->pend[c->pend_pos++];
			struct dec *d;

			ret = dec_open(c, &c->srcs[p->source], p->source, p->chunk, &d);
			if (ret)
				return ret;
			d->ev.values = d->vals;
			ret = dec_next(c, d);
			if (ret <= 0) {
				dec_free(d);
				if (ret < 0)
					return ret;
				continue;
			}
			if (heap_push(c, d)) {
				dec_free(d);
				return -ENOMEM;
			}
		}
		if (!c->nheap) {
			size_t before = c->npend - c->pend_pos;

			ret = collect(c);
			if (ret)
				return ret;
			if (c->npend - c->pend_pos > before || c->nheap)
				continue;
			return 0;
		}
		top = c->heap[0];
		if (event_selected(c, top)) {
			c->last = top;
			*ev = &top->ev;
			return 1;
		}
		ret = dec_next(c, top);
		if (ret <= 0) {
			heap_pop(c);
			if (ret < 0)
				return ret;
		} else {
			heap_down(c, 0);
		}
	}
}

const char *tape_cursor__errmsg(const struct tape_cursor *c)
{
	return c ? c->errmsg : "";
}

int tape_cursor__errsrc(const struct tape_cursor *c)
{
	return c ? c->errsrc : -1;
}

void tape_cursor__stats(const struct tape_cursor *c, struct tape_cursor_stats *st)
{
	if (c && st)
		*st = c->st;
}

/* ---- verification ---- */

/* The index's copy of a chunk's summary against the chunk's own: what
 * readers select, skip and count by must be what the chunk holds. */
static int verify_summary(struct tape_cursor *c, struct dec *d, const struct chunk_summary *ix)
{
	char msg[160];

	return tape__summary_diff(ix, &d->sum, msg, sizeof(msg)) ? dec_bad(c, d, msg) : 0;
}

/* One decoded event against its chunk's summary; counts it in @seen. */
static int verify_event(struct tape_cursor *c, struct dec *d, uint32_t *seen)
{
	const struct tape_event *ev = &d->ev;

	if (ev->ts < d->sum.min_ts || ev->ts > d->sum.max_ts)
		return dec_bad(c, d, "an event's time is outside the chunk's summary");
	if (ev->pid < d->sum.min_pid || ev->pid > d->sum.max_pid ||
	    !bloom_test(d->sum.bloom, ev->pid))
		return dec_bad(c, d, "an event's pid is outside the chunk's summary");
	seen[ev->type]++;
	return 0;
}

/* The events of each type decoded against the summary's counts (more than
 * declared is caught while decoding; fewer only here), unless decoding
 * stopped short (d->remaining).  Clears @seen, which only counts types of
 * the summary, for the next chunk. */
static int verify_counts(struct tape_cursor *c, struct dec *d, uint32_t *seen)
{
	char msg[128] = "";

	for (uint32_t k = 0; k < d->sum.ntypes; k++) {
		unsigned t = d->sum.types[k].type;

		if (!msg[0] && !d->remaining && seen[t] != d->sum.types[k].count)
			snprintf(msg, sizeof(msg),
				 "the summary says %u events of type %u, the chunk holds %u",
				 d->sum.types[k].count, t, seen[t]);
		seen[t] = 0;
	}
	return msg[0] ? dec_bad(c, d, msg) : 0;
}

int tape_reader__verify(struct tape_reader *r, void (*cb)(void *ctx, const char *msg), void *ctx)
{
	struct tape_cursor *c;
	struct src s = {.r = r};
	uint32_t *seen = NULL;
	int bad = 0, ret = 0;

	if (!r)
		return -EINVAL;
	c = tape_cursor__new(NULL, 0, NULL);
	if (!c)
		return -errno;
	for (size_t i = 0; i < r->nproblems; i++, bad++)
		if (cb)
			cb(ctx, r->problems[i]);
	if (r->footer_note[0]) {
		bad++;
		if (cb)
			cb(ctx, r->footer_note);
	}
	for (size_t i = 0; i < r->nblocks; i++) {
		struct rblock b;

		if (r->blocks[i].type == BLOCK_CHUNK)
			continue;
		ret = tape__reader_read_block(r, r->blocks[i].off, &c->blk, &b, c->errmsg,
					      sizeof(c->errmsg));
		if (ret == -ENOMEM)
			goto out;
		if (ret) {
			bad++;
			if (cb)
				cb(ctx, c->errmsg);
		}
	}
	seen = calloc(r->maxtype + 1, sizeof(*seen));
	if (!seen) {
		ret = -ENOMEM;
		goto out;
	}
	/* Every chunk: its CRC, then every event, since a payload with a good
	 * CRC can still be malformed, and the summary against both the index
	 * and the events, since readers count and skip by them. */
	for (size_t i = 0; i < r->nchunks; i++) {
		struct dec *d;

		ret = dec_open(c, &s, 0, i, &d);
		if (!ret && d) {
			ret = verify_summary(c, d, &r->chunks[i].s);
			while (!ret && (ret = dec_next(c, d)) > 0)
				ret = verify_event(c, d, seen);
			if (verify_counts(c, d, seen) && !ret)
				ret = -EBADMSG;
			dec_free(d);
		}
		if (ret == -ENOMEM)
			goto out;
		if (ret) {
			bad++;
			if (cb)
				cb(ctx, c->errmsg);
		}
	}
	ret = 0;
out:
	free(seen);
	tape_cursor__free(c);
	return ret ? ret : bad;
}
