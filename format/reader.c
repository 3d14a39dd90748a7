// SPDX-License-Identifier: MIT
/*
 * The tape reader: opens a tape through its footer index, or - when the
 * footer is missing or damaged - by scanning every block from the start,
 * resynchronizing on the block magic after damage.  It loads metadata,
 * schema, process snapshots and loss records, and keeps the chunk summaries
 * that cursors use to skip chunks without reading them.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tape_int.h"
#include "tpfmt_hook.h"

/* ---- inputs ---- */

static int fd_read_at(void *ctx, void *buf, size_t len, uint64_t off)
{
	int fd = *(int *)ctx;
	char *p = buf;

	while (len) {
		ssize_t n = pread(fd, p, len, off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -ENODATA;
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

static int64_t fd_size(void *ctx)
{
	struct stat st;

	if (fstat(*(int *)ctx, &st))
		return -errno;
	return st.st_size;
}

static int mem_read_at(void *ctx, void *buf, size_t len, uint64_t off)
{
	struct tape_reader *r = ctx;

	if (off > r->memlen || len > r->memlen - off)
		return -ENODATA;
	memcpy(buf, r->mem + off, len);
	return 0;
}

static int64_t mem_size(void *ctx)
{
	return ((struct tape_reader *)ctx)->memlen;
}

/* ---- problems ---- */

static void problem(struct tape_reader *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void problem(struct tape_reader *r, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	char **p;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	memcpy(r->errmsg, msg, sizeof(msg));
	if (r->nproblems >= 1000)
		return;
	p = realloc(r->problems, (r->nproblems + 1) * sizeof(*p));
	if (!p)
		return;
	r->problems = p;
	p[r->nproblems] = strdup(msg);
	if (p[r->nproblems])
		r->nproblems++;
}

/* ---- blocks ---- */

int tape__reader_read_block(struct tape_reader *r, uint64_t off, struct buf *body,
			    struct rblock *blk, char *err, size_t errlen)
{
	uint8_t h[BLOCK_HDR_LEN];
	uint32_t len, crc;
	int ret;

	if (off > r->size || r->size - off < BLOCK_HDR_LEN) {
		tape__errfmt(err, errlen, "block at offset %llu: truncated header",
			     (unsigned long long)off);
		return -ENODATA;
	}
	ret = r->in.read_at(r->in.ctx, h, sizeof(h), off);
	if (ret) {
		tape__errfmt(err, errlen, "block at offset %llu: read error: %s",
			     (unsigned long long)off, strerror(-ret));
		return ret;
	}
	if (get_le32(h) != BLOCK_MAGIC) {
		tape__errfmt(err, errlen, "block at offset %llu: bad block magic",
			     (unsigned long long)off);
		return -EBADMSG;
	}
	blk->off = off;
	blk->type = get_le16(h + 4);
	blk->seq = get_le32(h + 8);
	len = get_le32(h + 12);
	blk->len = BLOCK_HDR_LEN + len;
	blk->summary_len = 0;
	if (len > MAX_BLOCK_BODY) {
		tape__errfmt(err, errlen, "block %u at offset %llu: length %u exceeds the limit",
			     blk->seq, (unsigned long long)off, len);
		return -EBADMSG;
	}
	if (r->size - off - BLOCK_HDR_LEN < len) {
		tape__errfmt(err, errlen,
			     "block %u (%s) at offset %llu: truncated (%u bytes, %llu left)",
			     blk->seq, tape__block_type_name(blk->type), (unsigned long long)off,
			     len, (unsigned long long)(r->size - off - BLOCK_HDR_LEN));
		return -ENODATA;
	}
	body->len = 0;
	if (tape__buf_reserve(body, len + 1)) {
		tape__errfmt(err, errlen, "block %u at offset %llu: out of memory", blk->seq,
			     (unsigned long long)off);
		return -ENOMEM;
	}
	ret = r->in.read_at(r->in.ctx, body->data, len, off + BLOCK_HDR_LEN);
	if (ret) {
		tape__errfmt(err, errlen, "block %u at offset %llu: read error: %s", blk->seq,
			     (unsigned long long)off, strerror(-ret));
		return ret;
	}
	body->len = len;
	crc = tape__crc32c(tape__crc32c(0, h, 16), body->data, len);
	/* Fuzzing builds skip the check so that mutations reach the parsers. */
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
	if (crc != get_le32(h + 16)) {
		tape__errfmt(err, errlen, "block %u (%s) at offset %llu: CRC mismatch", blk->seq,
			     tape__block_type_name(blk->type), (unsigned long long)off);
		return -EBADMSG;
	}
#endif
	return 0;
}

/* ---- block bodies ---- */

static int parse_meta(struct tape_reader *r, struct rd *d)
{
	uint64_t n = rd_varint(d);

	if (n > (uint64_t)(d->end - d->p))
		return -EBADMSG;
	for (uint64_t i = 0; i < n && !d->bad; i++) {
		char *k = tape__rd_strdup(d), *v = tape__rd_strdup(d);
		size_t j;

		if (!k || !v) {
			free(k);
			free(v);
			return -EBADMSG;
		}
		/* hashed: a block may hold millions of keys */
		j = tape__names_find(&r->metanames, k);
		if (j) {
			free(r->vals[j - 1]);
			r->vals[j - 1] = v;
			free(k);
			continue;
		}
		if (array_grow(&r->keys, &r->capmeta, r->nmeta, sizeof(*r->keys), 16))
			goto nomem;
		if (r->capvals < r->capmeta) {
			char **nv = realloc(r->vals, r->capmeta * sizeof(*nv));

			if (!nv)
				goto nomem;
			r->vals = nv;
			r->capvals = r->capmeta;
		}
		if (tape__names_add(&r->metanames, k, r->nmeta + 1))
			goto nomem;
		r->keys[r->nmeta] = k;
		r->vals[r->nmeta++] = v;
		continue;
nomem:
		free(k);
		free(v);
		return -ENOMEM;
	}
	return d->bad ? -EBADMSG : 0;
}

static int parse_enum(struct tape_reader *r, struct rd *d)
{
	uint64_t id = rd_varint(d), count;
	struct tape_enum *e;
	uint64_t *values;
	char **names;

	if (d->bad || id == 0 || id > TAPE_MAX_TYPES * 4)
		return -EBADMSG;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->name = tape__rd_strdup(d);
	count = rd_varint(d);
	if (!e->name || d->bad || count > (uint64_t)(d->end - d->p) / 2 ||
	    count > MAX_ENUM_VALUES) {
		tape__enum_free(e);
		return -EBADMSG;
	}
	values = calloc(count ? count : 1, sizeof(*values));
	names = calloc(count ? count : 1, sizeof(*names));
	e->values = values;
	e->names = (const char *const *)names;
	if (!values || !names) {
		tape__enum_free(e);
		return -ENOMEM;
	}
	for (uint64_t i = 0; i < count; i++) {
		values[i] = rd_varint(d);
		names[i] = tape__rd_strdup(d);
		if (!names[i]) {
			tape__enum_free(e);
			return -EBADMSG;
		}
		e->count = i + 1;
	}
	if (id > r->nenums) {
		struct tape_enum **n = realloc(r->enums, id * sizeof(*n));

		if (!n) {
			tape__enum_free(e);
			return -ENOMEM;
		}
		memset(n + r->nenums, 0, (id - r->nenums) * sizeof(*n));
		r->enums = n;
		r->nenums = id;
	}
	if (r->enums[id - 1]) {
		tape__enum_free(e);
		return -EBADMSG;
	}
	r->enums[id - 1] = e;
	return 0;
}

static void rtype_free(struct rtype *t)
{
	if (!t)
		return;
	if (t->stored != t->pub.fields) {
		for (unsigned i = 0; i < t->nstored; i++)
			free((char *)t->stored[i].name);
		free(t->stored);
	}
	tape__tpfmt_hook_free(t->tpfmt);
	tape__type_free_contents(&t->pub);
	free(t);
}

static const struct tape_type *type_lookup(const struct tape_reader *r, const char *name)
{
	uint32_t id = tape__names_find(&r->typenames, name);

	return id ? &r->types[id]->pub : NULL;
}

static int parse_type(struct tape_reader *r, struct rd *d)
{
	uint64_t id = rd_varint(d), nfields;
	struct tape_field *fields = NULL;
	struct rtype *t;

	if (d->bad || id == 0 || id > TAPE_MAX_TYPES)
		return -EBADMSG;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->pub.id = id;
	t->pub.name = tape__rd_strdup(d);
	t->pub.source = tape__rd_strdup(d);
	t->pub.format = tape__rd_strdup(d);
	nfields = rd_varint(d);
	if (d->bad || nfields > TAPE_MAX_FIELDS || !t->pub.name || !*t->pub.name)
		goto bad;
	fields = calloc(nfields ? nfields : 1, sizeof(*fields));
	if (!fields)
		goto bad;
	t->pub.fields = fields;
	for (uint64_t i = 0; i < nfields; i++) {
		uint64_t eid;

		fields[i].name = tape__rd_strdup(d);
		t->pub.nfields = i + 1;
		fields[i].kind = rd_u8(d);
		fields[i].display = rd_u8(d);
		eid = rd_varint(d);
		if (!fields[i].name || d->bad)
			goto bad;
		if (!kind_valid(fields[i].kind)) {
			/* A kind from a newer writer: chunks using the type say so. */
			rtype_free(t);
			return 0;
		}
		if (eid && eid <= r->nenums)
			fields[i].enumeration = r->enums[eid - 1];
	}
	t->stored = fields;
	t->nstored = t->pub.nfields;
	if (id > r->maxtype) {
		struct rtype **n = realloc(r->types, (id + 1) * sizeof(*n));

		if (!n)
			goto bad;
		memset(n + r->maxtype + 1, 0, (id - r->maxtype) * sizeof(*n));
		r->types = n;
		r->maxtype = id;
	}
	if (r->types[id] || type_lookup(r, t->pub.name) ||
	    tape__names_add(&r->typenames, t->pub.name, id))
		goto bad;
	tape__tpfmt_hook_attach(t);
	r->types[id] = t;
	return 0;
bad:
	rtype_free(t);
	return -EBADMSG;
}

static int parse_schema(struct tape_reader *r, struct rd *d)
{
	for (int pass = 0; pass < 2; pass++) {
		uint64_t n = rd_varint(d);

		if (d->bad || n > (uint64_t)(d->end - d->p))
			return -EBADMSG;
		for (uint64_t i = 0; i < n; i++) {
			struct rd sub = rd_sub(d);
			int err;

			if (sub.bad)
				return -EBADMSG;
			err = pass ? parse_type(r, &sub) : parse_enum(r, &sub);
			if (err) {
				d->why = sub.why;
				return err;
			}
		}
	}
	return 0;
}

static void proc_free(struct tape_proc *p)
{
	free((char *)p->comm);
	free((char *)p->exe);
	free((char *)p->argv);
	free((char *)p->cgroup);
	free((char *)p->container);
	free((char *)p->container_name);
	free((char *)p->runtime);
	free((char *)p->pod);
}

/* A record written before the container fields: they follow from the
 * cgroup path, and the short id stands for the name nobody looked up. */
static void proc_derive_container(struct tape_proc *p)
{
	struct tape_container c;
	bool in = tape_container__parse(p->cgroup, &c) == 1;

	p->container = strdup(in ? c.id : "");
	p->container_name = strdup(in ? c.name : "");
	p->runtime = strdup(in ? c.runtime : "");
	p->pod = strdup(c.pod);
}

static int parse_procs(struct tape_reader *r, struct rd *d)
{
	uint64_t n = rd_varint(d);

	if (d->bad || n > (uint64_t)(d->end - d->p))
		return -EBADMSG;
	for (uint64_t i = 0; i < n; i++) {
		/* Grow as records parse: the count alone does not size anything. */
		if (array_grow(&r->procs, &r->capprocs, r->nprocs, sizeof(*r->procs), 64))
			return -ENOMEM;
		size_t alen;
		const uint8_t *argv;
		struct rd s = rd_sub(d);
		struct tape_proc *p = &r->procs[r->nprocs];

		if (s.bad)
			return -EBADMSG;
		memset(p, 0, sizeof(*p));
		p->pid = rd_varint(&s);
		p->ppid = rd_varint(&s);
		p->uid = rd_varint(&s);
		p->start_ts = rd_varint(&s);
		p->comm = tape__rd_strdup(&s);
		p->exe = tape__rd_strdup(&s);
		argv = tape__rd_bytes(&s, &alen);
		if (argv) {
			char *a = malloc(alen + 1);

			if (a) {
				memcpy(a, argv, alen);
				a[alen] = 0;
				p->argv = a;
				p->argv_len = alen;
			}
		}
		p->cgroup = tape__rd_strdup(&s);
		if (!s.bad && s.p < s.end) {
			p->container = tape__rd_strdup(&s);
			p->container_name = tape__rd_strdup(&s);
			p->runtime = tape__rd_strdup(&s);
			p->pod = tape__rd_strdup(&s);
		} else if (!s.bad && p->cgroup) {
			proc_derive_container(p);
		}
		if (s.bad || !p->argv || !p->cgroup || !p->container || !p->container_name ||
		    !p->runtime || !p->pod) {
			d->why = s.why;
			proc_free(p);
			return -EBADMSG;
		}
		r->nprocs++;
	}
	return 0;
}

static int parse_loss(struct tape_reader *r, struct rd *d)
{
	struct tape_loss l;
	uint64_t cpu = rd_varint(d), span;

	l.count = rd_varint(d);
	l.first_ts = rd_varint(d);
	span = rd_varint(d);
	if (d->bad || cpu > UINT32_MAX || span > UINT64_MAX - l.first_ts)
		return -EBADMSG;
	l.cpu = cpu;
	l.last_ts = l.first_ts + span;
	if (array_grow(&r->losses, &r->caplosses, r->nlosses, sizeof(*r->losses), 64))
		return -ENOMEM;
	r->losses[r->nlosses++] = l;
	return 0;
}

static int add_block(struct tape_reader *r, const struct rblock *b)
{
	if (array_grow(&r->blocks, &r->capblocks, r->nblocks, sizeof(*r->blocks), 64))
		return -ENOMEM;
	r->blocks[r->nblocks++] = *b;
	return 0;
}

static int add_chunk(struct tape_reader *r, struct rblock *b, const uint8_t *summary, size_t len)
{
	struct rchunk *c;
	size_t slen;
	int err;

	if (array_grow(&r->chunks, &r->capchunks, r->nchunks, sizeof(*r->chunks), 64))
		return -ENOMEM;
	c = &r->chunks[r->nchunks];
	err = tape__summary_decode(summary, len, &c->s, &slen);
	if (err)
		return err;
	b->summary_len = slen;
	err = add_block(r, b);
	if (err) {
		tape__summary_free(&c->s);
		return err;
	}
	c->off = b->off;
	c->block_len = b->len;
	c->seq = b->seq;
	r->nchunks++;
	if (c->s.count) {
		if (!r->nevents || c->s.min_ts < r->min_ts)
			r->min_ts = c->s.min_ts;
		if (c->s.max_ts > r->max_ts)
			r->max_ts = c->s.max_ts;
	}
	r->nevents += c->s.count;
	return 0;
}

/* Take in one verified block.  Damage inside a body is a problem, not fatal. */
static int absorb(struct tape_reader *r, struct rblock *b, const struct buf *body)
{
	struct rd d = {body->data, body->data + body->len, false};
	int err = 0;

	switch (b->type) {
	case BLOCK_META:
		err = parse_meta(r, &d);
		break;
	case BLOCK_SCHEMA:
		err = parse_schema(r, &d);
		break;
	case BLOCK_PROCS:
		err = parse_procs(r, &d);
		break;
	case BLOCK_LOSS:
		err = parse_loss(r, &d);
		break;
	case BLOCK_MAPPING:
		err = tape__parse_mappings(r, &d);
		break;
	case BLOCK_STACKS:
		err = tape__stacks_parse(&r->stacks, &d);
		break;
	case BLOCK_BINARY:
		err = tape__stacks_parse_binary(&r->stacks, &d);
		break;
	case BLOCK_CHUNK:
		err = add_chunk(r, b, body->data, body->len);
		if (err == -EBADMSG)
			problem(r, "block %u (event chunk) at offset %llu: bad chunk summary",
				b->seq, (unsigned long long)b->off);
		return err == -ENOMEM ? err : 0;
	case BLOCK_TRAILER:
		/* written last: a tape being followed is complete */
		if (body->len == TRAILER_BODY_LEN && get_le32(body->data + 12) == TRAILER_MAGIC)
			r->finished = true;
		break;
	default:
		break; /* index, trailer and block types of newer writers */
	}
	if (err == -EBADMSG)
		problem(r, "block %u (%s) at offset %llu: malformed body%s%s", b->seq,
			tape__block_type_name(b->type), (unsigned long long)b->off,
			d.why ? ": " : "", d.why ? d.why : "");
	if (err == -ENOMEM)
		return err;
	return add_block(r, b);
}

/* ---- opening through the index ---- */

static int open_indexed(struct tape_reader *r)
{
	struct buf body = {0}, blk_body = {0};
	struct rblock tb, ib;
	char err[256];
	uint64_t index_off, last_end = FILE_HDR_LEN;
	uint32_t index_len;
	struct rd d;
	uint64_t n;
	int ret = -EBADMSG;

	if (r->size < FILE_HDR_LEN + TRAILER_BLOCK_LEN)
		return -EBADMSG;
	if (tape__reader_read_block(r, r->size - TRAILER_BLOCK_LEN, &body, &tb, err, sizeof(err)) ||
	    tb.type != BLOCK_TRAILER || body.len != TRAILER_BODY_LEN ||
	    get_le32(body.data + 12) != TRAILER_MAGIC)
		goto out;
	index_off = get_le64(body.data);
	index_len = get_le32(body.data + 8);
	if (index_off < FILE_HDR_LEN || index_off + index_len != r->size - TRAILER_BLOCK_LEN)
		goto out;
	if (tape__reader_read_block(r, index_off, &body, &ib, err, sizeof(err)) ||
	    ib.type != BLOCK_INDEX || ib.len != index_len)
		goto out;

	d = (struct rd){body.data, body.data + body.len, false};
	n = rd_varint(&d);
	if (d.bad || n > body.len)
		goto out;
	for (uint64_t i = 0; i < n; i++) {
		struct rd s = rd_sub(&d);
		struct rblock b = {0};
		uint64_t off, blen;

		if (s.bad)
			goto out;
		b.type = rd_u8(&s);
		off = rd_varint(&s);
		blen = rd_varint(&s);
		if (s.bad || off < last_end || blen < BLOCK_HDR_LEN || blen > index_off - off)
			goto out;
		b.off = off;
		b.len = blen;
		last_end = off + blen;
		if (b.type == BLOCK_CHUNK) {
			/* The summary is trusted from the index: chunks are read later. */
			b.seq = UINT32_MAX;
			ret = add_chunk(r, &b, s.p, s.end - s.p);
			if (ret)
				goto out;
			r->chunks[r->nchunks - 1].seq = UINT32_MAX;
			continue;
		}
		ret = tape__reader_read_block(r, off, &blk_body, &b, err, sizeof(err));
		if (ret == -ENOMEM)
			goto out;
		if (ret) {
			problem(r, "%s", err);
			continue;
		}
		ret = absorb(r, &b, &blk_body);
		if (ret)
			goto out;
	}
	ret = 0;
out:
	tape__buf_free(&body);
	tape__buf_free(&blk_body);
	return ret ? (ret == -ENOMEM ? ret : -EBADMSG) : 0;
}

/* ---- opening by scanning ---- */

/*
 * Resynchronizing after damage.  Every position holding the block magic is
 * a candidate; the first whose CRC checks is where reading resumes.  Taking
 * each candidate's CRC on its own costs its body's length, so a damaged
 * region full of headers claiming long bodies is quadratic.  Instead one
 * pass over the input keeps the running CRC-32C C(i) of the bytes from the
 * start of the search to i, and a candidate's CRC comes from C at its body's
 * start and end: CRC is linear, so crc(x[a..b)) = C(b) ^ C(a) x^(8(b-a))
 * mod P (zlib's crc32_combine()).  Candidates wait in a heap by their end.
 */
#define CRC32C_POLY 0x82f63b78u /* reflected */

/* a * b modulo the polynomial (reflected: bit 31 is x^0); a != 0 */
static uint32_t gf2_mulmod(uint32_t a, uint32_t b)
{
	uint32_t m = 1u << 31, p = 0;

	for (;;) {
		if (a & m) {
			p ^= b;
			if (!(a & (m - 1)))
				return p;
		}
		m >>= 1;
		b = b & 1 ? (b >> 1) ^ CRC32C_POLY : b >> 1;
	}
}

struct resync {
	uint32_t x8pow[64]; /* x^(8 * 2^k) mod P */
	struct cand {
		uint64_t pos, end;
		uint32_t c_body; /* C at the body's start */
		uint32_t crc_hdr, stored;
		bool resolved;
	} * c;
	size_t n, cap, first_open; /* candidates in position order; [first_open] unresolved */
	size_t *heap;		   /* indexes into c, by end */
	size_t nheap, capheap;
};

static uint32_t x8n(const struct resync *rs, uint64_t n)
{
	uint32_t p = 1u << 31;

	for (unsigned k = 0; n; n >>= 1, k++)
		if (n & 1)
			p = gf2_mulmod(rs->x8pow[k], p);
	return p;
}

/* CRC-32C of the bytes [a, b) from C(a) and C(b) */
static uint32_t crc_between(const struct resync *rs, uint32_t ca, uint32_t cb, uint64_t len)
{
	return cb ^ gf2_mulmod(x8n(rs, len), ca);
}

static bool heap_less(const struct resync *rs, size_t a, size_t b)
{
	return rs->c[a].end < rs->c[b].end;
}

static int rs_push(struct resync *rs, size_t i)
{
	size_t k;

	if (array_grow(&rs->heap, &rs->capheap, rs->nheap, sizeof(*rs->heap), 64))
		return -ENOMEM;
	k = rs->nheap++;
	rs->heap[k] = i;
	while (k && heap_less(rs, rs->heap[k], rs->heap[(k - 1) / 2])) {
		size_t t = rs->heap[k];

		rs->heap[k] = rs->heap[(k - 1) / 2];
		rs->heap[(k - 1) / 2] = t;
		k = (k - 1) / 2;
	}
	return 0;
}

static size_t rs_pop(struct resync *rs)
{
	size_t top = rs->heap[0], k = 0;

	rs->heap[0] = rs->heap[--rs->nheap];
	for (;;) {
		size_t l = 2 * k + 1, m = k;

		if (l < rs->nheap && heap_less(rs, rs->heap[l], rs->heap[m]))
			m = l;
		if (l + 1 < rs->nheap && heap_less(rs, rs->heap[l + 1], rs->heap[m]))
			m = l + 1;
		if (m == k)
			return top;
		size_t t = rs->heap[k];
		rs->heap[k] = rs->heap[m];
		rs->heap[m] = t;
		k = m;
	}
}

/* Candidates kept at once; past it the search restarts where it stopped
 * taking them (still correct, only slower for a region of millions). */
#define RESYNC_MAX_CANDS (1u << 18)

/* Take a candidate at @q, whose header is @h; @crc is C(q). */
static int rs_take(struct resync *rs, const uint8_t *h, uint64_t q, uint32_t crc, uint64_t size)
{
	uint32_t len = get_le32(h + 12);
	struct cand *c;

	if (len > MAX_BLOCK_BODY || size - q - BLOCK_HDR_LEN < len)
		return 0; /* cannot be a block of this input */
	if (array_grow(&rs->c, &rs->cap, rs->n, sizeof(*rs->c), 64))
		return -ENOMEM;
	c = &rs->c[rs->n];
	c->pos = q;
	c->end = q + BLOCK_HDR_LEN + len;
	c->crc_hdr = tape__crc32c(0, h, 16);
	c->c_body = tape__crc32c(tape__crc32c(crc, h, 16), h + 16, 4);
	c->stored = get_le32(h + 16);
	c->resolved = false;
	return rs_push(rs, rs->n++);
}

/* The first offset >= @from holding a block with a valid CRC, or r->size
 * when there is none; -ENOMEM. */
static int64_t resync(struct tape_reader *r, uint64_t from)
{
	uint8_t win[65536];
	struct resync rs = {0};
	int64_t ret = -ENOMEM;

	rs.x8pow[0] = 1u << 23; /* x^8 */
	for (unsigned k = 1; k < 64; k++)
		rs.x8pow[k] = gf2_mulmod(rs.x8pow[k - 1], rs.x8pow[k - 1]);
restart:;
	uint64_t cur = from, best = r->size, resume = 0;
	size_t best_i = SIZE_MAX;
	uint32_t crc = 0; /* C(cur) */

	rs.n = rs.nheap = rs.first_open = 0;
	while (cur < r->size) {
		uint64_t pos = cur, q = cur;
		size_t n = r->size - pos < sizeof(win) ? r->size - pos : sizeof(win);
		/* a magic needs 4 bytes: the last 3 positions of a window wait
		 * for the next one, unless the input ends there */
		uint64_t lim = pos + n == r->size ? r->size : pos + n - 3;

		if (r->in.read_at(r->in.ctx, win, n, pos)) {
			ret = r->size;
			goto out;
		}
		for (;;) {
			uint64_t e = rs.nheap ? rs.c[rs.heap[0]].end : UINT64_MAX, at;

			if (q >= best || resume)
				q = lim;
			while (q < lim &&
			       (q + 4 > pos + n || get_le32(win + (q - pos)) != BLOCK_MAGIC))
				q++;
			at = q < e ? q : e;
			if (at > lim)
				at = lim;
			crc = tape__crc32c(crc, win + (cur - pos), at - cur);
			cur = at;
			if (e == at) {
				struct cand *c = &rs.c[rs_pop(&rs)];
				uint64_t len = c->end - c->pos - BLOCK_HDR_LEN;
				uint32_t body = crc_between(&rs, c->c_body, crc, len);

				c->resolved = true;
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
				/* as tape__reader_read_block(): mutations reach the parsers */
				body = c->stored ^ gf2_mulmod(x8n(&rs, len), c->crc_hdr);
#endif
				if ((gf2_mulmod(x8n(&rs, len), c->crc_hdr) ^ body) == c->stored &&
				    c->pos < best) {
					best = c->pos;
					best_i = (size_t)(c - rs.c);
				}
				continue;
			}
			if (q == at && q < lim) {
				uint8_t h[BLOCK_HDR_LEN];
				const uint8_t *hp = win + (q - pos);
				int err = 0;

				if (rs.n == RESYNC_MAX_CANDS) {
					resume = q;
					continue;
				}
				if (q + BLOCK_HDR_LEN > pos + n) {
					hp = h;
					if (q + BLOCK_HDR_LEN > r->size ||
					    r->in.read_at(r->in.ctx, h, sizeof(h), q))
						hp = NULL;
				}
				if (hp)
					err = rs_take(&rs, hp, q, crc, r->size);
				if (err)
					goto out;
				q++;
				continue;
			}
			break;
		}
		while (rs.first_open < rs.n && rs.c[rs.first_open].resolved)
			rs.first_open++;
		/* every candidate before the best one is judged */
		if (best_i != SIZE_MAX && rs.first_open >= best_i)
			break;
	}
	if (best_i == SIZE_MAX && resume) {
		from = resume;
		goto restart;
	}
	ret = best;
out:
	free(rs.c);
	free(rs.heap);
	return ret;
}

static void footer_note(struct tape_reader *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A damaged old index or trailer: it holds no events, so it is no problem
 * for readers, but verify reports it. */
static void footer_note(struct tape_reader *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->footer_note, sizeof(r->footer_note), fmt, ap);
	va_end(ap);
	memcpy(r->errmsg, r->footer_note, sizeof(r->errmsg));
}

/* Whether the @n bytes at @off, the start of a block that did not read,
 * are what is left of a footer (an index or trailer torn by a kill or with
 * a bad CRC): these hold no events, so losing them loses nothing. */
static bool footer_remains(struct tape_reader *r, uint64_t off, uint64_t n, uint16_t last_type)
{
	uint8_t h[6];

	if (n < sizeof(h))
		return last_type == BLOCK_INDEX; /* a trailer torn before its type */
	if (r->in.read_at(r->in.ctx, h, sizeof(h), off) || get_le32(h) != BLOCK_MAGIC)
		return false;
	return get_le16(h + 4) == BLOCK_INDEX || get_le16(h + 4) == BLOCK_TRAILER;
}

/*
 * After a block @b whose magic and length read but whose CRC did not (@ret
 * -EBADMSG): when its stated end is the end of the input, or the start of a
 * block whose CRC checks, the damage is in its body, and reading resumes at
 * that end.  Nothing inside a damaged body (a metadata value or an argv
 * holding the bytes of a valid block, say) is then ever taken for a block.
 * 0 when the length itself is in doubt: then resync() searches.
 */
static uint64_t body_damage_end(struct tape_reader *r, const struct rblock *b, int ret,
				struct buf *scratch)
{
	uint64_t end = b->off + b->len;
	struct rblock nb;
	char err[256];

	if (ret != -EBADMSG || b->len < BLOCK_HDR_LEN || b->len - BLOCK_HDR_LEN > MAX_BLOCK_BODY ||
	    end > r->size)
		return 0;
	if (r->size - end < BLOCK_HDR_LEN)
		return end; /* the end of the input, or of a torn block */
	return tape__reader_read_block(r, end, scratch, &nb, err, sizeof(err)) ? 0 : end;
}

static int scan(struct tape_reader *r, uint64_t from, bool live)
{
	struct buf body = {0};
	char err[256];
	uint64_t off = from;
	uint16_t last_type = 0;
	int found = 0, ret = 0;

	while (off + BLOCK_HDR_LEN <= r->size) {
		struct rblock b = {0};

		ret = tape__reader_read_block(r, off, &body, &b, err, sizeof(err));
		if (ret == -ENOMEM)
			break;
		if (ret) {
			int64_t next;

			/* A tape being written ends in a partial block: wait for it. */
			if (live && (ret == -ENODATA || off + b.len >= r->size))
				break;
			next = body_damage_end(r, &b, ret, &body);
			if (!next)
				next = resync(r, off + 1);
			if (next < 0) {
				ret = (int)next;
				break;
			}
			/* a bad footer costs no events: not damage, but noted
			 * for tape_reader__verify() */
			if (((uint64_t)next >= r->size &&
			     footer_remains(r, off, r->size - off, last_type)) ||
			    ((uint64_t)next == off + b.len && b.len >= BLOCK_HDR_LEN &&
			     (b.type == BLOCK_INDEX || b.type == BLOCK_TRAILER))) {
				footer_note(r, "%s (an old footer: no events lost)", err);
				ret = 0;
				off = next;
				continue;
			}
			if ((uint64_t)next >= r->size) {
				problem(r, "%s; nothing readable after it", err);
				break;
			}
			problem(r, "%s; skipped %llu bytes to offset %llu", err,
				(unsigned long long)(next - off), (unsigned long long)next);
			off = next;
			continue;
		}
		ret = absorb(r, &b, &body);
		if (ret)
			break;
		off += b.len;
		last_type = b.type;
		r->scan_end = off;
		found++;
	}
	if (!live && off < r->size && off + BLOCK_HDR_LEN > r->size && ret == 0) {
		if (footer_remains(r, off, r->size - off, last_type))
			footer_note(r, "offset %llu: %llu trailing bytes of an old footer",
				    (unsigned long long)off, (unsigned long long)(r->size - off));
		else
			problem(r, "offset %llu: %llu trailing bytes of an incomplete block",
				(unsigned long long)off, (unsigned long long)(r->size - off));
	}
	tape__buf_free(&body);
	return ret == -ENOMEM ? ret : found;
}

static void reset_contents(struct tape_reader *r)
{
	for (size_t i = 0; i < r->nmeta; i++) {
		free(r->keys[i]);
		free(r->vals[i]);
	}
	free(r->keys);
	free(r->vals);
	r->keys = r->vals = NULL;
	r->nmeta = r->capmeta = r->capvals = 0;
	tape__names_free(&r->metanames);
	for (unsigned i = 1; r->types && i <= r->maxtype; i++)
		rtype_free(r->types[i]);
	tape__names_free(&r->typenames);
	free(r->types);
	r->types = NULL;
	r->maxtype = 0;
	for (uint32_t i = 0; i < r->nenums; i++)
		tape__enum_free(r->enums[i]);
	free(r->enums);
	r->enums = NULL;
	r->nenums = 0;
	for (size_t i = 0; i < r->nprocs; i++)
		proc_free(&r->procs[i]);
	free(r->procs);
	r->procs = NULL;
	r->nprocs = r->capprocs = 0;
	free(r->losses);
	r->losses = NULL;
	r->nlosses = r->caplosses = 0;
	tape__mappings_reset(r);
	for (size_t i = 0; i < r->nchunks; i++)
		tape__summary_free(&r->chunks[i].s);
	free(r->chunks);
	r->chunks = NULL;
	r->nchunks = r->capchunks = 0;
	free(r->blocks);
	r->blocks = NULL;
	r->nblocks = r->capblocks = 0;
	for (size_t i = 0; i < r->nproblems; i++)
		free(r->problems[i]);
	free(r->problems);
	r->problems = NULL;
	r->nproblems = 0;
	r->nevents = r->min_ts = r->max_ts = 0;
	tape__stacks_free(&r->stacks);
	r->errmsg[0] = 0;
	r->footer_note[0] = 0;
}

static int types_init(struct tape_reader *r)
{
	r->types = calloc(1, sizeof(*r->types));
	if (!r->types)
		return -ENOMEM;
	/* The loss type is static; a zeroed rtype wrapper would be freed, so
	 * index 0 stays NULL and tape_reader__type(0) answers from the static. */
	r->maxtype = 0;
	return 0;
}

static struct tape_reader *reader_open(struct tape_reader *r, char *err, size_t errlen)
{
	uint8_t hdr[FILE_HDR_LEN];
	int64_t size = r->in.size(r->in.ctx);
	int ret;

	if (size < 0) {
		tape__errfmt(err, errlen, "cannot get size: %s", strerror((int)-size));
		ret = (int)-size;
		goto fail;
	}
	r->size = size;
	if (size == 0) {
		tape__errfmt(err, errlen, "empty file: not a tape");
		ret = EBADMSG;
		goto fail;
	}
	if (size < FILE_HDR_LEN || r->in.read_at(r->in.ctx, hdr, sizeof(hdr), 0)) {
		tape__errfmt(err, errlen, "offset 0: truncated file header (%lld bytes)",
			     (long long)size);
		ret = EBADMSG;
		goto fail;
	}
	if (memcmp(hdr, FILE_MAGIC, 8)) {
		tape__errfmt(err, errlen, "offset 0: not a tape (bad magic)");
		ret = EBADMSG;
		goto fail;
	}
	if (get_le16(hdr + 8) != TAPE_VERSION_MAJOR) {
		tape__errfmt(
			err, errlen,
			"offset 8: tape format version %u.%u is not supported (this reader: %u.x)",
			get_le16(hdr + 8), get_le16(hdr + 10), TAPE_VERSION_MAJOR);
		ret = EPROTONOSUPPORT;
		goto fail;
	}
	if (types_init(r)) {
		ret = ENOMEM;
		goto fail;
	}
	ret = open_indexed(r);
	if (ret == -ENOMEM) {
		ret = ENOMEM;
		goto fail;
	}
	r->finished = !ret;
	if (ret) {
		reset_contents(r);
		if (types_init(r)) {
			ret = ENOMEM;
			goto fail;
		}
		r->recovered = true;
		r->scanning = true;
		r->scan_end = FILE_HDR_LEN;
		ret = scan(r, FILE_HDR_LEN, false);
		if (ret < 0) {
			ret = -ret;
			goto fail;
		}
	}
	return r;
fail:
	if (err && errlen && !*err)
		tape__errfmt(err, errlen, "%s", strerror(ret));
	tape_reader__free(r);
	errno = ret;
	return NULL;
}

/* What a file that is not a regular one is, for an error message. */
static const char *not_a_file_what(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR:
		return "is a directory, not a tape";
	case S_IFIFO:
		return "is a FIFO (a pipe): a tape is read at the offsets of its index; give - "
		       "and redirect the FIFO to standard input (< FIFO)";
	case S_IFCHR:
		return "is a character device, not a tape file";
	case S_IFBLK:
		return "is a block device, not a tape file";
	case S_IFSOCK:
		return "is a socket, not a tape file";
	default:
		return "is not a regular file";
	}
}

/* A tape is a regular file: anything else is refused before the first read
 * (a FIFO or a terminal would block it, a directory fails it obscurely). */
static int check_regular(int fd, char *err, size_t errlen)
{
	struct stat st;
	int fl;

	if (fstat(fd, &st)) {
		int e = errno;

		tape__errfmt(err, errlen, "cannot stat: %s", strerror(e));
		return e;
	}
	if (!S_ISREG(st.st_mode)) {
		tape__errfmt(err, errlen, "%s", not_a_file_what(st.st_mode));
		return S_ISDIR(st.st_mode) ? EISDIR : S_ISFIFO(st.st_mode) ? ESPIPE : EINVAL;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		int e = errno;

		tape__errfmt(err, errlen, "fcntl: %s", strerror(e));
		return e;
	}
	return 0;
}

/* An unlinked file in $TMPDIR (or /tmp) to spool a pipe into; -errno. */
static int spool_file(char *err, size_t errlen)
{
	const char *dir = getenv("TMPDIR");
	char *tmpl = NULL;
	int fd, e;

	if (!dir || !*dir)
		dir = "/tmp";
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	/* a file system without O_TMPFILE: a name that is gone at once */
	if (asprintf(&tmpl, "%s/.bpftape-stdin.XXXXXX", dir) < 0)
		return -ENOMEM;
	fd = mkostemp(tmpl, O_CLOEXEC);
	e = errno;
	if (fd >= 0)
		unlink(tmpl);
	free(tmpl);
	if (fd < 0) {
		tape__errfmt(err, errlen, "standard input: cannot make a file in %s to hold it: %s",
			     dir, strerror(e));
		return -e;
	}
	return fd;
}

/*
 * Standard input as a descriptor a reader can read at any offset: a
 * regular file (a shell's < x.tape) is read where it is; a pipe, socket or
 * device is copied to the end into an unlinked temporary file first, so
 * that its size is bounded by the disk, not by memory; a terminal is
 * refused (nobody types a tape).  The fd or -errno.
 */
static int open_stdin(char *err, size_t errlen)
{
	char buf[1 << 16];
	struct stat st;
	off_t total = 0;
	int fd, e;

	if (fstat(STDIN_FILENO, &st)) {
		e = errno;
		tape__errfmt(err, errlen, "standard input: %s", strerror(e));
		return -e;
	}
	if (S_ISREG(st.st_mode)) {
		fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
		return fd < 0 ? -errno : fd;
	}
	if (S_ISDIR(st.st_mode)) {
		tape__errfmt(err, errlen, "standard input %s", not_a_file_what(st.st_mode));
		return -EISDIR;
	}
	if (isatty(STDIN_FILENO)) {
		tape__errfmt(err, errlen, "standard input is a terminal; redirect a tape into it");
		return -ENOTTY;
	}
	fd = spool_file(err, errlen);
	if (fd < 0)
		return fd;
	for (;;) {
		ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			/* a descriptor left non-blocking by whoever handed it over */
			struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};

			poll(&p, 1, -1);
			continue;
		}
		if (n < 0) {
			e = errno;
			tape__errfmt(err, errlen, "reading standard input at offset %lld: %s",
				     (long long)total, strerror(e));
			close(fd);
			return -e;
		}
		if (!n)
			break;
		for (ssize_t done = 0; done < n;) {
			ssize_t w = write(fd, buf + done, (size_t)(n - done));

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				e = w < 0 ? errno : EIO;
				tape__errfmt(
					err, errlen,
					"standard input: spooling it to a temporary file (TMPDIR) "
					"after %lld bytes: %s",
					(long long)(total + done), strerror(e));
				close(fd);
				return -e;
			}
			done += w;
		}
		total += n;
	}
	return fd;
}

