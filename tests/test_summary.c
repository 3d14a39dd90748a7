// SPDX-License-Identifier: MIT
/*
 * The summary engine (replay/summary.c): the latency histogram's
 * percentiles against exact ones, the golden summary tape against its
 * generator, and the bounds of its tables (keys past a cap are counted as
 * other, not kept).  tests/test_summary.sh checks the report's figures.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "golden_summary.h"
#include "../replay/output.h"
#include "../replay/predicate.h"
#include "../replay/summary.h"
#include "../replay/tapes.h"

static char dir[256];	 /* scratch directory */
static char golden[600]; /* tests/golden/summary-basic.tape */

static int setup(void **state)
{
	const char *f = __FILE__; /* tests/test_summary.c, relative to the top */
	const char *slash = strrchr(f, '/');

	(void)state;
	snprintf(golden, sizeof(golden), "%.*s/golden/summary-basic.tape",
		 slash ? (int)(slash - f) : 1, slash ? f : ".");
	snprintf(dir, sizeof(dir), "/tmp/bpftape-test-summary-XXXXXX");
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

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The nearest-rank percentile of sorted @v. */
static uint64_t exact(const uint64_t *v, size_t n, unsigned permille)
{
	size_t rank = (n * permille + 999) / 1000;

	return v[rank ? rank - 1 : 0];
}

static void test_hist_small_exact(void **state)
{
	struct lat_hist *h = calloc(1, sizeof(*h));

	(void)state;
	assert_non_null(h);
	assert_int_equal(lat_hist__percentile(h, 500), 0);
	for (uint64_t v = 0; v < 128; v++)
		lat_hist__add(h, v);
	/* 128 values 0..127: the k-th is k-1, exactly */
	assert_int_equal(lat_hist__percentile(h, 500), 63);
	assert_int_equal(lat_hist__percentile(h, 990), 126);
	assert_int_equal(lat_hist__percentile(h, 1000), 127);
	assert_int_equal(lat_hist__percentile(h, 1), 0);
	free(h);
}

/* Over values from 1 ns to 1000 s: every percentile at most 1/64 above the
 * exact one and never below it; the maximum exact. */
static void test_hist_precision(void **state)
{
	enum { N = 20000 };
	static const unsigned pm[] = {1, 100, 250, 500, 750, 900, 990, 999, 1000};
	struct lat_hist *h = calloc(1, sizeof(*h));
	uint64_t *v = malloc(N * sizeof(*v)), x = 88172645463325252ULL;

	(void)state;
	assert_true(h && v);
	for (size_t i = 0; i < N; i++) {
		/* xorshift: log-uniform over 2^0..2^40 */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		v[i] = (x >> 24) >> (x % 41);
		lat_hist__add(h, v[i]);
	}
	qsort(v, N, sizeof(*v), cmp_u64);
	for (size_t k = 0; k < sizeof(pm) / sizeof(pm[0]); k++) {
		uint64_t want = exact(v, N, pm[k]), got = lat_hist__percentile(h, pm[k]);

		if (got < want || got > want + want / 64)
			fail_msg("p%u.%u: %llu, exact %llu", pm[k] / 10, pm[k] % 10,
				 (unsigned long long)got, (unsigned long long)want);
	}
	assert_int_equal(h->max, v[N - 1]);
	assert_int_equal(lat_hist__percentile(h, 1000), v[N - 1]);
	free(v);
	free(h);
}

/* Beyond the histogram's range: the last bucket, reported as the exact max. */
static void test_hist_clamp(void **state)
{
	struct lat_hist *h = calloc(1, sizeof(*h)), *m = calloc(1, sizeof(*m));

	(void)state;
	assert_true(h && m);
	lat_hist__add(h, 1);
	lat_hist__add(h, 1ULL << 50);
	lat_hist__add(h, UINT64_MAX);
	assert_int_equal(lat_hist__percentile(h, 300), 1);
	assert_int_equal(lat_hist__percentile(h, 500), UINT64_MAX);
	assert_int_equal(lat_hist__percentile(h, 1000), UINT64_MAX);
	lat_hist__add(m, 1ULL << 50);
	assert_int_equal(lat_hist__percentile(m, 500), 1ULL << 50);
	lat_hist__merge(m, h);
	assert_int_equal(m->n, 4);
	assert_int_equal(m->max, UINT64_MAX);
	free(h);
	free(m);
}

static void test_golden_current(void **state)
{
	struct golden_mem m;
	FILE *f = fopen(golden, "rb");
	char *buf;
	long len;

	(void)state;
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	rewind(f);
	buf = malloc((size_t)len);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	assert_int_equal(golden_summary_mem(&m), 0);
	if ((size_t)len != m.len || memcmp(buf, m.data, m.len))
		fail_msg("tests/golden/summary-basic.tape no longer matches "
			 "tests/golden_summary.h; regenerate it with build/tests/gen_golden "
			 "tests/golden (and tests/golden/summary-basic.txt)");
	free(buf);
	free(m.data);
}

/* Run the engine over @path with @po and return its JSON, or its text
 * (malloc'ed). */
static char *summarize_as(const char *path, const struct pred_opts *po, size_t top, bool json)
{
	char *paths[] = {(char *)path}, err[512], outp[300], *buf;
	struct summary_opts so = {.sz = sizeof(so), .top = top, .whole = pred_opts__empty(po)};
	struct tapes t;
	struct summary *s;
	struct out o;
	const struct tape_event *ev;
	int fd, rc;
	FILE *f;
	long len;

	assert_int_equal(tapes__setup(&t, paths, 1, po, err, sizeof(err)), 0);
	s = summary__new(&t, &so);
	assert_non_null(s);
	while ((rc = tapes_merge__next(t.cur, &ev)) != 0) {
		assert_true(rc > 0);
		assert_int_equal(tapes__apply(&t, ev), 0);
		if (predicate__match(t.pred, ev))
			assert_int_equal(summary__add(s, ev), 0);
	}
	assert_int_equal(summary__lineage(s), 0);
	snprintf(outp, sizeof(outp), "%s/summary.json", dir);
	fd = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(out__init(&o, fd), 0);
	if (json)
		summary__json(s, &o);
	else
		summary__text(s, &o);
	assert_int_equal(out__close(&o), 0);
	close(fd);
	summary__free(s);
	tapes__teardown(&t);
	f = fopen(outp, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	return buf;
}

static char *summarize(const char *path, const struct pred_opts *po, size_t top)
{
	return summarize_as(path, po, top, true);
}

static void expect(const char *json, const char *part)
{
	if (!strstr(json, part))
		fail_msg("no %s in %.2000s", part, json);
}

/*
 * More distinct processes, files and destinations than the tables keep:
 * the first ones are kept, the rest counted as other, and every event is
 * still counted once.  N processes, each one open of its own file; the
 * first NCONN also connect, each to its own address.
 */
static void test_caps(void **state)
{
	enum { N = SUMMARY_MAX_PROCS + 4464, NCONN = SUMMARY_MAX_CONNS + 616 };
	char path[300], file[64];
	struct tape_writer *w;
	struct golden_ctx g = {0};
	struct pred_opts po = {0};
	char *json;

	(void)state;
	snprintf(path, sizeof(path), "%s/caps.tape", dir);
	w = tape_writer__open(path, NULL);
	assert_non_null(w);
	g.w = w;
	for (int i = 0; i < G_NTYPES; i++)
		assert_true((g.ids[i] = tape_writer__add_type(w, &golden_types[i])) > 0);
	for (uint32_t i = 0; i < N; i++) {
		snprintf(file, sizeof(file), "/tmp/f%u", i);
		golden_open(&g, (uint64_t)i * 1000, 0, 1000 + i, 1000 + i, "p", file, 0, 0,
			    i % 2 ? 3 : -ENOENT);
		if (i < NCONN) {
			struct sockaddr_in sin = {.sin_family = AF_INET,
						  .sin_port = htons(80),
						  .sin_addr.s_addr = htonl(0x0a000000 + i)};

			golden_connect(&g, (uint64_t)i * 1000 + 1, 1000 + i, "p", &sin, sizeof(sin),
				       0);
		}
	}
	assert_int_equal(g.err, 0);
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);

	json = summarize(path, &po, 2);
	expect(json, "\"events\":87000,");
	expect(json, "\"processes\":{\"count\":65536,\"other_events\":4464,");
	expect(json, "\"files\":{\"opens\":70000,\"failures\":35000,\"count\":65536,"
		     "\"other_opens\":4464,");
	expect(json, "\"connections\":{\"connects\":17000,\"other\":616,");
	free(json);
}

/* The counts of whole tapes come from the index, and the events agree. */
static void test_index_counts(void **state)
{
	struct pred_opts po = {0};
	char err[256], *a, *b;

	(void)state;
	a = summarize(golden, &po, 10);
	expect(a, "\"whole\":true,\"counts_from\":\"index\",\"events\":142,");
	/* a selection of everything: the same figures, from the events */
	assert_int_equal(pred_opts__parse(&po, PRED_OPT_SINCE, "0", err, sizeof(err)), 1);
	b = summarize(golden, &po, 10);
	expect(b, "\"whole\":false,\"counts_from\":\"events\",\"events\":142,");
	assert_string_equal(strstr(a, "\"span_ns\""), strstr(b, "\"span_ns\""));
	free(a);
	free(b);
	pred_opts__free(&po);
}

/*
 * A chain of forks deeper than the tree shows, and two processes each the
 * other's parent (reused pids): the tree is cut at TREE_DEPTH levels, the
 * loop is broken, and every process appears.
 */
static void test_tree_shapes(void **state)
{
	enum { DEPTH = 200 };
	char path[300], err[256], *text, *json;
	struct tape_writer *w;
	struct golden_ctx g = {0};
	struct pred_opts po = {0};
	uint64_t t = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/tree.tape", dir);
	w = tape_writer__open(path, NULL);
	assert_non_null(w);
	g.w = w;
	for (int i = 0; i < G_NTYPES; i++)
		assert_true((g.ids[i] = tape_writer__add_type(w, &golden_types[i])) > 0);
	for (uint32_t i = 0; i < DEPTH; i++) {
		union tape_value v[] = {GV_U(1000 + i), GV_U(1001 + i), GV_U(1001 + i)};

		golden_ev(&g, t++, 0, 1000 + i, 1000 + i, "chain", G_FORK, v);
	}
	/* the deepest is the busiest: the tree shows its ancestors */
	golden_open(&g, t++, 0, 1000 + DEPTH, 1000 + DEPTH, "chain", "/x", 0, 0, 3);
	golden_open(&g, t++, 0, 1000 + DEPTH, 1000 + DEPTH, "chain", "/x", 0, 0, 3);
	{
		union tape_value a[] = {GV_U(500), GV_U(501), GV_U(501)};
		union tape_value b[] = {GV_U(501), GV_U(500), GV_U(500)};

		golden_ev(&g, t++, 0, 500, 500, "loop", G_FORK, a);
		golden_ev(&g, t++, 0, 501, 501, "loop", G_FORK, b);
		golden_ev(&g, t++, 0, 500, 500, "loop", G_FORK, a);
	}
	assert_int_equal(g.err, 0);
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);

	/* a selection: the parents of processes first seen without one come
	 * from the end of the tape, where 500 and 501 are each other's */
	assert_int_equal(pred_opts__parse(&po, PRED_OPT_SINCE, "0", err, sizeof(err)), 1);
	text = summarize_as(path, &po, 0, false);
	expect(text, "deeper processes not shown");
	/* in the tree, not only in the tables */
	assert_non_null(strstr(text, "Exec tree"));
	expect(strstr(text, "Exec tree"), "500 loop");
	expect(strstr(text, "Exec tree"), "501 loop");
	json = summarize(path, &po, 0);
	/* the loop is there, cut at one of its processes */
	expect(json, "\"pid\":501,\"ppid\":500,");
	expect(json, "\"pid\":500,\"ppid\":501,");
	free(text);
	free(json);
	pred_opts__free(&po);
}

