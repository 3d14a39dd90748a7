// SPDX-License-Identifier: MIT
/*
 * The offline verbs end to end over the golden tape (tests/golden_gen.h):
 * replay text/JSON against expected files, every predicate, filter round
 * trips, process state in filtered tapes, redaction, recover on truncated
 * and bit-flipped tapes, info --verify, export to Perfetto, Chrome JSON and CSV.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include <cmocka.h>

#include "../cli/cli.h"
#include "golden_gen.h"
#include "../replay/output.h"
#include "../replay/predicate.h"
#include <bpftape/tape.h>
#include "../cli/verbs.h"

static char dir[256];	   /* scratch directory */
static char golden[600];   /* tests/golden/replay-basic.tape */
static char golden_d[512]; /* tests/golden */

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		size_t k = fread(buf + n, 1, cap - n - 1, f);

		if (!k)
			break;
		n += k;
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static void spit(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

struct run {
	int rc;
	char *out, *err;
};

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

/* Run verb @fn with @args (NULL-terminated; args[0] is the verb), capturing
 * its standard output and error. */
static struct run run_verb(int (*fn)(int, char **), const char *const *args)
{
	char outp[300], errp[300], *argv[64];
	int argc = 0, o, e, so, se;
	struct run r;

	for (; args[argc]; argc++)
		argv[argc] = (char *)args[argc];
	argv[argc] = NULL;
	snprintf(outp, sizeof(outp), "%s/stdout", dir);
	snprintf(errp, sizeof(errp), "%s/stderr", dir);
	o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(o >= 0 && e >= 0);
	fflush(stdout);
	fflush(stderr);
	so = dup(1);
	se = dup(2);
	dup2(o, 1);
	dup2(e, 2);
	r.rc = fn(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	close(o);
	close(e);
	r.out = slurp(outp, NULL);
	r.err = slurp(errp, NULL);
	return r;
}

#define RUN(fn, ...) run_verb(fn, (const char *const[]){__VA_ARGS__, NULL})

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static int setup(void **state)
{
	const char *f = __FILE__; /* tests/test_replay.c, relative to the top */
	const char *slash = strrchr(f, '/');

	(void)state;
	snprintf(golden_d, sizeof(golden_d), "%.*s/golden", slash ? (int)(slash - f) : 1,
		 slash ? f : ".");
	snprintf(golden, sizeof(golden), "%s/replay-basic.tape", golden_d);
	snprintf(dir, sizeof(dir), "/tmp/bpftape-test-replay-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	return access(golden, R_OK);
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void path_in(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

/* ---- golden files ---- */

static void test_golden_tape_current(void **state)
{
	struct golden_mem m;
	size_t len;
	char *file = slurp(golden, &len);
	struct run a, b;
	char fresh[300];

	(void)state;
	assert_non_null(file);
	assert_int_equal(golden_basic_mem(&m), 0);
	/* the same events first: a clear message if the content drifted */
	path_in(fresh, sizeof(fresh), "fresh.tape");
	spit(fresh, m.data, m.len);
	a = RUN(cmd_replay, "replay", "--json", golden);
	b = RUN(cmd_replay, "replay", "--json", fresh);
	assert_int_equal(a.rc, 0);
	assert_int_equal(b.rc, 0);
	if (strcmp(a.out, b.out))
		fail_msg("tests/golden/replay-basic.tape no longer matches tests/golden_gen.h; "
			 "regenerate it with build/tests/gen_golden tests/golden");
	/* and the same bytes: the writer is deterministic */
	assert_int_equal(len, m.len);
	assert_memory_equal(file, m.data, len);
	run_free(&a);
	run_free(&b);
	free(file);
	free(m.data);
}

static void expect_file(const char *out, const char *name)
{
	char p[600];
	char *want;

	snprintf(p, sizeof(p), "%s/%s", golden_d, name);
	want = slurp(p, NULL);
	assert_non_null(want);
	if (strcmp(out, want)) {
		char got[300];

		path_in(got, sizeof(got), name);
		spit(got, out, strlen(out));
		fail_msg("output differs from %s; see diff -u %s %s", p, p, got);
	}
	free(want);
}

static void test_replay_text(void **state)
{
	struct run r = RUN(cmd_replay, "replay", golden);

	(void)state;
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.err, "");
	expect_file(r.out, "replay-basic.txt");
	run_free(&r);
}

static void test_replay_json(void **state)
{
	struct run r = RUN(cmd_replay, "replay", "--json", golden);
	char p[300], cmd[700];

	(void)state;
	assert_int_equal(r.rc, 0);
	expect_file(r.out, "replay-basic.json");
	/* every line is a JSON object */
	path_in(p, sizeof(p), "out.json");
	spit(p, r.out, strlen(r.out));
	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import json,sys\n"
		 "n=0\n"
		 "for l in open(sys.argv[1]): json.loads(l); n+=1\n"
		 "sys.exit(0 if n==19 else 1)' %s",
		 p);
	assert_int_equal(system(cmd), 0);
	/* typed values, names, process state */
	assert_non_null(
		strstr(r.out, "\"argv\":[\"cat\",\"/etc/secret-file\",\"--password=hunter2\"]"));
	assert_non_null(
		strstr(r.out, "\"ret\":-2},\"names\":{\"syscall\":\"openat\",\"ret\":\"ENOENT\"}"));
	assert_non_null(strstr(r.out, "\"type\":\"lost\",\"cpu\":1,\"count\":1234"));
	assert_non_null(strstr(r.out, "\"pid\":102,\"tid\":102,\"comm\":\"sleep\",\"ppid\":100,"
				      "\"exe\":\"/usr/bin/sleep\""));
	run_free(&r);
	/* a window after the fork and exec still knows the process */
	r = RUN(cmd_replay, "replay", "--json", "--since", "2.8s", golden);
	assert_int_equal(r.rc, 0);
	assert_int_equal(count_lines(r.out), 2);
	assert_non_null(
		strstr(r.out, "\"comm\":\"sleep\",\"ppid\":100,\"exe\":\"/usr/bin/sleep\""));
	run_free(&r);
}

static void test_replay_time_modes(void **state)
{
	struct run r = RUN(cmd_replay, "replay", "--time", "raw", "--type", "fork", golden);

	(void)state;
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out, "1.000000000 [000] bash"));
	assert_non_null(strstr(r.out, "3.700000000 [000] bash"));
	run_free(&r);
	/* wall clock: boot 1 s + 1763740000 s offset = 2025-11-21 15:46:41 UTC */
	setenv("TZ", "UTC", 1);
	tzset();
	r = RUN(cmd_replay, "replay", "--time", "wall", "--type", "fork", golden);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "15:46:41.000000000 [000] bash            100/100       fork "
				   "parent_pid=100 child_pid=101 child_tid=101\n"
				   "15:46:43.700000000 [000] bash            100/100       fork "
				   "parent_pid=100 child_pid=102 child_tid=102\n");
	run_free(&r);
	r = RUN(cmd_replay, "replay", "--time", "bogus", golden);
	assert_int_equal(r.rc, 2); /* a usage error */
	assert_non_null(strstr(r.err, "--time: 'bogus'"));
	run_free(&r);
}

/* ---- predicates ---- */

struct pred_case {
	const char *a[6];
	int lines;
	const char *must;    /* substring that must appear */
	const char *mustnot; /* ...and one that must not */
};

static void test_predicates(void **state)
{
	char wall_epoch[64], wall_iso[64], wall_tod[64];
	time_t sec = (time_t)(1763740000LL + 3);
	struct tm tm;

	(void)state;
	/* 2.5 s after the first event (boot 1 s): boot 3.5 s */
	snprintf(wall_epoch, sizeof(wall_epoch), "@%lld.5", (long long)sec);
	gmtime_r(&sec, &tm);
	strftime(wall_iso, sizeof(wall_iso), "%Y-%m-%dT%H:%M:%S.5Z", &tm);
	localtime_r(&sec, &tm);
	strftime(wall_tod, sizeof(wall_tod), "%H:%M:%S.5", &tm);
	{
		const struct pred_case cases[] = {
			{{"--pid", "101"}, 8, "exec filename", "nginx"},
			{{"--pid", "101,102"}, 11, "sleep", "nginx"},
			{{"--tid", "201"}, 4, "missing.html", "index.html"},
			{{"--comm", "nginx"}, 7, "index.html", "bash"},
			{{"--comm", "ng*"}, 7, "index.html", "bash"},
			{{"--type", "open"}, 4, "secret-file", "lost"},
			{{"--type", "open,lost"}, 5, "lost", "exec"},
			{{"--type", "exit", "--pid", "102"}, 1, "SIGKILL", "code=0 signal=0"},
			{{"--since", "2.5s"}, 6, "index.html", "lost"},
			{{"--since", "2500ms", "--until", "2.6"}, 2, "missing.html", "fork"},
			{{"--until", "0.004"}, 6, "lost", "missing.conf"},
			{{"--since", "4ms", "--until", "4.5ms"}, 2, "events lost", "read"},
			{{"--since", wall_epoch}, 6, "index.html", "lost"},
			{{"--since", wall_iso}, 6, "index.html", "lost"},
			{{"--since", wall_tod}, 6, "index.html", "lost"},
			{{"-f", "type == \"open\" && ret < 0"}, 3, "missing.conf", "index"},
			{{"-f", "ret == ENOENT", "--type", "open"}, 2, "missing.html", "lost"},
			{{"-f", "argv =~ \"*hunter2*\""}, 2, "exec", "sleep"},
			{{"-f", "addr =~ \"[[]2001:db8::*\""}, 2, "ECONNREFUSED", "8080"},
			{{"-f", "latency > 1000 && nr == read"}, 2, "EBADF", "openat"},
			{{"--pid", "999"}, 1, "lost", "nginx"},
		};

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			const char *args[12] = {"replay"};
			int n = 1;
			struct run r;

			for (int k = 0; cases[i].a[k]; k++)
				args[n++] = cases[i].a[k];
			args[n++] = golden;
			args[n] = NULL;
			r = run_verb(cmd_replay, args);
			if (r.rc || count_lines(r.out) != cases[i].lines ||
			    !strstr(r.out, cases[i].must) || strstr(r.out, cases[i].mustnot))
				fail_msg("case %zu (%s %s ...): rc %d, %d lines (want %d):\n%s%s",
					 i, cases[i].a[0], cases[i].a[1], r.rc, count_lines(r.out),
					 cases[i].lines, r.out, r.err);
			run_free(&r);
		}
	}
}