struct tape_reader *tape_reader__open(const char *path, char *err, size_t errlen)
{
	struct tape_reader *r;
	int e;

	if (err && errlen)
		*err = 0;
	if (!path) {
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	if (!strcmp(path, "-")) {
		r->fd = open_stdin(err, errlen);
		if (r->fd < 0) {
			e = -r->fd;
			free(r);
			errno = e;
			return NULL;
		}
		r->in = (struct tape_input){fd_read_at, fd_size, &r->fd};
		return reader_open(r, err, errlen);
	}
	/* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
	 * writer, and a tape is read at random offsets, which a FIFO cannot. */
	r->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (r->fd < 0 && errno == EISDIR) {
		tape__errfmt(err, errlen, "%s", not_a_file_what(S_IFDIR));
		free(r);
		errno = EISDIR;
		return NULL;
	}
	if (r->fd < 0) {
		e = errno;
		tape__errfmt(err, errlen, "%s", strerror(e));
		free(r);
		errno = e;
		return NULL;
	}
	e = check_regular(r->fd, err, errlen);
	if (e) {
		close(r->fd);
		free(r);
		errno = e;
		return NULL;
	}
	r->in = (struct tape_input){fd_read_at, fd_size, &r->fd};
	return reader_open(r, err, errlen);
}

struct tape_reader *tape_reader__open_mem(const void *buf, size_t len, char *err, size_t errlen)
{
	struct tape_reader *r;

