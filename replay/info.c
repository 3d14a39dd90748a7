// SPDX-License-Identifier: MIT
/* bpftape info: what a tape holds, from its metadata and index. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../cli/cli.h"
#include "output.h"
#include "predicate.h"
#include "../cli/verbs.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: bpftape info [--verify] [--json] FILE...\n\n"
		   "Summarize tapes: host, kernel, recorder command line, time span, events\n"
		   "per type, losses, processes, size, compression ratio and chunks, and\n"
		   "every metadata key.  Reads the index only, unless --verify.\n\n"
		   "  --verify   check every block's CRC and every chunk's payload, report\n"
		   "             each bad block (exit status 3 if any)\n"
		   "  --json     one JSON object per tape\n"
		   "  -h, --help this help\n\n" CLI_STDIN_HELP "\n"
		   "Examples:\n"
		   "  bpftape info incident.tape\n"
		   "  bpftape info --verify copied-from-prod.tape\n"
		   "  bpftape info --json *.tape | jq .events\n");
}

/* A tape's strings shown on a terminal, escaped by format's renderer
 * (TAPE_ESC_TEXT: no byte of the tape reaches the terminal as a control).
 * Uses one of four rotating buffers so a printf can take several; a string
 * longer than one is cut. */
static const char *safe(const char *s)
{
	static char bufs[4][2048];
	static unsigned k;
	char *b = bufs[k++ % 4];

	tape_escape(s, strlen(s), TAPE_ESC_TEXT, b, sizeof(bufs[0]));
	return b;
}

struct verify_ctx {
	struct out *o;
	bool json;
	unsigned n;
	const char *path;
};

static void verify_cb(void *ctx, const char *msg)
{
	struct verify_ctx *v = ctx;

	if (v->json) {
		if (v->n)
			out__putc(v->o, ',');
		out__json_str(v->o, msg, strlen(msg));
	} else {
		out__printf(v->o, "  BAD: %s\n", safe(msg));
	}
	v->n++;
}

struct info_sum {
	uint64_t ondisk, raw;
	uint64_t *per_type;
	unsigned ntypes;
	uint64_t lost;
};

static int info_sum(struct tape_reader *r, struct info_sum *s)
{
	size_t nchunks = tape_reader__chunk_count(r);

	memset(s, 0, sizeof(*s));
	s->ntypes = tape_reader__max_type(r) + 1;
	s->per_type = calloc(s->ntypes, sizeof(*s->per_type));
	if (!s->per_type)
		return -ENOMEM;
	for (size_t i = 0; i < nchunks; i++) {
		struct tape_chunk_info ci;

		if (tape_reader__chunk(r, i, &ci))
			continue;
		s->ondisk += ci.block_len;
		s->raw += ci.raw_len;
	}
	tape_reader__type_counts(r, s->per_type);
	for (size_t i = 0; i < tape_reader__loss_count(r); i++)
		s->lost += tape_reader__loss(r, i)->count;
	return 0;
}

static void fmt_wall(const struct tape_reader *r, uint64_t ts, char *buf, size_t len)
{
	int64_t off;
	time_t sec;
	struct tm tm;
	char tmp[64];

	if (pred_clock_offset(r, &off)) {
		snprintf(buf, len, "(no wall clock in the tape)");
		return;
	}
	sec = (time_t)(((int64_t)ts + off) / 1000000000);
	localtime_r(&sec, &tm);
	strftime(tmp, sizeof(tmp), "%Y-%m-%d %H:%M:%S %z", &tm);
	snprintf(buf, len, "%s", tmp);
}

static const char *meta_any(const struct tape_reader *r, const char *const *keys)
{
	for (; *keys; keys++) {
		const char *v = tape_reader__meta(r, *keys);

		if (v)
			return v;
	}
	return NULL;
}

