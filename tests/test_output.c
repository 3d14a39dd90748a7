// SPDX-License-Identifier: MIT
/*
 * The offline verbs' output (replay/output.c) through its own API: the
 * buffered writer (order across its buffer, writes too big to buffer, a
 * closed pipe), the escaped strings, and the renderers: a golden tape in
 * memory rendered event by event as text and NDJSON and compared with
 * tests/golden/replay-basic.{txt,json}, the time modes, values and CSV
 * cells.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "../replay/output.h"
#include <bpftape/tape_proctab.h>
#include "unit_util.h"

/* An out on a memfd, and what it got. */
struct sink {
	struct out o;
	int fd;
};

static void sink_open(struct sink *s)
{
	s->fd = memfd_create("out", MFD_CLOEXEC);
	assert_true(s->fd >= 0);
	assert_int_equal(out__init(&s->o, s->fd), 0);
}

/* Close the out and return what it wrote (malloc'ed). */
static char *sink_close(struct sink *s, size_t *len)
{
	char *text;

	assert_int_equal(out__close(&s->o), 0);
	text = unit_fd_slurp(s->fd, len);
	close(s->fd);
	return text;
}

static void test_writer(void **state)
{
	struct sink s;
	char *big, *text, want[128];
	size_t len, n = OUT_BUF; /* more than half the buffer: written through */

	(void)state;
	sink_open(&s);
	out__puts(&s.o, "a");
	out__putc(&s.o, 'b');
	out__u64(&s.o, 0);
	out__putc(&s.o, ' ');
	out__u64(&s.o, UINT64_MAX);
	out__putc(&s.o, ' ');
	out__s64(&s.o, INT64_MIN);
	out__putc(&s.o, ' ');
	out__s64(&s.o, -1);
	out__printf(&s.o, " %s=%d|", "x", 42);
	/* nothing written before a flush */
	assert_int_equal(lseek(s.fd, 0, SEEK_END), 0);
	big = malloc(n);
	assert_non_null(big);
	memset(big, 'z', n);
	out__write(&s.o, big, n);
	/* a printf longer than its stack buffer */
	memset(big, 'y', 1000);
	big[1000] = 0;
	out__printf(&s.o, "<%s>", big);
	text = sink_close(&s, &len);
	snprintf(want, sizeof(want), "ab0 %llu %lld -1 x=42|", (unsigned long long)UINT64_MAX,
		 (long long)INT64_MIN);
	assert_int_equal(len, strlen(want) + n + 1002);
	assert_memory_equal(text, want, strlen(want));
	for (size_t i = 0; i < n; i++)
		if (text[strlen(want) + i] != 'z')
			fail_msg("byte %zu of the big write", i);
	assert_memory_equal(text + strlen(want) + n, "<", 1);
	assert_memory_equal(text + strlen(want) + n + 1, big, 1000);
	assert_string_equal(text + len - 1, ">");
	free(text);
	free(big);
}

/* A full buffer flushes by itself, in order. */
static void test_writer_fills(void **state)
{
	struct sink s;
	size_t len, total = 0;
	char *text;

	(void)state;
	sink_open(&s);
	for (unsigned i = 0; total < 3 * OUT_BUF; i++) {
		out__printf(&s.o, "%u\n", i);
		total += (size_t)snprintf(NULL, 0, "%u\n", i);
	}
	assert_true(lseek(s.fd, 0, SEEK_END) >= 2 * OUT_BUF);
	text = sink_close(&s, &len);
	assert_int_equal(len, total);
	{
		unsigned next = 0;

		for (char *p = text; *p; p = strchr(p, '\n') + 1)
			assert_int_equal(strtoul(p, NULL, 10), next++);
	}
	free(text);
}

