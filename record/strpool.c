// SPDX-License-Identifier: MIT
/* Interned strings and the caches' clock: strpool.h. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "strpool.h"

const char *strpool__intern(struct strpool *sp, const char *s)
{
	uint32_t id = tape__names_find(&sp->ids, s);
	size_t len = strlen(s);
	char *copy;

	if (id)
		return sp->strs[id - 1];
	if (sp->max_bytes && sp->bytes + len + 1 > sp->max_bytes)
		return NULL;
	if (sp->n == sp->cap) {
		size_t cap = sp->cap ? 2 * sp->cap : 256;
		char **grown = realloc(sp->strs, cap * sizeof(*grown));

		if (!grown)
			return NULL;
		sp->strs = grown;
		sp->cap = cap;
	}
	copy = strdup(s);
	if (!copy)
		return NULL;
	if (tape__names_add(&sp->ids, copy, sp->n + 1)) {
		free(copy);
		return NULL;
	}
	sp->strs[sp->n++] = copy;
	sp->bytes += len + 1;
	return copy;
}

void strpool__free(struct strpool *sp)
{
	size_t max = sp->max_bytes;

	for (size_t i = 0; i < sp->n; i++)
		free(sp->strs[i]);
	free(sp->strs);
	tape__names_free(&sp->ids);
	*sp = (struct strpool){.max_bytes = max};
}

uint64_t strpool__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}
