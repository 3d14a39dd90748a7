// SPDX-License-Identifier: MIT
/* Raw tracepoint types presented through their kernel format description. */
#include <stdlib.h>

#include "private/tpfmt.h"
#include "tpfmt_hook.h"

void tape__tpfmt_hook_attach(struct rtype *t)
{
	const struct tape_field *src;
	struct tape_field *fields;
	struct tpfmt *f;
	uint16_t n;

	if (!t->pub.format || !*t->pub.format || t->pub.nfields != 1 ||
	    t->pub.fields[0].kind != TAPE_BYTES || strcmp(t->pub.fields[0].name, "raw"))
		return;
	/* A format that does not parse leaves the type as stored: raw bytes. */
	f = tape__tpfmt_parse(t->pub.format, NULL, 0);
	if (!f)
		return;
	n = tape__tpfmt_nfields(f);
	src = tape__tpfmt_fields(f);
	fields = calloc(n ? n : 1, sizeof(*fields));
	if (!fields || n > TAPE_MAX_FIELDS) {
		free(fields);
		tape__tpfmt_free(f);
		return;
	}
	for (uint16_t i = 0; i < n; i++) {
		fields[i] = src[i];
		fields[i].enumeration = NULL;
		fields[i].name = strdup(src[i].name);
		if (!fields[i].name) {
			while (i--)
				free((char *)fields[i].name);
			free(fields);
			tape__tpfmt_free(f);
			return;
		}
	}
	t->stored = (struct tape_field *)t->pub.fields;
	t->nstored = 1;
	t->pub.fields = fields;
	t->pub.nfields = n;
	t->tpfmt = f;
}

void tape__tpfmt_hook_free(struct tpfmt *f)
{
	tape__tpfmt_free(f);
}

int tape__tpfmt_hook_decode(const struct rtype *t, const union tape_value *in,
			    union tape_value *out, struct buf *scratch)
{
	size_t need = (size_t)in[0].b.len + t->pub.nfields + 1;

	scratch->len = 0;
	if (tape__buf_reserve(scratch, need))
		return -ENOMEM;
	return tape__tpfmt_decode(t->tpfmt, in[0].b.ptr, in[0].b.len, out, (char *)scratch->data,
				  scratch->cap);
}
