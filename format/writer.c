// SPDX-License-Identifier: MIT
/*
 * The tape writer.
 *
 * Events are appended as fixed rows (ints, and per-chunk dictionary indexes
 * for strings and bytes).  When a chunk is cut, its rows are put in
 * timestamp order and encoded column by column - delta timestamps, varints,
 * one column per field of each type - then compressed with zstd as one
 * frame and written as one checksummed block.  Metadata and schema go out
 * lazily, before the first block that needs them; the index of every block
 * and a fixed-size trailer are written by tape_writer__finish().
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "private/symtab.h"
#include "tape_int.h"

#define DEFAULT_CHUNK_BYTES (1u << 20)
#define DEFAULT_CHUNK_NS    1000000000ull
#define DEFAULT_ZSTD_LEVEL  3
#define MAX_BLOB	    (16u << 20)

struct wtype {
	struct tape_type t;   /* owned copy; t.fields[].enumeration point at wenum copies */
	uint32_t *enum_ids;   /* per field, 0 for none */
	uint32_t chunk_count; /* events of this type in the current chunk */
	size_t col;	      /* where its columns start in the chunk's column values */
	uint32_t fill;	      /* events of this type placed so far */
};

struct wenum {
	const struct tape_enum *orig; /* the caller's pointer, for de-duplication */
	struct tape_enum *copy;
};

struct wrow {
	uint64_t ts;
	uint32_t pid, tid;
	uint16_t cpu, type;
	uint32_t comm;
	uint32_t vals;	/* index into the value arena */
	uint32_t stack; /* stack id, 0 for none */
};

/* Per-chunk interning of strings and byte arrays. */
struct dict {
	struct buf data;
	uint32_t *off, *len;
	uint64_t *hash;
	uint32_t n, cap;
	uint32_t *slots; /* index + 1, 0 when empty */
	uint32_t nslots;
};

/* Distinct values of one column (dictionary columns). */
struct colset {
	uint64_t *keys;
	uint32_t *idx; /* slot -> value index + 1 */
	uint32_t nslots;
	uint64_t *vals; /* distinct values */
};

struct tape_writer {
	struct tape_io io;
	int fd; /* ours to close (through out, if set), or -1 */
	struct tape_out *out;
	bool live; /* out was committed at open */
	size_t chunk_bytes;
	uint64_t chunk_ns;
	uint64_t max_delay_ns; /* 0: no cut by the clock */
	uint64_t first_mono;   /* when the chunk's first event was appended */
	int level;

	uint64_t off;
	uint32_t seq;
	int err; /* sticky: the output failed */
	bool finished;
	char errmsg[256];

	struct wtype **types; /* by id - 1 */
	uint32_t ntypes, types_written;
	struct names typenames; /* their ids by name */
	struct wenum *enums;	/* by id - 1 */
	uint32_t nenums, enums_written;

	struct buf meta; /* pending metadata entries */
	uint32_t nmeta;

	/* pending mapping block: binaries it defines, then its records */
	struct buf mapbins, maprecs;
	uint32_t nmapbins, nmaprecs;
	uint64_t map_prev_ts;
	uint8_t *bins_seen; /* bitmap of the binary ids this tape defines */
	size_t bins_seen_len;

	struct wrow *rows;
	uint32_t nrows;
	size_t caprows;
	uint64_t *vals;
	size_t nvals, capvals;
	struct dict dict;
	uint32_t last_comm; /* dict index + 1 of the previous event's comm */
	size_t est;
	bool sorted;
	uint16_t *used; /* types present in the current chunk */
	uint32_t nused;

	struct buf index;
	uint32_t nindex;

	struct buf payload, block;
	struct colset colset;
	ZSTD_CCtx *cctx;

	/* stacks (tape_writer__add_stack()): records and binary names not
	 * yet written, which go into a stack block before the next chunk */
	struct buf stk_pending, bin_pending;
	uint32_t nstk_pending, nbin_pending;
	uint8_t *stk_defined; /* bit per stack id */
	size_t stk_defined_len;
	uint8_t *stk_bins; /* given binary ids (frame.binary_id) stack blocks named */
	size_t stk_bins_len;
	struct names binnames; /* binary ids by path */
	char **binpaths;       /* by id - 1, owned: binnames points into them */
	size_t nbin, capbin;
	uint32_t nstackrows; /* events of the current chunk with a stack */

	uint64_t nevents;
	uint64_t nwritten; /* events in chunks written */
};

static int fail(struct tape_writer *w, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct tape_writer *w, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->errmsg, sizeof(w->errmsg), fmt, ap);
	va_end(ap);
	return err;
}

/* ---- output ---- */

static int fd_write(void *ctx, const void *buf, size_t len)
{
	int fd = *(int *)ctx;
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= n;
	}
	return 0;
}

static int fd_truncate(void *ctx, uint64_t off)
{
	int fd = *(int *)ctx;

	if (ftruncate(fd, off) || lseek(fd, off, SEEK_SET) < 0)
		return -errno;
	return 0;
}

/*
 * Write one block.  @b holds BLOCK_HDR_LEN bytes of room, then the body.
 * @summary_len is the length of a chunk's summary at the start of its body.
 */
static int put_block(struct tape_writer *w, unsigned type, struct buf *b, size_t summary_len)
{
	size_t body_len = b->len - BLOCK_HDR_LEN;
	uint8_t *h = b->data;
	uint32_t crc;
	struct buf entry = {0};
	int err;

	if (w->err)
		return w->err;
	if (body_len > MAX_BLOCK_BODY)
		return fail(w, -E2BIG, "%s block of %zu bytes exceeds the limit",
			    tape__block_type_name(type), body_len);
	put_le32(h, BLOCK_MAGIC);
	put_le16(h + 4, type);
	put_le16(h + 6, 0);
	put_le32(h + 8, w->seq);
	put_le32(h + 12, body_len);
	crc = tape__crc32c(0, h, 16);
	crc = tape__crc32c(crc, h + BLOCK_HDR_LEN, body_len);
	put_le32(h + 16, crc);

	err = w->io.write(w->io.ctx, b->data, b->len);
	if (err) {
		/* Cut back to the last complete block so the tape stays clean. */
		if (w->io.truncate)
			w->io.truncate(w->io.ctx, w->off);
		w->err = err;
		return fail(w, err, "writing %s block at offset %llu: %s",
			    tape__block_type_name(type), (unsigned long long)w->off,
			    strerror(-err));
	}

	if (type != BLOCK_INDEX && type != BLOCK_TRAILER) {
		err = tape__buf_put(&entry, &(uint8_t){type}, 1);
		err = err ?: tape__buf_put_varint(&entry, w->off);
		err = err ?: tape__buf_put_varint(&entry, b->len);
		if (!err && summary_len)
			err = tape__buf_put(&entry, h + BLOCK_HDR_LEN, summary_len);
		err = err ?: tape__buf_put_bytes(&w->index, entry.data, entry.len);
		tape__buf_free(&entry);
		if (err)
			return fail(w, err, "out of memory for the index");
		w->nindex++;
	}
	w->off += b->len;
	w->seq++;
	return 0;
}

