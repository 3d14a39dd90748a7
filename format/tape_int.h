/* SPDX-License-Identifier: MIT */
/*
 * Internals of libtape shared by the writer, the reader and the cursor.
 * Nothing here is part of the public API; docs/FORMAT.md describes the bytes.
 */
#ifndef BPFTAPE_TAPE_INT_H
#define BPFTAPE_TAPE_INT_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "private/block.h"
#include "private/grow.h"
#include "private/names.h"
#include <bpftape/tape.h>

/* Stack block frames (docs/FORMAT.md): flag bits. */
#define STACK_F_KERNEL 1
#define STACK_F_GAP    2
#define STACK_F_NAMED  4 /* a user frame that carries its symbol */

/* Sections after a chunk's field columns (format 1.2): a varint tag, then
 * a column. */
#define SECTION_STACKS 1

#define TRAILER_MAGIC	  0x444e4554u /* "TEND" */
#define TRAILER_BODY_LEN  16
#define TRAILER_BLOCK_LEN (BLOCK_HDR_LEN + TRAILER_BODY_LEN)

#define CODEC_ZSTD    1
#define COLUMN_PLANES 0
#define COLUMN_DICT   1
#define DICT_MAX      4096
#define BLOOM_BYTES   32

/* Limits a reader enforces before allocating anything a tape asks for. */
#define MAX_BLOCK_BODY	 (256u << 20)
#define MAX_CHUNK_RAW	 (256u << 20)
#define MAX_CHUNK_EVENTS (16u << 20)
#define MAX_ENUM_VALUES	 65536
/* binary ids of mapping blocks: the writer's bitmap of ids it defined */
#define TAPE_MAX_BINARY_ID (1u << 24)
/* What a cursor's open chunks may hold decoded at once: one chunk at the
 * limits above fits (a 256 MiB payload and a table of its strings); many
 * chunks overlapping in time (or a hostile tape) are refused beyond it. */
#define MAX_DECODE_MEM (1ull << 30)

const char *tape__block_type_name(unsigned type);

static inline uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* Append without a capacity check: the caller reserved 10 bytes. */
static inline void buf_put_varint_fast(struct buf *b, uint64_t v)
{
	uint8_t *p = b->data + b->len;

	while (v >= 0x80) {
		*p++ = (uint8_t)v | 0x80;
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	b->len = p - b->data;
}

/* ---- bounds-checked decoding ---- */

struct rd {
	const uint8_t *p;
	const uint8_t *end;
	bool bad;	 /* ran past the end, or a varint over 10 bytes or 64 bits */
	const char *why; /* for a bad varint: what was wrong with it */
};

static inline uint64_t rd_varint(struct rd *r)
{
	uint64_t v = 0;
	const uint8_t *p = r->p;

	if (p < r->end && *p < 0x80) {
		r->p = p + 1;
		return *p;
	}
	for (int shift = 0; shift < 64; shift += 7) {
		if (p >= r->end) {
			r->bad = true;
			return 0;
		}
		uint8_t c = *p++;
		/* The tenth byte holds bit 63 alone: anything more overflows
		 * 64 bits, which docs/FORMAT.md says to reject, not truncate. */
		if (shift == 63 && c > 1) {
			r->bad = true;
			r->why = c & 0x80 ? "a varint is longer than 10 bytes"
					  : "a varint overflows 64 bits";
			return 0;
		}
		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			r->p = p;
			return v;
		}
	}
	r->bad = true; /* not reached: the tenth byte ends the loop */
	return 0;
}

static inline uint8_t rd_u8(struct rd *r)
{
	if (r->p >= r->end) {
		r->bad = true;
		return 0;
	}
	return *r->p++;
}

/* A length-prefixed byte string; *len receives its length.  NULL if bad. */
const uint8_t *tape__rd_bytes(struct rd *r, size_t *len);
/* A reader over the next length-prefixed byte string; bad if it does not fit. */
static inline struct rd rd_sub(struct rd *r)
{
	size_t len;
	const uint8_t *p = tape__rd_bytes(r, &len);
	struct rd s = {p, p ? p + len : NULL, !p};

	return s;
}

