// SPDX-License-Identifier: MIT
/*
 * Replay benchmarks on a generated 60-second tape of >= 10 M events
 * (openat-like events with paths, plus close/read/write/syscall/exec):
 *
 *   - decode: every event through a cursor, values touched, not printed
 *     (target >= 10 M events/s);
 *   - text: `bpftape replay` to /dev/null (target >= 3 M events/s;
 *     perf script on this machine: about 0.47 M/s);
 *   - JSON: `bpftape replay --json` to /dev/null;
 *   - summary: `bpftape summary` (every event into its tables) to /dev/null;
 *   - export: `bpftape export --format perfetto` and `--format chrome`,
 *     their rate and bytes per event;
 *   - window: a one-second window of the 60-second tape, through the index:
 *     chunks and bytes read against the file size, and `bpftape filter`.
 *
 * Usage: bench_replay [EVENTS]  (default 10000000; env OUTPUT: scratch dir)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../golden_gen.h"
#include "../../replay/predicate.h"
#include <bpftape/tape.h>
#include "../../cli/verbs.h"

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* CPU time of this process: other work on a shared machine does not count. */
static double cpu(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double cpu_secs; /* CPU seconds of the last run_quiet() */

static const char *const paths[] = {
	"/etc/passwd",
	"/etc/group",
	"/etc/nsswitch.conf",
	"/etc/ld.so.cache",
	"/lib/x86_64-linux-gnu/libc.so.6",
	"/usr/lib/locale/locale-archive",
	"/proc/self/status",
	"/sys/fs/cgroup/cpu.max",
	"/var/log/nginx/access.log",
	"/var/www/html/index.html",
	"/var/www/html/static/app.js",
	"/var/www/html/static/style.css",
	"/home/user/.cache/fontconfig/cache-8",
	"/tmp/build-1234/obj/main.o",
	"/usr/share/zoneinfo/Europe/Paris",
	"/dev/null",
};

#define NPROCS 24

/* Write @n events over 60 s of event time into @path. */
static int generate(const char *path, uint64_t n, double *secs)
{
	struct tape_writer *w = tape_writer__open(path, NULL);
	struct tape_proc procs[NPROCS];
	char comms[NPROCS][16], exes[NPROCS][32];
	int ids[G_NTYPES];
	uint64_t span = 60000000000ULL, step = span / n, ts = GOLDEN_BOOT_TS;
	uint32_t rnd = 12345;
	double t0 = now();
	int rc = 0;

	if (!w)
		return -errno;
	tape_writer__set_meta(w, "host.name", "bench");
	tape_writer__set_meta(w, "clock.boottime_to_realtime_ns", GOLDEN_CLOCK_OFF);
	for (int i = 0; i < G_NTYPES; i++)
		if ((ids[i] = tape_writer__add_type(w, &golden_types[i])) < 0) {
			rc = ids[i];
			goto out;
		}
	for (int i = 0; i < NPROCS; i++) {
		snprintf(comms[i], sizeof(comms[i]), "worker-%d", i);
		snprintf(exes[i], sizeof(exes[i]), "/usr/bin/worker-%d", i);
		procs[i] = (struct tape_proc){
			1000 + i, 1,	   1000,     1000,
			comms[i], exes[i], comms[i], (uint32_t)strlen(comms[i]) + 1,
			"/"};
	}
	if ((rc = tape_writer__add_procs(w, procs, NPROCS)))
		goto out;
	for (uint64_t i = 0; i < n; i++) {
		union tape_value v[9];
		struct tape_event ev;
		int p, k;

		rnd = rnd * 1103515245u + 12345u;
		p = (int)((rnd >> 8) % NPROCS);
		k = (int)((rnd >> 16) % 100);
		ts += step / 2 + (rnd >> 4) % step;
		ev = (struct tape_event){.ts = ts,
					 .pid = 1000 + p,
					 .tid = 1000 + p + (k & 1),
					 .cpu = (uint16_t)(p & 1),
					 .comm = comms[p],
					 .values = v};
		if (k < 50) {
			const char *s = paths[(rnd >> 20) % (sizeof(paths) / sizeof(paths[0]))];

			ev.type = (uint16_t)ids[G_OPEN];
			v[0].u = 257;
			v[1].s = -100;
			v[2].b.ptr = s;
			v[2].b.len = (uint32_t)strlen(s);
			v[3].u = 02000000;
			v[4].u = 0;
			v[5].s = (k & 7) ? 3 + (k & 3) : -ENOENT;
		} else if (k < 80) {
			ev.type = (uint16_t)ids[G_CLOSE];
			v[0].s = 3 + (k & 3);
			v[1].s = 0;
		} else if (k < 95) {
			ev.type = (uint16_t)ids[G_READ];
			v[0].s = 3;
			v[1].u = 4096;
			v[2].s = (int64_t)((rnd >> 12) & 4095);
		} else {
			ev.type = (uint16_t)ids[G_SYSCALL];
			v[0].u = 1;
			for (int a = 1; a < 7; a++)
				v[a].u = (uint64_t)a;
			v[7].s = 6;
			v[8].u = 500 + ((rnd >> 10) & 1023);
		}
		if ((rc = tape_writer__append(w, &ev)))
			goto out;
	}
	rc = tape_writer__finish(w);
out:
	if (rc)
		fprintf(stderr, "bench_replay: writing %s: %s\n", path, tape_writer__errmsg(w));
	tape_writer__free(w);
	*secs = now() - t0;
	return rc;
}

/* Run a verb with its standard output on /dev/null; returns seconds. */
static double run_quiet(int (*fn)(int, char **), char **argv, int *rc)
{
	int null = open("/dev/null", O_WRONLY), so = dup(1), se = dup(2), argc = 0;
	double t0;

	while (argv[argc])
		argc++;
	fflush(stdout);
	dup2(null, 1);
	dup2(null, 2);
	t0 = now();
	cpu_secs = cpu();
	*rc = fn(argc, argv);
	cpu_secs = cpu() - cpu_secs;
	t0 = now() - t0;
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	close(null);
	return t0;
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 1		     ? strtoull(argv[1], NULL, 10)
		     : getenv("BENCH_QUICK") ? 2000000ULL
					     : 10000000ULL;
	const char *outdir = getenv("OUTPUT") ? getenv("OUTPUT") : "/tmp";
	char path[4096], cut[4200], err[256];
	struct tape_reader *r;
	struct tape_cursor *c;
	struct tape_cursor_stats st;
	const struct tape_event *ev;
	uint64_t cnt = 0, sum = 0, size;
	double secs = 0;
	int rc;

	snprintf(path, sizeof(path), "%s/bench-replay.tape", outdir);
	snprintf(cut, sizeof(cut), "%s/bench-replay-window.tape", outdir);
	if (generate(path, n, &secs))
		return 1;
	r = tape_reader__open(path, err, sizeof(err));
	if (!r) {
		fprintf(stderr, "bench_replay: %s: %s\n", path, err);
		return 1;
	}
	size = tape_reader__file_size(r);
	printf("bench_replay: tape of %llu events over 60 s, %zu chunks, %llu bytes "
	       "(%.2f bytes/event), written in %.2f s (%.2f M events/s)\n",
	       (unsigned long long)tape_reader__event_count(r), tape_reader__chunk_count(r),
	       (unsigned long long)size, (double)size / (double)n, secs, (double)n / secs / 1e6);

	/* decoded, not printed */
	secs = now();
	cpu_secs = cpu();
	c = tape_cursor__new(&r, 1, NULL);
	while ((rc = tape_cursor__next(c, &ev)) > 0) {
		sum += ev->ts + ev->pid + (ev->tp->nfields ? ev->values[0].u : 0);
		cnt++;
	}
	cpu_secs = cpu() - cpu_secs;
	secs = now() - secs;
	tape_cursor__free(c);
	printf("  replay decoded (cursor, not printed): %llu events, %.3f s wall = %.2f M events/s,"
	       " %.3f s CPU = %.2f M events/s (target >= 10)%s\n",
	       (unsigned long long)cnt, secs, (double)cnt / secs / 1e6, cpu_secs,
	       (double)cnt / cpu_secs / 1e6, sum ? "" : " ");

	/* text and JSON to /dev/null, through the verb */
	{
		char *a[] = {"replay", path, NULL};
		char *q[] = {"replay", "--comm", "no-such-comm", path, NULL};
		char *j[] = {"replay", "--json", path, NULL};

		secs = run_quiet(cmd_replay, q, &rc);
		printf("  bpftape replay --comm no-such-comm (every event decoded, checked, "
		       "none printed): %.3f s wall = %.2f M events/s, %.3f s CPU = %.2f M "
		       "events/s%s\n",
		       secs, (double)cnt / secs / 1e6, cpu_secs, (double)cnt / cpu_secs / 1e6,
		       rc ? " FAILED" : "");
		secs = run_quiet(cmd_replay, a, &rc);
		printf("  bpftape replay > /dev/null: %.3f s wall = %.2f M events/s, %.3f s CPU = "
		       "%.2f M events/s (target >= 3; perf script here ~0.47)%s\n",
		       secs, (double)cnt / secs / 1e6, cpu_secs, (double)cnt / cpu_secs / 1e6,
		       rc ? " FAILED" : "");
		secs = run_quiet(cmd_replay, j, &rc);
		printf("  bpftape replay --json > /dev/null: %.3f s wall = %.2f M events/s, %.3f s "
		       "CPU = %.2f M events/s%s\n",
		       secs, (double)cnt / secs / 1e6, cpu_secs, (double)cnt / cpu_secs / 1e6,
		       rc ? " FAILED" : "");
	}
	{
		char *a[] = {"summary", path, NULL};
		char *p[] = {"summary", "--pid", "1000,1001", path, NULL};

		secs = run_quiet(cmd_summary, a, &rc);
		printf("  bpftape summary > /dev/null: %.3f s wall = %.2f M events/s, %.3f s CPU = "
		       "%.2f M events/s%s\n",
		       secs, (double)cnt / secs / 1e6, cpu_secs, (double)cnt / cpu_secs / 1e6,
		       rc ? " FAILED" : "");
		secs = run_quiet(cmd_summary, p, &rc);
		printf("  bpftape summary --pid (a selection: every event checked) > /dev/null: "
		       "%.3f s wall = %.2f M events/s%s\n",
		       secs, (double)cnt / secs / 1e6, rc ? " FAILED" : "");
	}

	/* export for the Perfetto UI: its native format beside Chrome JSON */
	{
		static const char *const fmts[] = {"perfetto", "chrome"};

		for (int i = 0; i < 2; i++) {
			char out[4200];
			char *a[] = {"export", "--format", (char *)fmts[i], "-o", out, path, NULL};
			struct stat sb;

			snprintf(out, sizeof(out), "%s/bench-replay-export.%s", outdir, fmts[i]);
			secs = run_quiet(cmd_export, a, &rc);
			printf("  bpftape export --format %s: %.3f s wall = %.2f M events/s, %.3f "
			       "s "
			       "CPU, %.1f bytes/event%s\n",
			       fmts[i], secs, (double)cnt / secs / 1e6, cpu_secs,
			       stat(out, &sb) ? 0.0 : (double)sb.st_size / (double)cnt,
			       rc ? " FAILED" : "");
			unlink(out);
		}
	}

	/* a one-second window through the index */
	{
		struct pred_opts po = {0};
		struct predicate *p;
		uint64_t kept = 0;

		pred_opts__parse(&po, PRED_OPT_SINCE, "30s", err, sizeof(err));
		pred_opts__parse(&po, PRED_OPT_UNTIL, "31s", err, sizeof(err));
		p = predicate__new(&po, &r, 1, err, sizeof(err));
		secs = now();
		c = tape_cursor__new(&r, 1, predicate__select(p));
		while (tape_cursor__next(c, &ev) > 0)
			kept += predicate__match(p, ev);
		secs = now() - secs;
		tape_cursor__stats(c, &st);
		printf("  window 30s..31s: %llu events in %.3f s; read %llu of %zu chunks, %llu of "
		       "%llu bytes (%.2f%% of the file)\n",
		       (unsigned long long)kept, secs, (unsigned long long)st.chunks_read,
		       tape_reader__chunk_count(r), (unsigned long long)st.bytes_read,
		       (unsigned long long)size, 100.0 * (double)st.bytes_read / (double)size);
		tape_cursor__free(c);
		predicate__free(p);
		pred_opts__free(&po);
	}
	{
		char *a[] = {"filter", "-q",	  "-o",	 cut,  "--since",
			     "30s",    "--until", "31s", path, NULL};

		secs = run_quiet(cmd_filter, a, &rc);
		printf("  bpftape filter --since 30s --until 31s: %.3f s%s\n", secs,
		       rc ? " FAILED" : "");
	}
	tape_reader__free(r);
	unlink(cut);
	if (!getenv("BENCH_KEEP"))
		unlink(path);
	return 0;
}