/* Start a block body in w->block. */
static int block_reset(struct tape_writer *w)
{
	w->block.len = 0;
	if (tape__buf_reserve(&w->block, BLOCK_HDR_LEN))
		return fail(w, -ENOMEM, "out of memory");
	w->block.len = BLOCK_HDR_LEN;
	return 0;
}

/* ---- stacks ---- */

static bool stack_defined(const struct tape_writer *w, uint32_t id)
{
	return (size_t)id / 8 < w->stk_defined_len && (w->stk_defined[id / 8] & (1u << (id % 8)));
}

/* The id of binary @path in this tape, naming it in the next stack block
 * the first time.  0 or -ENOMEM. */
static int binary_id(struct tape_writer *w, const char *path, uint64_t *id)
{
	char *copy;
	int err;

	*id = tape__names_find(&w->binnames, path);
	if (*id)
		return 0;
	if (array_grow(&w->binpaths, &w->capbin, w->nbin, sizeof(*w->binpaths), 16))
		return -ENOMEM;
	copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	if (tape__names_add(&w->binnames, copy, w->nbin + 1)) {
		free(copy);
		return -ENOMEM;
	}
	w->binpaths[w->nbin++] = copy;
	*id = w->nbin;
	err = tape__buf_put_varint(&w->bin_pending, *id);
	err = err ?: tape__buf_put_str(&w->bin_pending, path);
	if (!err)
		w->nbin_pending++;
	return err;
}

static bool bit_test(const uint8_t *bits, size_t len, uint32_t id)
{
	return (size_t)id / 8 < len && (bits[id / 8] & (1u << (id % 8)));
}

static int bit_set(uint8_t **bits, size_t *len, uint32_t id)
{
	if ((size_t)id / 8 >= *len) {
		size_t nlen = ((size_t)id / 8 + 1) * 2;
		uint8_t *p = realloc(*bits, nlen);

		if (!p)
			return -ENOMEM;
		memset(p + *len, 0, nlen - *len);
		*bits = p;
		*len = nlen;
	}
	(*bits)[id / 8] |= 1u << (id % 8);
	return 0;
}

/* A frame with the id of the mapping blocks' space: the stack block names
 * it only if no mapping block of this tape has (a process that died before
 * a rotation has no mapping in the new tape).  0, -EINVAL or -ENOMEM. */
static int given_binary_id(struct tape_writer *w, const struct tape_frame *f, uint64_t *id)
{
	int err;

	*id = f->binary_id;
	if (f->binary_id > TAPE_MAX_BINARY_ID)
		return -EINVAL;
	if (bit_test(w->bins_seen, w->bins_seen_len, f->binary_id) ||
	    bit_test(w->stk_bins, w->stk_bins_len, f->binary_id))
		return 0;
	if (!f->binary || !*f->binary)
		return -EINVAL;
	err = tape__buf_put_varint(&w->bin_pending, f->binary_id);
	err = err ?: tape__buf_put_str(&w->bin_pending, f->binary);
	err = err ?: bit_set(&w->stk_bins, &w->stk_bins_len, f->binary_id);
	if (!err)
		w->nbin_pending++;
	return err;
}

int tape_writer__add_stack(struct tape_writer *w, uint32_t id, const struct tape_frame *frames,
			   size_t n)
{
	struct buf rec = {0};
	int err;

	if (!w || w->finished || !id || (n && !frames))
		return -EINVAL;
	if (w->err)
		return w->err;
	if (n > TAPE_MAX_FRAMES)
		return fail(w, -EINVAL, "stack %u: %zu frames, more than %u", id, n,
			    TAPE_MAX_FRAMES);
	if (stack_defined(w, id))
		return fail(w, -EEXIST, "stack %u is already defined", id);
	err = tape__buf_put_varint(&rec, id);
	err = err ?: tape__buf_put_varint(&rec, n);
	for (size_t i = 0; !err && i < n; i++) {
		const struct tape_frame *f = &frames[i];
		uint8_t flags = (f->kernel ? STACK_F_KERNEL : 0) | (f->gap ? STACK_F_GAP : 0) |
				(!f->kernel && f->symbol ? STACK_F_NAMED : 0);
		uint64_t bin = 0;

		err = tape__buf_put(&rec, &flags, 1);
		if (f->kernel) {
			err = err ?: tape__buf_put_str(&rec, f->symbol ? f->symbol : "");
			err = err ?: tape__buf_put_varint(&rec, f->symbol ? f->offset : 0);
			err = err ?: tape__buf_put_str(&rec, f->binary ? f->binary : "");
			continue;
		}
		if (!err && f->binary_id)
			err = given_binary_id(w, f, &bin);
		else if (!err && f->binary && *f->binary)
			err = binary_id(w, f->binary, &bin);
		err = err ?: tape__buf_put_varint(&rec, bin);
		err = err ?: tape__buf_put_varint(&rec, f->address);
		if (f->symbol) {
			err = err ?: tape__buf_put_str(&rec, f->symbol);
			err = err ?: tape__buf_put_varint(&rec, f->offset);
		}
	}
	if (!err && (size_t)id / 8 >= w->stk_defined_len) {
		size_t len = ((size_t)id / 8 + 1) * 2;
		uint8_t *p = realloc(w->stk_defined, len);

		if (!p) {
			err = -ENOMEM;
		} else {
			memset(p + w->stk_defined_len, 0, len - w->stk_defined_len);
			w->stk_defined = p;
			w->stk_defined_len = len;
		}
	}
	err = err ?: tape__buf_put_bytes(&w->stk_pending, rec.data, rec.len);
	tape__buf_free(&rec);
	if (err == -EINVAL)
		return fail(w, -EINVAL,
			    "stack %u: a user frame's binary id is out of range or has no path",
			    id);
	if (err)
		return fail(w, -ENOMEM, "out of memory encoding stack %u", id);
	w->stk_defined[id / 8] |= 1u << (id % 8);
	w->nstk_pending++;
	return 0;
}

/* ---- schema and metadata ---- */