static void test_predicate_errors(void **state)
{
	static const struct {
		const char *a[3];
		const char *msg;
	} cases[] = {
		{{"--type", "bogus"}, "--type: no type 'bogus' in the tape"},
		{{"-f", "type == \"open\" && (ret < 0"}, "-f: column 27: expected ')'"},
		{{"-f", "pth == \"x\""}, "-f: column 1: unknown field or name 'pth'"},
		{{"--since", "yesterday"}, "--since: 'yesterday' is neither a duration"},
		{{"--until", "25:99:00"}, "--until: '25:99:00' is neither"},
		{{"--pid", "12x"}, "--pid: '12x' is not a list of ids"},
		{{"--pid", "4294967297"}, "--pid: '4294967297' is not a list of ids"},
		{{"--pid", "1, 2"}, "--pid: '1, 2' is not a list of ids"},
		{{"--tid", ""}, "--tid: "},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run r = RUN(cmd_replay, "replay", cases[i].a[0], cases[i].a[1], golden);

		/* a selection that does not fit is a usage error, as in record */
		if (r.rc != 2 || !strstr(r.err, cases[i].msg) || !strstr(r.err, "--help"))
			fail_msg("case %zu: rc %d, stderr '%s', want '%s'", i, r.rc, r.err,
				 cases[i].msg);
		run_free(&r);
	}
}

/* The one parser of each kind of number: values and refusals. */
static void test_cli_parsers(void **state)
{
	static const struct {
		const char *s;
		int rc;
		uint64_t ns;
	} durations[] = {
		{"10", 0, 10000000000ull},
		{"1.5s", 0, 1500000000ull},
		{"250ms", 0, 250000000ull},
		{"5m", 0, 300000000000ull},
		{"2min", 0, 120000000000ull},
		{"1h", 0, 3600000000000ull},
		{"7us", 0, 7000},
		{"3ns", 0, 3},
		{".5", 0, 500000000ull},
		{"+2s", 0, 2000000000ull},
		{"0", 0, 0},
		{"1e3ms", 0, 1000000000ull},
		{"9223372036s", 0, 9223372036000000000ull},
		{"nan", -EINVAL, 0},
		{"NaN", -EINVAL, 0},
		{"inf", -EINVAL, 0},
		{"infinity", -EINVAL, 0},
		{"-1", -EINVAL, 0},
		{"-0", -EINVAL, 0},
		{" 1", -EINVAL, 0},
		{"1 ", -EINVAL, 0},
		{"", -EINVAL, 0},
		{"s", -EINVAL, 0},
		{"0x10", -EINVAL, 0},
		{"1.2.3", -EINVAL, 0},
		{"5d", -EINVAL, 0},
		{"1e", -EINVAL, 0},
		{"9223372037s", -ERANGE, 0},
		{"1e300", -ERANGE, 0},
		{"1e999", -ERANGE, 0},
		{"3000000h", -ERANGE, 0},
	};
	static const struct {
		const char *s;
		int rc;
		uint64_t v;
	} sizes[] = {
		{"4096", 0, 4096},
		{"64K", 0, 65536},
		{"64k", 0, 65536},
		{"1.5M", 0, 1572864},
		{"2G", 0, 2147483648ull},
		{"2GiB", 0, 2147483648ull},
		{"2GB", 0, 2147483648ull},
		{"2Gi", 0, 2147483648ull},
		{"100B", 0, 100},
		{"0", 0, 0},
		{"17179869183G", 0, 17179869183ull << 30},
		{"nan", -EINVAL, 0},
		{"inf", -EINVAL, 0},
		{"-1K", -EINVAL, 0},
		{"lots", -EINVAL, 0},
		{"1T", -EINVAL, 0},
		{"1Ki B", -EINVAL, 0},
		{"100iB", -EINVAL, 0},
		{"17179869184G", -ERANGE, 0},
		{"1e30G", -ERANGE, 0},
		{"1e400", -ERANGE, 0},
	};
	static const struct {
		const char *s;
		uint64_t max;
		int rc;
		uint64_t v;
	} uints[] = {
		{"42", 100, 0, 42},
		{"0", 100, 0, 0},
		{"2147483647", 2147483647, 0, 2147483647},
		{"18446744073709551615", UINT64_MAX, 0, UINT64_MAX},
		{"2147483648", 2147483647, -ERANGE, 0},
		{"4294967297", 0xfffffffe, -ERANGE, 0},
		{"18446744073709551616", UINT64_MAX, -ERANGE, 0},
		{"99999999999999999999999", 0xfffffffe, -ERANGE, 0},
		{"+42", 100, -EINVAL, 0},
		{"-1", 100, -EINVAL, 0},
		{"0x2a", 100, -EINVAL, 0},
		{"4.0", 100, -EINVAL, 0},
		{" 4", 100, -EINVAL, 0},
		{"", 100, -EINVAL, 0},
	};
	static const struct {
		const char *s;
		int rc;
		double v;
	} reals[] = {
		{"1", 0, 1},
		{"10", 0, 10},
		{"0.5", 0, 0.5},
		{".25", 0, 0.25},
		{"1e3", 0, 1000},
		{"1e300", 0, 1e300},
		{"0", -EINVAL, 0},
		{"0.0", -EINVAL, 0},
		{"1e-400", -EINVAL, 0},
		{"-1", -EINVAL, 0},
		{"+2", -EINVAL, 0},
		{"inf", -EINVAL, 0},
		{"Infinity", -EINVAL, 0},
		{"nan", -EINVAL, 0},
		{"0x10", -EINVAL, 0},
		{" 2", -EINVAL, 0},
		{"2 ", -EINVAL, 0},
		{"2x", -EINVAL, 0},
		{"", -EINVAL, 0},
		{"1e999", -ERANGE, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
		uint64_t ns = 12345;
		int rc = cli__parse_duration(durations[i].s, &ns);

		if (rc != durations[i].rc || (!rc && ns != durations[i].ns))
			fail_msg("duration '%s': rc %d ns %llu, want rc %d ns %llu", durations[i].s,
				 rc, (unsigned long long)ns, durations[i].rc,
				 (unsigned long long)durations[i].ns);
	}
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t v = 12345;
		int rc = cli__parse_size(sizes[i].s, &v);

		if (rc != sizes[i].rc || (!rc && v != sizes[i].v))
			fail_msg("size '%s': rc %d v %llu, want rc %d v %llu", sizes[i].s, rc,
				 (unsigned long long)v, sizes[i].rc,
				 (unsigned long long)sizes[i].v);
	}
	for (size_t i = 0; i < sizeof(uints) / sizeof(uints[0]); i++) {
		uint64_t v = 12345;
		int rc = cli__parse_uint(uints[i].s, uints[i].max, &v);

		if (rc != uints[i].rc || (!rc && v != uints[i].v))
			fail_msg("uint '%s' (max %llu): rc %d v %llu, want rc %d v %llu",
				 uints[i].s, (unsigned long long)uints[i].max, rc,
				 (unsigned long long)v, uints[i].rc,
				 (unsigned long long)uints[i].v);
	}
	for (size_t i = 0; i < sizeof(reals) / sizeof(reals[0]); i++) {
		double v = 12345;
		int rc = cli__parse_positive_real(reals[i].s, &v);

		if (rc != reals[i].rc || (!rc && v != reals[i].v))
			fail_msg("real '%s': rc %d v %g, want rc %d v %g", reals[i].s, rc, v,
				 reals[i].rc, reals[i].v);
	}
}

/* A time window reads only the chunks the index says overlap it. */
static void test_index_skipping(void **state)
{
	struct pred_opts po = {0};
	struct tape_reader *r;
	struct predicate *p;
	struct tape_cursor *c;
	struct tape_cursor_stats st;
	const struct tape_event *ev;
	char err[256];
	uint64_t since, until, overlap = 0, n = 0;

	(void)state;
	r = tape_reader__open(golden, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(pred_opts__parse(&po, PRED_OPT_SINCE, "2.5s", err, sizeof(err)), 1);
	assert_int_equal(pred_opts__parse(&po, PRED_OPT_UNTIL, "2.6s", err, sizeof(err)), 1);
	p = predicate__new(&po, &r, 1, err, sizeof(err));
	assert_non_null(p);
	predicate__range(p, 0, &since, &until);
	assert_int_equal(since, GOLDEN_BOOT_TS + 2500000000ULL);
	assert_int_equal(until, GOLDEN_BOOT_TS + 2600000000ULL);
	for (size_t i = 0; i < tape_reader__chunk_count(r); i++) {
		struct tape_chunk_info ci;

		assert_int_equal(tape_reader__chunk(r, i, &ci), 0);
		overlap += ci.max_ts >= since && ci.min_ts <= until;
	}
	assert_true(tape_reader__chunk_count(r) >= 3);
	assert_int_equal(overlap, 1);
	c = tape_cursor__new(&r, 1, predicate__select(p));
	assert_non_null(c);
	while (tape_cursor__next(c, &ev) > 0)
		n += predicate__match(p, ev);
	tape_cursor__stats(c, &st);
	assert_int_equal(n, 2);
	assert_int_equal(st.chunks_read, overlap);
	tape_cursor__free(c);
	predicate__free(p);
	pred_opts__free(&po);
	tape_reader__free(r);
}

/* ---- filter ---- */

/* Drop the "*** N events lost" lines of replay output, in place. */
static void strip_losses(char *s)
{
	char *w = s;

	while (*s) {
		char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) + 1 : strlen(s);

		if (strncmp(s, "*** ", 4)) {
			memmove(w, s, n);
			w += n;
		}
		s += n;
	}
	*w = '\0';
}

/* filter P must keep exactly the events replay P shows (losses: see below). */
static void test_filter_roundtrip(void **state)
{
	static const char *const sets[][5] = {
		{"--pid", "101"},
		{"--since", "0.5", "--until", "2.65"},
		{"--type", "open,connect"},
		{"-f", "ret < 0"},
		{"--comm", "sleep", "--type", "exec,exit"},
		{"--tid", "201"},
		{NULL},
	};
	char out[300];

	(void)state;
	path_in(out, sizeof(out), "cut.tape");
	for (size_t i = 0; sets[i][0]; i++) {
		const char *fa[12] = {"filter", "-q", "-o", out},
			   *ra[12] = {"replay", "--time", "raw"};
		int nf = 4, nr = 3;
		struct run f, a, b;

		for (int k = 0; sets[i][k]; k++) {
			fa[nf++] = sets[i][k];
			ra[nr++] = sets[i][k];
		}
		fa[nf++] = golden;
		ra[nr++] = golden;
		f = run_verb(cmd_filter, fa);
		if (f.rc)
			fail_msg("filter set %zu failed: %s", i, f.err);
		assert_string_equal(f.err, ""); /* quiet when not a terminal */
		a = run_verb(cmd_replay, ra);
		b = RUN(cmd_replay, "replay", "--time", "raw", out);
		assert_int_equal(a.rc, 0);
		assert_int_equal(b.rc, 0);
		strip_losses(a.out);
		strip_losses(b.out);
		if (strcmp(a.out, b.out))
			fail_msg("set %zu: replay of the filtered tape differs:\n--- replay -P\n%s"
				 "--- replay of filter -P\n%s",
				 i, a.out, b.out);
		run_free(&f);
		run_free(&a);
		run_free(&b);
	}
}

/* The filtered tape names processes whose exec was cut away, and holds only
 * the processes that appear. */
