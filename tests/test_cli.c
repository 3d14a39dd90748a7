// SPDX-License-Identifier: MIT
/*
 * The offline verbs' shared command-line helpers (cli/cli.c): the number
 * parsers at their edges, usage errors and what getopt_long() reported,
 * FILE - checks, messages escaped for a terminal, the damage report and the
 * progress line.  (tests/test_replay.c has the parsers' common cases.)
 */
#include <errno.h>
#include <getopt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "../cli/cli.h"
#include "unit_util.h"

/* Standard error captured between cap_start() and cap_end(). */
static int cap_fd = -1, cap_saved = -1;

static void cap_start(void)
{
	fflush(stderr);
	cap_fd = memfd_create("stderr", MFD_CLOEXEC);
	assert_true(cap_fd >= 0);
	cap_saved = dup(2);
	dup2(cap_fd, 2);
}

static char *cap_end(void)
{
	char *s;

	fflush(stderr);
	dup2(cap_saved, 2);
	close(cap_saved);
	s = unit_fd_slurp(cap_fd, NULL);
	close(cap_fd);
	return s;
}

static void test_duration_edges(void **state)
{
	static const struct {
		const char *s;
		int rc;
		uint64_t ns;
	} cases[] = {
		{"2562047h", 0, 2562047ull * 3600 * 1000000000ull},
		{"2562048h", -ERANGE, 0},
		{"153722867min", 0, 153722867ull * 60 * 1000000000ull},
		{"153722868m", -ERANGE, 0},
		{"0.4ns", 0, 0}, /* rounded to the nearest ns */
		{"0.5ns", 0, 1},
		{"1.5us", 0, 1500},
		{"1.", 0, 1000000000ull},
		{"1.s", 0, 1000000000ull},
		{"1E3", 0, 1000000000000ull},
		{"1e+3ms", 0, 1000000000ull},
		{"1e-3", 0, 1000000ull},
		{"+.5ms", 0, 500000ull},
		{"1e-30", 0, 0},
		{"++1", -EINVAL, 0},
		{"+", -EINVAL, 0},
		{".", -EINVAL, 0},
		{".s", -EINVAL, 0},
		{"ms", -EINVAL, 0},
		{"1S", -EINVAL, 0},
		{"1 s", -EINVAL, 0},
		{"1sec", -EINVAL, 0},
		{"1mins", -EINVAL, 0},
		{"1hh", -EINVAL, 0},
		{"1e3e3", -EINVAL, 0},
		{"0x1p3", -EINVAL, 0},
		{"1,5", -EINVAL, 0},
		{"\t1", -EINVAL, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t ns = 777;
		int rc = cli__parse_duration(cases[i].s, &ns);

		if (rc != cases[i].rc)
			fail_msg("duration '%s': %d, expected %d", cases[i].s, rc, cases[i].rc);
		if (!rc && ns != cases[i].ns)
			fail_msg("duration '%s': %llu ns, expected %llu", cases[i].s,
				 (unsigned long long)ns, (unsigned long long)cases[i].ns);
		if (rc)
			assert_int_equal(ns, 777); /* untouched on error */
	}
}

static void test_size_edges(void **state)
{
	static const struct {
		const char *s;
		int rc;
		uint64_t v;
	} cases[] = {
		{"1.5K", 0, 1536},
		{"0.5B", 0, 0}, /* whole bytes: the fraction is dropped */
		{"1KiB", 0, 1024},
		{"1kB", 0, 1024},
		{"1mi", 0, 1048576},
		{"1g", 0, 1073741824},
		{"1e3", 0, 1000},
		{".5M", 0, 524288},
		{"18446744073709549568", 0, 18446744073709549568ull}, /* the largest below 2^64 */
		{"16777215.999G", 0, (uint64_t)(16777215.999 * 1073741824.0)},
		{"18446744073709551616", -ERANGE, 0},
		{"1b", -EINVAL, 0},
		{"1iB", -EINVAL, 0},
		{"1KB B", -EINVAL, 0},
		{"1KK", -EINVAL, 0},
		{"1Bi", -EINVAL, 0},
		{"+1K", -EINVAL, 0},
		{"K", -EINVAL, 0},
		{"", -EINVAL, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 777;
		int rc = cli__parse_size(cases[i].s, &v);

		if (rc != cases[i].rc)
			fail_msg("size '%s': %d, expected %d", cases[i].s, rc, cases[i].rc);
		if (!rc && v != cases[i].v)
			fail_msg("size '%s': %llu, expected %llu", cases[i].s,
				 (unsigned long long)v, (unsigned long long)cases[i].v);
		if (rc)
			assert_int_equal(v, 777);
	}
}

static void test_uint_and_real_edges(void **state)
{
	uint64_t v = 5;
	double d = 5;

	(void)state;
	assert_int_equal(cli__parse_uint("007", 10, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(cli__parse_uint("10", 10, &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(cli__parse_uint("11", 10, &v), -ERANGE);
	assert_int_equal(cli__parse_uint("0", 0, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(cli__parse_uint("1", 0, &v), -ERANGE);
	/* an overflow far past 2^64 and junk after a long number: junk wins */
	assert_int_equal(cli__parse_uint("184467440737095516150", UINT64_MAX, &v), -ERANGE);
	assert_int_equal(cli__parse_uint("184467440737095516150x", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(cli__parse_uint("1e3", 10000, &v), -EINVAL);

	assert_int_equal(cli__parse_positive_real("1e-400", &d), -EINVAL); /* underflows to 0 */
	assert_int_equal(cli__parse_positive_real("0.000", &d), -EINVAL);
	assert_int_equal(cli__parse_positive_real("1e400", &d), -ERANGE);
	assert_int_equal(cli__parse_positive_real("2x", &d), -EINVAL);
	assert_int_equal(cli__parse_positive_real("infinity", &d), -EINVAL);
	assert_true(d == 5);
	assert_int_equal(cli__parse_positive_real("1e-300", &d), 0);
	assert_true(d > 0 && d < 1e-299);
	assert_int_equal(cli__parse_positive_real("2.5", &d), 0);
	assert_true(d == 2.5);
}

static void test_usage(void **state)
{
	char *err;

	(void)state;
	cap_start();
	assert_int_equal(cli__usage("replay", "--time: '%s' is not a mode", "x"), CLI_EXIT_USAGE);
	err = cap_end();
	assert_string_equal(err, "bpftape replay: --time: 'x' is not a mode; see 'bpftape replay "
				 "--help'\n");
	free(err);

	/* what came from a command line cannot drive the terminal */
	cap_start();
	cli__usage("info", "bad '%s'", "a\033[2Jb\nc");
	err = cap_end();
	assert_string_equal(err, "bpftape info: bad 'a\\x1b[2Jb\\nc'; see 'bpftape info --help'\n");
	free(err);
}

/* Run getopt_long() over @argv as a verb does and hand what it reports to
 * cli__bad_option(); its message. */
static char *bad_option(char **argv)
{
	static const struct option longopts[] = {
		{"verify", no_argument, NULL, 'V'},
		{"verbose", no_argument, NULL, 'v'},
		{"output", required_argument, NULL, 'o'},
		{"quiet", no_argument, NULL, 'q'},
		{NULL, 0, NULL, 0},
	};
	int argc = 0, c, rc = -1;

	while (argv[argc])
		argc++;
	cli__getopt_init();
	cap_start();
	while ((c = getopt_long(argc, argv, ":o:qvV", longopts, NULL)) != -1)
		if (c == '?' || c == ':') {
			rc = cli__bad_option("info", c, argv, longopts);
			break;
		}
	assert_int_equal(rc, CLI_EXIT_USAGE);
	return cap_end();
}

#define BAD_OPTION(want, ...)                                                                      \
	do {                                                                                       \
		char *e_ = bad_option((char *[]){"info", __VA_ARGS__, NULL});                      \
		assert_string_equal(e_, "bpftape info: " want "; see 'bpftape info --help'\n");    \
		free(e_);                                                                          \
	} while (0)

static void test_bad_option(void **state)
{
	(void)state;
	BAD_OPTION("unknown option '--bogus'", "--bogus", "x");
	BAD_OPTION("unknown option '--bogus'", "--bogus=1", "x");
	BAD_OPTION("option '--ver' is ambiguous: --verify, --verbose", "--ver", "x");
	BAD_OPTION("option '--output' needs a value", "x", "--output");
	BAD_OPTION("option '--output' needs a value", "--out");
	BAD_OPTION("option '-o' needs a value", "-q", "-o");
	BAD_OPTION("option '--quiet' takes no value", "--quiet=yes", "x");
	BAD_OPTION("unknown option '-z'", "-z");
	BAD_OPTION("unknown option '-z'", "-qz", "x");
}

static void test_check_inputs(void **state)
{
	char *one[] = {"a.tape", "-"}, *two[] = {"-", "b.tape", "-"}, *none[] = {"a", "b"};
	char *err;

	(void)state;
	cap_start();
	assert_int_equal(cli__check_inputs("replay", none, 2, "never"), 0);
	assert_int_equal(cli__check_inputs("replay", one, 2, NULL), 0);
	err = cap_end();
	assert_string_equal(err, "");
	free(err);

	cap_start();
	assert_int_equal(cli__check_inputs("replay", two, 3, NULL), CLI_EXIT_USAGE);
	err = cap_end();
	assert_non_null(strstr(err, "FILE - (standard input) given 2 times; it is read once"));
	free(err);

	cap_start();
	assert_int_equal(cli__check_inputs("recover", one, 2, "recover reads it twice"),
			 CLI_EXIT_USAGE);
	err = cap_end();
	assert_string_equal(err, "bpftape recover: FILE -: recover reads it twice; see 'bpftape "
				 "recover --help'\n");
	free(err);
}

/* Messages: control bytes, invalid UTF-8 and backslashes escaped, quotes and
 * valid UTF-8 kept, a final newline kept, long texts whole. */
static void test_eprintf(void **state)
{
	char *err, *big;
	size_t n = 5000;

	(void)state;
	cap_start();
	cli__eprintf("\"%s\" \\ %s\xff\n", "caf\xc3\xa9", "\x07\x9b");
	err = cap_end();
	assert_string_equal(err, "\"caf\xc3\xa9\" \\\\ \\x07\\x9b\\xff\n");
	free(err);

	/* past the 1 KiB first try, with a UTF-8 sequence across every 256
	 * byte piece */
	big = malloc(n + 1);
	assert_non_null(big);
	for (size_t i = 0; i < n; i += 2)
		memcpy(big + i, "\xc3\xa9", 2);
	big[n] = 0;
	cap_start();
	cli__eprintf("%s|\n", big);
	err = cap_end();
	assert_int_equal(strlen(err), n + 2);
	assert_memory_equal(err, big, n);
	assert_string_equal(err + n, "|\n");
	free(err);
	free(big);

	/* to another stream the same way */
	{
		int fd = memfd_create("out", MFD_CLOEXEC);
		FILE *f = fdopen(fd, "w+");

		assert_non_null(f);
		cli__fprintf(f, "x\ty\r%d", 5);
		fflush(f);
		err = unit_fd_slurp(fd, NULL);
		assert_string_equal(err, "x\\ty\\r5");
		free(err);
		fclose(f);
	}
}

/* One line per skipped block, from the given problem on. */
static void test_report_damage(void **state)
{
	struct golden_mem m;
	struct tape_reader *r;
	size_t n;
	char *err;

	(void)state;
	assert_int_equal(golden_basic_mem(&m), 0);
	/* a flipped byte in the second block's body, and no footer: the scan
	 * skips that block */
	{
		struct tape_reader *full = unit_open_mem(&m);
		struct tape_chunk_info ci;

		assert_int_equal(tape_reader__chunk(full, 1, &ci), 0);
		m.data[ci.offset + ci.block_len - 3] ^= 0x40;
		m.len = tape_reader__chunk(full, 2, &ci) ? m.len : ci.offset + ci.block_len;
		tape_reader__free(full);
	}
	r = tape_reader__open_mem(m.data, m.len, NULL, 0);
	assert_non_null(r);
	n = tape_reader__problem_count(r);
	assert_true(n >= 1);
	cap_start();
	assert_int_equal(cli__report_damage("info", "x.tape", r, 0), n);
	assert_int_equal(cli__report_damage("info", "x.tape", r, n), 0);
	cli__partial("info", 3);
	err = cap_end();
	assert_int_equal(unit_count_lines(err), n + 1);
	assert_memory_equal(err, "bpftape info: x.tape: ", 22);
	assert_non_null(strstr(err, " (skipped)\n"));
	assert_non_null(strstr(err, tape_reader__problem(r, 0)));
	assert_non_null(strstr(err, "bpftape info: 3 damaged block(s) skipped, named above; the "
				    "rest was read (status 3)\n"));
	free(err);
	tape_reader__free(r);
	free(m.data);
}

/* Off the terminal the progress line says nothing; on it, it rewrites
 * itself and ends with a newline only when shown. */
static void test_progress(void **state)
{
	struct cli_progress p;
	char *err;

	(void)state;
	cap_start();
	cli_progress__init(&p, "filter", false);
	assert_false(p.on); /* stderr is a memfd */
	cli_progress__show(&p, "%d%%", 50);
	cli_progress__end(&p);
	err = cap_end();
	assert_string_equal(err, "");
	free(err);

	cap_start();
	p.on = true;
	cli_progress__end(&p); /* nothing shown: nothing to end */
	cli_progress__show(&p, "%d%% of %s", 50, "a\nb");
	cli_progress__show(&p, "done");
	cli_progress__end(&p);
	cli_progress__end(&p);
	err = cap_end();
	assert_string_equal(err, "\rbpftape filter: 50% of a\\nb\033[K"
				 "\rbpftape filter: done\033[K\n");
	free(err);
	cli_progress__init(&p, "filter", true);
	assert_false(p.on);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_edges),
		cmocka_unit_test(test_size_edges),
		cmocka_unit_test(test_uint_and_real_edges),
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_bad_option),
		cmocka_unit_test(test_check_inputs),
		cmocka_unit_test(test_eprintf),
		cmocka_unit_test(test_report_damage),
		cmocka_unit_test(test_progress),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