/* A closed pipe: -EPIPE once, and what follows is dropped. */
static void test_writer_epipe(void **state)
{
	struct out o;
	int p[2];

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	assert_int_equal(out__init(&o, p[1]), 0);
	out__puts(&o, "hello");
	assert_int_equal(o.err, 0);
	assert_int_equal(out__flush(&o), -EPIPE);
	out__puts(&o, "more");
	assert_int_equal(out__flush(&o), -EPIPE);
	assert_int_equal(o.len, 0);
	{
		char *big = calloc(1, OUT_BUF);

		out__write(&o, big, OUT_BUF); /* a write-through, dropped */
		free(big);
	}
	assert_int_equal(out__close(&o), -EPIPE);
	close(p[1]);
	signal(SIGPIPE, SIG_DFL);
}

static void test_strings(void **state)
{
	static const char s[] = "a\"b\\c\n\x01\xff\xc3\xa9";
	struct sink k;
	char *text;

	(void)state;
	sink_open(&k);
	out__json_str(&k.o, s, sizeof(s) - 1);
	out__putc(&k.o, '|');
	out__json_text(&k.o, "q\"", 2);
	out__putc(&k.o, '|');
	out__text_str(&k.o, s, sizeof(s) - 1);
	out__putc(&k.o, '|');
	out__csv_str(&k.o, "plain", 5);
	out__putc(&k.o, '|');
	out__csv_str(&k.o, "a,b", 3);
	out__putc(&k.o, '|');
	out__csv_str(&k.o, s, sizeof(s) - 1);
	out__putc(&k.o, '|');
	out__csv_cell(&k.o, "x\ry", 3);
	out__putc(&k.o, '|');
	out__csv_cell(&k.o, "", 0);
	text = sink_close(&k, NULL);
	assert_string_equal(text, "\"a\\\"b\\\\\\\\c\\n\\\\x01\\\\xff\xc3\xa9\"|q\\\"|"
				  "a\\\"b\\\\c\\n\\x01\\xff\xc3\xa9|"
				  "plain|\"a,b\"|\"a\"\"b\\\\c\n\\x01\\xff\xc3\xa9\"|\"x\ry\"|");
	free(text);
}

/* Long strings go through in pieces; none ends inside a UTF-8 sequence,
 * which would then come out as escaped bytes. */
static void test_long_utf8(void **state)
{
	size_t n = 3 * 4096 + 1; /* odd: the 2-byte sequences straddle every piece */
	char *s = malloc(n), *text;
	struct sink k;
	size_t len;

	(void)state;
	assert_non_null(s);
	s[0] = 'x';
	for (size_t i = 1; i < n; i += 2)
		memcpy(s + i, "\xc3\xa9", 2);
	sink_open(&k);
	out__json_text(&k.o, s, n);
	out__text_str(&k.o, s, n);
	text = sink_close(&k, &len);
	assert_int_equal(len, 2 * n);
	assert_memory_equal(text, s, n);
	assert_memory_equal(text + n, s, n);
	free(text);
	free(s);
}

/* ---- rendering ---- */

static char golden_dir[512];

static char *read_golden(const char *name)
{
	char p[700];
	FILE *f;
	char *buf;
	long n;

	snprintf(p, sizeof(p), "%s/%s", golden_dir, name);
	f = fopen(p, "rb");
	if (!f)
		fail_msg("%s: cannot open", p);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = 0;
	fclose(f);
	return buf;
}

/* Every event of the golden tape through @render, the process table kept
 * current as replay keeps it. */
static char *render_all(void (*render)(struct out *, struct render *, const struct tape_event *),
			enum time_mode mode)
{
	struct golden_mem m;
	struct tape_reader *r;
	struct tape_cursor *c;
	struct tape_proctab *pt;
	const struct tape_event *ev;
	struct render rd;
	struct sink k;
	char *text;