static void test_filter_process_state(void **state)
{
	char out[300], err[256];
	struct tape_reader *r;
	struct run f, j;

	(void)state;
	path_in(out, sizeof(out), "procs.tape");
	f = RUN(cmd_filter, "filter", "-o", out, "--type", "open", "--pid", "101,200", golden);
	assert_int_equal(f.rc, 0);
	r = tape_reader__open(out, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(tape_reader__event_count(r), 4);
	assert_int_equal(tape_reader__proc_count(r), 2);
	for (size_t i = 0; i < tape_reader__proc_count(r); i++) {
		const struct tape_proc *p = tape_reader__proc(r, i);

		if (p->pid == 101) {
			assert_string_equal(p->exe, "/usr/bin/cat");
			assert_string_equal(p->comm, "cat");
			assert_int_equal(p->ppid, 100);
			assert_int_equal(p->argv_len,
					 sizeof("cat\0" GOLDEN_SECRET_PATH "\0" GOLDEN_SECRET_ARG));
		} else {
			assert_int_equal(p->pid, 200);
			assert_string_equal(p->exe, "/usr/sbin/nginx");
			assert_int_equal(p->ppid, 1);
		}
	}
	/* only the types used, and no other process (bash, systemd) */
	assert_non_null(tape_reader__type_by_name(r, "open"));
	assert_null(tape_reader__type_by_name(r, "exec"));
	assert_string_equal(tape_reader__meta(r, "host.name"), GOLDEN_HOST);
	tape_reader__free(r);
	j = RUN(cmd_replay, "replay", "--json", out);
	assert_non_null(strstr(j.out, "\"pid\":101,\"tid\":101,\"comm\":\"cat\",\"ppid\":100,"
				      "\"exe\":\"/usr/bin/cat\""));
	run_free(&f);
	run_free(&j);
	/* a window after the exec: the state is the one at the window's start */
	f = RUN(cmd_filter, "filter", "-o", out, "--since", "3s", golden);
	assert_int_equal(f.rc, 0);
	r = tape_reader__open(out, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(tape_reader__proc_count(r), 1);
	assert_string_equal(tape_reader__proc(r, 0)->exe, "/usr/bin/sleep");
	assert_int_equal(tape_reader__proc(r, 0)->ppid, 100);
	assert_int_equal(tape_reader__loss_count(r), 0);
	tape_reader__free(r);
	run_free(&f);
}

static void test_filter_losses(void **state)
{
	char out[300], err[256];
	struct tape_reader *r;
	struct run f;

	(void)state;
	path_in(out, sizeof(out), "loss.tape");
	/* the loss (3.5..4.5 ms) overlaps [4 ms, 1 s] though it starts before */
	f = RUN(cmd_filter, "filter", "-o", out, "--since", "4ms", "--until", "1s", golden);
	assert_int_equal(f.rc, 0);
	r = tape_reader__open(out, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(tape_reader__loss_count(r), 1);
	assert_int_equal(tape_reader__loss(r, 0)->count, 1234);
	assert_int_equal(tape_reader__loss(r, 0)->cpu, 1);
	tape_reader__free(r);
	run_free(&f);
	/* whatever the type, pid or expression selection: drops stay visible */
	f = RUN(cmd_filter, "filter", "-o", out, "--type", "open", "-f", "pid == 200", golden);
	assert_int_equal(f.rc, 0);
	r = tape_reader__open(out, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(tape_reader__event_count(r), 2);
	assert_int_equal(tape_reader__loss_count(r), 1);
	tape_reader__free(r);
	run_free(&f);
	f = RUN(cmd_filter, "filter", "-o", out, "--since", "5ms", golden);
	assert_int_equal(f.rc, 0);
	r = tape_reader__open(out, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(tape_reader__loss_count(r), 0);
	tape_reader__free(r);
	run_free(&f);
	/* the output must not be an input */
	f = RUN(cmd_filter, "filter", "-o", golden, golden);
	assert_int_equal(f.rc, 2);
	assert_non_null(strstr(f.err, "is also an input"));
	run_free(&f);
}

/* ---- redaction ---- */

static const char *const secrets[] = {
	GOLDEN_HOST,	"golden-host", GOLDEN_SECRET_PATH, "secret-file",      GOLDEN_SECRET_ARG,
	"hunter2",	GOLDEN_CGROUP, "session-7",	   "/run/secret.sock", "secret.sock",
	"/usr/bin/cat", "/var/www",    "index.html",	   "/usr/sbin/nginx",  "daemon off",
};

static void scan_bytes(const char *what, const void *p, size_t n)
{
	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		if (memmem(p, n, secrets[i], strlen(secrets[i])))
			fail_msg("%s still holds '%s'", what, secrets[i]);
	/* 10.1.2.3 and 2001:db8::42 as address bytes */
	if (memmem(p, n, "\x0a\x01\x02\x03", 4))
		fail_msg("%s still holds the IPv4 address bytes", what);
	if (memmem(p, n, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x42", 16))
		fail_msg("%s still holds the IPv6 address bytes", what);
}

/* Decompress every zstd frame in the file and scan what comes out. */
static int scan_zstd_frames(const char *data, size_t len)
{
	int frames = 0;

	for (size_t off = 0; off + 4 <= len; off++) {
		size_t csize, dsize;
		unsigned long long want;
		void *dst;

		if (memcmp(data + off, "\x28\xb5\x2f\xfd", 4))
			continue;
		csize = ZSTD_findFrameCompressedSize(data + off, len - off);
		if (ZSTD_isError(csize))
			continue;
		want = ZSTD_getFrameContentSize(data + off, csize);
		if (want == ZSTD_CONTENTSIZE_ERROR || want == ZSTD_CONTENTSIZE_UNKNOWN ||
		    want > (1u << 26))
			continue;
		dst = malloc(want ? want : 1);
		assert_non_null(dst);
		dsize = ZSTD_decompress(dst, want, data + off, csize);
		if (!ZSTD_isError(dsize)) {
			scan_bytes("a decompressed zstd frame", dst, dsize);
			frames++;
		}
		free(dst);
	}
	return frames;
}

static void test_redact(void **state)
{
	char out[300], out2[300], key[300], key2[300], err[256];
	struct tape_reader *r;
	struct tape_cursor *c;
	const struct tape_event *ev;
	size_t len, n = 0;
	char *raw, *raw2;
	struct run f, t;

	(void)state;
	path_in(out, sizeof(out), "public.tape");
	path_in(out2, sizeof(out2), "public2.tape");
	path_in(key, sizeof(key), "key");
	path_in(key2, sizeof(key2), "key2");
	spit(key, "0123456789abcdef-a-test-key", 27);
	spit(key2, "another key, another set of tokens", 34);
	f = RUN(cmd_filter, "filter", "-o", out, "--redact", "all", "--key", key, golden);
	assert_int_equal(f.rc, 0);
	run_free(&f);

	/* every value read back */
	r = tape_reader__open(out, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(tape_reader__event_count(r), 18);
	c = tape_cursor__new(&r, 1, NULL);
	assert_non_null(c);
	while (tape_cursor__next(c, &ev) > 0) {
		for (unsigned i = 0; ev->type && i < ev->tp->nfields; i++) {
			const union tape_value *v = &ev->values[i];

			if (ev->tp->fields[i].kind == TAPE_STR ||
			    ev->tp->fields[i].kind == TAPE_BYTES)
				scan_bytes("an event value", v->b.ptr, v->b.len);
		}
		n++;
	}
	assert_int_equal(n, 19);
	tape_cursor__free(c);
	for (size_t i = 0; i < tape_reader__meta_count(r); i++) {
		const char *k, *v;

		assert_int_equal(tape_reader__meta_at(r, i, &k, &v), 0);
		scan_bytes("a metadata value", v, strlen(v));
	}
	for (size_t i = 0; i < tape_reader__proc_count(r); i++) {
		const struct tape_proc *p = tape_reader__proc(r, i);

		scan_bytes("a process exe", p->exe ? p->exe : "", p->exe ? strlen(p->exe) : 0);
		scan_bytes("a process argv", p->argv ? p->argv : "", p->argv ? p->argv_len : 0);
		scan_bytes("a process cgroup", p->cgroup ? p->cgroup : "",
			   p->cgroup ? strlen(p->cgroup) : 0);
	}
	tape_reader__free(r);

	/* the raw file, and every compressed frame in it, decompressed */
	raw = slurp(out, &len);
	assert_non_null(raw);
	scan_bytes("the raw file", raw, len);
	assert_true(scan_zstd_frames(raw, len) >= 1);

	/* tokens: keyed, stable, structure kept */
	t = RUN(cmd_replay, "replay", out);
	assert_int_equal(t.rc, 0);
	assert_non_null(strstr(t.out, "path=\"path:"));
	assert_non_null(strstr(t.out, "argv=\"argv:"));
	assert_non_null(strstr(t.out, ":8080 ret=0"));	  /* port kept */
	assert_non_null(strstr(t.out, "]:443 ret=-111")); /* IPv6 family and port kept */
	assert_non_null(strstr(t.out, "flags=O_WRONLY|O_CREAT|O_TRUNC"));
	assert_non_null(strstr(t.out, "*** 1234 events lost"));
	run_free(&t);
	f = RUN(cmd_filter, "filter", "-o", out2, "--redact", "all", "--key", key, golden);
	assert_int_equal(f.rc, 0);
	run_free(&f);
	raw2 = slurp(out2, &len);
	assert_non_null(raw2);
	assert_string_equal(raw, raw2); /* same key, same tokens, same bytes */
	free(raw2);
	f = RUN(cmd_filter, "filter", "-o", out2, "--redact", "paths", "--key", key2, golden);
	assert_int_equal(f.rc, 0);
	run_free(&f);
	{
		struct run a = RUN(cmd_replay, "replay", "--type", "open", out),
			   b = RUN(cmd_replay, "replay", "--type", "open", out2);
		char *pa = strstr(a.out, "path=\"path:"), *pb = strstr(b.out, "path=\"path:");

		assert_non_null(pa);
		assert_non_null(pb);
		assert_memory_not_equal(pa, pb, 27); /* another key, other tokens */
		/* within a tape, the same path gives the same token */
		run_free(&a);
		run_free(&b);
	}
	free(raw);
	/* --redact paths only: argv and host stay */
	t = RUN(cmd_replay, "replay", "--type", "exec", out2);
	assert_non_null(strstr(t.out, GOLDEN_SECRET_ARG));
	assert_null(strstr(t.out, "/usr/bin/cat\""));
	run_free(&t);
	f = RUN(cmd_filter, "filter", "-o", out2, "--redact", "paths,bogus", golden);
	assert_int_equal(f.rc, 2);
	assert_non_null(strstr(f.err, "--redact: 'paths,bogus'"));
	run_free(&f);
}

/* A probe's spec names the binary it probed: --redact paths hides it. */
static void test_redact_type_source(void **state)
{
	static const struct tape_field f[] = {{"arg", TAPE_U64, 0, NULL}};
	struct tape_type tp = {0, "uprobe_main", "uprobe:/opt/secret-app/bin/app:main(u64)", "", 1,
			       f};
	struct tape_writer_opts opts = {.sz = sizeof(opts)};
	char in[300], out[300], err[256];
	union tape_value v[] = {GV_U(7)};
	struct tape_event ev = {.ts = 5, .pid = 1, .tid = 1, .comm = "app", .values = v};
	struct tape_writer *w;
	struct tape_reader *r;
	struct run fr;
	size_t len;
	char *raw;

	(void)state;
	path_in(in, sizeof(in), "uprobe.tape");
	path_in(out, sizeof(out), "uprobe-red.tape");
	w = tape_writer__open(in, &opts);
	assert_non_null(w);
	ev.type = (uint16_t)tape_writer__add_type(w, &tp);
	assert_int_equal(tape_writer__append(w, &ev), 0);
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);
	fr = RUN(cmd_filter, "filter", "-o", out, "--redact", "paths", in);
	assert_int_equal(fr.rc, 0);
	run_free(&fr);
	r = tape_reader__open(out, err, sizeof(err));
	assert_non_null(r);
	assert_non_null(tape_reader__type_by_name(r, "uprobe_main"));
	assert_memory_equal(tape_reader__type_by_name(r, "uprobe_main")->source,
			    "uprobe:path:", 12);
	tape_reader__free(r);
	raw = slurp(out, &len);
	assert_null(memmem(raw, len, "secret-app", 10));
	free(raw);
}

static void test_redact_same_token(void **state)
{
	char out[300], key[300];
	struct run f, t;
	char tok[2][40];
	int n = 0;

	(void)state;
	path_in(out, sizeof(out), "same.tape");
	path_in(key, sizeof(key), "key");
	spit(key, "0123456789abcdef-a-test-key", 27);
	/* /usr/bin/cat appears as exec filename and process exe */
	f = RUN(cmd_filter, "filter", "-o", out, "--redact", "paths", "--key", key, "--pid", "101",
		golden);
	assert_int_equal(f.rc, 0);
	t = RUN(cmd_replay, "replay", "--json", "--type", "exec", out);
	{
		const char *p = strstr(t.out, "\"filename\":\"path:");
		const char *e = strstr(t.out, "\"exe\":\"path:");

		assert_non_null(p);
		assert_non_null(e);
		snprintf(tok[n++], sizeof(tok[0]), "%.21s", p + 12);
		snprintf(tok[n++], sizeof(tok[0]), "%.21s", e + 7);
	}
	assert_string_equal(tok[0], tok[1]);
	run_free(&f);
	run_free(&t);
}

/* ---- recover, verify ---- */

static void test_recover_truncated(void **state)
{
	size_t len;
	char *raw = slurp(golden, &len);
	char cut[300], out[300], err[256];
	struct tape_reader *r;

	(void)state;
	assert_non_null(raw);
	path_in(cut, sizeof(cut), "cut.tape");
	path_in(out, sizeof(out), "recovered.tape");
	for (size_t keep = len / 4; keep < len; keep += len / 7) {
		struct run rc, rp;
		uint64_t kept;

		spit(cut, raw, keep);
		rc = RUN(cmd_recover, "recover", "-o", out, cut);
		if (rc.rc) {
			/* too little left to hold even the header and schema */
			assert_non_null(strstr(rc.err, "bpftape recover: "));
			run_free(&rc);
			continue;
		}
		assert_non_null(strstr(rc.out, "kept"));
		r = tape_reader__open(out, err, sizeof(err));
		assert_non_null(r);
		assert_false(tape_reader__recovered(r));
		kept = tape_reader__event_count(r);
		assert_true(kept <= 18);
		assert_int_equal(tape_reader__verify(r, NULL, NULL), 0);
		tape_reader__free(r);
		/* what survived replays as a prefix of the original */
		rp = RUN(cmd_replay, "replay", out);
		assert_int_equal(rp.rc, 0);
		strip_losses(rp.out);
		assert_int_equal(count_lines(rp.out), kept);
		{
			struct run all = RUN(cmd_replay, "replay", golden);

			strip_losses(all.out);
			assert_memory_equal(all.out, rp.out, strlen(rp.out));
			run_free(&all);
		}
		run_free(&rc);
		run_free(&rp);
	}
	free(raw);
}

/* Flip one byte inside the second chunk: replay and info --verify report it,
 * recover keeps the other chunks. */
static void test_bitflip(void **state)
{
	size_t len;
	char *raw = slurp(golden, &len);
	char bad[300], out[300], err[256];
	struct tape_chunk_info ci;
	struct tape_reader *r;
	uint32_t lost;
	struct run a;

	(void)state;
	r = tape_reader__open(golden, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(tape_reader__chunk(r, 1, &ci), 0);
	lost = ci.count;
	tape_reader__free(r);
	raw[ci.offset + ci.block_len / 2] ^= 0x40;
	path_in(bad, sizeof(bad), "flipped.tape");
	path_in(out, sizeof(out), "fixed.tape");
	spit(bad, raw, len);

	/* the partial status: what is intact is printed, the bad block named */
	a = RUN(cmd_replay, "replay", bad);
	assert_int_equal(a.rc, 3);
	assert_non_null(strstr(a.err, bad));
	assert_non_null(strstr(a.err, "CRC mismatch (skipped)"));
	assert_non_null(strstr(a.err, "1 damaged block(s) skipped"));
	assert_int_equal(count_lines(a.out), 19 - (int)lost);
	run_free(&a);

	a = RUN(cmd_info, "info", "--verify", bad);
	assert_int_equal(a.rc, 3);
	assert_non_null(strstr(a.out, "BAD: "));
	run_free(&a);
	a = RUN(cmd_info, "info", "--verify", golden);
	assert_int_equal(a.rc, 0);
	assert_non_null(strstr(a.out, "every block's CRC and payload is good"));
	run_free(&a);

	a = RUN(cmd_recover, "recover", "-o", out, bad);
	assert_int_equal(a.rc, 0);
	assert_non_null(strstr(a.out, "lost 1 bad block"));
	assert_non_null(strstr(a.out, "of the 18 events its index lists are gone"));
	assert_non_null(strstr(a.out, "(event chunk) at offset"));
	run_free(&a);
	r = tape_reader__open(out, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(tape_reader__event_count(r), 18 - lost);
	assert_int_equal(tape_reader__verify(r, NULL, NULL), 0);
	tape_reader__free(r);
	free(raw);
}

static void test_info(void **state)
{
	struct run a = RUN(cmd_info, "info", golden);
	char p[300], cmd[700];

	(void)state;
	assert_int_equal(a.rc, 0);
	assert_non_null(strstr(a.out, "host:        " GOLDEN_HOST));
	assert_non_null(strstr(a.out, "events:      18"));
	assert_non_null(strstr(a.out, "    open                            4"));
	assert_non_null(strstr(a.out, "losses:      1234 events lost in 1 record(s)"));
	assert_non_null(strstr(a.out, "processes:   3 in snapshots"));
	assert_non_null(strstr(a.out, "duration:    3.200 s"));
	run_free(&a);
	a = RUN(cmd_info, "info", "--json", "--verify", golden);
	assert_int_equal(a.rc, 0);
	path_in(p, sizeof(p), "info.json");
	spit(p, a.out, strlen(a.out));
	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import json,sys\n"
		 "d=json.load(open(sys.argv[1]))\n"
		 "assert d[\"events\"]==18 and d[\"types\"][\"open\"]==4 and d[\"lost\"]==1234\n"
		 "assert d[\"bad_blocks\"]==0 and d[\"meta\"][\"host.name\"]==\"%s\"' %s",
		 GOLDEN_HOST, p);
	assert_int_equal(system(cmd), 0);
	run_free(&a);
	a = RUN(cmd_info, "info", "/nonexistent.tape");
	assert_int_equal(a.rc, 1);
	assert_non_null(strstr(a.err, "/nonexistent.tape"));
	run_free(&a);
}

/* ---- export ---- */

static void test_export_chrome(void **state)
{
	char p[300], cmd[2048];
	struct run a;

	(void)state;
	path_in(p, sizeof(p), "trace.json");
	a = RUN(cmd_export, "export", "--format", "chrome", "-o", p, golden);
	assert_int_equal(a.rc, 0);
	run_free(&a);
	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import json,sys\n"
		 "d=json.load(open(sys.argv[1]))\n"
		 "ev=d[\"traceEvents\"]\n"
		 "x=sorted((e[\"name\"],e[\"ts\"],e[\"dur\"],e[\"pid\"]) for e in ev if "
		 "e[\"ph\"]==\"X\")\n"
		 "assert x==[(\"openat\",1500000.0,25.0,200),(\"read\",5500.0,1.5,101),"
		 "(\"write\",3000000.0,0.8,102)], x\n"
		 "pn={e[\"pid\"]:e[\"args\"][\"name\"] for e in ev if "
		 "e[\"name\"]==\"process_name\"}\n"
		 "assert pn[101]==\"cat (/usr/bin/cat)\" and pn[200]==\"nginx (/usr/sbin/nginx)\", "
		 "pn\n"
		 "tn={e[\"tid\"]:e[\"args\"][\"name\"] for e in ev if "
		 "e[\"name\"]==\"thread_name\"}\n"
		 "assert tn[201]==\"nginx\" and tn[102]==\"sleep\", tn\n"
		 "i=[e for e in ev if e[\"ph\"]==\"i\"]\n"
		 "assert len(i)==16, len(i)\n"
		 "assert [e for e in i if e[\"cat\"]==\"lost\"][0][\"s\"]==\"g\"\n"
		 "' %s",
		 p);
	assert_int_equal(system(cmd), 0);
	/* predicates apply */
	a = RUN(cmd_export, "export", "--format", "chrome", "--pid", "102", golden);
	assert_int_equal(a.rc, 0);
	assert_null(strstr(a.out, "nginx"));
	assert_non_null(strstr(a.out, "\"name\":\"write\",\"cat\":\"syscall\",\"ph\":\"X\""));
	run_free(&a);
}

/* ---- export --format perfetto ---- */

static bool have_protoc(void)
{
	if (!system("command -v protoc >/dev/null 2>&1"))
		return true;
	printf("protoc absent (Debian's protobuf-compiler): cannot decode the trace\n");
	return false;
}

/* tests/perfetto_check.py on @trace, its JSON summary checked by @py (a
 * Python expression block over d). */
static void perfetto_check(const char *trace, const char *py)
{
	char cmd[8192], json[300];

	path_in(json, sizeof(json), "pf.json");
	snprintf(cmd, sizeof(cmd), "python3 %.*s/perfetto_check.py %.*s/../docs/perfetto %s > %s",
		 (int)(strlen(golden_d) - 7), golden_d, (int)(strlen(golden_d) - 7), golden_d,
		 trace, json);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import json,sys\nd=json.load(open(sys.argv[1]))\n%s\n' %s", py, json);
	assert_int_equal(system(cmd), 0);
}

static void test_export_perfetto(void **state)
{
	char p[300];
	struct run a;

	(void)state;
	if (!have_protoc())
		skip();
	path_in(p, sizeof(p), "trace.pftrace");
	a = RUN(cmd_export, "export", "--format", "perfetto", "-o", p, golden);
	assert_int_equal(a.rc, 0);
	run_free(&a);
	/* exactly the golden tape: its times are CLOCK_BOOTTIME ns */
	perfetto_check(
		p,
		"s=[(n,t,dur,w) for n,t,dur,w,a in d[\"slices\"]]\n"
		"assert s==[(\"read\",1005500000,1500,\"101\"),(\"openat\",2500000000,25000,"
		"\"200\"),(\"write\",4000000000,800,\"102\")], s\n"
		/* a syscall slice's arguments: its return value, no registers;
		 * a number, or an error's text */
		"assert [x[4] for x in d[\"slices\"]]==[{\"ret\":\"-9(EBADF)\"},{\"ret\":8},"
		"{\"ret\":6}], d[\"slices\"]\n"
		"assert d[\"processes\"][\"101\"]==[\"cat\",[\"cat\",\"/etc/secret-file\","
		"\"--password=hunter2\"]], d[\"processes\"]\n"
		"assert d[\"processes\"][\"200\"][0]==\"nginx\"\n"
		"assert d[\"threads\"]=={\"100\":[100,\"bash\"],\"101\":[101,\"cat\"],"
		"\"200\":[200,\"nginx\"],\"201\":[200,\"nginx\"],\"102\":[102,\"sleep\"]}, "
		"d[\"threads\"]\n"
		"i=d[\"instants\"]\n"
		"assert len(i)==16, len(i)\n"
		"l=[x for x in i if x[2]==\"Lost events\"]\n"
		"assert l==[[\"events lost\",1003500000,\"Lost events\",{\"cpu\":1,\"count\":1234,"
		"\"first_ts\":1003500000,\"last_ts\":1004500000}]], l\n"
		"o=[x for x in i if x[0]==\"open\"][0]\n"
		"assert o==[\"open\",1002000000,\"101\",{\"args\":\"syscall=openat dfd=-100 "
		"path=\\\"/etc/secret-file\\\" flags=O_CLOEXEC ret=3\"}], o\n"
		"assert d[\"switches\"]==0\n");
	/* predicates apply */
	a = RUN(cmd_export, "export", "--format", "perfetto", "-o", p, "--pid", "102", golden);
	assert_int_equal(a.rc, 0);
	run_free(&a);
	perfetto_check(
		p, "assert set(d[\"threads\"])=={\"102\"}, d[\"threads\"]\n"
		   "assert [x[0] for x in d[\"slices\"]]==[\"write\"]\n"
		   "assert [x[0] for x in d[\"instants\"] if x[2]==\"102\"]==[\"exec\",\"exit\"]\n"
		   "assert [x[0] for x in d[\"instants\"] if x[2]!=\"102\"]==[\"events lost\"]\n");
}

/*
 * A storm-like tape of @iters iterations on 4 threads in turn: open, read, close,
 * a syscall, and a scheduler switch every fourth.  As in a recording, the
 * syscall's six registers hold what the syscall does not use: addresses
 * seen once.  Returns its events.
 */
static uint64_t write_storm(const char *path, int iters)
{
	static const struct tape_field sw_f[] = {
		{"prev_pid", TAPE_U32, 0, NULL},   {"prev_comm", TAPE_STR, 0, NULL},
		{"prev_state", TAPE_U64, 0, NULL}, {"next_pid", TAPE_U32, 0, NULL},
		{"next_comm", TAPE_STR, 0, NULL},
	};
	static const struct tape_type sw = {0, "sched_switch", "builtin:sched", "", 5, sw_f};
	static const char *const paths[] = {"/etc/passwd", "/etc/ld.so.cache",
					    "/var/www/html/index.html", "/tmp/build/obj/main.o"};
	struct tape_writer_opts opts = {.sz = sizeof(opts)};
	struct golden_ctx g = {.w = tape_writer__open(path, &opts)};
	uint64_t ts = 0, n = 0;
	int swid;

	assert_non_null(g.w);
	for (int i = 0; i < G_NTYPES; i++)
		assert_true((g.ids[i] = tape_writer__add_type(g.w, &golden_types[i])) > 0);
	assert_true((swid = tape_writer__add_type(g.w, &sw)) > 0);
	for (int i = 0; i < iters; i++) {
		/* threads take turns every 16 iterations, as in a recording
		 * (where a thread runs a while between switches) */
		uint32_t tid = 300 + (uint32_t)(i / 16 % 4), pid = 300 + (uint32_t)(i / 16 % 2);
		const char *comm = i / 16 % 2 ? "worker" : "server";
		union tape_value rd[] = {GV_S(3 + i % 3), GV_U(4096), GV_S(i % 7 ? 4096 : 17)};
		union tape_value cl[] = {GV_S(3 + i % 3), GV_S(0)};
		union tape_value sc[] = {GV_U(3),
					 GV_U(3 + i % 3),
					 GV_U(0x7ffd8d8c0000ull + 48 * (uint64_t)i),
					 GV_U(0x80000),
					 GV_U(0),
					 GV_U(0x55e9f4300000ull + 16 * (uint64_t)i),
					 GV_U(0x7f8311d60000ull + 64 * (uint64_t)i),
					 GV_S(0),
					 GV_U(250)};

		golden_open(&g, ts += 700, (uint16_t)(i % 2), pid, tid, comm, paths[i % 4], 0, 0,
			    3 + i % 3);
		golden_ev(&g, ts += 900, (uint16_t)(i % 2), pid, tid, comm, G_READ, rd);
		golden_ev(&g, ts += 500, (uint16_t)(i % 2), pid, tid, comm, G_CLOSE, cl);
		golden_ev(&g, ts += 300, (uint16_t)(i % 2), pid, tid, comm, G_SYSCALL, sc);
		n += 4;
		if (i % 4 == 3) {
			union tape_value v[] = {GV_U(tid), GV_B(comm, strlen(comm)), GV_U(1),
						GV_U(tid + 1), GV_B("other", 5)};
			struct tape_event ev = {.ts = GOLDEN_BOOT_TS + (ts += 400),
						.pid = pid,
						.tid = tid,
						.cpu = (uint16_t)(i / 4 % 2),
						.type = (uint16_t)swid,
						.comm = comm,
						.values = v};

			assert_int_equal(tape_writer__append(g.w, &ev), 0);
			n++;
		}
	}
	assert_int_equal(g.err, 0);
	assert_int_equal(tape_writer__finish(g.w), 0);
	tape_writer__free(g.w);
	return n;
}

/* The size Perfetto's format is for: at most 30 bytes an event on a
 * sizeable tape of repeated work like a recording's, with every switch in a
 * bundle, and most events on the track of the sequence's defaults. */
static void test_export_perfetto_size(void **state)
{
	char tape[300], p[300], py[1024];
	uint64_t n = write_storm((path_in(tape, sizeof(tape), "storm.tape"), tape), 10000);
	struct stat st;
	struct run a;

	(void)state;
	path_in(p, sizeof(p), "storm.pftrace");
	a = RUN(cmd_export, "export", "--format", "perfetto", "-o", p, tape);
	assert_int_equal(a.rc, 0);
	run_free(&a);
	assert_int_equal(stat(p, &st), 0);
	printf("perfetto: %llu events, %lld bytes, %.1f bytes/event\n", (unsigned long long)n,
	       (long long)st.st_size, (double)st.st_size / (double)n);
	assert_true((uint64_t)st.st_size <= 30 * n);
	if (!have_protoc())
		skip();
	snprintf(py, sizeof(py),
		 "assert d[\"switches\"]==%d, d[\"switches\"]\n"
		 "assert d[\"cpus\"]==[0,1], d[\"cpus\"]\n"
		 "assert len(d[\"slices\"])==%d and len(d[\"instants\"])==%d\n"
		 "assert all(x[2]==250 and x[4]=={} for x in d[\"slices\"])\n"
		 "c=[x[3] for x in d[\"instants\"] if x[0]==\"close\"]\n"
		 "assert c[:3]==[{\"args\":\"fd=3\"},{\"args\":\"fd=4\"},{\"args\":\"fd=5\"}], "
		 "c[:3]\n"
		 "assert d[\"implicit_track\"]>=4*%d, d[\"implicit_track\"]\n",
		 10000 / 4, 10000, 3 * 10000, 10000);
	perfetto_check(p, py);
}

/*
 * More texts than the interning tables hold: the sequence's state is
 * cleared and started again, and every id an event uses still resolves.
 */
static void test_export_perfetto_reset(void **state)
{
	struct tape_writer_opts opts = {.sz = sizeof(opts)};
	struct golden_ctx g = {0};
	char tape[300], p[300], path[64];
	struct run a;

	(void)state;
	if (!have_protoc())
		skip();
	path_in(tape, sizeof(tape), "many.tape");
	path_in(p, sizeof(p), "many.pftrace");
	g.w = tape_writer__open(tape, &opts);
	assert_non_null(g.w);
	for (int i = 0; i < G_NTYPES; i++)
		assert_true((g.ids[i] = tape_writer__add_type(g.w, &golden_types[i])) > 0);
	/* each text twice: the second time interns it */
	for (int i = 0; i < 20000; i++) {
		snprintf(path, sizeof(path), "/data/file-%d", i);
		golden_open(&g, 2000 * (uint64_t)i, 0, 400, 400, "many", path, 0, 0, 3);
		golden_open(&g, 2000 * (uint64_t)i + 1000, 0, 400, 400, "many", path, 0, 0, 3);
	}
	assert_int_equal(g.err, 0);
	assert_int_equal(tape_writer__finish(g.w), 0);
	tape_writer__free(g.w);
	a = RUN(cmd_export, "export", "--format", "perfetto", "-o", p, tape);
	assert_int_equal(a.rc, 0);
	run_free(&a);
	perfetto_check(p, "assert d[\"clears\"]>=2, d[\"clears\"]\n"
			  "i=d[\"instants\"]\n"
			  "assert len(i)==40000, len(i)\n"
			  "assert i[-1][3][\"args\"]==\"syscall=openat dfd=-100 "
			  "path=\\\"/data/file-19999\\\" ret=3\", i[-1]\n");
}

static void test_export_csv(void **state)
{
	struct run a = RUN(cmd_export, "export", "--format", "csv", golden);
	char *nl;

	(void)state;
	assert_int_equal(a.rc, 0);
	assert_int_equal(count_lines(a.out), 20);
	nl = strchr(a.out, '\n');
	*nl = '\0';
	/* numbers stay numbers; their names are in NAME_str columns, as in the
	 * query tables */
	assert_string_equal(a.out, "ts,time,cpu,pid,tid,comm,type,parent_pid,child_pid,child_tid,"
				   "filename,argv,argv_str,ret,ret_str,code,signal,signal_str,"
				   "syscall,syscall_str,dfd,path,flags,flags_str,mode,mode_str,fd,"
				   "count,addr,addr_str,nr,nr_str,arg0,arg0_str,arg1,arg1_str,arg2,"
				   "arg2_str,arg3,arg3_str,arg4,arg4_str,arg5,arg5_str,latency,"
				   "latency_str,lost_count,lost_last_ts");
	assert_non_null(strstr(nl + 1,
			       "1002000000,0.002000000,1,101,101,cat,open,,,,,,,3,,,,,257,"
			       "openat,-100,/etc/secret-file,524288,O_CLOEXEC,0,0,,,,,,,,,,,"
			       ",,,,,,,,,,,\n"));
	assert_non_null(strstr(nl + 1, ",cat,open,,,,,,,-2,ENOENT,,,,257,openat,-100,"
				       "/etc/missing.conf,"));
	assert_non_null(strstr(nl + 1, ",1500,1.500us,,\n"));
	assert_non_null(strstr(nl + 1, "1003500000,0.003500000,1,,,,lost"
				       ",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,"
				       ",1234,1004500000\n"));
	/* every row has as many columns as the header: 48 (no quoted commas here) */
	for (const char *l = nl + 1; *l; l = strchr(l, '\n') + 1) {
		int commas = 0;

		for (const char *q = l; *q != '\n'; q++)
			commas += *q == ',';
		assert_int_equal(commas, 47);
	}
	run_free(&a);
	a = RUN(cmd_export, "export", "--format", "csv", "--type", "close", golden);
	assert_int_equal(a.rc, 0);
	assert_string_equal(a.out, "ts,time,cpu,pid,tid,comm,type,fd,ret,ret_str\n"
				   "1004000000,0.004000000,1,101,101,cat,close,3,0,\n");
	run_free(&a);
	a = RUN(cmd_export, "export", "--format", "xml", golden);
	assert_int_equal(a.rc, 2);
	run_free(&a);
}

/* ---- output plumbing ---- */

/* A reader that went away (| head) ends replay quietly and successfully. */
static void test_closed_stdout(void **state)
{
	int fds[2], so, se, e, rc;
	char errp[300];
	char *errs;
	char *argv[] = {"replay", golden, NULL};

	(void)state;
	assert_int_equal(pipe(fds), 0);
	close(fds[0]);
	path_in(errp, sizeof(errp), "stderr");
	e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	so = dup(1);
	se = dup(2);
	dup2(fds[1], 1);
	dup2(e, 2);
	rc = cmd_replay(2, argv);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	close(e);
	close(fds[1]);
	assert_int_equal(rc, 0);
	errs = slurp(errp, NULL);
	assert_string_equal(errs, "");
	free(errs);
}

/* --pace re-emits at the recorded pace, SPEED times faster. */
static void test_pace(void **state)
{
	struct timespec a, b;
	struct run r;
	double secs;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &a);
	r = RUN(cmd_replay, "replay", "--pace=10", "--type", "fork,exit", golden);
	clock_gettime(CLOCK_MONOTONIC, &b);
	secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	assert_int_equal(r.rc, 0);
	assert_int_equal(count_lines(r.out), 4);
	/* first fork at 0 s, last exit at 3.2 s: 0.32 s at ten times the speed */
	assert_true(secs >= 0.31);
	assert_true(secs < 3.0);
	run_free(&r);
	r = RUN(cmd_replay, "replay", "--pace=0", golden);
	assert_int_equal(r.rc, 2); /* a usage error */
	assert_non_null(strstr(r.err, "--pace: '0' is not a positive speed"));
	run_free(&r);
	/* what strtod() alone takes: each would pace at no speed or no delay */
	{
		static const char *const bad[] = {"--pace=inf", "--pace=nan",  "--pace=-2",
						  "--pace= 2",	"--pace=0x10", "--pace=1e999"};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			r = RUN(cmd_replay, "replay", bad[i], golden);
			if (r.rc != 2 || !strstr(r.err, bad[i] + 7) || !strstr(r.err, "--pace: '"))
				fail_msg("replay %s: rc %d, stderr %s", bad[i], r.rc, r.err);
			run_free(&r);
		}
	}
}

static void sleep_ms(long ms)
{
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&t, NULL);
}

/* --follow reads a tape while it is being written, until the writer
 * finishes it: the trailer ends it, no signal needed. */
static void test_follow(void **state)
{
	/* live: the tape is followed while it grows */
	struct tape_writer_opts opts = {.sz = sizeof(opts), .flags = TAPE_WRITER_LIVE};
	char live[300], outp[300];
	struct tape_writer *w;
	int ids[G_NTYPES], status;
	char *out;
	pid_t pid = -1;

	(void)state;
	path_in(live, sizeof(live), "live.tape");
	path_in(outp, sizeof(outp), "follow.out");
	w = tape_writer__open(live, &opts);
	assert_non_null(w);
	for (int i = 0; i < G_NTYPES; i++)
		assert_true((ids[i] = tape_writer__add_type(w, &golden_types[i])) > 0);
	for (int i = 0; i < 5; i++) {
		union tape_value v[] = {GV_S(i), GV_S(0)};
		struct tape_event ev = {.ts = 1000 + (uint64_t)i,
					.pid = 7,
					.tid = 7,
					.type = (uint16_t)ids[G_CLOSE],
					.comm = "w",
					.values = v};

		if (i == 3) {
			/* the first three are on disk: start following, then write more */
			assert_int_equal(tape_writer__flush(w), 0);
			pid = fork();
			assert_true(pid >= 0);
			if (!pid) {
				char *argv[] = {"replay", "--follow", live, NULL};
				int fd = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);

				dup2(fd, 1);
				_exit(cmd_replay(3, argv));
			}
			sleep_ms(600);
		}
		assert_int_equal(tape_writer__append(w, &ev), 0);
	}
	/* the recorder's end: the last chunk comes with the index and trailer */
	assert_int_equal(tape_writer__finish(w), 0);
	for (int i = 0; i < 400 && waitpid(pid, &status, WNOHANG) == 0; i++)
		sleep_ms(50);
	if (kill(pid, 0) == 0) {
		kill(pid, SIGINT);
		waitpid(pid, &status, 0);
		fail_msg("replay --follow still running 20 s after the tape was finished");
	}
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	out = slurp(outp, NULL);
	assert_non_null(out);
	if (count_lines(out) != 5 || !strstr(out, "close fd=4 ret=0"))
		fail_msg("followed output:\n%s", out);
	free(out);
	tape_writer__free(w);
}

/* Two tapes merge by timestamp. */
static void test_merge(void **state)
{
	char other[300];
	struct run f, a;
	uint64_t prev = 0;
	const char *p;
	int n = 0;

	(void)state;
	path_in(other, sizeof(other), "other.tape");
	f = RUN(cmd_filter, "filter", "-o", other, "--pid", "200", golden);
	assert_int_equal(f.rc, 0);
	a = RUN(cmd_replay, "replay", "--json", "--type", "open,connect", golden, other);
	assert_int_equal(a.rc, 0);
	for (p = a.out; (p = strstr(p, "{\"ts\":")); p++) {
		uint64_t ts = strtoull(p + 6, NULL, 10);

		assert_true(ts >= prev);
		prev = ts;
		n++;
	}
	assert_int_equal(n, 4 + 3 + 2 + 3);
	assert_non_null(strstr(a.out, "\"source\":1"));
	run_free(&f);
	run_free(&a);
}

static void write_snap_tape(const char *path, const char *exe, uint64_t ts)
{
	struct tape_writer_opts opts = {.sz = sizeof(opts)};
	struct tape_proc proc = {500, 1, 0, 1, "srv", exe, NULL, 0, NULL};
	union tape_value v[] = {GV_S(3), GV_S(0)};
	struct tape_event ev = {.ts = ts, .pid = 500, .tid = 500, .comm = "srv", .values = v};
	struct tape_writer *w = tape_writer__open(path, &opts);

	assert_non_null(w);
	assert_int_equal(tape_writer__set_meta(w, "clock.boottime_to_realtime_ns", "1000"), 0);
	ev.type = (uint16_t)tape_writer__add_type(w, &golden_types[G_CLOSE]);
	assert_int_equal(tape_writer__add_procs(w, &proc, 1), 0);
	assert_int_equal(tape_writer__append(w, &ev), 0);
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);
}

/* Rotated files named newest first: the newest snapshot still wins. */
static void test_snapshot_order(void **state)
{
	char older[300], newer[300];
	struct run r;

	(void)state;
	path_in(older, sizeof(older), "rot.1.tape");
	path_in(newer, sizeof(newer), "rot.tape");
	write_snap_tape(older, "/usr/bin/srv-old", 1000);
	write_snap_tape(newer, "/usr/bin/srv-new", 2000);
	r = RUN(cmd_replay, "replay", "--json", newer, older);
	assert_int_equal(r.rc, 0);
	assert_int_equal(count_lines(r.out), 2);
	assert_null(strstr(r.out, "srv-old"));
	assert_non_null(strstr(r.out, "\"exe\":\"/usr/bin/srv-new\""));
	run_free(&r);
}

/*
 * Containers (issue 14): a process of the snapshot in a podman container
 * (named by the recorder), one in a docker cgroup that only the path names
 * (derived), one on the host that forks a child whose exec enters the
 * podman container.  --container by name and id prefix, --pod, -f on the
 * container fields, JSON and SQL agree on who ran where.
 */
#define CTR_ID "c6a4258163d85c270ab4a5b2ee692d63884bcc41e9f6bc3aabc7413e028aa8c9"
#define CTR_CG "/libpod_parent/libpod-" CTR_ID
#define DCK_ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define POD_ID "8f3e2c0a-1b2c-4d5e-9f00-112233445566"

static void write_container_tape(const char *p)
{
	static const struct tape_field open_f[] = {{"path", TAPE_STR, 0, NULL}};
	static const struct tape_field fork_f[] = {{"parent_pid", TAPE_U32, 0, NULL},
						   {"child_pid", TAPE_U32, 0, NULL},
						   {"child_tid", TAPE_U32, 0, NULL}};
	static const struct tape_field exec_f[] = {{"filename", TAPE_STR, 0, NULL},
						   {"argv", TAPE_BYTES, TAPE_DISP_ARGV, NULL},
						   {"ret", TAPE_S32, TAPE_DISP_ERRNO, NULL},
						   {"cgroup", TAPE_STR, 0, NULL},
						   {"container", TAPE_STR, 0, NULL},
						   {"container_name", TAPE_STR, 0, NULL},
						   {"runtime", TAPE_STR, 0, NULL},
						   {"pod", TAPE_STR, 0, NULL}};
	struct tape_type open_t = {0, "open", "", "", 1, open_f};
	struct tape_type fork_t = {0, "fork", "", "", 3, fork_f};
	struct tape_type exec_t = {0, "exec", "", "", 8, exec_f};
	const struct tape_proc procs[] = {
		{.pid = 100,
		 .ppid = 1,
		 .comm = "host",
		 .exe = "/usr/bin/host",
		 .cgroup = "/system.slice/host.service"},
		{.pid = 200,
		 .ppid = 1,
		 .comm = "web",
		 .exe = "/bin/sh",
		 .cgroup = CTR_CG,
		 .container = CTR_ID,
		 .container_name = "web",
		 .runtime = "podman",
		 .pod = ""},
		{.pid = 300,
		 .ppid = 1,
		 .comm = "kube",
		 .exe = "/bin/sh",
		 .cgroup = "/kubepods/burstable/pod" POD_ID "/" DCK_ID},
	};
	struct tape_writer_opts opts = {.sz = sizeof(opts)};
	struct tape_writer *w = tape_writer__open(p, &opts);
	uint16_t topen, tfork, texec;
	union tape_value v[8];
	struct tape_event ev = {.values = v};
	uint64_t ts = GOLDEN_BOOT_TS;

	assert_non_null(w);
	topen = (uint16_t)tape_writer__add_type(w, &open_t);
	tfork = (uint16_t)tape_writer__add_type(w, &fork_t);
	texec = (uint16_t)tape_writer__add_type(w, &exec_t);
	assert_int_equal(tape_writer__add_procs(w, procs, 3), 0);
	for (uint32_t pid = 100; pid <= 300; pid += 100) {
		ev = (struct tape_event){.ts = ts++,
					 .pid = pid,
					 .tid = pid,
					 .type = topen,
					 .comm = "x",
					 .values = v};
		v[0].b.ptr = "/etc/hosts";
		v[0].b.len = 10;
		assert_int_equal(tape_writer__append(w, &ev), 0);
	}
	/* runc forks on the host, moves the child into the container, execs */
	ev = (struct tape_event){
		.ts = ts++, .pid = 100, .tid = 100, .type = tfork, .comm = "host", .values = v};
	v[0].u = 100;
	v[1].u = v[2].u = 101;
	assert_int_equal(tape_writer__append(w, &ev), 0);
	ev = (struct tape_event){
		.ts = ts++, .pid = 101, .tid = 101, .type = texec, .comm = "host", .values = v};
	{
		const char *s[] = {"/bin/sleep", "sleep", NULL,	    CTR_CG,
				   CTR_ID,	 "web",	  "podman", ""};

		for (int i = 0; i < 8; i++) {
			v[i].b.ptr = s[i];
			v[i].b.len = s[i] ? (uint32_t)strlen(s[i]) : 0;
		}
		v[2].s = 0;
	}
	assert_int_equal(tape_writer__append(w, &ev), 0);
	ev = (struct tape_event){
		.ts = ts++, .pid = 101, .tid = 101, .type = topen, .comm = "sleep", .values = v};
	v[0].b.ptr = "/etc/passwd";
	v[0].b.len = 11;
	assert_int_equal(tape_writer__append(w, &ev), 0);
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);
}

static void test_containers(void **state)
{
	static const struct {
		const char *opt, *arg;
		size_t lines;
		const char *has; /* in the output */
	} cases[] = {
		/* 200's open, 101's exec and open (after its exec it is in "web") */
		{"--container", "web", 3, "path=\"/etc/passwd\""},
		{"--container", "c6a42581", 3, "exec filename=\"/bin/sleep\""},
		{"--container", CTR_ID, 3, NULL},
		{"--container", "0123456789ab", 1, NULL},
		{"--container", "nope", 0, NULL},
		{"--pod", "8f3e2c0a", 1, "300/300"},
		{"-f", "container_name == \"web\" && type == \"open\"", 2, NULL},
		{"-f", "runtime == \"containerd\" && pod =~ \"8f3e*\"", 1, "300/300"},
		{"-f", "container == \"\"", 2, "100/100"}, /* the host's open and fork */
	};
	char p[300], cut[300], key[300];
	struct run r;

	(void)state;
	path_in(p, sizeof(p), "containers.tape");
	write_container_tape(p);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = RUN(cmd_replay, "replay", cases[i].opt, cases[i].arg, p);
		print_message("%s %s\n%s", cases[i].opt, cases[i].arg, r.out);
		assert_int_equal(r.rc, 0);
		assert_int_equal(count_lines(r.out), (int)cases[i].lines);
		if (cases[i].has)
			assert_non_null(strstr(r.out, cases[i].has));
		run_free(&r);
	}
	r = RUN(cmd_replay, "replay", "--json", "--pid", "101", "--type", "open", p);
	assert_non_null(strstr(r.out, "\"container\":\"" CTR_ID "\",\"container_name\":\"web\""));
	run_free(&r);
	r = RUN(cmd_query, "query", "--format", "csv", p, "-c",
		"SELECT pid, container_name, runtime, pod FROM processes ORDER BY pid");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "pid,container_name,runtime,pod\n"
				   "100,,,\n"
				   "101,web,podman,\n"
				   "200,web,podman,\n"
				   "300,0123456789ab,containerd," POD_ID "\n");
	run_free(&r);

	/* filter keeps the container's processes with their names; --redact
	 * host turns ids, names and pods into tokens, as it does cgroup paths */
	path_in(cut, sizeof(cut), "containers-cut.tape");
	path_in(key, sizeof(key), "containers-key");
	spit(key, "0123456789abcdef-a-test-key", 27);
	r = RUN(cmd_filter, "filter", "-o", cut, "--container", "web", p);
	assert_int_equal(r.rc, 0);
	run_free(&r);
	r = RUN(cmd_query, "query", "--format", "csv", cut, "-c",
		"SELECT pid, container_name FROM processes ORDER BY pid");
	assert_string_equal(r.out, "pid,container_name\n101,web\n200,web\n");
	run_free(&r);
	r = RUN(cmd_filter, "filter", "-o", cut, "--redact", "host", "--key", key, p);
	assert_int_equal(r.rc, 0);
	run_free(&r);
	r = RUN(cmd_replay, "replay", "--json", cut);
	assert_int_equal(r.rc, 0);
	assert_null(strstr(r.out, "\"web\""));
	assert_null(strstr(r.out, CTR_ID));
	assert_null(strstr(r.out, POD_ID));
	assert_non_null(strstr(r.out, "\"container_name\":\"host:"));
	run_free(&r);
}

