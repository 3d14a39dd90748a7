/* SPDX-License-Identifier: MIT */
/*
 * The bytes of a tape that libtape's in-tree users may need beside the
 * public API: block framing (docs/FORMAT.md), the CRC that seals each
 * block, and the growable buffer the block encoders write into.  Tests and
 * fuzzers frame crafted block bodies with it; never installed.
 */
#ifndef BPFTAPE_PRIVATE_BLOCK_H
#define BPFTAPE_PRIVATE_BLOCK_H

#include <stddef.h>
#include <stdint.h>

/* ---- file layout constants (docs/FORMAT.md) ---- */

#define FILE_MAGIC   "BPFTAPE\0"
#define FILE_HDR_LEN 16

#define BLOCK_MAGIC   0x4b4c4254u /* "TBLK" little-endian */
#define BLOCK_HDR_LEN 20

enum block_type {
	BLOCK_META = 1,
	BLOCK_SCHEMA = 2,
	BLOCK_PROCS = 3,
	BLOCK_CHUNK = 4,
	BLOCK_LOSS = 5,
	BLOCK_INDEX = 6,
	BLOCK_TRAILER = 7,
	BLOCK_STACKS = 8, /* format 1.2 */
	BLOCK_MAPPING = 9,
	BLOCK_BINARY = 10,
};

/* ---- CRC32C (Castagnoli) ---- */

uint32_t tape__crc32c(uint32_t crc, const void *buf, size_t len);

/* ---- growable byte buffer ---- */

struct buf {
	uint8_t *data;
	size_t len;
	size_t cap;
};

int tape__buf_reserve(struct buf *b, size_t extra);
void tape__buf_free(struct buf *b);
int tape__buf_put(struct buf *b, const void *p, size_t len);
int tape__buf_put_varint(struct buf *b, uint64_t v);
int tape__buf_put_str(struct buf *b, const char *s); /* varint length + bytes */
int tape__buf_put_bytes(struct buf *b, const void *p, size_t len);

/* ---- little-endian helpers ---- */

static inline void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static inline void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = v >> (8 * i);
}

static inline void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = v >> (8 * i);
}

static inline uint16_t get_le16(const uint8_t *p)
{
	return p[0] | (uint16_t)p[1] << 8;
}

static inline uint32_t get_le32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t get_le64(const uint8_t *p)
{
	return get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

#endif