static void info_text(struct out *o, const char *path, struct tape_reader *r,
		      const struct info_sum *s)
{
	static const char *const host_keys[] = {"host.name", "hostname", "host.hostname", NULL};
	static const char *const kern_keys[] = {"host.kernel", "kernel.release", "kernel",
						"host.release", NULL};
	static const char *const cmd_keys[] = {"recorder.cmdline", "recorder.command", "cmdline",
					       NULL};
	uint64_t n = tape_reader__event_count(r), mn = tape_reader__min_ts(r),
		 mx = tape_reader__max_ts(r);
	uint64_t size = tape_reader__file_size(r);
	const char *v;
	char when[64];

	out__printf(o, "%s\n", path);
	if ((v = meta_any(r, host_keys)))
		out__printf(o, "  host:        %s\n", safe(v));
	if ((v = meta_any(r, kern_keys)))
		out__printf(o, "  kernel:      %s\n", safe(v));
	if ((v = meta_any(r, cmd_keys)))
		out__printf(o, "  command:     %s\n", safe(v));
	if (n) {
		fmt_wall(r, mn, when, sizeof(when));
		out__printf(o, "  start:       %s\n", when);
		out__printf(o, "  duration:    %.3f s\n", (double)(mx - mn) / 1e9);
	}
	out__printf(o, "  events:      %llu\n", (unsigned long long)n);
	for (unsigned t = 1; t < s->ntypes; t++) {
		const struct tape_type *tp = tape_reader__type(r, t);

		if (tp)
			out__printf(o, "    %-20s %12llu%s%s\n", safe(tp->name),
				    (unsigned long long)s->per_type[t], tp->source[0] ? "  " : "",
				    safe(tp->source));
	}
	out__printf(o, "  losses:      %llu events lost in %zu record(s)\n",
		    (unsigned long long)s->lost, tape_reader__loss_count(r));
	for (size_t i = 0; i < tape_reader__loss_count(r); i++) {
		const struct tape_loss *l = tape_reader__loss(r, i);

		out__printf(o, "    %llu on cpu %u between +%.6f s and +%.6f s\n",
			    (unsigned long long)l->count, l->cpu,
			    (double)((int64_t)l->first_ts - (int64_t)mn) / 1e9,
			    (double)((int64_t)l->last_ts - (int64_t)mn) / 1e9);
	}
	out__printf(o, "  processes:   %zu in snapshots\n", tape_reader__proc_count(r));
	out__printf(o, "  size:        %llu bytes", (unsigned long long)size);
	if (n)
		out__printf(o, " (%.2f bytes/event)", (double)size / (double)n);
	out__putc(o, '\n');
	out__printf(o, "  chunks:      %zu, %llu bytes on disk, %llu raw",
		    tape_reader__chunk_count(r), (unsigned long long)s->ondisk,
		    (unsigned long long)s->raw);
	if (s->ondisk)
		out__printf(o, " (compression %.1fx)", (double)s->raw / (double)s->ondisk);
	out__putc(o, '\n');
	if (tape_reader__recovered(r))
		out__puts(o, "  index:       missing or bad; rebuilt by scanning (run 'bpftape "
			     "recover')\n");
	out__puts(o, "  metadata:\n");
	for (size_t i = 0; i < tape_reader__meta_count(r); i++) {
		const char *k, *val;

		if (!tape_reader__meta_at(r, i, &k, &val))
			out__printf(o, "    %s = %s\n", safe(k), safe(val));
	}
}

static void json_kv_str(struct out *o, const char *k, const char *v)
{
	out__json_str(o, k, strlen(k));
	out__putc(o, ':');
	out__json_str(o, v, strlen(v));
}