/* Tapes that define a type differently cannot share one definition. */
static void test_filter_type_clash(void **state)
{
	static const struct tape_field f[] = {{"fd", TAPE_U64, 0, NULL}};
	struct tape_type other = {0, "close", "", "", 1, f};
	struct tape_writer_opts opts = {.sz = sizeof(opts)};
	union tape_value v[] = {GV_U(3)};
	struct tape_event ev = {
		.ts = GOLDEN_BOOT_TS + 10, .pid = 1, .tid = 1, .comm = "x", .values = v};
	char p[300], out[300];
	struct tape_writer *w;
	struct run r;

	(void)state;
	path_in(p, sizeof(p), "clash.tape");
	path_in(out, sizeof(out), "clash-out.tape");
	w = tape_writer__open(p, &opts);
	assert_non_null(w);
	assert_int_equal(
		tape_writer__set_meta(w, "clock.boottime_to_realtime_ns", GOLDEN_CLOCK_OFF), 0);
	ev.type = (uint16_t)tape_writer__add_type(w, &other);
	assert_int_equal(tape_writer__append(w, &ev), 0);
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);
	r = RUN(cmd_filter, "filter", "-o", out, "--type", "close", golden, p);
	assert_int_equal(r.rc, 1);
	assert_non_null(strstr(r.err, "type 'close' of"));
	assert_non_null(strstr(r.err, "has other fields than in an earlier tape"));
	assert_int_equal(access(out, F_OK), -1); /* no half-written tape left */
	run_free(&r);
}

