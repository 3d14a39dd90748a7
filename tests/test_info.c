// SPDX-License-Identifier: MIT
/*
 * bpftape info (replay/info.c) on tapes in memory: the golden tape written
 * through a tape_io and handed to cmd_info() as a memfd, intact, cut short,
 * with a damaged chunk, empty, with metadata meant for a terminal; text and
 * JSON reports, --verify, exit statuses.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "unit_util.h"
#include "../cli/verbs.h"

static struct golden_mem golden; /* the basic golden tape */
static struct tape_chunk_info chunk[3];

static int setup(void **state)
{
	struct tape_reader *r;

	(void)state;
	if (golden_basic_mem(&golden))
		return -1;
	r = tape_reader__open_mem(golden.data, golden.len, NULL, 0);
	if (!r || tape_reader__chunk_count(r) != 3)
		return -1;
	for (size_t i = 0; i < 3; i++)
		tape_reader__chunk(r, i, &chunk[i]);
	tape_reader__free(r);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(golden.data);
	return 0;
}

/* A memfd of the golden tape's first @len bytes, one byte at @flip (if
 * not SIZE_MAX) flipped. */
static int golden_fd(size_t len, size_t flip, char *path, size_t pathlen)
{
	char *copy = malloc(len);
	int fd;

	assert_non_null(copy);
	memcpy(copy, golden.data, len);
	if (flip != SIZE_MAX)
		copy[flip] ^= 0x20;
	fd = unit_memfd(copy, len, path, pathlen);
	free(copy);
	return fd;
}

static void must(const char *text, const char *part)
{
	if (!strstr(text, part))
		fail_msg("'%s' not in:\n%s", part, text);
}

static void test_text(void **state)
{
	char p[64], line[128];
	int fd = golden_fd(golden.len, SIZE_MAX, p, sizeof(p));
	struct unit_run r = UNIT_RUN(cmd_info, "info", p);

	(void)state;
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.err, "");
	assert_memory_equal(r.out, p, strlen(p));
	must(r.out, "\n  host:        " GOLDEN_HOST "\n");
	must(r.out, "\n  kernel:      6.18.0-golden\n");
	must(r.out, "\n  duration:    3.200 s\n");
	must(r.out, "\n  events:      18\n");
	must(r.out, "\n    fork                            2  builtin:proc\n");
	must(r.out, "\n    open                            4  builtin:file\n");
	must(r.out, "\n    connect                         3  builtin:net\n");
	must(r.out, "\n  losses:      1234 events lost in 1 record(s)\n"
		    "    1234 on cpu 1 between +0.003500 s and +0.004500 s\n");
	must(r.out, "\n  processes:   3 in snapshots\n");
	snprintf(line, sizeof(line), "\n  size:        %zu bytes", golden.len);
	must(r.out, line);
	snprintf(line, sizeof(line), "\n  chunks:      3, %u bytes on disk",
		 chunk[0].block_len + chunk[1].block_len + chunk[2].block_len);
	must(r.out, line);
	must(r.out, "\n    clock.boottime_to_realtime_ns = " GOLDEN_CLOCK_OFF "\n");
	assert_null(strstr(r.out, "index:"));
	unit_run_free(&r);

	/* the same with --verify: and every block checked */
	r = UNIT_RUN(cmd_info, "info", "--verify", p);
	assert_int_equal(r.rc, 0);
	must(r.out, "  verify:      every block's CRC and payload is good\n");
	unit_run_free(&r);
	close(fd);
}

static void test_json(void **state)
{
	char p[64], want[256];
	int fd = golden_fd(golden.len, SIZE_MAX, p, sizeof(p));
	struct unit_run r = UNIT_RUN(cmd_info, "info", "--json", "--verify", p);

	(void)state;
	assert_int_equal(r.rc, 0);
	assert_int_equal(unit_count_lines(r.out), 1);
	snprintf(want, sizeof(want),
		 "{\"file\":\"%s\",\"events\":18,\"min_ts\":1000000000,\"max_ts\":4200000000,"
		 "\"size\":%zu,\"chunks\":3,",
		 p, golden.len);
	assert_memory_equal(r.out, want, strlen(want));
	must(r.out, "\"lost\":1234,\"loss_records\":1,\"processes\":3,\"recovered\":false,");
	must(r.out, "\"types\":{\"fork\":2,\"exec\":2,\"exit\":2,\"open\":4,\"close\":1,"
		    "\"read\":1,\"connect\":3,\"syscall\":3}");
	must(r.out, "\"host.name\":\"" GOLDEN_HOST "\"");
	must(r.out, ",\"problems\":[],\"bad_blocks\":0}\n");
	unit_run_free(&r);
	close(fd);
}

/* Cut inside the last chunk: the index is rebuilt, the chunk before the cut
 * is read, the report says so and the status is 3. */
