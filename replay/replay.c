// SPDX-License-Identifier: MIT
/* bpftape replay: print a tape's events in timestamp order. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "output.h"
#include "predicate.h"
#include "tapes.h"
#include "verbs.h"

#define VERB "replay"

static volatile sig_atomic_t replay_stop;

static void on_sigint(int sig)
{
	(void)sig;
	replay_stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: bpftape replay [PREDICATES] [--json] [--time rel|wall|raw]\n"
		   "                      [--pace[=SPEED]] [--follow] FILE...\n\n"
		   "Print the events of one or more tapes in timestamp order, one line per\n"
		   "event: time, [cpu], comm, pid/tid, type, fields.  Several tapes (rotated\n"
		   "files, several hosts) are merged.  Loss records appear in place.\n\n"
		   "Output:\n"
		   "  --json                NDJSON, one object per event, typed values\n"
		   "  --time MODE           rel: seconds from the start (default); wall: local\n"
		   "                        time of day; raw: recorded CLOCK_BOOTTIME seconds\n"
		   "  --pace[=SPEED]        re-emit events at their recorded pace, SPEED times\n"
		   "                        faster (default 1)\n"
		   "  --follow              keep reading a tape that is still being recorded\n"
		   "                        (like tail -f) until the recorder finishes it;\n"
		   "                        Ctrl-C ends sooner\n"
		   "  -h, --help            this help\n\n" PRED_HELP "\n" CLI_STDIN_HELP
		   "\nExamples:\n"
		   "  bpftape replay incident.tape\n"
		   "  bpftape replay --pid 4242 --since 10s --until 20s incident.tape\n"
		   "  bpftape replay -f 'type == \"open\" && ret == ENOENT' incident.tape\n"
		   "  bpftape replay --json --type exec,exit incident.tape | jq .comm\n"
		   "  bpftape replay --pace=10 incident.tape\n"
		   "  bpftape replay --follow live.tape\n");
}

/* Sleep until event time @rel_ns (since the first event) at @speed. */
static void pace_wait(struct out *o, const struct timespec *start, int64_t rel_ns, double speed)
{
	struct timespec t = *start;
	int64_t d = (int64_t)((double)rel_ns / speed);

	if (d <= 0)
		return;
	t.tv_sec += d / 1000000000;
	t.tv_nsec += d % 1000000000;
	if (t.tv_nsec >= 1000000000) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000;
	}
	{
		struct timespec now;

		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > t.tv_sec || (now.tv_sec == t.tv_sec && now.tv_nsec >= t.tv_nsec))
			return;
	}
	out__flush(o);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR && !replay_stop)
		;
}

