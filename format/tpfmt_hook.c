// SPDX-License-Identifier: MIT
/* Raw tracepoint types presented through their kernel format description. */
#include "tpfmt_hook.h"

void tpfmt_hook_attach(struct rtype *t)
{
	(void)t;
}

void tpfmt_hook_free(struct tpfmt *f)
{
	(void)f;
}

int tpfmt_hook_decode(const struct rtype *t, const union tape_value *in, union tape_value *out,
		      struct buf *scratch)
{
	(void)t;
	(void)in;
	(void)out;
	(void)scratch;
	return -EOPNOTSUPP;
}
