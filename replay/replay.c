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

#include "../cli/cli.h"
#include "output.h"
#include "predicate.h"
#include "replay.h"
#include "tapes.h"
#include "../cli/verbs.h"

#define VERB "replay"

enum { OPT_JSON = 1, OPT_PACE, OPT_FOLLOW, OPT_TIME };

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
static void pace_wait(struct out *o, const struct timespec *start, int64_t rel_ns, double speed,
		      volatile sig_atomic_t *stop)
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
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR &&
	       !(stop && *stop))
		;
}

static const struct option replay_longopts[] = {
	PRED_LONG_OPTIONS,
	{"json", no_argument, NULL, OPT_JSON},
	{"pace", optional_argument, NULL, OPT_PACE},
	{"follow", no_argument, NULL, OPT_FOLLOW},
	{"time", required_argument, NULL, OPT_TIME},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

int replay__parse(int argc, char **argv, struct replay_opts *o)
{
	int c, rc, ret = 1;

	memset(o, 0, sizeof(*o));
	o->time = TIME_REL;
	o->speed = 1.0;
	o->out_fd = STDOUT_FILENO;
	cli__getopt_init();
	while ((c = pred_opts__getopt(&o->pred, argc, argv, ":hf:", replay_longopts, VERB, &ret)) >=
	       0) {
		switch (c) {
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_FOLLOW:
			o->follow = true;
			break;
		case OPT_PACE:
			o->pace = true;
			if (optarg) {
				rc = cli__parse_positive_real(optarg, &o->speed);
				if (rc)
					return cli__usage(VERB,
							  "--pace: '%s' is %s (1: as recorded, 10: "
							  "ten times faster)",
							  optarg,
							  rc == -ERANGE ? "too large a speed"
									: "not a positive speed");
			}
			break;
		case OPT_TIME:
			if (!strcmp(optarg, "rel"))
				o->time = TIME_REL;
			else if (!strcmp(optarg, "wall"))
				o->time = TIME_WALL;
			else if (!strcmp(optarg, "raw"))
				o->time = TIME_RAW;
			else
				return cli__usage(VERB, "--time: '%s' is not rel, wall or raw",
						  optarg);
			break;
		case 'h':
			o->help = true;
			return 0;
		default:
			return cli__bad_option(VERB, c, argv, replay_longopts);
		}
	}
	if (c == PRED_GETOPT_FAIL)
		return ret;
	if (optind >= argc)
		return cli__usage(VERB, "no tape given (FILE...)");
	o->inputs = argv + optind;
	o->ninputs = (size_t)(argc - optind);
	/* a copy of a pipe never grows: there is nothing to follow */
	return cli__check_inputs(VERB, o->inputs, o->ninputs,
				 o->follow ? "--follow follows a file that grows; name the tape"
					   : NULL);
}

void replay_opts__free(struct replay_opts *o)
{
	pred_opts__free(&o->pred);
}

#define fail(res, ...) snprintf((res)->err, sizeof((res)->err), __VA_ARGS__)

int replay__run(const struct replay_opts *o, struct replay_result *res)
{
	struct tapes t = {0};
	struct render rd = {0};
	struct out out = {.buf = NULL};
	bool started = false;
	struct timespec start;
	int64_t first_rel = 0;
	char err[512];
	int rc;

	memset(res, 0, sizeof(*res));
	if ((rc = tapes__setup(&t, o->inputs, o->ninputs, &o->pred, err, sizeof(err)))) {
		res->usage = t.bad_selection;
		fail(res, "%s", err);
		goto cleanup;
	}
	for (size_t i = 0; i < t.n; i++)
		res->bad_chunks += tapes__damage(t.readers[i], o->inputs[i], 0, o->damage, o->ctx);
	/* a tape being recorded has no index yet: that is what --follow is for */
	for (size_t i = 0; i < t.n && !o->follow && o->note; i++)
		if (tape_reader__recovered(t.readers[i]))
			o->note(o->ctx, o->inputs[i],
				"no valid index (unfinished or damaged tape); read by scanning "
				"('bpftape recover' writes a clean copy)");
	/* JSON shows each process's exe and parent: learn what happened before
	 * --since (text takes names from the events themselves) */
	if (o->json && (rc = tapes__proc_prefix(&t))) {
		fail(res, "reading process state before --since: %s", strerror(-rc));
		goto cleanup;
	}
	if (render__init(&rd, t.readers, t.n, o->time, NULL) || out__init(&out, o->out_fd))
		goto nomem;
	rd.src_pt = t.src_pt;
	while (!(o->stop && *o->stop)) {
		const struct tape_event *ev;

		rc = tapes_merge__next(t.cur, &ev);
		if (rc < 0) {
			out__flush(&out);
			if (o->damage)
				o->damage(o->ctx, o->inputs[tapes_merge__errsrc(t.cur)],
					  tapes_merge__errmsg(t.cur));
			res->bad_chunks++;
			continue;
		}
		if (rc == 0) {
			bool finished = true;
			int n = 0;

			if (!o->follow)
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
				res->bad_chunks += tapes__damage(t.readers[i], o->inputs[i], had,
								 o->damage, o->ctx);
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
		if (o->pace) {
			int64_t rel = render__rel_ns(&rd, ev->source, ev->ts);

			if (!started) {
				clock_gettime(CLOCK_MONOTONIC, &start);
				first_rel = rel;
				started = true;
			}
			pace_wait(&out, &start, rel - first_rel, o->speed, o->stop);
		}
		if (o->json)
			render__json(&out, &rd, ev);
		else
			render__text(&out, &rd, ev);
		res->events++;
		if (o->pace || o->follow)
			out__flush(&out);
		if (out.err)
			break;
	}
	out__flush(&out);
	rc = 0;
	if (out.err == -EPIPE) {
		res->closed = true; /* the reader went away (| head): not an error */
	} else if (out.err) {
		rc = out.err;
		fail(res, "writing output: %s", strerror(-out.err));
	}
	goto cleanup;
nomem:
	rc = -ENOMEM;
	fail(res, "out of memory");
cleanup:
	out__close(&out);
	render__fini(&rd);
	tapes__teardown(&t);
	return rc < 0 ? rc : rc ? -EIO : 0;
}

int replay__report(const struct replay_opts *o, const struct replay_result *res, int rc)
{
	(void)o;
	return cli__outcome(VERB, rc, res->usage, res->err, res->closed, res->bad_chunks);
}

int cmd_replay(int argc, char **argv)
{
	struct replay_opts o;
	struct replay_result res;
	struct cli_damage dmg = {VERB, NULL};
	int ret;

	if ((ret = replay__parse(argc, argv, &o)) || o.help) {
		if (o.help)
			usage(stdout);
		replay_opts__free(&o);
		return ret;
	}
	o.damage = cli__damage;
	o.note = cli__note;
	o.ctx = &dmg;
	o.stop = &replay_stop;
	signal(SIGPIPE, SIG_IGN);
	if (o.follow) {
		struct sigaction sa = {.sa_handler = on_sigint};

		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	ret = replay__report(&o, &res, replay__run(&o, &res));
	replay_opts__free(&o);
	return ret;
}
