// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

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