/* A comm is whatever the task set: control bytes never break a text line
 * nor reach the terminal, and JSON escapes them losslessly. */
static void test_hostile_comm(void **state)
{
	struct tape_writer_opts opts = {.sz = sizeof(opts)};
	char p[300];
	struct tape_writer *w;
	union tape_value v[] = {GV_S(3), GV_S(0)};
	struct tape_event ev = {
		.ts = 5, .pid = 1, .tid = 1, .comm = "a\nb\x1b[2J\xff", .values = v};
	struct run r;

	(void)state;
	path_in(p, sizeof(p), "comm.tape");
	w = tape_writer__open(p, &opts);
	assert_non_null(w);
	ev.type = (uint16_t)tape_writer__add_type(w, &golden_types[G_CLOSE]);
	assert_int_equal(tape_writer__append(w, &ev), 0);
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);
	r = RUN(cmd_replay, "replay", p);
	assert_int_equal(r.rc, 0);
	assert_string_equal(
		r.out, "0.000000000 [000] a\\nb\\x1b[2J\\xff 1/1           close fd=3 ret=0\n");
	run_free(&r);
	r = RUN(cmd_replay, "replay", "--json", p);
	assert_non_null(strstr(r.out, "\"comm\":\"a\\nb\\\\x1b[2J\\\\xff\""));
	run_free(&r);

	/* type and field names come from the tape too */
	{
		static const struct tape_field f[] = {{"f\nx", TAPE_U32, 0, NULL}};
		struct tape_type evil = {0, "evil\x1b[2J", "", "", 1, f};
		union tape_value u[] = {GV_U(1)};

		w = tape_writer__open(p, &opts);
		assert_non_null(w);
		ev.type = (uint16_t)tape_writer__add_type(w, &evil);
		ev.values = u;
		ev.comm = "x";
		assert_int_equal(tape_writer__append(w, &ev), 0);
		assert_int_equal(tape_writer__finish(w), 0);
		tape_writer__free(w);
		for (int k = 0; k < 2; k++) {
			r = k ? RUN(cmd_replay, "replay", "--time", "wall", p)
			      : RUN(cmd_replay, "replay", p);
			assert_int_equal(r.rc, 0);
			assert_int_equal(count_lines(r.out), 1);
			assert_null(strchr(r.out, 0x1b));
			assert_non_null(strstr(r.out, " evil\\x1b[2J f\\nx=1\n"));
			run_free(&r);
		}
	}
}