	assert_int_equal(golden_basic_mem(&m), 0);
	r = unit_open_mem(&m);
	pt = tape_proctab__new();
	assert_int_equal(tape_proctab__load_snapshot(pt, r), 0);
	c = tape_cursor__new(&r, 1, NULL);
	assert_int_equal(render__init(&rd, &r, 1, mode, pt), 0);
	sink_open(&k);
	while (tape_cursor__next(c, &ev) == 1) {
		assert_int_equal(tape_proctab__apply(pt, ev), 0);
		render(&k.o, &rd, ev);
	}
	text = sink_close(&k, NULL);
	render__fini(&rd);
	tape_cursor__free(c);
	tape_proctab__free(pt);
	tape_reader__free(r);
	free(m.data);
	return text;
}

static void test_render_text(void **state)
{
	char *want = read_golden("replay-basic.txt");
	char *got = render_all(render__text, TIME_REL);

	(void)state;
	assert_string_equal(got, want);
	free(got);
	free(want);
}

static void test_render_json(void **state)
{
	char *want = read_golden("replay-basic.json");
	char *got = render_all(render__json, TIME_REL);

	(void)state;
	assert_string_equal(got, want);
	free(got);
	free(want);
}

/* --time wall takes the general path: the same fields as the fast one. */
static void test_render_wall(void **state)
{
	char *rel, *wall;
	const char *a, *b;

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	rel = render_all(render__text, TIME_REL);
	wall = render_all(render__text, TIME_WALL);
	assert_memory_equal(wall, "15:46:41.000000000 [000] bash ", 30);
	/* line by line, everything after the time is the same */
	for (a = rel, b = wall; *a && *b; a = strchr(a, '\n') + 1, b = strchr(b, '\n') + 1) {
		const char *ra = strchr(a, ' '), *rb = strchr(b, ' ');
		size_t la = (size_t)(strchr(a, '\n') - ra), lb = (size_t)(strchr(b, '\n') - rb);

		if (!strncmp(a, "***", 3))
			continue; /* losses name their span in relative time */
		assert_int_equal(la, lb);
		assert_memory_equal(ra, rb, la);
	}
	assert_true(!*a && !*b);
	free(rel);
	free(wall);
}

static void test_time(void **state)
{
	struct golden_mem m[2];
	struct tape_reader *r[2];
	struct render rd;
	struct sink k;
	char *text;

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	assert_int_equal(golden_basic_mem(&m[0]), 0);
	r[0] = unit_open_mem(&m[0]);
	assert_int_equal(render__init(&rd, r, 1, TIME_REL, NULL), 0);
	assert_true(rd.have_clock && rd.have_base);
	assert_int_equal(render__rel_ns(&rd, 0, GOLDEN_BOOT_TS + 5), 5);
	assert_int_equal(render__rel_ns(&rd, 0, GOLDEN_BOOT_TS - 1500000000ull), -1500000000ll);
	sink_open(&k);
	render__time(&k.o, &rd, 0, GOLDEN_BOOT_TS - 1500000000ull);
	out__putc(&k.o, ' ');
	rd.time = TIME_RAW;
	render__time(&k.o, &rd, 0, 12345678901ull);
	out__putc(&k.o, ' ');
	rd.time = TIME_WALL;
	render__time(&k.o, &rd, 0, GOLDEN_BOOT_TS + 999999999ull);
	out__putc(&k.o, ' ');
	/* a source past the tapes: the first tape's clock */
	render__time(&k.o, &rd, 7, GOLDEN_BOOT_TS);
	text = sink_close(&k, NULL);
	assert_string_equal(text,
			    "-1.500000000 12.345678901 15:46:41.999999999 15:46:41.000000000");
	free(text);
	render__fini(&rd);

	/* a tape without the clock: wall time falls back to relative, and a
	 * tape without events takes its start from the first event shown */
	{
		struct tape_io io = {golden_mem_write, golden_mem_truncate, &m[1]};
		struct tape_writer *w;

		memset(&m[1], 0, sizeof(m[1]));
		w = tape_writer__new(&io, NULL);
		assert_int_equal(tape_writer__finish(w), 0);
		tape_writer__free(w);
		r[1] = unit_open_mem(&m[1]);
	}
	assert_int_equal(render__init(&rd, &r[1], 1, TIME_WALL, NULL), 0);
	assert_false(rd.have_clock);
	assert_false(rd.have_base);
	sink_open(&k);
	render__time(&k.o, &rd, 0, 7000000000ull);
	out__putc(&k.o, ' ');
	render__time(&k.o, &rd, 0, 7250000000ull);
	text = sink_close(&k, NULL);
	assert_string_equal(text, "0.000000000 0.250000000");
	free(text);
	render__fini(&rd);

	/* two tapes, one without the clock: no clock for either */
	assert_int_equal(render__init(&rd, r, 2, TIME_REL, NULL), 0);
	assert_false(rd.have_clock);
	assert_int_equal(rd.off[0], 0);
	render__fini(&rd);
	for (int i = 0; i < 2; i++) {
		tape_reader__free(r[i]);
		free(m[i].data);
	}
}