static int flush_pending(struct tape_writer *w)
{
	int err = 0;

	if (w->nmeta) {
		err = block_reset(w);
		err = err ?: tape__buf_put_varint(&w->block, w->nmeta);
		err = err ?: tape__buf_put(&w->block, w->meta.data, w->meta.len);
		err = err ?: put_block(w, BLOCK_META, &w->block, 0);
		if (err)
			return err;
		w->meta.len = 0;
		w->nmeta = 0;
	}
	if (w->nmaprecs) {
		err = block_reset(w);
		err = err ?: tape__buf_put_varint(&w->block, w->nmapbins);
		err = err ?: tape__buf_put(&w->block, w->mapbins.data, w->mapbins.len);
		err = err ?: tape__buf_put_varint(&w->block, w->nmaprecs);
		err = err ?: tape__buf_put(&w->block, w->maprecs.data, w->maprecs.len);
		err = err ?: put_block(w, BLOCK_MAPPING, &w->block, 0);
		if (err)
			return err;
		w->mapbins.len = w->maprecs.len = 0;
		w->nmapbins = w->nmaprecs = 0;
		w->map_prev_ts = 0;
	}
	if (w->nstk_pending) {
		err = block_reset(w);
		err = err ?: tape__buf_put_varint(&w->block, w->nbin_pending);
		err = err ?: tape__buf_put(&w->block, w->bin_pending.data, w->bin_pending.len);
		err = err ?: tape__buf_put_varint(&w->block, w->nstk_pending);
		err = err ?: tape__buf_put(&w->block, w->stk_pending.data, w->stk_pending.len);
		err = err ?: put_block(w, BLOCK_STACKS, &w->block, 0);
		if (err)
			return err;
		w->bin_pending.len = w->stk_pending.len = 0;
		w->nbin_pending = w->nstk_pending = 0;
	}
	if (w->enums_written == w->nenums && w->types_written == w->ntypes)
		return 0;

	err = block_reset(w);
	err = err ?: tape__buf_put_varint(&w->block, w->nenums - w->enums_written);
	for (uint32_t i = w->enums_written; !err && i < w->nenums; i++) {
		const struct tape_enum *e = w->enums[i].copy;
		struct buf rec = {0};

		err = tape__buf_put_varint(&rec, i + 1);
		err = err ?: tape__buf_put_str(&rec, e->name);
		err = err ?: tape__buf_put_varint(&rec, e->count);
		for (uint32_t k = 0; !err && k < e->count; k++) {
			err = tape__buf_put_varint(&rec, e->values[k]);
			err = err ?: tape__buf_put_str(&rec, e->names[k]);
		}
		err = err ?: tape__buf_put_bytes(&w->block, rec.data, rec.len);
		tape__buf_free(&rec);
	}
	err = err ?: tape__buf_put_varint(&w->block, w->ntypes - w->types_written);
	for (uint32_t i = w->types_written; !err && i < w->ntypes; i++) {
		const struct wtype *wt = w->types[i];
		struct buf rec = {0};

		err = tape__buf_put_varint(&rec, wt->t.id);
		err = err ?: tape__buf_put_str(&rec, wt->t.name);
		err = err ?: tape__buf_put_str(&rec, wt->t.source);
		err = err ?: tape__buf_put_str(&rec, wt->t.format);
		err = err ?: tape__buf_put_varint(&rec, wt->t.nfields);
		for (unsigned f = 0; !err && f < wt->t.nfields; f++) {
			err = tape__buf_put_str(&rec, wt->t.fields[f].name);
			err = err ?: tape__buf_put(&rec, &wt->t.fields[f].kind, 1);
			err = err ?: tape__buf_put(&rec, &wt->t.fields[f].display, 1);
			err = err ?: tape__buf_put_varint(&rec, wt->enum_ids[f]);
		}
		err = err ?: tape__buf_put_bytes(&w->block, rec.data, rec.len);
		tape__buf_free(&rec);
	}
	if (err)
		return fail(w, err, "out of memory encoding the schema");
	err = put_block(w, BLOCK_SCHEMA, &w->block, 0);
	if (err)
		return err;
	w->enums_written = w->nenums;
	w->types_written = w->ntypes;
	return 0;
}

int tape_writer__set_meta(struct tape_writer *w, const char *key, const char *value)
{
	int err;

	if (!w || !key || !*key || !value || w->finished)
		return -EINVAL;
	err = tape__buf_put_str(&w->meta, key);
	err = err ?: tape__buf_put_str(&w->meta, value);
	if (err)
		return fail(w, err, "out of memory");
	w->nmeta++;
	return 0;
}

static uint32_t enum_id(struct tape_writer *w, const struct tape_enum *e)
{
	struct wenum *n;

	for (uint32_t i = 0; i < w->nenums; i++)
		if (w->enums[i].orig == e)
			return i + 1;
	n = realloc(w->enums, (w->nenums + 1) * sizeof(*n));
	if (!n)
		return 0;
	w->enums = n;
	n[w->nenums].orig = e;
	n[w->nenums].copy = tape__enum_dup(e);
	if (!n[w->nenums].copy)
		return 0;
	return ++w->nenums;
}

static bool valid_enum(const struct tape_enum *e)
{
	if (!e || (e->count && (!e->values || !e->names)))
		return false;
	return true;
}

int tape_writer__add_type(struct tape_writer *w, const struct tape_type *type)
{
	struct wtype *wt = NULL, **types;
	struct tape_field *fields = NULL;

	if (!w || !type || !type->name || !*type->name || w->finished ||
	    type->nfields > TAPE_MAX_FIELDS || (type->nfields && !type->fields))
		return -EINVAL;
	if (w->ntypes >= TAPE_MAX_TYPES)
		return fail(w, -E2BIG, "too many event types");
	if (!strcmp(type->name, tape_loss_type.name))
		return fail(w, -EEXIST, "type name '%s' is reserved", type->name);
	if (tape__names_find(&w->typenames, type->name))
		return fail(w, -EEXIST, "type '%s' defined twice", type->name);
	for (unsigned f = 0; f < type->nfields; f++) {
		const struct tape_field *fd = &type->fields[f];

		if (!fd->name || !*fd->name || !kind_valid(fd->kind))
			return fail(w, -EINVAL, "type '%s' field %u: bad name or kind", type->name,
				    f);
		if (fd->enumeration && !valid_enum(fd->enumeration))
			return fail(w, -EINVAL, "type '%s' field '%s': bad enum", type->name,
				    fd->name);
		for (unsigned g = 0; g < f; g++)
			if (!strcmp(type->fields[g].name, fd->name))
				return fail(w, -EINVAL, "type '%s': field '%s' twice", type->name,
					    fd->name);
	}

	wt = calloc(1, sizeof(*wt));
	fields = calloc(type->nfields ? type->nfields : 1, sizeof(*fields));
	if (!wt || !fields)
		goto nomem;
	wt->t.fields = fields;
	wt->enum_ids = calloc(type->nfields ? type->nfields : 1, sizeof(*wt->enum_ids));
	wt->t.name = strdup(type->name);
	wt->t.source = strdup(type->source ? type->source : "");
	wt->t.format = strdup(type->format ? type->format : "");
	if (!wt->enum_ids || !wt->t.name || !wt->t.source || !wt->t.format)
		goto nomem;
	for (unsigned f = 0; f < type->nfields; f++) {
		fields[f] = type->fields[f];
		fields[f].name = strdup(type->fields[f].name);
		wt->t.nfields = f + 1;
		if (!fields[f].name)
			goto nomem;
		if (type->fields[f].enumeration) {
			wt->enum_ids[f] = enum_id(w, type->fields[f].enumeration);
			if (!wt->enum_ids[f])
				goto nomem;
			fields[f].enumeration = w->enums[wt->enum_ids[f] - 1].copy;
		}
	}
	types = realloc(w->types, (w->ntypes + 1) * sizeof(*types));
	if (!types || tape__names_add(&w->typenames, wt->t.name, w->ntypes + 1)) {
		if (types)
			w->types = types;
		goto nomem;
	}
	w->types = types;
	wt->t.id = w->ntypes + 1;
	w->types[w->ntypes++] = wt;
	return wt->t.id;
nomem:
	if (wt) {
		tape__type_free_contents(&wt->t);
		free(wt->enum_ids);
		free(wt);
	} else {
		free(fields);
	}
	return fail(w, -ENOMEM, "out of memory");
}