static void info_json(struct out *o, const char *path, struct tape_reader *r,
		      const struct info_sum *s)
{
	bool first = true;

	out__putc(o, '{');
	json_kv_str(o, "file", path);
	out__printf(o,
		    ",\"events\":%llu,\"min_ts\":%llu,\"max_ts\":%llu,\"size\":%llu,"
		    "\"chunks\":%zu,\"bytes_on_disk\":%llu,\"bytes_raw\":%llu,\"lost\":%llu,"
		    "\"loss_records\":%zu,\"processes\":%zu,\"recovered\":%s",
		    (unsigned long long)tape_reader__event_count(r),
		    (unsigned long long)tape_reader__min_ts(r),
		    (unsigned long long)tape_reader__max_ts(r),
		    (unsigned long long)tape_reader__file_size(r), tape_reader__chunk_count(r),
		    (unsigned long long)s->ondisk, (unsigned long long)s->raw,
		    (unsigned long long)s->lost, tape_reader__loss_count(r),
		    tape_reader__proc_count(r), tape_reader__recovered(r) ? "true" : "false");
	out__puts(o, ",\"types\":{");
	for (unsigned t = 1; t < s->ntypes; t++) {
		const struct tape_type *tp = tape_reader__type(r, t);

		if (!tp)
			continue;
		if (!first)
			out__putc(o, ',');
		first = false;
		out__json_str(o, tp->name, strlen(tp->name));
		out__printf(o, ":%llu", (unsigned long long)s->per_type[t]);
	}
	out__puts(o, "},\"meta\":{");
	first = true;
	for (size_t i = 0; i < tape_reader__meta_count(r); i++) {
		const char *k, *val;

		if (tape_reader__meta_at(r, i, &k, &val))
			continue;
		if (!first)
			out__putc(o, ',');
		first = false;
		json_kv_str(o, k, val);
	}
	out__putc(o, '}');
}

int cmd_info(int argc, char **argv)
{
	enum { OPT_VERIFY = 1, OPT_JSON };
	static const struct option opts[] = {
		{"verify", no_argument, NULL, OPT_VERIFY},
		{"json", no_argument, NULL, OPT_JSON},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct out out = {.buf = NULL};
	bool verify = false, json = false;
	int c, ret = 1, bad_total = 0, failed = 0;

	cli__getopt_init();
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_VERIFY:
			verify = true;
			break;
		case OPT_JSON:
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return cli__bad_option("info", c, argv, opts);
		}
	}
	if (optind >= argc)
		return cli__usage("info", "no tape given (FILE...)");
	if (cli__check_inputs("info", argv + optind, (size_t)(argc - optind), NULL))
		return CLI_EXIT_USAGE;
	if (out__init(&out, STDOUT_FILENO)) {
		cli__eprintf("bpftape info: out of memory\n");
		return 1;
	}
	for (int i = optind; i < argc; i++) {
		char err[512] = "";
		struct tape_reader *r = tape_reader__open(argv[i], err, sizeof(err));
		struct info_sum s;

		if (!r) {
			out__flush(&out);
			cli__eprintf("bpftape info: %s: %s\n", argv[i],
				     err[0] ? err : strerror(errno));
			failed++;
			continue;
		}
		if (info_sum(r, &s)) {
			tape_reader__free(r);
			cli__eprintf("bpftape info: out of memory\n");
			goto cleanup;
		}
		if (json)
			info_json(&out, argv[i], r, &s);
		else
			info_text(&out, argv[i], r, &s);
		if (verify) {
			struct verify_ctx v = {.o = &out, .json = json, .path = argv[i]};
			int bad;

			if (json)
				out__puts(&out, ",\"problems\":[");
			bad = tape_reader__verify(r, verify_cb, &v);
			if (json) {
				out__puts(&out, "]");
				out__printf(&out, ",\"bad_blocks\":%d", bad < 0 ? -1 : bad);
			} else if (bad == 0) {
				out__puts(&out,
					  "  verify:      every block's CRC and payload is good\n");
			} else if (bad > 0) {
				out__printf(&out, "  verify:      %d bad block(s)\n", bad);
			} else {
				out__printf(&out, "  verify:      failed: %s\n",
					    safe(tape_reader__errmsg(r)));
			}
			if (bad)
				bad_total++;
		} else if (tape_reader__problem_count(r)) {
			out__flush(&out);
			bad_total += cli__report_damage("info", argv[i], r, 0) > 0;
		}
		if (json)
			out__puts(&out, "}\n");
		free(s.per_type);
		tape_reader__free(r);
		if (out.err)
			break;
	}
	out__flush(&out);
	if (out.err && out.err != -EPIPE) {
		cli__eprintf("bpftape info: writing output: %s\n", strerror(-out.err));
		goto cleanup;
	}
	ret = failed ? 1 : bad_total ? CLI_EXIT_PARTIAL : 0;
cleanup:
	out__close(&out);
	return ret;
}
