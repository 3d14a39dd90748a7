// SPDX-License-Identifier: MIT
/* bpftape recover: copy every intact block of a damaged tape into a new one. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../cli/cli.h"
#include <bpftape/tape.h>
#include "../cli/verbs.h"

#define VERB "recover"

static void usage(FILE *f)
{
	fprintf(f, "Usage: bpftape recover [-q] -o OUT FILE\n\n"
		   "Copy every intact block of a damaged or unfinished tape (a recorder\n"
		   "killed with SIGKILL, a full disk, a bad copy) into a new finalized tape\n"
		   "with a fresh index, and say what was lost: damaged blocks and a torn\n"
		   "tail count, the old index and footer do not (they are rebuilt).  Exit\n"
		   "status 0 when the new tape was written, even if blocks were lost; 1 if\n"
		   "it could not be.\n\n"
		   "  -o, --output OUT   the new tape (must differ from FILE); - is standard\n"
		   "                     output (the report then goes to standard error)\n"
		   "  -q, --quiet        no progress line on a terminal\n"
		   "  -h, --help         this help\n\n"
		   "FILE cannot be - (standard input): recover reads it twice.\n\n"
		   "Examples:\n"
		   "  bpftape recover -o fixed.tape killed.tape\n"
		   "  bpftape info --verify fixed.tape\n");
}

static void print_problem(void *ctx, const char *msg)
{
	cli__fprintf(ctx, "  %s\n", msg);
}

/*
 * The progress of tape_recover(), which reports none: a thread shows
 * that it works, and for how long.
 */
struct watch {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done;
	const char *in, *out;
	uint64_t total;
	struct timespec start; /* CLOCK_REALTIME */
	struct cli_progress *prog;
};

static void *watch_run(void *arg)
{
	struct watch *w = arg;

	pthread_mutex_lock(&w->mu);
	while (!w->done) {
		struct timespec t;

		clock_gettime(CLOCK_REALTIME, &t);
		t.tv_nsec += 250000000;
		if (t.tv_nsec >= 1000000000) {
			t.tv_sec++;
			t.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&w->cv, &w->mu, &t);
		if (w->done)
			break;
		/* OUT gets its name only when complete: the new tape's size
		 * cannot be watched, the time spent can */
		cli_progress__show(w->prog, "%s: copying %.1f MB into %s, %.0f s", w->in,
				   (double)w->total / 1e6, w->out,
				   (double)(t.tv_sec - w->start.tv_sec));
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int cmd_recover(int argc, char **argv)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct tape_recover_stats st = {0};
	struct cli_progress prog;
	struct watch w = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
	pthread_t th;
	bool quiet = false, watching = false, rebuilt;
	const char *out = NULL, *path;
	struct tape_reader *in;
	FILE *rep;
	char err[512] = "";
	uint64_t listed;
	int c, rc;

	cli__getopt_init();
	while ((c = getopt_long(argc, argv, ":hqo:", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return cli__bad_option(VERB, c, argv, opts);
		}
	}
	if (!out)
		return cli__usage(VERB, "-o OUT is required");
	if (optind != argc - 1)
		return cli__usage(VERB, optind < argc ? "one input tape at a time"
						      : "no input tape given (FILE)");
	path = argv[optind];
	/* the input is read twice (its own index, then every block) */
	if (cli__check_inputs(VERB, argv + optind, 1,
			      "recover reads its input twice; save it to a file first"))
		return CLI_EXIT_USAGE;
	if (!strcmp(out, path))
		return cli__usage(VERB, "-o %s: the output must not be the input", out);
	/* what the input's own index says, to compare with what is kept */
	in = tape_reader__open(path, err, sizeof(err));
	if (!in) {
		cli__eprintf("bpftape recover: %s: %s\n", path, err[0] ? err : strerror(errno));
		return 1;
	}
	rebuilt = tape_reader__recovered(in);
	listed = rebuilt ? 0 : tape_reader__event_count(in);
	cli_progress__init(&prog, VERB, quiet);
	if (prog.on) {
		w.in = path;
		w.out = out;
		w.total = tape_reader__file_size(in);
		w.prog = &prog;
		clock_gettime(CLOCK_REALTIME, &w.start);
		watching = !pthread_create(&th, NULL, watch_run, &w);
	}
	err[0] = '\0';
	rc = tape_recover(path, out, &st, err, sizeof(err));
	if (watching) {
		pthread_mutex_lock(&w.mu);
		w.done = true;
		pthread_cond_signal(&w.cv);
		pthread_mutex_unlock(&w.mu);
		pthread_join(th, NULL);
		cli_progress__end(&prog);
	}
	if (rc) {
		tape_reader__free(in);
		/* the library's message already names the file */
		if (err[0] && (strstr(err, path) || strstr(err, out)))
			cli__eprintf("bpftape recover: %s\n", err);
		else
			cli__eprintf("bpftape recover: %s: %s\n", path,
				     err[0] ? err : strerror(-rc));
		return 1;
	}
	/* -o -: standard output holds the tape */
	rep = strcmp(out, "-") ? stdout : stderr;
	cli__fprintf(rep, "%s", out);
	fprintf(rep, ": kept %llu block(s) with %llu event(s)", (unsigned long long)st.blocks_kept,
		(unsigned long long)st.events_kept);
	if (!st.blocks_bad && !st.bytes_lost)
		fprintf(rep, "; nothing lost\n");
	else
		fprintf(rep, "; lost %llu bad block(s), %llu byte(s) of input\n",
			(unsigned long long)st.blocks_bad, (unsigned long long)st.bytes_lost);
	if (rebuilt)
		cli__fprintf(
			rep,
			"  index rebuilt: the input had no valid index or footer; %s has a new "
			"one\n",
			out);
	if (st.blocks_bad || st.bytes_lost) {
		/* what the input's own index still says, and every bad block */
		if (listed > st.events_kept)
			fprintf(rep, "  %llu of the %llu events its index lists are gone\n",
				(unsigned long long)(listed - st.events_kept),
				(unsigned long long)listed);
		tape_reader__verify(in, print_problem, rep);
	}
	tape_reader__free(in);
	return 0;
}