int tape_writer__add_procs(struct tape_writer *w, const struct tape_proc *procs, size_t n)
{
	int err;

	if (!w || (n && !procs) || w->finished)
		return -EINVAL;
	if (w->err)
		return w->err;
	err = flush_pending(w);
	if (err)
		return err;
	err = block_reset(w);
	err = err ?: tape__buf_put_varint(&w->block, n);
	for (size_t i = 0; !err && i < n; i++) {
		const struct tape_proc *p = &procs[i];
		struct buf rec = {0};

		err = tape__buf_put_varint(&rec, p->pid);
		err = err ?: tape__buf_put_varint(&rec, p->ppid);
		err = err ?: tape__buf_put_varint(&rec, p->uid);
		err = err ?: tape__buf_put_varint(&rec, p->start_ts);
		err = err ?: tape__buf_put_str(&rec, p->comm);
		err = err ?: tape__buf_put_str(&rec, p->exe);
		err = err ?: tape__buf_put_bytes(&rec, p->argv, p->argv ? p->argv_len : 0);
		err = err ?: tape__buf_put_str(&rec, p->cgroup);
		if (p->container) {
			err = err ?: tape__buf_put_str(&rec, p->container);
			err = err ?: tape__buf_put_str(&rec, p->container_name);
			err = err ?: tape__buf_put_str(&rec, p->runtime);
			err = err ?: tape__buf_put_str(&rec, p->pod);
		} else {
			/* a caller that knows no container fields: the cgroup says */
			struct tape_container c;
			bool in = tape_container__parse(p->cgroup, &c) == 1;

			err = err ?: tape__buf_put_str(&rec, in ? c.id : "");
			err = err ?: tape__buf_put_str(&rec, in ? c.name : "");
			err = err ?: tape__buf_put_str(&rec, in ? c.runtime : "");
			err = err ?: tape__buf_put_str(&rec, c.pod);
		}
		err = err ?: tape__buf_put_bytes(&w->block, rec.data, rec.len);
		tape__buf_free(&rec);
	}
	if (err)
		return fail(w, err, "out of memory encoding processes");
	return put_block(w, BLOCK_PROCS, &w->block, 0);
}

int tape_writer__add_loss(struct tape_writer *w, const struct tape_loss *loss)
{
	int err;

	if (!w || !loss || w->finished || loss->last_ts < loss->first_ts)
		return -EINVAL;
	if (w->err)
		return w->err;
	err = flush_pending(w);
	if (err)
		return err;
	err = block_reset(w);
	err = err ?: tape__buf_put_varint(&w->block, loss->cpu);
	err = err ?: tape__buf_put_varint(&w->block, loss->count);
	err = err ?: tape__buf_put_varint(&w->block, loss->first_ts);
	err = err ?: tape__buf_put_varint(&w->block, loss->last_ts - loss->first_ts);
	if (err)
		return fail(w, err, "out of memory");
	return put_block(w, BLOCK_LOSS, &w->block, 0);
}

int tape__writer_add_binary(struct tape_writer *w, const uint8_t *body, size_t len)
{
	int err;

	if (!w || (!body && len) || w->finished)
		return -EINVAL;
	if (w->err)
		return w->err;
	err = block_reset(w);
	err = err ?: tape__buf_put(&w->block, body, len);
	if (err)
		return fail(w, err, "out of memory");
	return put_block(w, BLOCK_BINARY, &w->block, 0);
}

int tape_writer__add_mapping(struct tape_writer *w, const struct tape_mapping *rec,
			     const char *path)
{
	size_t byte;
	int err;

	if (!w || !rec || w->finished || rec->kind < TAPE_MAPPING_MAP ||
	    rec->kind > TAPE_MAPPING_FORK)
		return -EINVAL;
	if ((rec->kind == TAPE_MAPPING_MAP || rec->kind == TAPE_MAPPING_UNMAP) &&
	    rec->start >= rec->end)
		return -EINVAL;
	if (w->err)
		return w->err;
	if (rec->kind == TAPE_MAPPING_MAP) {
		if (!rec->binary || rec->binary > TAPE_MAX_BINARY_ID)
			return -EINVAL;
		byte = rec->binary / 8;
		if (byte >= w->bins_seen_len || !(w->bins_seen[byte] & (1u << (rec->binary % 8)))) {
			struct buf b = {0};

			if (!path)
				return -EINVAL;
			if (byte >= w->bins_seen_len) {
				size_t len = byte * 2 + 16;
				uint8_t *p = realloc(w->bins_seen, len);

				if (!p)
					return fail(w, -ENOMEM, "out of memory");
				memset(p + w->bins_seen_len, 0, len - w->bins_seen_len);
				w->bins_seen = p;
				w->bins_seen_len = len;
			}
			err = tape__buf_put_varint(&b, rec->binary);
			err = err ?: tape__buf_put_str(&b, path);
			err = err ?: tape__buf_put_bytes(&w->mapbins, b.data, b.len);
			tape__buf_free(&b);
			if (err)
				return fail(w, err, "out of memory");
			w->bins_seen[byte] |= 1u << (rec->binary % 8);
			w->nmapbins++;
		}
	}
	err = tape__mapping_encode(&w->maprecs, rec, w->map_prev_ts);
	if (err)
		return fail(w, err, "out of memory");
	w->map_prev_ts = rec->ts;
	w->nmaprecs++;
	return 0;
}

/* ---- dictionary ---- */

static uint64_t hash_bytes(const uint8_t *p, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n, v;

	while (n >= 8) {
		memcpy(&v, p, 8);
		h = (h ^ v) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
		p += 8;
		n -= 8;
	}
	v = 0;
	memcpy(&v, p, n);
	h = (h ^ v) * 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 29);
}