/* A length-prefixed string copied to a new NUL-terminated allocation. */
char *tape__rd_strdup(struct rd *r);
/* Skip @n bytes. */
void tape__rd_skip(struct rd *r, size_t n);

/* ---- errors ---- */

/* Format into a fixed error buffer (truncating). */
void tape__errfmt(char *dst, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- chunk summary (uncompressed head of a chunk body, copied into the index) ---- */

struct type_count {
	uint16_t type;
	uint32_t count;
};

struct chunk_summary {
	uint8_t codec;
	uint32_t count;
	uint64_t min_ts, max_ts;
	uint32_t min_pid, max_pid;
	uint8_t bloom[BLOOM_BYTES];
	uint32_t raw_len;
	uint32_t ntypes;
	struct type_count *types; /* owned */
};

int tape__summary_encode(struct buf *b, const struct chunk_summary *s);
/* Parse a summary; on success *len_out is the encoded size. 0 or -EBADMSG. */
int tape__summary_decode(const uint8_t *p, size_t len, struct chunk_summary *s, size_t *len_out);
void tape__summary_free(struct chunk_summary *s);
/* Whether the index's copy @ix of a summary differs from the chunk's own
 * @s; if so, @msg says how. */
bool tape__summary_diff(const struct chunk_summary *ix, const struct chunk_summary *s, char *msg,
			size_t len);

static inline void bloom_hashes(uint32_t pid, unsigned *h1, unsigned *h2)
{
	uint64_t h = (uint64_t)pid * 0x9e3779b97f4a7c15ull;

	*h1 = (h >> 32) & (BLOOM_BYTES * 8 - 1);
	*h2 = (h >> 48) & (BLOOM_BYTES * 8 - 1);
}

static inline void bloom_add(uint8_t *bloom, uint32_t pid)
{
	unsigned a, b;

	bloom_hashes(pid, &a, &b);
	bloom[a / 8] |= 1u << (a % 8);
	bloom[b / 8] |= 1u << (b % 8);
}

static inline bool bloom_test(const uint8_t *bloom, uint32_t pid)
{
	unsigned a, b;

	bloom_hashes(pid, &a, &b);
	return (bloom[a / 8] & (1u << (a % 8))) && (bloom[b / 8] & (1u << (b % 8)));
}

/* ---- schema ---- */

/* A type as a reader holds it: the public view plus what is stored. */
struct rtype {
	struct tape_type pub;
	/* Fields as stored in chunk columns.  Equal to pub.fields unless the
	 * type is a tracepoint whose raw record the reader decodes. */
	uint16_t nstored;
	struct tape_field *stored;
	struct tpfmt *tpfmt; /* raw tracepoint decoder, or NULL */
	uint32_t max_blob;   /* for decode scratch sizing */
};

/* Deep copies of schema pieces (owned strings and arrays). */
struct tape_enum *tape__enum_dup(const struct tape_enum *e);
void tape__enum_free(struct tape_enum *e);
void tape__type_free_contents(struct tape_type *t);

/* Kind predicates: inline, they run for every field of every event. */
static inline bool kind_valid(unsigned kind)
{
	return kind >= TAPE_U8 && kind <= TAPE_BYTES;
}

static inline bool kind_is_int(unsigned kind)
{
	return kind >= TAPE_U8 && kind <= TAPE_S64;
}

static inline bool kind_is_signed(unsigned kind)
{
	return kind >= TAPE_S8 && kind <= TAPE_S64;
}

/* Bytes of an integer kind, 0 for strings and bytes. */
static inline unsigned kind_size(unsigned kind)
{
	return kind_is_int(kind) ? 1u << ((kind - TAPE_U8) & 3) : 0;
}

/* ---- reader internals (reader.c, cursor.c, recover.c) ---- */

struct rblock {
	uint64_t off;
	uint32_t len; /* header + body */
	uint16_t type;
	uint32_t seq;
	uint32_t summary_len; /* chunks */
};

struct rchunk {
	uint64_t off;
	uint32_t block_len;
	uint32_t seq;
	struct chunk_summary s;
};

/* Stacks of a reader (stacks.c). */
struct rstack {
	uint64_t id;
	struct tape_frame *frames; /* owned */
	uint32_t n;
	bool named; /* binaries and symbols looked up (tape_reader__stack()) */
};

struct rbinary {
	uint64_t id;
	const char *path; /* interned */
};

struct tape_stacks {
	struct rstack *stacks;
	size_t nstacks, capstacks;
	bool stacks_sorted;
	struct rbinary *bins;
	size_t nbins, capbins;
	bool bins_sorted;
	char **strs; /* interned strings, owned */
	size_t nstrs, capstrs;
	struct names strnames;
	struct binary **syms; /* binary blocks (symtab.h), owned */
	size_t nsyms, capsyms;
	bool syms_sorted;
	/* blocks a later one of the same id replaced: frames named before
	 * (a followed tape) may still point into them */
	struct binary **replaced;
	size_t nreplaced, capreplaced;
	char why[192]; /* what a bad binary block is */
};

/* Add the contents of a stack block body.  0, -EBADMSG (d->why may say
 * what) or -ENOMEM; stacks parsed before the damage are kept. */
int tape__stacks_parse(struct tape_stacks *st, struct rd *d);
struct rstack *tape__stacks_find(struct tape_stacks *st, uint64_t id);
/* Add a binary block body (type 10): its symbols name the user frames
 * that carry its id.  A later block for one id replaces the earlier (the
 * one `bpftape symbolize` added).  0, -EBADMSG
 * (d->why says what) or -ENOMEM. */
int tape__stacks_parse_binary(struct tape_stacks *st, struct rd *d);
void tape__stacks_free(struct tape_stacks *st);

struct tape_reader {
	struct tape_input in;
	int fd;
	const uint8_t *mem;
	size_t memlen;
	uint64_t size;
	bool recovered;
	bool scanning;	   /* no valid footer: refresh() may find more */
	bool finished;	   /* the trailer was read: nothing more will come */
	uint64_t scan_end; /* end of the last good block when scanning */
	char errmsg[256];

	char **keys, **vals;
	size_t nmeta, capmeta, capvals;
	struct names metanames;	  /* index + 1 in keys by key */
	struct tape_enum **enums; /* by id - 1; NULL if undefined */
	uint32_t nenums;
	struct rtype **types; /* by id; [0] is the loss type */
	unsigned maxtype;
	struct names typenames; /* type ids by name */
	struct tape_proc *procs;
	size_t nprocs, capprocs;
	struct tape_loss *losses;
	size_t nlosses, caplosses;
	struct tape_mapping *mappings; /* mapping blocks (mapping.c) */
	size_t nmappings, capmappings;
	struct tape_binary *binaries; /* paths owned */
	size_t nbinaries, capbinaries;
	struct rchunk *chunks;
	size_t nchunks, capchunks;
	struct rblock *blocks;
	size_t nblocks, capblocks;
	char **problems; /* damage found while opening or scanning */
	size_t nproblems;
	char footer_note[256]; /* a damaged old footer: no events lost */
	uint64_t nevents, min_ts, max_ts;
	struct tape_stacks stacks;
};

/* Read the block at @off into @body (header checked, CRC verified).
 * On error, @err names the block and offset.  0, -EBADMSG, -ENODATA (the
 * block runs past the end of the input) or another -errno. */
int tape__reader_read_block(struct tape_reader *r, uint64_t off, struct buf *body,
			    struct rblock *blk, char *err, size_t errlen);

/* Mapping blocks (mapping.c): one length-prefixed record into @b, its ts
 * relative to @prev_ts; parse a block body into @r; free what was parsed. */
int tape__mapping_encode(struct buf *b, const struct tape_mapping *m, uint64_t prev_ts);
int tape__parse_mappings(struct tape_reader *r, struct rd *d);
void tape__mappings_reset(struct tape_reader *r);

/* The built-in loss type (id 0). */
extern const struct tape_type tape_loss_type;

#endif /* BPFTAPE_TAPE_INT_H */
