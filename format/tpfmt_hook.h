/* SPDX-License-Identifier: MIT */
/*
 * How the reader presents tracepoint types: a type with a kernel format
 * description and a single bytes field "raw" is shown with the format's
 * fields, decoded from the raw record as events are read.
 */
#ifndef BPFTAPE_TPFMT_HOOK_H
#define BPFTAPE_TPFMT_HOOK_H

#include "tape_int.h"

struct tpfmt;

/* Give @t its decoded fields if it is a raw tracepoint type. */
void tape__tpfmt_hook_attach(struct rtype *t);
void tape__tpfmt_hook_free(struct tpfmt *f);
/* Decode the stored values @in of @t into @out (t->pub.nfields entries),
 * using @scratch.  0 or -errno. */
int tape__tpfmt_hook_decode(const struct rtype *t, const union tape_value *in,
			    union tape_value *out, struct buf *scratch);

#endif
