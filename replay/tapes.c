// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "predicate.h"
#include "proctab.h"
#include "tapes.h"

int tapes__open(char *const *paths, size_t n, struct tape_reader ***out, char *err, size_t errlen)
{
	struct tape_reader **r = calloc(n ? n : 1, sizeof(*r));
	char why[256];

	*out = NULL;
	if (!r)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		why[0] = '\0';
		r[i] = tape_reader__open(paths[i], why, sizeof(why));
		if (!r[i]) {
			int rc = -errno;

			snprintf(err, errlen, "%s: %s", paths[i], why[0] ? why : "cannot open");
			tapes__close(r, i);
			return rc ? rc : -EINVAL;
		}
	}
	*out = r;
	return 0;
}

void tapes__close(struct tape_reader **readers, size_t n)
{
	if (!readers)
		return;
	for (size_t i = 0; i < n; i++)
		tape_reader__free(readers[i]);
	free(readers);
}

int tapes__proc_prefix(struct tape_reader *const *readers, size_t n, const struct predicate *pred,
		       struct proctab *pt)
{
	static const char *const lc[] = {"fork", "exec", "exit"};
	struct tape_select sel = {.sz = sizeof(sel)};
	struct tape_cursor *cur;
	const struct tape_event *ev;
	uint64_t since = UINT64_MAX;
	int rc = 0;

	for (size_t s = 0; s < n; s++) {
		uint64_t a, b;

		predicate__range(pred, (unsigned)s, &a, &b);
		if (!a)
			return 0;
		if (a < since)
			since = a;
	}
	if (since == UINT64_MAX || since <= 1)
		return 0;
	sel.until = since - 1;
	sel.types = lc;
	sel.ntypes = 3;
	sel.no_losses = true;
	cur = tape_cursor__new(readers, n, &sel);
	if (!cur)
		return -errno;
	for (;;) {
		int r = tape_cursor__next(cur, &ev);

		if (r < 0)
			continue; /* a bad chunk costs only its own state changes */
		if (!r)
			break;
		if ((rc = proctab__apply(pt, ev)))
			break;
	}
	tape_cursor__free(cur);
	return rc;
}
