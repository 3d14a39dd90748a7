/* SPDX-License-Identifier: MIT */
/*
 * Compact symbol tables and the binary block (type 10) that carries one per
 * binary seen in a recorded stack, so a tape names its user frames on a
 * machine that never had the binaries (docs/FORMAT.md, "Binary block").
 *
 * Internal to libtape (the reader resolves frames through it) and to the
 * recorder (record/elfsym.c fills it from ELF files).  libc only; never
 * prints.  Decoding takes bytes from tapes of strangers: it never reads
 * outside its input, bounds every allocation by the input's size, and
 * says in @err what is wrong and where.
 *
 * Addresses are the binary's own virtual addresses (st_value, p_vaddr),
 * not run-time ones: a frame is (binary, file offset), turned into a vaddr
 * through the binary's PT_LOAD segments (tape__binary_lookup()).
 */
#ifndef BPFTAPE_SYMTAB_H
#define BPFTAPE_SYMTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

/* The block type of a binary block (docs/FORMAT.md). */

/* Limits a decoder enforces before it allocates what a tape asks for. */
#define SYMTAB_MAX_SYMS	    (4u << 20)
#define SYMTAB_MAX_NAME	    4096
#define BINARY_MAX_SEGS	    256
#define BINARY_MAX_BUILD_ID 64

/* Where a binary's symbols came from (bits of a binary block's `sources`). */
enum {
	SYMTAB_SRC_SYMTAB = 1,	   /* .symtab */
	SYMTAB_SRC_DYNSYM = 2,	   /* .dynsym (no .symtab) */
	SYMTAB_SRC_DEBUGDATA = 4,  /* .gnu_debugdata's .symtab (MiniDebugInfo) */
	SYMTAB_SRC_UNREADABLE = 8, /* the file could not be read: no symbols */
	SYMTAB_SRC_DEBUGFILE = 16, /* the .symtab of its debug file, by build-id */
};

/* ELF symbol bindings, as far as choosing among aliases needs them. */
enum symtab_bind {
	SYMTAB_LOCAL = 0,
	SYMTAB_GLOBAL = 1,
	SYMTAB_WEAK = 2,
};

/* One function symbol, as an encoder takes it.  @name is not owned. */
struct symtab_sym {
	uint64_t start; /* vaddr */
	uint64_t size;	/* 0: up to the next symbol */
	const char *name;
	uint8_t bind; /* enum symtab_bind */
};

/* A PT_LOAD segment: file bytes [offset, offset + filesz) are loaded at
 * vaddr.  flags are the ELF p_flags (PF_X = 1, PF_W = 2, PF_R = 4). */
struct symtab_seg {
	uint64_t vaddr;
	uint64_t offset;
	uint64_t filesz;
	uint32_t flags;
};

/*
 * Encode @n symbols into @out (appending).  @syms is sorted and reduced in
 * place: where several symbols start at one address (open, open64,
 * __open64, __libc_open64 ...) one is kept, chosen as perf does (a sized
 * one over size 0, then non-weak, then global, then fewer leading
 * underscores, then the longer name), so the table and perf name a frame
 * alike.  Names are stored once each, sorted and front-coded.  0 or
 * -ENOMEM / -EINVAL (a name longer than SYMTAB_MAX_NAME, too many symbols).
 */
int tape__symtab_encode(struct buf *out, struct symtab_sym *syms, size_t n);

struct symtab;

/* Decode an encoded table (exactly @len bytes).  NULL + errno (EBADMSG for
 * bad bytes, ENOMEM); @err (may be NULL) says what and at which symbol. */
struct symtab *tape__symtab_decode(const uint8_t *p, size_t len, char *err, size_t errlen);
void tape__symtab_free(struct symtab *t);
size_t tape__symtab_count(const struct symtab *t);
/* The @i-th symbol in address order (0 <= i < count); the name stays
 * valid while @t lives. */
void tape__symtab_get(const struct symtab *t, size_t i, uint64_t *start, uint64_t *size,
		      const char **name);