/* Tapes of two hosts (different boot clocks) merge by wall-clock time. */
static void test_merge_hosts(void **state)
{
	struct tape_writer_opts opts = {.sz = sizeof(opts)};
	char other[300], off[32], cut[300];
	struct tape_writer *w;
	struct run a, f;
	int id;
	/* host B booted 100 s earlier than A: its boot clock reads 100 s more */
	long long offb = atoll(GOLDEN_CLOCK_OFF) - 100000000000LL;

	(void)state;
	path_in(other, sizeof(other), "hostb.tape");
	path_in(cut, sizeof(cut), "both.tape");
	snprintf(off, sizeof(off), "%lld", offb);
	w = tape_writer__open(other, &opts);
	assert_non_null(w);
	assert_int_equal(tape_writer__set_meta(w, "host.name", "host-b"), 0);
	assert_int_equal(tape_writer__set_meta(w, "clock.boottime_to_realtime_ns", off), 0);
	id = tape_writer__add_type(w, &golden_types[G_CLOSE]);
	assert_true(id > 0);
	for (int i = 0; i < 2; i++) {
		union tape_value v[] = {GV_S(40 + i), GV_S(0)};
		/* 0.5 ms and 2.5 s after A's first event, in wall-clock time */
		struct tape_event ev = {.ts = GOLDEN_BOOT_TS + 100000000000ULL +
					      (i ? 2500000000ULL : 500000ULL),
					.pid = 9,
					.tid = 9,
					.type = (uint16_t)id,
					.comm = "hostb",
					.values = v};

		assert_int_equal(tape_writer__append(w, &ev), 0);
	}
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);

	a = RUN(cmd_replay, "replay", "--type", "close,fork", golden, other);
	assert_int_equal(a.rc, 0);
	assert_string_equal(a.out,
			    "0.000000000 [000] bash            100/100       fork parent_pid=100 "
			    "child_pid=101 child_tid=101\n"
			    "0.000500000 [000] hostb           9/9           close fd=40 ret=0\n"
			    "0.004000000 [001] cat             101/101       close fd=3 ret=0\n"
			    "2.500000000 [000] hostb           9/9           close fd=41 ret=0\n"
			    "2.700000000 [000] bash            100/100       fork parent_pid=100 "
			    "child_pid=102 child_tid=102\n");
	run_free(&a);
	/* each tape's --since in its own clock */
	a = RUN(cmd_replay, "replay", "--type", "close", "--since", "1s", golden, other);
	assert_int_equal(a.rc, 0);
	assert_string_equal(a.out,
			    "2.500000000 [000] hostb           9/9           close fd=41 ret=0\n");
	run_free(&a);
	/* filtered together, B's events land on A's clock */
	f = RUN(cmd_filter, "filter", "-o", cut, "--type", "close", golden, other);
	assert_int_equal(f.rc, 0);
	a = RUN(cmd_replay, "replay", cut);
	assert_int_equal(a.rc, 0);
	assert_non_null(
		strstr(a.out, "0.000000000 [000] hostb           9/9           close fd=40"));
	assert_non_null(
		strstr(a.out, "2.499500000 [000] hostb           9/9           close fd=41"));
	run_free(&f);
	run_free(&a);
}