	if (err && errlen)
		*err = 0;
	if (!buf && len) {
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->fd = -1;
	r->mem = buf;
	r->memlen = len;
	r->in = (struct tape_input){mem_read_at, mem_size, r};
	return reader_open(r, err, errlen);
}

struct tape_reader *tape_reader__open_input(const struct tape_input *in, char *err, size_t errlen)
{
	struct tape_reader *r;

	if (err && errlen)
		*err = 0;
	if (!in || !in->read_at || !in->size) {
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->fd = -1;
	r->in = *in;
	return reader_open(r, err, errlen);
}

void tape_reader__free(struct tape_reader *r)
{
	if (!r)
		return;
	reset_contents(r);
	if (r->fd >= 0)
		close(r->fd);
	free(r);
}

int tape_reader__refresh(struct tape_reader *r)
{
	int64_t size;

	if (!r)
		return -EINVAL;
	if (!r->scanning)
		return 0;
	size = r->in.size(r->in.ctx);
	if (size < 0)
		return (int)size;
	if ((uint64_t)size <= r->scan_end)
		return 0;
	r->size = size;
	return scan(r, r->scan_end, true);
}

/* ---- accessors ---- */

bool tape_reader__recovered(const struct tape_reader *r)
{
	return r && r->recovered;
}

bool tape_reader__finished(const struct tape_reader *r)
{
	return r && r->finished;
}

const char *tape_reader__errmsg(const struct tape_reader *r)
{
	return r ? r->errmsg : "";
}

const char *tape_reader__meta(const struct tape_reader *r, const char *key)
{
	uint32_t i;

	if (!r || !key)
		return NULL;
	i = tape__names_find(&r->metanames, key);
	return i ? r->vals[i - 1] : NULL;
}

size_t tape_reader__meta_count(const struct tape_reader *r)
{
	return r ? r->nmeta : 0;
}

int tape_reader__meta_at(const struct tape_reader *r, size_t i, const char **key,
			 const char **value)
{
	if (!r || i >= r->nmeta)
		return -EINVAL;
	if (key)
		*key = r->keys[i];
	if (value)
		*value = r->vals[i];
	return 0;
}

unsigned tape_reader__max_type(const struct tape_reader *r)
{
	return r ? r->maxtype : 0;
}

const struct tape_type *tape_reader__type(const struct tape_reader *r, unsigned id)
{
	if (!r)
		return NULL;
	if (id == TAPE_TYPE_LOSS)
		return &tape_loss_type;
	if (id > r->maxtype || !r->types[id])
		return NULL;
	return &r->types[id]->pub;
}

const struct tape_type *tape_reader__type_by_name(const struct tape_reader *r, const char *name)
{
	if (!r || !name)
		return NULL;
	if (!strcmp(name, tape_loss_type.name))
		return &tape_loss_type;
	return type_lookup(r, name);
}

size_t tape_reader__proc_count(const struct tape_reader *r)
{
	return r ? r->nprocs : 0;
}

const struct tape_proc *tape_reader__proc(const struct tape_reader *r, size_t i)
{
	return r && i < r->nprocs ? &r->procs[i] : NULL;
}

size_t tape_reader__loss_count(const struct tape_reader *r)
{
	return r ? r->nlosses : 0;
}

const struct tape_loss *tape_reader__loss(const struct tape_reader *r, size_t i)
{
	return r && i < r->nlosses ? &r->losses[i] : NULL;
}

size_t tape_reader__chunk_count(const struct tape_reader *r)
{
	return r ? r->nchunks : 0;
}

int tape_reader__chunk(const struct tape_reader *r, size_t i, struct tape_chunk_info *info)
{
	const struct rchunk *c;

	if (!r || !info || i >= r->nchunks)
		return -EINVAL;
	c = &r->chunks[i];
	info->offset = c->off;
	info->block_len = c->block_len;
	info->raw_len = c->s.raw_len;
	info->min_ts = c->s.min_ts;
	info->max_ts = c->s.max_ts;
	info->count = c->s.count;
	info->min_pid = c->s.min_pid;
	info->max_pid = c->s.max_pid;
	info->ntypes = c->s.ntypes;
	return 0;
}

uint32_t tape_reader__chunk_type_count(const struct tape_reader *r, size_t i, unsigned type)
{
	if (!r || i >= r->nchunks)
		return 0;
	for (uint32_t k = 0; k < r->chunks[i].s.ntypes; k++)
		if (r->chunks[i].s.types[k].type == type)
			return r->chunks[i].s.types[k].count;
	return 0;
}

void tape_reader__type_counts(const struct tape_reader *r, uint64_t *counts)
{
	if (!r || !counts)
		return;
	memset(counts, 0, (r->maxtype + 1) * sizeof(*counts));
	for (size_t i = 0; i < r->nchunks; i++)
		for (uint32_t k = 0; k < r->chunks[i].s.ntypes; k++)
			if (r->chunks[i].s.types[k].type <= r->maxtype)
				counts[r->chunks[i].s.types[k].type] +=
					r->chunks[i].s.types[k].count;
}

size_t tape_reader__problem_count(const struct tape_reader *r)
{
	return r ? r->nproblems : 0;
}

const char *tape_reader__problem(const struct tape_reader *r, size_t i)
{
	return r && i < r->nproblems ? r->problems[i] : NULL;
}

int tape_reader__check_chunk(struct tape_reader *r, size_t i, char *err, size_t errlen)
{
	struct chunk_summary s = {0};
	struct buf body = {0};
	struct rblock b;
	char msg[160];
	size_t slen;
	int ret;

	if (!r || i >= r->nchunks)
		return -EINVAL;
	ret = tape__reader_read_block(r, r->chunks[i].off, &body, &b, err, errlen);
	if (ret) {
		tape__buf_free(&body);
		return ret == -ENODATA ? -EBADMSG : ret;
	}
	ret = -EBADMSG;
	if (b.type != BLOCK_CHUNK || b.len != r->chunks[i].block_len)
		tape__errfmt(err, errlen,
			     "block %u at offset %llu: the index says an event chunk of %u "
			     "bytes, found %s of %u",
			     b.seq, (unsigned long long)b.off, r->chunks[i].block_len,
			     tape__block_type_name(b.type), b.len);
	else if ((ret = tape__summary_decode(body.data, body.len, &s, &slen)))
		tape__errfmt(err, errlen,
			     "block %u (event chunk) at offset %llu: bad chunk summary", b.seq,
			     (unsigned long long)b.off);
	else if ((ret = tape__summary_diff(&r->chunks[i].s, &s, msg, sizeof(msg)) ? -EBADMSG : 0))
		/* ret was tape__summary_decode()'s 0: a differing summary is damage */
		tape__errfmt(err, errlen, "block %u (event chunk) at offset %llu: %s", b.seq,
			     (unsigned long long)b.off, msg);
	tape__summary_free(&s);
	tape__buf_free(&body);
	return ret == -ENOMEM ? ret : ret ? -EBADMSG : 0;
}

uint64_t tape_reader__event_count(const struct tape_reader *r)
{
	return r ? r->nevents : 0;
}

uint64_t tape_reader__min_ts(const struct tape_reader *r)
{
	return r ? r->min_ts : 0;
}

uint64_t tape_reader__max_ts(const struct tape_reader *r)
{
	return r ? r->max_ts : 0;
}

uint64_t tape_reader__file_size(const struct tape_reader *r)
{
	return r ? r->size : 0;
}