int cmd_replay(int argc, char **argv)
{
	enum { OPT_JSON = 1, OPT_PACE, OPT_FOLLOW, OPT_TIME };
	static const struct option opts[] = {
		PRED_LONG_OPTIONS,
		{"json", no_argument, NULL, OPT_JSON},
		{"pace", optional_argument, NULL, OPT_PACE},
		{"follow", no_argument, NULL, OPT_FOLLOW},
		{"time", required_argument, NULL, OPT_TIME},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct pred_opts po = {0};
	struct tapes t = {0};
	struct render rd = {0};
	struct out out = {.buf = NULL};
	bool json = false, follow = false, pace = false, started = false;
	enum time_mode tmode = TIME_REL;
	double speed = 1.0;
	uint64_t bad_chunks = 0;
	struct timespec start;
	int64_t first_rel = 0;
	char err[512];
	int c, rc, ret = 1;

	cli__getopt_init();
	while ((c = pred_opts__getopt(&po, argc, argv, ":hf:", opts, VERB, &ret)) >= 0) {
		switch (c) {
		case OPT_JSON:
			json = true;
			break;
		case OPT_FOLLOW:
			follow = true;
			break;
		case OPT_PACE:
			pace = true;
			if (optarg) {
				rc = cli__parse_positive_real(optarg, &speed);
				if (rc) {
					ret = cli__usage(VERB,
							 "--pace: '%s' is %s (1: as recorded, 10: "
							 "ten times faster)",
							 optarg,
							 rc == -ERANGE ? "too large a speed"
								       : "not a positive speed");
					goto cleanup;
				}
			}
			break;
		case OPT_TIME:
			if (!strcmp(optarg, "rel")) {
				tmode = TIME_REL;
			} else if (!strcmp(optarg, "wall")) {
				tmode = TIME_WALL;
			} else if (!strcmp(optarg, "raw")) {
				tmode = TIME_RAW;
			} else {
				ret = cli__usage(VERB, "--time: '%s' is not rel, wall or raw",
						 optarg);
				goto cleanup;
			}
			break;
		case 'h':
			usage(stdout);
			ret = 0;
			goto cleanup;
		default:
			ret = cli__bad_option(VERB, c, argv, opts);
			goto cleanup;
		}
	}
	if (c == PRED_GETOPT_FAIL)
		goto cleanup;
	if (optind >= argc) {
		ret = cli__usage(VERB, "no tape given (FILE...)");
		goto cleanup;
	}
	/* a copy of a pipe never grows: there is nothing to follow */
	if ((ret = cli__check_inputs(VERB, argv + optind, (size_t)(argc - optind),
				     follow ? "--follow follows a file that grows; name the tape"
					    : NULL)))
		goto cleanup;
	ret = 1;
	if ((rc = tapes__setup(&t, argv + optind, (size_t)(argc - optind), &po, err,
			       sizeof(err)))) {
		if (t.bad_selection)
			ret = cli__usage(VERB, "%s", err);
		else
			cli__eprintf("bpftape replay: %s\n", err);
		goto cleanup;
	}
	for (size_t i = 0; i < t.n; i++)
		bad_chunks += cli__report_damage(VERB, argv[optind + i], t.readers[i], 0);
	/* a tape being recorded has no index yet: that is what --follow is for */
	for (size_t i = 0; i < t.n && !follow; i++)
		if (tape_reader__recovered(t.readers[i]))
			cli__eprintf(
				"bpftape replay: %s: no valid index (unfinished or damaged tape);"
				" read by scanning ('bpftape recover' writes a clean copy)\n",
				argv[optind + i]);
	/* JSON shows each process's exe and parent: learn what happened before
	 * --since (text takes names from the events themselves) */
	if (json && (rc = tapes__proc_prefix(&t))) {
		cli__eprintf("bpftape replay: reading process state before --since: %s\n",
			     strerror(-rc));
		goto cleanup;
	}
	if (render__init(&rd, t.readers, t.n, tmode, NULL) || out__init(&out, STDOUT_FILENO))
		goto nomem;
	rd.src_pt = t.src_pt;
	signal(SIGPIPE, SIG_IGN);
	if (follow) {
		struct sigaction sa = {.sa_handler = on_sigint};

		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	while (!replay_stop) {
		const struct tape_event *ev;

		rc = tapes__merge_next(t.cur, &ev);
		if (rc < 0) {
			out__flush(&out);
			cli__eprintf("bpftape replay: %s: %s (skipped)\n",
				     argv[optind + tapes__merge_errsrc(t.cur)],
				     tapes__merge_errmsg(t.cur));
			bad_chunks++;
			continue;
		}
		if (rc == 0) {
			bool finished = true;
			int n = 0;

			if (!follow)
				break;
			out__flush(&out);
			if (out.err)
				break;
			for (size_t i = 0; i < t.n; i++) {
				size_t had = tape_reader__problem_count(t.readers[i]);
				int k = tape_reader__refresh(t.readers[i]);

				if (k > 0)
					n += k;
				finished = finished && tape_reader__finished(t.readers[i]);
				/* damage found in what the recorder added since */
				bad_chunks += cli__report_damage(VERB, argv[optind + i],
								 t.readers[i], had);
			}
			/* every event read and every trailer seen: nothing more comes */
			if (!n && finished)
				break;
			/* the recorder writes at least every --flush-interval (1 s):
			 * a tenth of that keeps the lag near it */
			if (!n)
				usleep(100000);
			continue;
		}
		if (tapes__apply(&t, ev))
			goto nomem;
		if (!predicate__match(t.pred, ev))
			continue;
		if (pace) {
			int64_t rel = render__rel_ns(&rd, ev->source, ev->ts);

			if (!started) {
				clock_gettime(CLOCK_MONOTONIC, &start);
				first_rel = rel;
				started = true;
			}
			pace_wait(&out, &start, rel - first_rel, speed);
		}
		if (json)
			render__json(&out, &rd, ev);
		else
			render__text(&out, &rd, ev);
		if (pace || follow)
			out__flush(&out);
		if (out.err)
			break;
	}
	out__flush(&out);
	if (out.err == -EPIPE) {
		ret = 0; /* the reader went away (| head): not an error */
		goto cleanup;
	}
	if (out.err) {
		cli__eprintf("bpftape replay: writing output: %s\n", strerror(-out.err));
		goto cleanup;
	}
	if (bad_chunks) {
		cli__partial(VERB, bad_chunks);
		ret = CLI_EXIT_PARTIAL;
		goto cleanup;
	}
	ret = 0;
	goto cleanup;
nomem:
	cli__eprintf("bpftape replay: out of memory\n");
cleanup:
	out__close(&out);
	render__fini(&rd);
	tapes__teardown(&t);
	pred_opts__free(&po);
	return ret;
}