/* Host B of test_merge_pid_hosts: its pids 100 and 200 are other programs
 * than the golden host's.  File @part 1 holds the snapshot, pid 200's first
 * event and a nameless one of pid 101; part 2 (rotated: same host and
 * clock, no snapshot) a later nameless event of pid 200. */
static void write_hostb_part(const char *path, int part, const char *off)
{
	struct tape_writer_opts opts = {.sz = sizeof(opts)};
	struct tape_proc procs[] = {
		{1, 0, 0, 1000, "init", "/sbin/init", NULL, 0, NULL},
		{7, 1, 0, 2000, "supervise", "/usr/bin/supervise", NULL, 0, NULL},
		{100, 1, 0, 3000, "cron", "/usr/sbin/cron", NULL, 0, NULL},
		{200, 7, 70, 4000, "postgres", "/usr/lib/postgresql/bin/postgres", NULL, 0, NULL},
	};
	/* ns after the golden tape's first event, pid (= tid), comm, fd */
	static const struct {
		uint64_t at;
		uint32_t pid;
		const char *comm;
		int fd;
	} evs[2][2] = {
		{{500000, 200, "postgres", 40}, {1000000, 101, "", 41}},
		{{2500000000ULL, 200, "", 42}, {0, 0, NULL, 0}},
	};
	struct tape_writer *w = tape_writer__open(path, &opts);
	int id;

	assert_non_null(w);
	assert_int_equal(tape_writer__set_meta(w, "host.name", "host-b"), 0);
	assert_int_equal(tape_writer__set_meta(w, "clock.boottime_to_realtime_ns", off), 0);
	id = tape_writer__add_type(w, &golden_types[G_CLOSE]);
	assert_true(id > 0);
	if (part == 1)
		assert_int_equal(tape_writer__add_procs(w, procs, 4), 0);
	for (int i = 0; i < 2 && evs[part - 1][i].comm; i++) {
		union tape_value v[] = {GV_S(evs[part - 1][i].fd), GV_S(0)};
		struct tape_event ev = {.ts = GOLDEN_BOOT_TS + 100000000000ULL +
					      evs[part - 1][i].at,
					.pid = evs[part - 1][i].pid,
					.tid = evs[part - 1][i].pid,
					.type = (uint16_t)id,
					.comm = evs[part - 1][i].comm,
					.values = v};

		assert_int_equal(tape_writer__append(w, &ev), 0);
	}
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);
}

