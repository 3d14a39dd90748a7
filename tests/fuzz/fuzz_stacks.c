// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the stack block parser (format/stacks.c): the
 * input is a stack block body (docs/FORMAT.md, "Stack block").  Tapes come
 * from anyone: parsing must not crash, read out of bounds or take memory
 * out of proportion to the input, and every stack it keeps must read back
 * whole: frames with NUL-terminated strings.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../format/tape_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tape_stacks st = {0};
	/* an exact-size copy so ASan sees any read past the body */
	uint8_t *body = malloc(size ? size : 1);
	struct rd d;

	if (!body)
		return 0;
	memcpy(body, data, size);
	d = (struct rd){body, body + size, false, NULL};
	/* twice: the second block redefines what the first defined */
	for (int pass = 0; pass < 2; pass++) {
		d = (struct rd){body, body + size, false, NULL};
		tape__stacks_parse(&st, &d);
	}
	for (size_t i = 0; i < st.nstacks; i++) {
		const struct rstack *s = tape__stacks_find(&st, st.stacks[i].id);

		if (!s || s->n > TAPE_MAX_FRAMES)
			abort();
		for (uint32_t k = 0; k < s->n; k++) {
			const struct tape_frame *f = &s->frames[k];

			if ((f->symbol && strlen(f->symbol) > size) ||
			    (f->binary && strlen(f->binary) > size) || f->kernel > 1 || f->gap > 1)
				abort();
		}
	}
	/* frames cost a struct each, and each takes at least 3 input bytes */
	if (st.nstacks > size)
		abort();
	tape__stacks_free(&st);
	free(body);
	return 0;
}
