// SPDX-License-Identifier: MIT
/*
 * The process behind each event of one type: its parent, executable and
 * command line as they were when the event happened.
 *
 *   $ proc_of_event incident.tape connect
 *   1.002000000 pid 101 ppid 100 comm cat exe /usr/bin/cat argv cat /etc/x
 *
 * The events carry a pid and a comm only.  A tape_proctab, seeded with the
 * tape's process snapshots and fed every fork, exec and exit in time order,
 * knows the rest at each point of the tape, also for processes that
 * started before the recording.
 *
 * Build: cc proc_of_event.c $(pkg-config --cflags --libs libtape)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpftape/tape.h>
#include <bpftape/tape_proctab.h>

/* Print @len bytes of tape text as TAPE_ESC_TEXT writes them: a tape's
 * bytes never drive the terminal. */
static void put_text(const char *s, size_t len)
{
	char buf[512];
	ssize_t n = tape_escape(s, len, TAPE_ESC_TEXT, buf, sizeof(buf));

	fputs(n < 0 ? "?" : buf, stdout);
}

int main(int argc, char **argv)
{
	const char *type = argc > 2 ? argv[2] : "open";
	/* the table needs fork, exec and exit besides the events asked for */
	const char *types[] = {"fork", "exec", "exit", type};
	struct tape_select sel = {
		.sz = sizeof(sel), .types = types, .ntypes = 4, .no_losses = true};
	struct tape_reader *r = NULL;
	struct tape_cursor *cur = NULL;
	struct tape_proctab *procs = NULL;
	const struct tape_event *ev;
	uint64_t t0;
	char err[256];
	int rc, ret = 1;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s FILE [TYPE]   (TYPE: open by default)\n", argv[0]);
		return 2;
	}
	r = tape_reader__open(argv[1], err, sizeof(err));
	if (!r) {
		fprintf(stderr, "%s: %s\n", argv[1], err);
		return 1;
	}
	if (!tape_reader__type_by_name(r, type)) {
		fprintf(stderr, "%s: no events of type '%s'\n", argv[1], type);
		goto cleanup;
	}
	procs = tape_proctab__new();
	cur = tape_cursor__new(&r, 1, &sel);
	if (!procs || !cur || tape_proctab__load_snapshot(procs, r)) {
		perror("proc_of_event");
		goto cleanup;
	}
	t0 = tape_reader__min_ts(r);
	while ((rc = tape_cursor__next(cur, &ev)) != 0) {
		const struct tape_proc_state *p;

		if (rc < 0) {
			fprintf(stderr, "%s: %s (skipped)\n", argv[1], tape_cursor__errmsg(cur));
			continue;
		}
		/* first the table learns from the event (an exec changes exe) */
		if (tape_proctab__apply(procs, ev)) {
			perror("proc_of_event");
			goto cleanup;
		}
		if (strcmp(ev->tp->name, type))
			continue;
		p = tape_proctab__get(procs, ev->pid);
		printf("%llu.%09llu pid %u ppid %u comm ",
		       (unsigned long long)(ev->ts - t0) / 1000000000,
		       (unsigned long long)(ev->ts - t0) % 1000000000, ev->pid, p ? p->ppid : 0);
		put_text(ev->comm, strlen(ev->comm));
		fputs(" exe ", stdout);
		if (p && p->exe)
			put_text(p->exe, strlen(p->exe));
		else
			fputs("?", stdout);
		fputs(" argv", stdout);
		/* NUL-separated arguments */
		for (uint32_t i = 0; p && p->argv && i < p->argv_len;
		     i += strlen(p->argv + i) + 1) {
			putchar(' ');
			put_text(p->argv + i, strnlen(p->argv + i, p->argv_len - i));
		}
		putchar('\n');
	}
	ret = 0;
cleanup:
	tape_cursor__free(cur);
	tape_proctab__free(procs);
	tape_reader__free(r);
	return ret;
}
