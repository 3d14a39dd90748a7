// SPDX-License-Identifier: MIT
/*
 * Root test of the stacks in exports, on real `record -g` tapes of
 * tests/work_stacks (five nested functions of its own, the innermost
 * making the open itself), read after the workload binary is deleted:
 *
 *  - `export --format folded` gives its marker opens one line, comm first,
 *    then main and stk_level1 .. stk_level5, outermost first, counted 3;
 *  - on a `-e syscall` tape, `--type syscall` weighs that line by latency
 *    (more than its 3 events' worth of ns), `--weight count` by events;
 *  - `export --format chrome`: tests/chrome_stacks_check.py finds every
 *    sf and parent defined, no cycle, and the marker opens' chains name
 *    stk_level5 .. stk_level1 and main, innermost first.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/bpf.h>

#include <cmocka.h>

#include "stacktest.h"

static char checker[PATH_MAX]; /* tests/chrome_stacks_check.py */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

/* Record work_stacks opening @marker 3 times under @events into @tape,
 * then delete the binary: the tape must carry the names. */
static void record(const char *events, const char *tape, const char *marker)
{
	char bin[PATH_MAX], cmd[3 * PATH_MAX];

	pathf(bin, "%s/work_stacks", tmpdir);
	snprintf(cmd, sizeof(cmd), "cp %s/work_stacks %s", helpers, bin);
	assert_int_equal(system(cmd), 0);
	close(open(marker, O_CREAT | O_WRONLY, 0644));
	{
		char *argv[] = {bpftape,	"record",     "-g", "-e", (char *)events,
				"-o",		(char *)tape, "--", bin,  "3",
				(char *)marker, "1",	      NULL};

		assert_int_equal(run(argv, NULL), 0);
	}
	assert_int_equal(unlink(bin), 0);
}

#define CHAIN "main;stk_level1;stk_level2;stk_level3;stk_level4;stk_level5"

/* The weight of the one line of @text that ends in CHAIN, after checking
 * it starts with the comm. */
static unsigned long long chain_weight(const char *text)
{
	const char *p = strstr(text, ";" CHAIN " "), *line;

	if (!p)
		fail_msg("no line ends in %s:\n%s", CHAIN, text);
	assert_null(strstr(p + 1, ";" CHAIN " "));
	line = p;
	while (line > text && line[-1] != '\n')
		line--;
	assert_memory_equal(line, "work_stacks;", 12);
	return strtoull(p + strlen(";" CHAIN " "), NULL, 10);
}

static void test_folded(void **state)
{
	char tape[PATH_MAX], marker[PATH_MAX], out[PATH_MAX], filter[PATH_MAX + 16];
	char *text;

	(void)state;
	pathf(tape, "%s/open.tape", tmpdir);
	pathf(marker, "%s/marker-open", tmpdir);
	pathf(out, "%s/open.folded", tmpdir);
	record("open,exit", tape, marker);
	snprintf(filter, sizeof(filter), "path == \"%s\"", marker);
	{
		char *argv[] = {bpftape, "export", "--format", "folded", "--type",
				"open",	 "-f",	   filter,     tape,	 NULL};

		assert_int_equal(run(argv, out), 0);
	}
	text = slurp(out);
	/* the marker opens: one stack, one line */
	assert_int_equal(chain_weight(text), 3);
	assert_non_null(strchr(text, '\n'));
	assert_string_equal(strchr(text, '\n'), "\n");
	free(text);

	/* the whole tape: the exit's kernel frames end in _[k] */
	{
		char *argv[] = {bpftape,  "export",	 "--format", "folded",
				"--comm", "work_stacks", tape,	     NULL};

		assert_int_equal(run(argv, out), 0);
	}
	text = slurp(out);
	assert_int_equal(chain_weight(text), 3);
	if (!strstr(text, ";do_exit_[k] 1\n"))
		fail_msg("no exit line ending in do_exit_[k]:\n%s", text);
	free(text);
}

static void test_folded_latency(void **state)
{
	char tape[PATH_MAX], marker[PATH_MAX], out[PATH_MAX];
	char *text;

	(void)state;
	pathf(tape, "%s/syscall.tape", tmpdir);
	pathf(marker, "%s/marker-syscall", tmpdir);
	pathf(out, "%s/syscall.folded", tmpdir);
	record("syscall", tape, marker);
	{
		char *argv[] = {bpftape,   "export", "--format",    "folded", "--type",
				"syscall", "--comm", "work_stacks", tape,     NULL};

		assert_int_equal(run(argv, out), 0);
	}
	text = slurp(out);
	/* three openat, each well over a nanosecond */
	assert_true(chain_weight(text) > 3);
	free(text);
	{
		char *argv[] = {bpftape,  "export",	 "--format", "folded",
				"--type", "syscall",	 "--weight", "count",
				"--comm", "work_stacks", tape,	     NULL};

		assert_int_equal(run(argv, out), 0);
	}
	text = slurp(out);
	assert_int_equal(chain_weight(text), 3);
	free(text);
}

static void test_chrome(void **state)
{
	char tape[PATH_MAX], marker[PATH_MAX], json[PATH_MAX], out[PATH_MAX], arg[PATH_MAX + 8];
	char cmd[4 * PATH_MAX + 64];
	char *text;

	(void)state;
	pathf(tape, "%s/chrome.tape", tmpdir);
	pathf(marker, "%s/marker-chrome", tmpdir);
	pathf(json, "%s/chrome.json", tmpdir);
	pathf(out, "%s/chrome.chains", tmpdir);
	record("open,exit", tape, marker);
	{
		char *argv[] = {bpftape, "export", "--format", "chrome", "-o", json, tape, NULL};

		assert_int_equal(run(argv, NULL), 0);
	}
	snprintf(arg, sizeof(arg), "path=%s", marker);
	snprintf(cmd, sizeof(cmd), "python3 %s %s '%s' > %s", checker, json, arg, out);
	assert_int_equal(system(cmd), 0);
	text = slurp(out);
	/* three opens, one chain each, innermost first */
	{
		const char *line = text;

		for (int i = 0; i < 3; i++) {
			if (strncmp(line,
				    "stk_level5;stk_level4;stk_level3;stk_level2;stk_level1;main",
				    59))
				fail_msg("open %d: %s", i, line);
			line = strchr(line, '\n');
			assert_non_null(line);
			line++;
		}
		assert_string_equal(line, "");
	}
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_folded),
		cmocka_unit_test(test_folded_latency),
		cmocka_unit_test(test_chrome),
	};
	const char *f = __FILE__, *slash = strrchr(f, '/');
	int ret = stacktest_setup("test_export_stacks_root");

	if (ret)
		return ret;
#if !defined(__x86_64__)
	printf("test_export_stacks_root: skipped: the workload's raw syscall is written for "
	       "x86-64\n");
	return 77;
#endif
	if (system("command -v python3 >/dev/null 2>&1")) {
		printf("test_export_stacks_root: skipped: no python3 for chrome_stacks_check.py\n");
		return 77;
	}
	pathf(checker, "%.*s/chrome_stacks_check.py", slash ? (int)(slash - f) : 1,
	      slash ? f : ".");
	if (access(checker, R_OK)) {
		printf("test_export_stacks_root: %s not found: run from the source tree\n",
		       checker);
		return 1;
	}
	if (getenv("TEST_FILTER"))
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	if (!ret)
		stacktest_cleanup("test_export_stacks_root");
	return ret;
}