static void dict_reset(struct dict *d)
{
	d->data.len = 0;
	d->n = 0;
	if (d->slots)
		memset(d->slots, 0, d->nslots * sizeof(*d->slots));
}

static void dict_free(struct dict *d)
{
	tape__buf_free(&d->data);
	free(d->off);
	free(d->len);
	free(d->hash);
	free(d->slots);
}

static int dict_grow(struct dict *d)
{
	uint32_t nslots = d->nslots ? d->nslots * 2 : 1024;
	uint32_t *slots = calloc(nslots, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (uint32_t i = 0; i < d->n; i++) {
		uint32_t s = d->hash[i] & (nslots - 1);

		while (slots[s])
			s = (s + 1) & (nslots - 1);
		slots[s] = i + 1;
	}
	free(d->slots);
	d->slots = slots;
	d->nslots = nslots;
	return 0;
}

/* Index of @p/@n in the dictionary, added if new; -ENOMEM. */
static int64_t dict_intern(struct dict *d, const void *p, size_t n, bool *added)
{
	uint64_t h = hash_bytes(p, n);
	uint32_t s, idx;

	*added = false;
	if ((d->n + 1) * 2 > d->nslots && dict_grow(d))
		return -ENOMEM;
	for (s = h & (d->nslots - 1); d->slots[s]; s = (s + 1) & (d->nslots - 1)) {
		idx = d->slots[s] - 1;
		if (d->hash[idx] == h && d->len[idx] == n &&
		    !memcmp(d->data.data + d->off[idx], p, n))
			return idx;
	}
	if (d->n == d->cap) {
		uint32_t cap = d->cap ? d->cap * 2 : 1024;
		uint32_t *off = realloc(d->off, cap * sizeof(*off));
		uint32_t *len = off ? realloc(d->len, cap * sizeof(*len)) : NULL;
		uint64_t *hash = len ? realloc(d->hash, cap * sizeof(*hash)) : NULL;

		if (off)
			d->off = off;
		if (len)
			d->len = len;
		if (!hash)
			return -ENOMEM;
		d->hash = hash;
		d->cap = cap;
	}
	if (tape__buf_put(&d->data, p, n))
		return -ENOMEM;
	idx = d->n++;
	d->off[idx] = d->data.len - n;
	d->len[idx] = n;
	d->hash[idx] = h;
	d->slots[s] = idx + 1;
	*added = true;
	return idx;
}

/* ---- chunks ---- */

struct order {
	uint64_t ts;
	uint32_t row;
};

static int order_cmp(const void *a, const void *b)
{
	const struct order *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->row < y->row ? -1 : x->row > y->row;
}

static int u16_cmp(const void *a, const void *b)
{
	return *(const uint16_t *)a - *(const uint16_t *)b;
}

/*
 * Integer columns (docs/FORMAT.md, "Columns").  A column with few distinct
 * values is stored as its sorted distinct values plus bit-packed indexes
 * into them; any other as its minimum plus byte planes of (value - minimum)
 * (all low bytes, then all next bytes...).  Both keep similar bits together,
 * which is what lets zstd's entropy stage get close to the data's entropy.
 */

static uint32_t colset_slot(const struct colset *cs, uint64_t v)
{
	uint32_t s = (uint32_t)((v * 0x9e3779b97f4a7c15ull) >> 40) & (cs->nslots - 1);

	while (cs->idx[s] && cs->keys[s] != v)
		s = (s + 1) & (cs->nslots - 1);
	return s;
}

/* Distinct values of @v into cs->vals, or -1 if more than DICT_MAX. */
static int colset_collect(struct colset *cs, const uint64_t *v, uint32_t n)
{
	uint32_t k = 0;

	memset(cs->idx, 0, cs->nslots * sizeof(*cs->idx));
	for (uint32_t i = 0; i < n; i++) {
		uint32_t s = colset_slot(cs, v[i]);

		if (cs->idx[s])
			continue;
		if (k == DICT_MAX)
			return -1;
		cs->keys[s] = v[i];
		cs->idx[s] = ++k;
		cs->vals[k - 1] = v[i];
	}
	return k;
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static unsigned bits_for(uint64_t v)
{
	unsigned b = 0;

	for (; v; v >>= 1)
		b++;
	return b;
}

/* Room needed for any column of @n values: a dictionary is used only
 * when it has fewer than n / 4 entries, so planes are the larger form. */
#define COLUMN_ROOM(n) (32 + (size_t)(n)*8)

static void put_column(struct buf *b, struct colset *cs, const uint64_t *v, uint32_t n)
{
	uint64_t min = UINT64_MAX, max = 0;
	unsigned width = 0, bits;
	size_t start, body;
	uint8_t pre[10];
	struct buf t = {pre, 0, sizeof(pre)};
	int k = 0;

	for (uint32_t i = 0; i < n; i++) {
		if (v[i] < min)
			min = v[i];
		if (v[i] > max)
			max = v[i];
	}
	if (!n)
		min = max = 0;
	width = (bits_for(max - min) + 7) / 8;
	if (width)
		k = colset_collect(cs, v, n);
	bits = k > 0 ? bits_for(k - 1) : 0;

	start = b->len;
	b->len += 10; /* length prefix, fixed up below */
	if (width && k > 0 && bits < 8 * width && (size_t)k * 4 < n) {
		uint64_t prev = 0, acc = 0;
		unsigned nacc = 0;

		qsort(cs->vals, k, sizeof(*cs->vals), u64_cmp);
		for (int i = 0; i < k; i++)
			cs->idx[colset_slot(cs, cs->vals[i])] = i + 1;
		b->data[b->len++] = COLUMN_DICT;
		buf_put_varint_fast(b, k);
		for (int i = 0; i < k; i++) {
			buf_put_varint_fast(b, cs->vals[i] - prev);
			prev = cs->vals[i];
		}
		b->data[b->len++] = bits;
		for (uint32_t i = 0; i < n; i++) {
			acc |= (uint64_t)(cs->idx[colset_slot(cs, v[i])] - 1) << nacc;
			nacc += bits;
			while (nacc >= 8) {
				b->data[b->len++] = acc;
				acc >>= 8;
				nacc -= 8;
			}
		}
		if (nacc)
			b->data[b->len++] = acc;
	} else {
		uint8_t *p;

		b->data[b->len++] = COLUMN_PLANES;
		buf_put_varint_fast(b, min);
		b->data[b->len++] = width;
		p = b->data + b->len;
		for (unsigned j = 0; j < width; j++, p += n)
			for (uint32_t i = 0; i < n; i++)
				p[i] = (v[i] - min) >> (8 * j);
		b->len = p - b->data;
	}
	/* Write the real length prefix and close the gap left for it. */
	body = b->len - start - 10;
	buf_put_varint_fast(&t, body);
	memmove(b->data + start + t.len, b->data + start + 10, body);
	memcpy(b->data + start, pre, t.len);
	b->len = start + t.len + body;
}

enum { COL_TS, COL_TYPE, COL_CPU, COL_PID, COL_TID, COL_COMM, NCOMMON };

static int cut_chunk(struct tape_writer *w)
{
	struct chunk_summary s = {.codec = CODEC_ZSTD};
	struct type_count *tc = NULL;
	struct order *ord = NULL;
	uint64_t *colv = NULL;
	uint32_t ncols = NCOMMON, n = w->nrows;
	size_t base;
	uint64_t prev_ts;
	size_t bound, summary_len;
	int err;

	if (!n)
		return 0;
	err = flush_pending(w);
	if (err)
		return err;

	qsort(w->used, w->nused, sizeof(*w->used), u16_cmp);
	tc = calloc(w->nused, sizeof(*tc));
	if (!tc)
		goto nomem;
	for (uint32_t i = 0; i < w->nused; i++) {
		struct wtype *wt = w->types[w->used[i] - 1];

		tc[i].type = w->used[i];
		tc[i].count = wt->chunk_count;
		ncols += wt->t.nfields;
	}
	colv = malloc(((size_t)n * (NCOMMON + 1) + w->nvals) * sizeof(*colv));
	if (!colv)
		goto nomem;
	/* Field columns follow the common ones, each type's columns together. */
	base = (size_t)n * NCOMMON;
	for (uint32_t i = 0; i < w->nused; i++) {
		struct wtype *wt = w->types[w->used[i] - 1];

		wt->col = base;
		wt->fill = 0;
		base += (size_t)wt->chunk_count * wt->t.nfields;
	}

	if (!w->sorted) {
		ord = malloc((size_t)n * sizeof(*ord));
		if (!ord)
			goto nomem;
		for (uint32_t i = 0; i < n; i++) {
			ord[i].ts = w->rows[i].ts;
			ord[i].row = i;
		}
		qsort(ord, n, sizeof(*ord), order_cmp);
	}

	s.count = n;
	s.min_ts = w->rows[ord ? ord[0].row : 0].ts;
	s.max_ts = w->rows[ord ? ord[n - 1].row : n - 1].ts;
	s.min_pid = UINT32_MAX;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t pid = w->rows[i].pid;

		if (pid < s.min_pid)
			s.min_pid = pid;
		if (pid > s.max_pid)
			s.max_pid = pid;
		bloom_add(s.bloom, pid);
	}

	prev_ts = s.min_ts;
	for (uint32_t k = 0; k < n; k++) {
		const struct wrow *r = &w->rows[ord ? ord[k].row : k];
		struct wtype *wt = w->types[r->type - 1];
		const uint64_t *v = w->vals + r->vals;
		uint64_t *out = colv + wt->col + wt->fill++;

		colv[COL_TS * (size_t)n + k] = r->ts - prev_ts;
		prev_ts = r->ts;
		colv[COL_TYPE * (size_t)n + k] = r->type;
		colv[COL_CPU * (size_t)n + k] = r->cpu;
		colv[COL_PID * (size_t)n + k] = r->pid - s.min_pid;
		colv[COL_TID * (size_t)n + k] = zigzag((int64_t)r->tid - r->pid);
		colv[COL_COMM * (size_t)n + k] = r->comm;
		colv[base + k] = r->stack;
		for (unsigned f = 0; f < wt->t.nfields; f++)
			out[(size_t)f * wt->chunk_count] = v[f];
	}

	/* Payload: dictionary, then every column with its length. */
	w->payload.len = 0;
	err = tape__buf_put_varint(&w->payload, w->dict.n);
	for (uint32_t i = 0; !err && i < w->dict.n; i++) {
		err = tape__buf_put_bytes(&w->payload, w->dict.data.data + w->dict.off[i],
					  w->dict.len[i]);
		err = err ?: tape__buf_put(&w->payload, "", 1);
	}
	err = err
		      ?: tape__buf_reserve(&w->payload, (size_t)(ncols + 1) * COLUMN_ROOM(0) +
								(base + n) * 8 + 10);
	if (err)
		goto nomem;
	for (uint32_t c = 0; c < NCOMMON; c++)
		put_column(&w->payload, &w->colset, colv + (size_t)c * n, n);
	for (uint32_t i = 0; i < w->nused; i++) {
		const struct wtype *wt = w->types[w->used[i] - 1];

		for (unsigned f = 0; f < wt->t.nfields; f++)
			put_column(&w->payload, &w->colset,
				   colv + wt->col + (size_t)f * wt->chunk_count, wt->chunk_count);
	}
	/* a chunk without stacks ends here, as chunks did before stacks */
	if (w->nstackrows) {
		buf_put_varint_fast(&w->payload, SECTION_STACKS);
		put_column(&w->payload, &w->colset, colv + base, n);
	}
	if (w->payload.len > MAX_CHUNK_RAW) {
		err = fail(w, -E2BIG, "chunk of %zu bytes exceeds the limit", w->payload.len);
		goto out;
	}

	s.raw_len = w->payload.len;
	s.ntypes = w->nused;
	s.types = tc;
	if (block_reset(w) || tape__summary_encode(&w->block, &s))
		goto nomem;
	summary_len = w->block.len - BLOCK_HDR_LEN;
	bound = ZSTD_compressBound(w->payload.len);
	if (tape__buf_reserve(&w->block, bound))
		goto nomem;
	ZSTD_CCtx_reset(w->cctx, ZSTD_reset_session_only);
	ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, w->level);
	bound = ZSTD_compress2(w->cctx, w->block.data + w->block.len, bound, w->payload.data,
			       w->payload.len);
	if (ZSTD_isError(bound)) {
		err = fail(w, -EIO, "zstd: %s", ZSTD_getErrorName(bound));
		goto out;
	}
	w->block.len += bound;
	err = put_block(w, BLOCK_CHUNK, &w->block, summary_len);
	if (err)
		goto out;
	w->nwritten += n;

	for (uint32_t i = 0; i < w->nused; i++)
		w->types[w->used[i] - 1]->chunk_count = 0;
	w->nused = 0;
	w->nrows = 0;
	w->nstackrows = 0;
	w->nvals = 0;
	w->est = 0;
	w->sorted = true;
	w->last_comm = 0;
	dict_reset(&w->dict);
	goto out;
nomem:
	err = fail(w, -ENOMEM, "out of memory encoding a chunk");
out:
	free(colv);
	free(ord);
	free(tc);
	return err;
}

