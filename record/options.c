// SPDX-License-Identifier: MIT
/* The options of bpftape record, from its command line (options.h). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../cli/cli.h"
#include "../bpf/events.h"
#include "options.h"

/* bytes -> "64M" where exact, else a plain number (parse_size reads both) */
static void format_size(uint64_t v, char *buf, size_t len)
{
	static const char units[] = "GMK";

	for (int i = 0; i < 3; i++) {
		uint64_t u = 1ull << (10 * (3 - i));

		if (v >= u && !(v % u)) {
			snprintf(buf, len, "%llu%c", (unsigned long long)(v / u), units[i]);
			return;
		}
	}
	snprintf(buf, len, "%llu", (unsigned long long)v);
}

int record_opts__parse_id(const char *s, uint64_t *out)
{
	return cli__parse_uint(s, RECORD_ID_MAX, out);
}

/* One -e argument: a generic spec (has ':') or a comma list of built-ins. */
static int add_events(struct record_opts *o, char *arg, char *err, size_t errlen)
{
	char *save = NULL, *word, *list;
	const char **grown;

	o->events_given = true;
	if (strchr(arg, ':')) {
		grown = realloc(o->specs, (o->nspecs + 1) * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		o->specs = grown;
		o->specs[o->nspecs++] = arg;
		return 0;
	}
	/* a copy: argv is also the command line stored in the tape */
	list = strdup(arg);
	if (!list)
		return -ENOMEM;
	for (word = strtok_r(list, ",", &save); word; word = strtok_r(NULL, ",", &save)) {
		if (builtin__select(word, o->want)) {
			snprintf(err, errlen,
				 "unknown event '%s' in -e; run 'bpftape list-events' for the "
				 "built-in events, or give a probe spec like "
				 "tracepoint:sched:sched_process_fork",
				 word);
			free(list);
			return -EINVAL;
		}
	}
	free(list);
	return 0;
}

int record_opts__parse(struct record_opts *o, int argc, char **argv, char *err, size_t errlen)
{
	enum {
		OPT_COMM = 256,
		OPT_CGROUP,
		OPT_CONTAINER,
		OPT_UID,
		OPT_MAXSIZE,
		OPT_ROTATE,
		OPT_KEEP,
		OPT_BUFFER,
		OPT_WAKEUP,
		OPT_USER,
		OPT_FLUSH,
		OPT_STACKS,
		OPT_STACK_DEPTH,
		OPT_STACK_COPY,
	};
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'},
		{"events", required_argument, NULL, 'e'},
		{"pid", required_argument, NULL, 'p'},
		{"comm", required_argument, NULL, OPT_COMM},
		{"cgroup", required_argument, NULL, OPT_CGROUP},
		{"container", required_argument, NULL, OPT_CONTAINER},
		{"uid", required_argument, NULL, OPT_UID},
		{"duration", required_argument, NULL, 'd'},
		{"max-size", required_argument, NULL, OPT_MAXSIZE},
		{"rotate", required_argument, NULL, OPT_ROTATE},
		{"keep", required_argument, NULL, OPT_KEEP},
		{"buffer", required_argument, NULL, OPT_BUFFER},
		{"wakeup", required_argument, NULL, OPT_WAKEUP},
		{"user", required_argument, NULL, OPT_USER},
		{"flush-interval", required_argument, NULL, OPT_FLUSH},
		{"call-graph", no_argument, NULL, 'g'},
		{"stacks", required_argument, NULL, OPT_STACKS},
		{"stack-depth", required_argument, NULL, OPT_STACK_DEPTH},
		{"stack-copy", required_argument, NULL, OPT_STACK_COPY},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	uint64_t keep = 4, v;
	int c, e;

	memset(o, 0, sizeof(*o));
	o->output = "bpftape.tape";
	o->pid = -1;
	o->uid = -1;
	o->buffer = record_opts__default_ring((int)sysconf(_SC_NPROCESSORS_ONLN));
	o->flush_ns = RECORD_DEFAULT_FLUSH_NS;
	o->stack_depth = REC_STACK_MAX;
	cli__getopt_init();
	while ((c = getopt_long(argc, argv, "+o:e:p:d:gvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'g':
			o->stacks = true;
			break;
		case OPT_STACKS:
			if (!*optarg) {
				snprintf(err, errlen,
					 "--stacks: give event type names like open,exit");
				return -EINVAL;
			}
			o->stacks = true;
			o->stack_types = optarg;
			break;
		case OPT_STACK_DEPTH:
		case OPT_STACK_COPY:
			e = cli__parse_uint(
				optarg, c == OPT_STACK_DEPTH ? REC_STACK_MAX : REC_STACK_COPY - 1,
				&v);
			if (e || (c == OPT_STACK_DEPTH && !v)) {
				if (c == OPT_STACK_DEPTH)
					snprintf(err, errlen,
						 "--stack-depth '%s': give a frame count from 1 to "
						 "%d",
						 optarg, REC_STACK_MAX);
				else
					snprintf(
						err, errlen,
						"--stack-copy '%s': give a byte count from 0 to %d",
						optarg, REC_STACK_COPY - 1);
				return -EINVAL;
			}
			if (c == OPT_STACK_DEPTH)
				o->stack_depth = (unsigned)v;
			else
				o->stack_copy = (unsigned)v;
			o->stacks = true;
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'e':
			if ((e = add_events(o, optarg, err, errlen)))
				return e;
			break;
		case 'p':
			/* not cut to 32 bits: 4294967297 is not pid 1 */
			e = cli__parse_uint(optarg, INT_MAX, &v);
			if (e || !v) {
				snprintf(err, errlen, "-p '%s': %s; give a process id from 1 to %d",
					 optarg, e == -ERANGE ? "too large" : "not a process id",
					 INT_MAX);
				return -EINVAL;
			}
			o->pid = (long)v;
			break;
		case OPT_COMM:
			if (!*optarg || strlen(optarg) >= REC_COMM_LEN) {
				snprintf(err, errlen,
					 "--comm '%s': a comm has 1 to %d characters (the kernel "
					 "truncates longer names)",
					 optarg, REC_COMM_LEN - 1);
				return -EINVAL;
			}
			o->comm = optarg;
			break;
		case OPT_CGROUP:
			o->cgroup = optarg;
			break;
		case OPT_CONTAINER:
			o->container = optarg;
			break;
		case OPT_UID:
			e = record_opts__parse_id(optarg, &v);
			if (e == -ERANGE) {
				snprintf(err, errlen,
					 "--uid '%s': too large; a user id is from 0 to %u", optarg,
					 RECORD_ID_MAX);
				return -EINVAL;
			}
			if (!e) {
				o->uid = (long)v;
			} else {
				struct passwd *pw = getpwnam(optarg);

				if (!pw) {
					snprintf(err, errlen,
						 "--uid '%s': no such user; give a name from "
						 "/etc/passwd or a number",
						 optarg);
					return -EINVAL;
				}
				o->uid = pw->pw_uid;
			}
			break;
		case 'd':
		case OPT_FLUSH:
			e = cli__parse_duration(optarg, c == 'd' ? &o->duration_ns : &o->flush_ns);
			if (e || !(c == 'd' ? o->duration_ns : o->flush_ns)) {
				snprintf(err, errlen,
					 "--%s '%s': %s; give a duration above zero like 10, 1.5, "
					 "500ms, 5m",
					 c == 'd' ? "duration" : "flush-interval", optarg,
					 e == -ERANGE ? "too long (at most 292 years)"
					 : e	      ? "not a duration"
						      : "zero");
				return -EINVAL;
			}
			break;
		case OPT_MAXSIZE:
		case OPT_ROTATE:
		case OPT_BUFFER:
		case OPT_WAKEUP: {
			uint64_t *dst = c == OPT_MAXSIZE  ? &o->max_size
					: c == OPT_ROTATE ? &o->rotate_size
					: c == OPT_BUFFER ? &o->buffer
							  : &o->wakeup;

			e = cli__parse_size(optarg, dst);
			if (e || (!*dst && c != OPT_WAKEUP)) {
				snprintf(err, errlen,
					 "--%s '%s': %s; expected a size like 4096, 64K, 100M, "
					 "2G",
					 c == OPT_MAXSIZE  ? "max-size"
					 : c == OPT_ROTATE ? "rotate"
					 : c == OPT_BUFFER ? "buffer"
							   : "wakeup",
					 optarg,
					 e == -ERANGE ? "too large"
					 : e	      ? "not a size"
						      : "zero");
				return -EINVAL;
			}
			if (c == OPT_BUFFER)
				o->buffer_arg = optarg;
			else if (c == OPT_WAKEUP)
				o->wakeup_arg = optarg;
			break;
		}
		case OPT_KEEP:
			if (cli__parse_uint(optarg, 1000, &keep) || !keep) {
				snprintf(err, errlen,
					 "--keep '%s': expected a count from 1 to 1000", optarg);
				return -EINVAL;
			}
			break;
		case OPT_USER:
			o->user = optarg;
			break;
		case 'v':
			o->verbose++;
			break;
		case 'h':
			o->help = true;
			return 0;
		case '?':
		default:
			if (optopt)
				snprintf(err, errlen,
					 "option -%c: unknown or missing its value; see "
					 "'bpftape record --help'",
					 optopt);
			else
				snprintf(err, errlen,
					 "unknown option '%s'; see 'bpftape record --help'",
					 argv[optind - 1]);
			return -EINVAL;
		}
	}
	o->keep = (unsigned)keep;
	if (optind < argc) {
		if (strcmp(argv[optind - 1], "--")) {
			snprintf(err, errlen,
				 "unexpected argument '%s'; to record a command, put it after "
				 "'--': bpftape record -- %s",
				 argv[optind], argv[optind]);
			return -EINVAL;
		}
		o->cmd = &argv[optind];
	} else if (optind > 1 && !strcmp(argv[optind - 1], "--")) {
		snprintf(err, errlen, "'--' must be followed by a command to run");
		return -EINVAL;
	}
	if (o->user && !o->cmd) {
		snprintf(err, errlen, "--user chooses who runs CMD: give it with -- CMD");
		return -EINVAL;
	}
	if (o->cmd && o->pid > 0) {
		snprintf(err, errlen, "-p and -- CMD both choose the processes; give one");
		return -EINVAL;
	}
	if (!strcmp(o->output, "-") && o->rotate_size) {
		snprintf(err, errlen, "--rotate starts new files: give -o a file name, not -");
		return -EINVAL;
	}
	if (o->buffer < 4096 || (o->buffer & (o->buffer - 1)) || o->buffer > (1ull << 30)) {
		uint64_t p2 = 4096;
		char hint[32];

		while (p2 < o->buffer && p2 < (1ull << 30))
			p2 <<= 1;
		format_size(p2, hint, sizeof(hint));
		snprintf(err, errlen,
			 "--buffer '%s': the ring buffer size is a power of two from 4K to 1G; "
			 "give e.g. --buffer %s",
			 o->buffer_arg, hint);
		return -EINVAL;
	}
	if (o->wakeup > o->buffer / 2) {
		char half[32], buf[32];

		format_size(o->buffer / 2, half, sizeof(half));
		format_size(o->buffer, buf, sizeof(buf));
		snprintf(err, errlen,
			 "--wakeup '%s': more than half the ring buffer (%s), which could fill "
			 "before the reader wakes; give at most %s, or leave the default "
			 "(a sixteenth)",
			 o->wakeup_arg, buf, half);
		return -EINVAL;
	}
	if (!o->events_given) {
		char def[] = RECORD_DEFAULT_EVENTS;

		if ((e = add_events(o, def, err, errlen)))
			return e;
	}
	/* the process table of the tape stays current only with these */
	o->want[FAMILY_PROC] |= WANT_FORK | WANT_EXEC | WANT_EXIT;
	return 0;
}

void record_opts__free(struct record_opts *o)
{
	free(o->specs);
	o->specs = NULL;
	o->nspecs = 0;
}

uint32_t record_opts__default_ring(int ncpus)
{
	uint32_t ring = 16u << 20;

	while (ncpus > 1 && ring > (1u << 20) && (uint64_t)ring * ncpus > (16u << 20))
		ring >>= 1;
	return ring;
}
