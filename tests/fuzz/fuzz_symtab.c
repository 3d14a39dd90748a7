// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for format/symtab.c: the input is a binary block body
 * (docs/FORMAT.md, type 10), parsed as a tape from anyone would be; what
 * parses is looked up at many offsets and re-encoded, and must round-trip.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "private/symtab.h"
#include "private/block.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy so ASan sees any read past the body. */
	uint8_t *body = malloc(size ? size : 1);
	struct binary *b;
	char err[200];

	if (!body)
		return 0;
	memcpy(body, data, size);
	b = tape__binary_parse(body, size, err, sizeof(err));
	if (b) {
		size_t n = tape__symtab_count(b->syms);
		struct symtab_sym *syms = calloc(n ? n : 1, sizeof(*syms));
		struct binary_desc d = {b->id,	 b->path,  b->build_id, b->build_id_len,
					b->segs, b->nsegs, b->sources};
		struct buf out = {0};

		for (size_t i = 0; i < n; i++) {
			const char *name;
			uint64_t off;

			tape__symtab_get(b->syms, i, &syms[i].start, &syms[i].size, &syms[i].name);
			if (strlen(name = syms[i].name) > SYMTAB_MAX_NAME)
				abort();
			tape__binary_lookup(b, syms[i].start, &name, &off);
			if (tape__symtab_lookup(b->syms, syms[i].start, UINT64_MAX, &off) &&
			    off != 0 && syms[i].size)
				abort(); /* a sized symbol's own start is its own */
		}
		for (size_t i = 0; i < b->nsegs; i++) {
			const char *name;
			uint64_t off;

			tape__binary_lookup(b, b->segs[i].offset, &name, &off);
			tape__binary_lookup(b, b->segs[i].offset + b->segs[i].filesz / 2, &name,
					    &off);
		}
		/* decoded tables are sorted and distinct: they encode again */
		if (syms && tape__binary_encode(&out, &d, syms, n) == 0) {
			struct binary *c = tape__binary_parse(out.data, out.len, err, sizeof(err));

			if (!c || tape__symtab_count(c->syms) != n)
				abort();
			tape__binary_free(c);
		}
		tape__buf_free(&out);
		free(syms);
	}
	tape__binary_free(b);
	free(body);
	return 0;
}
