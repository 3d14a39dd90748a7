// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for format/tpfmt.c: the input is a tracepoint format
 * text, a NUL, then a raw record decoded with it.  Tapes carry format texts
 * from anyone, so neither parsing nor decoding may crash or read out of
 * bounds whatever the bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "private/tpfmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t tlen = nul ? (size_t)(nul - data) : size;
	char *text = malloc(tlen + 1);
	union tape_value out[TAPE_MAX_FIELDS];
	char err[128];
	struct tpfmt *f;

	if (!text)
		return 0;
	memcpy(text, data, tlen);
	text[tlen] = '\0';
	f = tape__tpfmt_parse(text, err, sizeof(err));
	if (f) {
		const uint8_t *raw = nul ? nul + 1 : data + size;
		size_t len = data + size - raw;
		/* An exact-size copy so ASan sees any read past the record. */
		uint8_t *rec = malloc(len ? len : 1);
		size_t slen = len + tape__tpfmt_nfields(f);
		char *scratch = malloc(slen ? slen : 1);
		const struct tape_field *fl = tape__tpfmt_fields(f);

		if (rec && scratch) {
			memcpy(rec, raw, len);
			tape__tpfmt_decode(f, rec, len, out, scratch, slen);
			for (unsigned i = 0; i < tape__tpfmt_nfields(f); i++) {
				if (fl[i].kind == TAPE_STR && strlen(out[i].b.ptr) != out[i].b.len)
					abort();
				if (fl[i].kind == TAPE_BYTES && out[i].b.len &&
				    ((const uint8_t *)out[i].b.ptr < rec ||
				     (const uint8_t *)out[i].b.ptr + out[i].b.len > rec + len))
					abort();
			}
			/* and with a tiny scratch buffer */
			tape__tpfmt_decode(f, rec, len, out, scratch, slen > 3 ? 3 : slen);
		}
		free(rec);
		free(scratch);
	}
	tape__tpfmt_free(f);
	free(text);
	return 0;
}