/* Control bytes in what a tape names (comm, path, address, a syscall's
 * enum name, a type name): none reaches the terminal or the JSON raw. */
static void test_hostile_strings(void **state)
{
	static const uint64_t nr_vals[] = {0};
	static const char *const nr_names[] = {"re\x1b[2Jad"};
	static const struct tape_enum nr_enum = {"syscall", 1, nr_vals, nr_names};
	static const struct tape_field sc_f[] = {
		{"nr", TAPE_U32, TAPE_DISP_ENUM, &nr_enum},
		{"ret", TAPE_S64, TAPE_DISP_ERRNO, NULL},
		{"latency", TAPE_U64, TAPE_DISP_NSEC, NULL},
	};
	static const struct tape_type sc_type = {0, "syscall", "", "", 3, sc_f};
	static const struct tape_type odd_type = {0, "odd\x1b]0;T\a", "", "", 0, NULL};
	static const char comm[] = "e\x1b]0;T\a\x9b";
	char path[300], *out[2];
	struct tape_writer *w;
	struct golden_ctx g = {0};
	struct pred_opts po = {0};
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int sc, odd;

	(void)state;
	strcpy(sun.sun_path, "/run/\x1b[31mred");
	snprintf(path, sizeof(path), "%s/hostile.tape", dir);
	w = tape_writer__open(path, NULL);
	assert_non_null(w);
	g.w = w;
	for (int i = 0; i < G_NTYPES; i++)
		if (i != G_SYSCALL)
			assert_true((g.ids[i] = tape_writer__add_type(w, &golden_types[i])) > 0);
	assert_true((sc = tape_writer__add_type(w, &sc_type)) > 0);
	assert_true((odd = tape_writer__add_type(w, &odd_type)) > 0);
	golden_open(&g, 1, 0, 7, 7, comm, "/tmp/\x1b[2J\n\x7f", 0, 0, -ENOENT);
	golden_connect(&g, 2, 7, comm, &sun, sizeof(sun), -ECONNREFUSED);
	{
		union tape_value v[] = {GV_U(0), GV_S(-EIO), GV_U(1000)};
		struct tape_event ev = {.ts = 3,
					.pid = 7,
					.tid = 7,
					.type = (uint16_t)sc,
					.comm = comm,
					.values = v};
		struct tape_event ev2 = {.ts = 4,
					 .pid = 7,
					 .tid = 7,
					 .type = (uint16_t)odd,
					 .comm = comm,
					 .values = v};

		assert_int_equal(tape_writer__append(w, &ev), 0);
		assert_int_equal(tape_writer__append(w, &ev2), 0);
	}
	assert_int_equal(g.err, 0);
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);

	out[0] = summarize_as(path, &po, 10, false);
	out[1] = summarize(path, &po, 10);
	for (int k = 0; k < 2; k++) {
		for (const unsigned char *c = (const unsigned char *)out[k]; *c; c++)
			if ((*c < 0x20 && *c != '\n') || *c == 0x7f ||
			    (c[0] == 0xc2 && c[1] >= 0x80 && c[1] <= 0x9f))
				fail_msg("a control byte 0x%02x in %s:\n%s", *c,
					 k ? "JSON" : "text", out[k]);
	}
	/* and they are there, escaped */
	expect(out[0], "re\\x1b[2Jad");
	expect(out[1], "\"syscall\":\"re\\\\x1b[2Jad\"");
	free(out[0]);
	free(out[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hist_small_exact), cmocka_unit_test(test_hist_precision),
		cmocka_unit_test(test_hist_clamp),	 cmocka_unit_test(test_golden_current),
		cmocka_unit_test(test_index_counts),	 cmocka_unit_test(test_caps),
		cmocka_unit_test(test_hostile_strings),	 cmocka_unit_test(test_tree_shapes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