/* One value as text, and as a CSV cell. */
static void test_value_and_csv(void **state)
{
	static const char argv[] = "sh\0-c\0echo \"a,b\"";
	static const struct tape_field f[] = {
		{"flags", TAPE_U32, TAPE_DISP_FLAGS, &golden_open_flags},
		{"argv", TAPE_BYTES, TAPE_DISP_ARGV, NULL},
		{"path", TAPE_STR, 0, NULL},
	};
	static const struct tape_type tp = {1, "t", "", "", 3, f};
	union tape_value v[] = {GV_U(0100 | 01), GV_B(argv, sizeof(argv) - 1), GV_B("a\tb", 3)};
	struct tape_event ev = {.type = 1, .values = v, .tp = &tp};
	struct sink k;
	char *text, *huge;
	size_t len, n = OUT_BUF + 1000;

	(void)state;
	sink_open(&k);
	for (unsigned i = 0; i < 3; i++) {
		render__value(&k.o, &ev, i, TAPE_ESC_TEXT);
		out__putc(&k.o, '|');
		render__csv(&k.o, &ev, i);
		out__putc(&k.o, '\n');
	}
	text = sink_close(&k, NULL);
	/* in a CSV cell, argv's arguments are joined by spaces and a space
	 * inside one is \x20, so the split survives */
	assert_string_equal(text,
			    "O_WRONLY|O_CREAT|O_WRONLY|O_CREAT\n"
			    "\"sh\" \"-c\" \"echo \\\"a,b\\\"\"|\"sh -c echo\\x20\"\"a,b\"\"\"\n"
			    "\"a\\tb\"|a\tb\n");
	free(text);

	/* a value longer than the whole buffer */
	huge = malloc(n);
	assert_non_null(huge);
	memset(huge, 'h', n);
	v[2] = (union tape_value)GV_B(huge, n);
	sink_open(&k);
	out__puts(&k.o, "<");
	render__value(&k.o, &ev, 2, TAPE_ESC_RAW);
	render__csv(&k.o, &ev, 2);
	text = sink_close(&k, &len);
	assert_int_equal(len, 1 + 2 * n);
	assert_memory_equal(text + 1, huge, n);
	assert_memory_equal(text + 1 + n, huge, n);
	free(text);
	free(huge);
}

static int setup(void **state)
{
	const char *f = __FILE__;
	const char *slash = strrchr(f, '/');

	(void)state;
	snprintf(golden_dir, sizeof(golden_dir), "%.*s/golden", slash ? (int)(slash - f) : 1,
		 slash ? f : ".");
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_writer),	     cmocka_unit_test(test_writer_fills),
		cmocka_unit_test(test_writer_epipe), cmocka_unit_test(test_strings),
		cmocka_unit_test(test_long_utf8),    cmocka_unit_test(test_render_text),
		cmocka_unit_test(test_render_json),  cmocka_unit_test(test_render_wall),
		cmocka_unit_test(test_time),	     cmocka_unit_test(test_value_and_csv),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
