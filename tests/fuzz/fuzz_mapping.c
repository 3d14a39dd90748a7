// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the mapping block (type 9) parser: the input is a
 * block body, framed here into a tape with a good CRC so that the fuzzer
 * spends its time inside the body.  Every record and binary is listed and
 * addresses are resolved through the records (forks included); never a
 * crash, never a read past the body, ids and ranges as the format allows.
 * Seeds: tests/fuzz/corpus/fuzz_mapping/ (block bodies).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <bpftape/tape.h>
#include "../../format/tape_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len = FILE_HDR_LEN + BLOCK_HDR_LEN + size;
	uint8_t *t;
	struct tape_reader *r;
	char err[256];
	uint32_t crc;

	if (size > (1u << 20))
		return 0;
	t = malloc(len);
	if (!t)
		return 0;
	memcpy(t, FILE_MAGIC, 8);
	put_le16(t + 8, TAPE_VERSION_MAJOR);
	put_le16(t + 10, TAPE_VERSION_MINOR);
	put_le32(t + 12, 0);
	put_le32(t + 16, BLOCK_MAGIC);
	put_le16(t + 20, BLOCK_MAPPING);
	put_le16(t + 22, 0);
	put_le32(t + 24, 0);
	put_le32(t + 28, size);
	memcpy(t + FILE_HDR_LEN + BLOCK_HDR_LEN, data, size);
	crc = tape__crc32c(0, t + 16, 16);
	crc = tape__crc32c(crc, t + FILE_HDR_LEN + BLOCK_HDR_LEN, size);
	put_le32(t + 32, crc);
	r = tape_reader__open_mem(t, len, err, sizeof(err));
	if (r) {
		for (size_t i = 0; i < tape_reader__binary_count(r); i++) {
			const struct tape_binary *b = tape_reader__binary(r, i);

			if (!b->id || b->id > TAPE_MAX_BINARY_ID || !b->path)
				abort();
			(void)strlen(b->path);
		}
		for (size_t i = 0; i < tape_reader__mapping_count(r); i++) {
			const struct tape_mapping *m = tape_reader__mapping(r, i);
			uint32_t bin;
			uint64_t off;

			if ((m->kind == TAPE_MAPPING_MAP || m->kind == TAPE_MAPPING_UNMAP) &&
			    m->start >= m->end)
				abort();
			if (m->kind == TAPE_MAPPING_MAP && !m->binary)
				abort();
			/* a bounded number of look-ups: each walks the records */
			if (i < 64 &&
			    !tape_reader__resolve_addr(r, m->pid, m->ts, m->start, &bin, &off) &&
			    !bin)
				abort();
		}
		tape_reader__free(r);
	}
	free(t);
	return 0;
}