static void test_truncated(void **state)
{
	char p[64];
	size_t cut = chunk[2].offset + chunk[2].block_len / 2;
	int fd = golden_fd(cut, SIZE_MAX, p, sizeof(p));
	struct unit_run r = UNIT_RUN(cmd_info, "info", p);

	(void)state;
	assert_int_equal(r.rc, 3);
	must(r.out, "\n  events:      12\n");
	must(r.out,
	     "\n  index:       missing or bad; rebuilt by scanning (run 'bpftape recover')\n");
	must(r.err, "bpftape info: ");
	must(r.err, "(event chunk) at offset ");
	must(r.err, "truncated");
	must(r.err, " (skipped)\n");
	unit_run_free(&r);

	r = UNIT_RUN(cmd_info, "info", "--json", p);
	assert_int_equal(r.rc, 3);
	must(r.out, "\"events\":12,");
	must(r.out, "\"recovered\":true,");
	unit_run_free(&r);

	r = UNIT_RUN(cmd_info, "info", "--verify", p);
	assert_int_equal(r.rc, 3);
	must(r.out, "  BAD: block ");
	must(r.out, "  verify:      1 bad block(s)\n");
	unit_run_free(&r);
	close(fd);
}

/* A flipped byte in a chunk behind an intact index: info reads the index
 * only, --verify finds it. */
static void test_damaged_chunk(void **state)
{
	char p[64], where[64];
	int fd = golden_fd(golden.len, chunk[1].offset + chunk[1].block_len - 5, p, sizeof(p));
	struct unit_run r = UNIT_RUN(cmd_info, "info", p);

	(void)state;
	assert_int_equal(r.rc, 0);
	must(r.out, "\n  events:      18\n");
	unit_run_free(&r);
	r = UNIT_RUN(cmd_info, "info", "--verify", p);
	assert_int_equal(r.rc, 3);
	snprintf(where, sizeof(where), "at offset %llu", (unsigned long long)chunk[1].offset);
	must(r.out, where);
	must(r.out, "  verify:      1 bad block(s)\n");
	unit_run_free(&r);
	r = UNIT_RUN(cmd_info, "info", "--verify", "--json", p);
	assert_int_equal(r.rc, 3);
	must(r.out, ",\"bad_blocks\":1}\n");
	must(r.out, where);
	unit_run_free(&r);
	close(fd);
}

/* Several tapes: a report each; one that cannot be opened makes it 1,
 * after the others. */
static void test_several(void **state)
{
	char a[64], b[64];
	int fa = golden_fd(golden.len, SIZE_MAX, a, sizeof(a));
	int fb = golden_fd(chunk[2].offset + 10, SIZE_MAX, b, sizeof(b));
	struct unit_run r = UNIT_RUN(cmd_info, "info", "--json", a, b);

	(void)state;
	assert_int_equal(r.rc, 3);
	assert_int_equal(unit_count_lines(r.out), 2);
	unit_run_free(&r);
	r = UNIT_RUN(cmd_info, "info", "--json", a, "/nonexistent.tape", b);
	assert_int_equal(r.rc, 1);
	assert_int_equal(unit_count_lines(r.out), 2);
	must(r.err, "bpftape info: /nonexistent.tape: ");
	unit_run_free(&r);
	close(fa);
	close(fb);
}

/* An empty tape, and metadata that would drive a terminal. */
static void test_empty_and_hostile(void **state)
{
	struct golden_mem m = {0};
	struct tape_io io = {golden_mem_write, golden_mem_truncate, &m};
	struct tape_writer *w = tape_writer__new(&io, NULL);
	struct unit_run r;
	char p[64];
	int fd;

	(void)state;
	assert_non_null(w);
	assert_int_equal(tape_writer__set_meta(w, "host.name", "evil\033[2J\x01"), 0);
	assert_int_equal(tape_writer__set_meta(w, "k\033", "v"), 0);
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);
	fd = unit_memfd(m.data, m.len, p, sizeof(p));
	r = UNIT_RUN(cmd_info, "info", p);
	assert_int_equal(r.rc, 0);
	must(r.out, "\n  events:      0\n");
	must(r.out, "evil\\x1b[2J\\x01");
	must(r.out, "k\\x1b = v");
	assert_null(strchr(r.out, '\033'));
	unit_run_free(&r);
	r = UNIT_RUN(cmd_info, "info", "--json", p);
	assert_int_equal(r.rc, 0);
	must(r.out, "\"events\":0,");
	/* the lossless notation of docs/USAGE.md, JSON-escaped */
	must(r.out, "\"host.name\":\"evil\\\\x1b[2J\\\\x01\",\"k\\\\x1b\":\"v\"");
	assert_null(strchr(r.out, '\033'));
	unit_run_free(&r);
	close(fd);
	free(m.data);
}

static void test_usage(void **state)
{
	struct unit_run r = UNIT_RUN(cmd_info, "info");

	(void)state;
	assert_int_equal(r.rc, 2);
	assert_string_equal(r.err, "bpftape info: no tape given (FILE...); see 'bpftape info "
				   "--help'\n");
	unit_run_free(&r);
	r = UNIT_RUN(cmd_info, "info", "--verbose", "x");
	assert_int_equal(r.rc, 2);
	must(r.err, "unknown option '--verbose'");
	unit_run_free(&r);
	r = UNIT_RUN(cmd_info, "info", "-", "-");
	assert_int_equal(r.rc, 2);
	must(r.err, "given 2 times");
	unit_run_free(&r);
	r = UNIT_RUN(cmd_info, "info", "--help");
	assert_int_equal(r.rc, 0);
	must(r.out, "Usage: bpftape info");
	must(r.out, "Examples:");
	unit_run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),	  cmocka_unit_test(test_json),
		cmocka_unit_test(test_truncated), cmocka_unit_test(test_damaged_chunk),
		cmocka_unit_test(test_several),	  cmocka_unit_test(test_empty_and_hostile),
		cmocka_unit_test(test_usage),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
