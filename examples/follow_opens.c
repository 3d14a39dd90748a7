// SPDX-License-Identifier: MIT
/*
 * opens_per_comm.c on a tape that `bpftape record` is still writing:
 *
 *   $ sudo bpftape record -e file -o live.tape -- make &
 *   $ follow_opens live.tape
 *
 * The recorder names the tape once it holds its header and appends a
 * chunk at least every --flush-interval (1 s).  The cursor ends at what is
 * written so far; tape_reader__refresh() then picks up what the recorder
 * appended, and the same cursor goes on with it.  The tape is finished
 * (tape_reader__finished()) once its trailer is read: then nothing more
 * comes, the counts are printed, and the program ends.  Ctrl-C prints the
 * counts so far.
 *
 * Build: cc follow_opens.c $(pkg-config --cflags --libs libtape)
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpftape/tape.h>

struct count {
	char comm[TAPE_COMM_LEN + 1];
	unsigned long n;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

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

static int by_count(const void *a, const void *b)
{
	const struct count *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->comm, y->comm);
}

int main(int argc, char **argv)
{
	/* every event, headers only: a cursor resolves type names when it is
	 * made, and a tape being recorded may define its types after that */
	struct tape_select sel = {.sz = sizeof(sel), .no_losses = true, .no_fields = true};
	const struct tape_type *tp;
	struct sigaction sa = {.sa_handler = on_signal};
	struct tape_reader *r = NULL;
	struct tape_cursor *cur = NULL;
	const struct tape_event *ev;
	struct count *tab = NULL;
	size_t ntab = 0;
	char err[256];
	int rc, ret = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: %s FILE\n", argv[0]);
		return 2;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* started beside the recorder, the tape may not have its name yet */
	for (int tries = 0; !r && !stop; tries++) {
		r = tape_reader__open(argv[1], err, sizeof(err));
		if (!r && (errno != ENOENT || tries == 300)) {
			fprintf(stderr, "%s: %s\n", argv[1], err);
			return 1;
		}
		if (!r)
			sleep_ms(100);
	}
	if (!r)
		return 1;
	cur = tape_cursor__new(&r, 1, &sel);
	if (!cur) {
		perror("tape_cursor__new");
		goto cleanup;
	}
	while (!stop) {
		rc = tape_cursor__next(cur, &ev);
		if (rc < 0) {
			fprintf(stderr, "%s: %s (skipped)\n", argv[1], tape_cursor__errmsg(cur));
			continue;
		}
		if (rc > 0) {
			tp = tape_reader__type(r, ev->type);
			if (!tp || strcmp(tp->name, "open"))
				continue;
			if (count_comm(&tab, &ntab, ev->comm)) {
				perror("counting");
				goto cleanup;
			}
			continue;
		}
		/* the end of what is written: finished, or wait for more */
		if (tape_reader__finished(r))
			break;
		rc = tape_reader__refresh(r);
		if (rc < 0) {
			fprintf(stderr, "%s: %s\n", argv[1], tape_reader__errmsg(r));
			goto cleanup;
		}
		/* a tenth of the recorder's flush interval keeps the lag near it */
		if (rc == 0)
			sleep_ms(100);
	}
	qsort(tab, ntab, sizeof(*tab), by_count);
	for (size_t i = 0; i < ntab; i++)
		printf("%10lu %s\n", tab[i].n, tab[i].comm);
	ret = 0;
cleanup:
	tape_cursor__free(cur);
	tape_reader__free(r);
	free(tab);
	return ret;
}