int tape_writer__flush(struct tape_writer *w)
{
	if (!w || w->finished)
		return -EINVAL;
	if (w->err)
		return w->err;
	return cut_chunk(w) ?: flush_pending(w);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Has the chunk's first event waited for max_delay_ns? */
static bool chunk_overdue(const struct tape_writer *w)
{
	return w->max_delay_ns && w->nrows && mono_ns() - w->first_mono >= w->max_delay_ns;
}

int tape_writer__tick(struct tape_writer *w)
{
	int err;

	if (!w || w->finished)
		return -EINVAL;
	if (w->err)
		return w->err;
	if (!chunk_overdue(w))
		return 0;
	err = cut_chunk(w);
	return err ? err : 1;
}

static int64_t sign_extend(int64_t v, unsigned size)
{
	unsigned shift = 64 - 8 * size;

	return (int64_t)((uint64_t)v << shift) >> shift;
}

static int intern(struct tape_writer *w, const void *p, size_t n, uint64_t *out)
{
	bool added;
	int64_t idx = dict_intern(&w->dict, p, n, &added);

	if (idx < 0)
		return fail(w, -ENOMEM, "out of memory");
	if (added)
		w->est += n + 2;
	*out = idx;
	return 0;
}

int tape_writer__append(struct tape_writer *w, const struct tape_event *ev)
{
	struct wtype *wt;
	struct wrow *r;
	uint64_t *v, comm = 0;
	size_t comm_len;
	int err;

	if (!w || !ev || w->finished)
		return -EINVAL;
	if (w->err)
		return w->err;
	if (ev->type == 0 || ev->type > w->ntypes)
		return fail(w, -EINVAL, "append: undefined type id %u", ev->type);
	wt = w->types[ev->type - 1];
	if (wt->t.nfields && !ev->values)
		return fail(w, -EINVAL, "append: type '%s' needs values", wt->t.name);
	if (ev->stack_id && !stack_defined(w, ev->stack_id))
		return fail(w, -EINVAL, "append: stack %u is not defined", ev->stack_id);

	/* the clock is read once every 256 events: a busy writer never goes
	 * long between appends, and an idle one is cut by tape_writer__tick() */
	if (w->nrows && (w->est >= w->chunk_bytes ||
			 (ev->ts > w->rows[0].ts && ev->ts - w->rows[0].ts >= w->chunk_ns) ||
			 w->nrows >= MAX_CHUNK_EVENTS || (!(w->nrows & 255) && chunk_overdue(w)))) {
		err = cut_chunk(w);
		if (err)
			return err;
	}
	if (!w->nrows && w->max_delay_ns)
		w->first_mono = mono_ns();
	if (array_grow(&w->rows, &w->caprows, w->nrows, sizeof(*w->rows), 4096) ||
	    array_grow(&w->vals, &w->capvals, w->nvals + wt->t.nfields, sizeof(*w->vals), 16384))
		return fail(w, -ENOMEM, "out of memory");

	comm_len = ev->comm ? (ev->comm_len ? ev->comm_len : strnlen(ev->comm, TAPE_COMM_LEN)) : 0;
	if (comm_len > TAPE_COMM_LEN)
		comm_len = TAPE_COMM_LEN;
	if (w->last_comm && w->dict.len[w->last_comm - 1] == comm_len &&
	    (!comm_len ||
	     !memcmp(w->dict.data.data + w->dict.off[w->last_comm - 1], ev->comm, comm_len))) {
		comm = w->last_comm - 1;
	} else {
		err = intern(w, ev->comm ? ev->comm : "", comm_len, &comm);
		if (err)
			return err;
		w->last_comm = comm + 1;
	}

	v = wt->t.nfields ? w->vals + w->nvals : NULL;
	for (unsigned f = 0; f < wt->t.nfields; f++) {
		const union tape_value *x = &ev->values[f];
		unsigned kind = wt->t.fields[f].kind;

		if (kind_is_signed(kind)) {
			v[f] = zigzag(sign_extend(x->s, kind_size(kind)));
		} else if (kind_is_int(kind)) {
			v[f] = kind_size(kind) == 8 ? x->u
						    : x->u & ((1ull << 8 * kind_size(kind)) - 1);
		} else {
			if (x->b.len > MAX_BLOB || (x->b.len && !x->b.ptr))
				return fail(w, -EINVAL, "append: field '%s' of '%s': bad bytes",
					    wt->t.fields[f].name, wt->t.name);
			err = intern(w, x->b.ptr ? x->b.ptr : "", x->b.len, &v[f]);
			if (err)
				return err;
		}
	}

	if (!wt->chunk_count++)
		w->used[w->nused++] = ev->type;
	if (w->nrows && ev->ts < w->rows[w->nrows - 1].ts)
		w->sorted = false;
	r = &w->rows[w->nrows++];
	r->ts = ev->ts;
	r->pid = ev->pid;
	r->tid = ev->tid;
	r->cpu = ev->cpu;
	r->type = ev->type;
	r->comm = comm;
	r->vals = w->nvals;
	r->stack = ev->stack_id;
	if (ev->stack_id) {
		w->nstackrows++;
		w->est += 1;
	}
	w->nvals += wt->t.nfields;
	w->est += 8 + 2 * wt->t.nfields;
	w->nevents++;
	return 0;
}

/* ---- lifecycle ---- */

static struct tape_writer *writer_new(const struct tape_io *io, const struct tape_writer_opts *opts,
				      int fd)
{
	struct tape_writer *w = calloc(1, sizeof(*w));
	uint8_t hdr[FILE_HDR_LEN] = {0};
	int err;

	if (!w)
		return NULL;
	w->io = *io;
	w->fd = fd;
	w->chunk_bytes = DEFAULT_CHUNK_BYTES;
	w->chunk_ns = DEFAULT_CHUNK_NS;
	w->level = DEFAULT_ZSTD_LEVEL;
	w->sorted = true;
	if (opts) {
		if (opts->chunk_bytes)
			w->chunk_bytes = opts->chunk_bytes;
		if (opts->chunk_ns)
			w->chunk_ns = opts->chunk_ns;
		if (opts->zstd_level)
			w->level = opts->zstd_level;
		/* callers built before the field existed pass a smaller sz */
		if (opts->sz >= offsetof(struct tape_writer_opts, max_delay_ns) + sizeof(uint64_t))
			w->max_delay_ns = opts->max_delay_ns;
	}
	w->colset.nslots = 2 * DICT_MAX;
	w->colset.keys = calloc(w->colset.nslots, sizeof(*w->colset.keys));
	w->colset.idx = calloc(w->colset.nslots, sizeof(*w->colset.idx));
	w->colset.vals = calloc(DICT_MAX, sizeof(*w->colset.vals));
	w->cctx = ZSTD_createCCtx();
	if (!w->colset.keys || !w->colset.idx || !w->colset.vals) {
		errno = ENOMEM;
		goto fail;
	}
	w->used = calloc(TAPE_MAX_TYPES, sizeof(*w->used));
	if (!w->cctx || !w->used) {
		errno = ENOMEM;
		goto fail;
	}
	memcpy(hdr, FILE_MAGIC, 8);
	put_le16(hdr + 8, TAPE_VERSION_MAJOR);
	put_le16(hdr + 10, TAPE_VERSION_MINOR);
	put_le32(hdr + 12, 0);
	err = w->io.write(w->io.ctx, hdr, sizeof(hdr));
	if (err) {
		errno = -err;
		goto fail;
	}
	w->off = FILE_HDR_LEN;
	return w;
fail:
	w->fd = -1; /* the caller closes it */
	tape_writer__free(w);
	return NULL;
}

struct tape_writer *tape_writer__new(const struct tape_io *io, const struct tape_writer_opts *opts)
{
	if (!io || !io->write || (opts && opts->sz < sizeof(size_t))) {
		errno = EINVAL;
		return NULL;
	}
	return writer_new(io, opts, -1);
}

static struct tape_writer *writer_on_fd(int fd, const struct tape_writer_opts *opts)
{
	/* io.ctx must point at the fd inside the writer, which does not exist yet */
	struct tape_io io = {fd_write, fd_truncate, &fd};
	struct tape_writer *w = writer_new(&io, opts, fd);

	if (w)
		w->io.ctx = &w->fd;
	return w;
}

static bool writer_live(const struct tape_writer_opts *opts)
{
	return opts && opts->sz >= offsetof(struct tape_writer_opts, flags) + sizeof(opts->flags) &&
	       (opts->flags & TAPE_WRITER_LIVE);
}

/*
 * Creating the file and writing its header are milliseconds apart (the
 * writer allocates in between); a recorder killed then would leave an empty
 * file that neither a reader nor tape_recover() accepts.  So even a live
 * tape gets its name only once it holds the header: @path never names a
 * file without one.
 */
struct tape_writer *tape_writer__open_out(struct tape_out *out, const struct tape_writer_opts *opts)
{
	struct tape_writer *w;
	char msg[256];
	int err;

	if (!out || (opts && opts->sz < sizeof(size_t))) {
		tape_out__free(out);
		errno = EINVAL;
		return NULL;
	}
	w = writer_on_fd(tape_out__fd(out), opts);
	if (!w) {
		err = errno;
		tape_out__free(out);
		errno = err;
		return NULL;
	}
	w->out = out;
	w->live = writer_live(opts);
	if (w->live && (err = tape_out__commit(out, msg, sizeof(msg)))) {
		tape_writer__free(w);
		errno = -err;
		return NULL;
	}
	return w;
}

struct tape_writer *tape_writer__open(const char *path, const struct tape_writer_opts *opts)
{
	struct tape_out_opts oo = {
		.sz = sizeof(oo), .mode = opts ? opts->mode : 0, .flags = TAPE_OUT_BINARY};
	struct tape_out *out;

	if (!path || (opts && opts->sz < sizeof(size_t))) {
		errno = EINVAL;
		return NULL;
	}
	out = tape_out__open(path, &oo, NULL, 0);
	return out ? tape_writer__open_out(out, opts) : NULL;
}

int tape_writer__finish(struct tape_writer *w)
{
	uint8_t *t;
	uint64_t index_off;
	uint32_t index_len;
	int err;

	if (!w || w->finished)
		return -EINVAL;
	err = w->err ?: cut_chunk(w);
	err = err ?: flush_pending(w);
	if (err) {
		w->finished = true;
		return err;
	}
	w->finished = true;

	err = block_reset(w);
	err = err ?: tape__buf_put_varint(&w->block, w->nindex);
	err = err ?: tape__buf_put(&w->block, w->index.data, w->index.len);
	if (err)
		return fail(w, err, "out of memory writing the index");
	index_off = w->off;
	index_len = w->block.len;
	err = put_block(w, BLOCK_INDEX, &w->block, 0);
	if (err)
		return err;

	if (block_reset(w) || tape__buf_reserve(&w->block, TRAILER_BODY_LEN))
		return fail(w, -ENOMEM, "out of memory");
	t = w->block.data + BLOCK_HDR_LEN;
	put_le64(t, index_off);
	put_le32(t + 8, index_len);
	put_le32(t + 12, TRAILER_MAGIC);
	w->block.len += TRAILER_BODY_LEN;
	err = put_block(w, BLOCK_TRAILER, &w->block, 0);
	if (!err && w->out && !w->live) {
		char msg[200];

		err = tape_out__commit(w->out, msg, sizeof(msg));
		if (err)
			return fail(w, err, "%s", msg);
	}
	return err;
}

uint64_t tape_writer__bytes(const struct tape_writer *w)
{
	return w ? w->off : 0;
}

uint64_t tape_writer__events(const struct tape_writer *w)
{
	return w ? w->nevents : 0;
}

uint64_t tape_writer__events_written(const struct tape_writer *w)
{
	return w ? w->nwritten : 0;
}

const char *tape_writer__errmsg(const struct tape_writer *w)
{
	return w ? w->errmsg : "";
}

/* Used by tape_recover(): write an already-framed block body again. */
int tape__writer_put_raw(struct tape_writer *w, unsigned type, const uint8_t *body, size_t len,
			 size_t summary_len);

int tape__writer_put_raw(struct tape_writer *w, unsigned type, const uint8_t *body, size_t len,
			 size_t summary_len)
{
	int err = cut_chunk(w) ?: flush_pending(w);

	if (err)
		return err;
	if (block_reset(w) || tape__buf_put(&w->block, body, len))
		return fail(w, -ENOMEM, "out of memory");
	return put_block(w, type, &w->block, summary_len);
}

void tape_writer__free(struct tape_writer *w)
{
	if (!w)
		return;
	for (uint32_t i = 0; i < w->ntypes; i++) {
		tape__type_free_contents(&w->types[i]->t);
		free(w->types[i]->enum_ids);
		free(w->types[i]);
	}
	free(w->types);
	tape__names_free(&w->typenames);
	for (uint32_t i = 0; i < w->nenums; i++)
		tape__enum_free(w->enums[i].copy);
	free(w->enums);
	tape__buf_free(&w->meta);
	tape__buf_free(&w->mapbins);
	tape__buf_free(&w->maprecs);
	free(w->bins_seen);
	free(w->rows);
	free(w->vals);
	dict_free(&w->dict);
	free(w->used);
	tape__buf_free(&w->index);
	tape__buf_free(&w->payload);
	tape__buf_free(&w->block);
	free(w->colset.keys);
	free(w->colset.idx);
	free(w->colset.vals);
	tape__buf_free(&w->stk_pending);
	tape__buf_free(&w->bin_pending);
	free(w->stk_defined);
	free(w->stk_bins);
	tape__names_free(&w->binnames);
	for (size_t i = 0; i < w->nbin; i++)
		free(w->binpaths[i]);
	free(w->binpaths);
	ZSTD_freeCCtx(w->cctx);
	if (w->out)
		tape_out__free(w->out); /* owns w->fd */
	else if (w->fd >= 0)
		close(w->fd);
	free(w);
}