/*
 * The symbol covering @vaddr: name (valid while @t lives), and *@off =
 * @vaddr - its start.  A symbol covers [start, start + size); one of size 0
 * covers up to the next symbol's start, or up to @limit for the last one
 * (the end of its segment; UINT64_MAX: no bound).  No symbol covering the
 * address: NULL (unknown), never the nearest name below.
 */
const char *tape__symtab_lookup(const struct symtab *t, uint64_t vaddr, uint64_t limit,
				uint64_t *off);

/* A binary as the recorder describes it to the writer.  Nothing is owned. */
struct binary_desc {
	uint64_t id; /* the recorder's binary id (maps.c), as stacks name it */
	const char *path;
	const uint8_t *build_id;
	size_t build_id_len; /* 0: none */
	const struct symtab_seg *segs;
	size_t nsegs;
	uint32_t sources; /* SYMTAB_SRC_* */
};

/* Encode a binary block body into @out (appending); reorders @syms as
 * tape__symtab_encode() does.  0 or -errno. */
int tape__binary_encode(struct buf *out, const struct binary_desc *d, struct symtab_sym *syms,
			size_t nsyms);

/* A parsed binary block; everything owned by it. */
struct binary {
	uint64_t id;
	char *path;
	uint8_t build_id[BINARY_MAX_BUILD_ID];
	size_t build_id_len;
	char build_id_hex[2 * BINARY_MAX_BUILD_ID + 1]; /* "" without one */
	struct symtab_seg *segs;
	size_t nsegs;
	uint32_t sources;
	struct symtab *syms; /* never NULL; may hold no symbols */
};

/* Parse a binary block body of @len bytes.  NULL + errno (EBADMSG,
 * ENOMEM); @err says which field is wrong. */
struct binary *tape__binary_parse(const uint8_t *body, size_t len, char *err, size_t errlen);
void tape__binary_free(struct binary *b);

/* The segment holding file offset @off, or NULL. */
const struct symtab_seg *tape__binary_seg(const struct binary *b, uint64_t off);

/*
 * Name the code at file offset @off of @b: its vaddr through the PT_LOAD
 * segment holding it, then the symbol there.  0 with *@name (valid while @b
 * lives) and *@sym_off; -ENOENT when no segment or no symbol covers it
 * (the frame is [unknown]).
 */
int tape__binary_lookup(const struct binary *b, uint64_t off, const char **name, uint64_t *sym_off);

struct tape_writer;

/*
 * Write a binary block whose body @body (@len bytes) tape__binary_encode()
 * made, before the next chunk: the recorder's way to put a binary's symbols
 * into the tape before the first event whose stack needs them.  0 or -errno
 * (the writer's error).
 */
int tape__writer_add_binary(struct tape_writer *w, const uint8_t *body, size_t len);

struct tape_reader;

/*
 * The binary block of binary @id in @r: the last of that id in the tape,
 * the one whose symbols name its frames (`filter` copies it).  NULL when
 * the tape has none.  Valid while @r lives.
 */
const struct binary *tape__reader_binary(struct tape_reader *r, uint32_t id);

/*
 * What tape__binary_rewrite() asks of its caller for each binary block
 * @b: leave @out empty to copy the block as it is, or append a new body
 * (tape__binary_encode()) to write instead.  0 or -errno (stops the copy).
 */
typedef int tape__binary_rewrite_fn(void *ctx, const struct binary *b, struct buf *out);

/*
 * Copy every block of @r into @w in file order, byte for byte, except the
 * binary blocks @fn replaces (`bpftape symbolize`: the symbols of debug
 * files found later); the index and trailer are @w's own, and finishing
 * @w is the caller's.  A damaged @r is refused (-EBADMSG: recover it
 * first), as nothing may be dropped silently.  0 or -errno, @err saying
 * what and where.
 */
int tape__binary_rewrite(struct tape_reader *r, struct tape_writer *w, tape__binary_rewrite_fn *fn,
			 void *ctx, char *err, size_t errlen);

#endif /* BPFTAPE_SYMTAB_H */
