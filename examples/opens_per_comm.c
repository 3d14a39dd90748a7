// SPDX-License-Identifier: MIT
/*
 * How many files each command opened, from one or more tapes:
 *
 *   $ opens_per_comm incident.tape
 *        117 ls
 *         93 cat
 *
 * A cursor asks for the "open" events only, so the index skips every chunk
 * that holds none; several tapes (rotated files, hosts) are merged in time
 * order.  follow_opens.c is the same analysis on a tape still being
 * recorded.
 *
 * Build against libtape:
 *   cc opens_per_comm.c $(pkg-config --cflags --libs libtape)
 * or, at the top of the source tree,
 *   cc -Iformat/include examples/opens_per_comm.c build/libtape.a -lzstd
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpftape/tape.h>

struct count {
	char comm[TAPE_COMM_LEN + 1];
	unsigned long n;
};

/* A tape holds a few hundred commands at most: a linear search will do. */
static int count_comm(struct count **tab, size_t *n, const char *comm)
{
	struct count *t;

	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*tab)[i].comm, comm)) {
			(*tab)[i].n++;
			return 0;
		}
	t = realloc(*tab, (*n + 1) * sizeof(**tab));
	if (!t)
		return -1;
	*tab = t;
	snprintf(t[*n].comm, sizeof(t[*n].comm), "%s", comm);
	t[(*n)++].n = 1;
	return 0;
}

/* Most opens first, then by name. */
static int by_count(const void *a, const void *b)
{
	const struct count *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->comm, y->comm);
}

int main(int argc, char **argv)
{
	const char *types[] = {"open"};
	/* the comm is in every event's header: no field is decoded */
	struct tape_select sel = {.sz = sizeof(sel),
				  .types = types,
				  .ntypes = 1,
				  .no_losses = true,
				  .no_fields = true};
	struct tape_reader **readers = calloc(argc > 1 ? argc - 1 : 1, sizeof(*readers));
	struct tape_cursor *cur = NULL;
	const struct tape_event *ev;
	struct count *tab = NULL;
	size_t ntab = 0, nreaders = 0;
	char err[256];
	int rc, ret = 1;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE...\n", argv[0]);
		return 2;
	}
	if (!readers)
		goto cleanup;
	for (int i = 1; i < argc; i++) {
		readers[nreaders] = tape_reader__open(argv[i], err, sizeof(err));
		if (!readers[nreaders]) {
			fprintf(stderr, "%s: %s\n", argv[i], err);
			goto cleanup;
		}
		nreaders++;
	}
	cur = tape_cursor__new(readers, nreaders, &sel);
	if (!cur) {
		perror("tape_cursor__new");
		goto cleanup;
	}
	while ((rc = tape_cursor__next(cur, &ev)) != 0) {
		if (rc < 0) {
			/* a damaged chunk: say so and go on with the next one */
			fprintf(stderr, "%s: %s (skipped)\n", argv[1 + tape_cursor__errsrc(cur)],
				tape_cursor__errmsg(cur));
			continue;
		}
		if (count_comm(&tab, &ntab, ev->comm)) {
			perror("counting");
			goto cleanup;
		}
	}
	qsort(tab, ntab, sizeof(*tab), by_count);
	for (size_t i = 0; i < ntab; i++)
		printf("%10lu %s\n", tab[i].n, tab[i].comm);
	ret = 0;
cleanup:
	tape_cursor__free(cur);
	for (size_t i = 0; i < nreaders; i++)
		tape_reader__free(readers[i]);
	free(readers);
	free(tab);
	return ret;
}