/* Tapes of two hosts whose pids collide: each host has its own processes. */
static void test_merge_pid_hosts(void **state)
{
	char b1[300], b2[300], off[32], p[300], cmd[2400];
	struct run a;
	const char *l;
	/* host B booted 100 s earlier than the golden host */
	long long offb = atoll(GOLDEN_CLOCK_OFF) - 100000000000LL;

	(void)state;
	path_in(b1, sizeof(b1), "hostb-1.tape");
	path_in(b2, sizeof(b2), "hostb-2.tape");
	path_in(p, sizeof(p), "hosts.json");
	snprintf(off, sizeof(off), "%lld", offb);
	write_hostb_part(b1, 1, off);
	write_hostb_part(b2, 2, off);

	/* JSON: parent and exe from each event's own host */
	a = RUN(cmd_replay, "replay", "--json", "--type", "close,connect", golden, b2, b1);
	assert_int_equal(a.rc, 0);
	assert_int_equal(count_lines(a.out), 7);
	assert_non_null(strstr(a.out, "\"pid\":200,\"tid\":201,\"comm\":\"nginx\",\"ppid\":1,"
				      "\"exe\":\"/usr/sbin/nginx\",\"type\":\"connect\""));
	assert_non_null(strstr(a.out, "\"pid\":200,\"tid\":200,\"comm\":\"postgres\",\"ppid\":7,"
				      "\"exe\":\"/usr/lib/postgresql/bin/postgres\",\"type\":"
				      "\"close\",\"source\":2,\"fields\":{\"fd\":40"));
	/* the rotated file takes the names from the first file's snapshot */
	assert_non_null(strstr(a.out, "\"pid\":200,\"tid\":200,\"comm\":\"postgres\",\"ppid\":7,"
				      "\"exe\":\"/usr/lib/postgresql/bin/postgres\",\"type\":"
				      "\"close\",\"source\":1,\"fields\":{\"fd\":42"));
	/* pid 101 of host B is not the golden host's cat */
	assert_non_null(strstr(a.out, "\"pid\":101,\"tid\":101,\"comm\":\"?\",\"type\":\"close\","
				      "\"source\":2,\"fields\":{\"fd\":41"));
	assert_non_null(strstr(a.out, "\"pid\":101,\"tid\":101,\"comm\":\"cat\",\"ppid\":100,"
				      "\"exe\":\"/usr/bin/cat\",\"type\":\"close\",\"source\":0"));
	run_free(&a);

	/* text: a nameless event is named by its own host's table */
	a = RUN(cmd_replay, "replay", "--type", "close", golden, b1, b2);
	assert_int_equal(a.rc, 0);
	assert_string_equal(a.out,
			    "0.000500000 [000] postgres        200/200       close fd=40 ret=0\n"
			    "0.001000000 [000] ?               101/101       close fd=41 ret=0\n"
			    "0.004000000 [001] cat             101/101       close fd=3 ret=0\n"
			    "2.500000000 [000] postgres        200/200       close fd=42 ret=0\n");
	run_free(&a);

	/* export: one track per process of each host, named with the host */
	a = RUN(cmd_export, "export", "--format", "chrome", "-o", p, "--type", "close,connect",
		golden, b1, b2);
	assert_int_equal(a.rc, 0);
	run_free(&a);
	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import json,sys\n"
		 "d=json.load(open(sys.argv[1]))\n"
		 "ev=d[\"traceEvents\"]\n"
		 "pn={e[\"pid\"]:e[\"args\"][\"name\"] for e in ev if "
		 "e[\"name\"]==\"process_name\"}\n"
		 "g=\"" GOLDEN_HOST ": \"\n"
		 "assert pn=={10000101:g+\"cat (/usr/bin/cat)\",10000200:g+\"nginx "
		 "(/usr/sbin/nginx)\","
		 "20000200:\"host-b: postgres (/usr/lib/postgresql/bin/postgres)\","
		 "20000101:\"host-b: \"}, pn\n"
		 "tn={(e[\"pid\"],e[\"tid\"]):e[\"args\"][\"name\"] for e in ev if "
		 "e[\"name\"]==\"thread_name\"}\n"
		 "assert tn=={(10000101,10000101):\"cat\",(10000200,10000200):\"nginx\","
		 "(10000200,10000201):\"nginx\",(20000200,20000200):\"postgres\","
		 "(20000101,20000101):\"\"}, tn\n"
		 "c=sorted((e[\"pid\"],e[\"tid\"],e[\"args\"][\"fd\"]) for e in ev if "
		 "e[\"name\"]==\"close\")\n"
		 "assert c==[(10000101,10000101,3),(20000101,20000101,41),"
		 "(20000200,20000200,40),(20000200,20000200,42)], c\n"
		 "' %s",
		 p);
	assert_int_equal(system(cmd), 0);
	/* one host: the pids as recorded */
	a = RUN(cmd_export, "export", "--format", "chrome", "--type", "close", b1, b2);
	assert_int_equal(a.rc, 0);
	l = strstr(a.out, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":200,\"tid\":200,"
			  "\"args\":{\"name\":\"postgres (/usr/lib/postgresql/bin/postgres)\"}}");
	assert_non_null(l);
	run_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_tape_current),
		cmocka_unit_test(test_replay_text),
		cmocka_unit_test(test_replay_json),
		cmocka_unit_test(test_replay_time_modes),
		cmocka_unit_test(test_predicates),
		cmocka_unit_test(test_predicate_errors),
		cmocka_unit_test(test_cli_parsers),
		cmocka_unit_test(test_index_skipping),
		cmocka_unit_test(test_filter_roundtrip),
		cmocka_unit_test(test_filter_process_state),
		cmocka_unit_test(test_filter_losses),
		cmocka_unit_test(test_redact),
		cmocka_unit_test(test_redact_same_token),
		cmocka_unit_test(test_redact_type_source),
		cmocka_unit_test(test_recover_truncated),
		cmocka_unit_test(test_bitflip),
		cmocka_unit_test(test_info),
		cmocka_unit_test(test_export_chrome),
		cmocka_unit_test(test_export_perfetto),
		cmocka_unit_test(test_export_perfetto_size),
		cmocka_unit_test(test_export_perfetto_reset),
		cmocka_unit_test(test_export_csv),
		cmocka_unit_test(test_closed_stdout),
		cmocka_unit_test(test_pace),
		cmocka_unit_test(test_follow),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_merge_hosts),
		cmocka_unit_test(test_merge_pid_hosts),
		cmocka_unit_test(test_hostile_comm),
		cmocka_unit_test(test_snapshot_order),
		cmocka_unit_test(test_filter_type_clash),
		cmocka_unit_test(test_containers),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
