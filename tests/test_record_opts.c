// SPDX-License-Identifier: MIT
/*
 * record's options from a command line (record/options.c), without root
 * or BPF: defaults, every value option, -- CMD, a clear error for each bad
 * value, and the durations and sizes read by the one grammar every verb
 * shares (cli__parse_duration(), cli__parse_size()).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../record/builtin.h"
#include "../cli/cli.h"
#include "../bpf/events.h"
#include "../record/options.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])) - 1)

static char err[1024];

static int parse(struct record_opts *o, int argc, char **argv)
{
	err[0] = '\0';
	return record_opts__parse(o, argc, argv, err, sizeof(err));
}

static void test_defaults(void **state)
{
	char *argv[] = {"record", NULL};
	uint32_t want[FAMILY_MAX] = {0};
	struct record_opts o;

	(void)state;
	assert_int_equal(parse(&o, ARGC(argv), argv), 0);
	assert_false(o.help);
	assert_string_equal(o.output, "bpftape.tape");
	assert_int_equal(o.pid, -1);
	assert_int_equal(o.uid, -1);
	/* 16 MiB shared out among the online CPUs, at least 1 MiB each */
	assert_int_equal(o.buffer, record_opts__default_ring((int)sysconf(_SC_NPROCESSORS_ONLN)));
	assert_true(o.buffer >= (1u << 20) && o.buffer <= (16u << 20));
	assert_int_equal(record_opts__default_ring(1), 16u << 20);
	assert_int_equal(record_opts__default_ring(2), 8u << 20);
	assert_int_equal(record_opts__default_ring(3), 4u << 20);
	assert_int_equal(record_opts__default_ring(16), 1u << 20);
	assert_int_equal(record_opts__default_ring(256), 1u << 20);
	assert_int_equal(o.wakeup, 0);
	assert_int_equal(o.flush_ns, RECORD_DEFAULT_FLUSH_NS);
	assert_int_equal(o.duration_ns, 0);
	assert_int_equal(o.keep, 4);
	assert_null(o.cmd);
	assert_int_equal(o.nspecs, 0);
	/* the default events, and the lifecycle every tape has */
	assert_int_equal(builtin__select("proc", want), 0);
	assert_int_equal(builtin__select("file", want), 0);
	assert_int_equal(builtin__select("net", want), 0);
	want[FAMILY_PROC] |= WANT_FORK | WANT_EXEC | WANT_EXIT;
	assert_memory_equal(o.want, want, sizeof(want));
	record_opts__free(&o);
}

static void test_values(void **state)
{
	char *argv[] = {"record",
			"-o",
			"x.tape",
			"-e",
			"exec,open",
			"-e",
			"tracepoint:sched:sched_process_fork",
			"-p",
			"42",
			"--comm",
			"nginx",
			"--uid",
			"root",
			"--duration",
			"1.5s",
			"--flush-interval",
			"250ms",
			"--max-size",
			"1.5M",
			"--rotate",
			"64K",
			"--keep",
			"8",
			"--buffer",
			"1M",
			"--wakeup",
			"64KiB",
			"-v",
			"-v",
			NULL};
	uint32_t want[FAMILY_MAX] = {0};
	struct record_opts o;

	(void)state;
	assert_int_equal(parse(&o, ARGC(argv), argv), 0);
	assert_string_equal(o.output, "x.tape");
	assert_int_equal(o.nspecs, 1);
	assert_string_equal(o.specs[0], "tracepoint:sched:sched_process_fork");
	assert_int_equal(builtin__select("exec", want), 0);
	assert_int_equal(builtin__select("open", want), 0);
	want[FAMILY_PROC] |= WANT_FORK | WANT_EXEC | WANT_EXIT;
	assert_memory_equal(o.want, want, sizeof(want));
	assert_int_equal(o.pid, 42);
	assert_string_equal(o.comm, "nginx");
	assert_int_equal(o.uid, 0);
	assert_int_equal(o.duration_ns, 1500000000ull);
	assert_int_equal(o.flush_ns, 250000000ull);
	assert_int_equal(o.max_size, 3u << 19);
	assert_int_equal(o.rotate_size, 64u << 10);
	assert_int_equal(o.keep, 8);
	assert_int_equal(o.buffer, 1u << 20);
	assert_int_equal(o.wakeup, 64u << 10);
	assert_int_equal(o.verbose, 2);
	record_opts__free(&o);
}

static void test_cmd(void **state)
{
	char *argv[] = {"record", "--user", "nobody", "-o", "-", "--", "sleep", "-v", "1", NULL};
	char *help[] = {"record", "-e", "file", "--help", "--bogus", NULL};
	struct record_opts o;

	(void)state;
	assert_int_equal(parse(&o, ARGC(argv), argv), 0);
	assert_non_null(o.cmd);
	/* options after -- are CMD's */
	assert_string_equal(o.cmd[0], "sleep");
	assert_string_equal(o.cmd[1], "-v");
	assert_null(o.cmd[3]);
	assert_int_equal(o.verbose, 0);
	assert_string_equal(o.user, "nobody");
	assert_string_equal(o.output, "-");
	record_opts__free(&o);

	/* --help stops the parse: what follows is not looked at */
	assert_int_equal(parse(&o, ARGC(help), help), 0);
	assert_true(o.help);
	assert_string_equal(err, "");
	record_opts__free(&o);
}

/* Each bad command line: -EINVAL and a message that names the option and
 * the value, nothing printed. */
static void test_errors(void **state)
{
	static const struct {
		const char *args[6];
		const char *says;
	} bad[] = {
		{{"-p", "0"}, "-p '0': not a process id"},
		{{"-p", "4294967297"}, "-p '4294967297': too large"},
		{{"--duration", "0"}, "--duration '0': zero"},
		{{"--duration", "10 s"}, "--duration '10 s': not a duration"},
		{{"-d", "nan"}, "not a duration"},
		{{"--flush-interval", "-1"}, "--flush-interval '-1': not a duration"},
		{{"--max-size", "0"}, "--max-size '0': zero"},
		{{"--rotate", "1T"}, "--rotate '1T': not a size"},
		{{"--buffer", "3000"}, "give e.g. --buffer 4K"},
		{{"--buffer", "2G"}, "a power of two from 4K to 1G"},
		{{"--buffer", "16M", "--wakeup", "16M"},
		 "--wakeup '16M': more than half the ring buffer (16M)"},
		{{"--keep", "0"}, "--keep '0': expected a count from 1 to 1000"},
		{{"-e", "opne"}, "unknown event 'opne' in -e"},
		{{"--comm", ""}, "a comm has 1 to 15 characters"},
		{{"--comm", "a-name-too-long-for-comm"}, "a comm has 1 to 15 characters"},
		{{"--uid", "4294967295"}, "--uid '4294967295': too large"},
		{{"--uid", "no-such-user-bpftape"}, "no such user"},
		{{"--user", "nobody"}, "--user chooses who runs CMD"},
		{{"-p", "1", "--", "true"}, "-p and -- CMD both choose the processes"},
		{{"-o", "-", "--rotate", "1M"}, "--rotate starts new files"},
		{{"stray"}, "unexpected argument 'stray'"},
		{{"--"}, "'--' must be followed by a command"},
		{{"--bogus"}, "unknown option '--bogus'"},
		{{"-x"}, "option -x: unknown or missing its value"},
		{{"-o"}, "option -o: unknown or missing its value"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[8] = {"record"};
		struct record_opts o;
		int argc = 1;

		for (; argc < 7 && bad[i].args[argc - 1]; argc++)
			argv[argc] = (char *)bad[i].args[argc - 1];
		argv[argc] = NULL;
		if (parse(&o, argc, argv) != -EINVAL || !strstr(err, bad[i].says))
			fail_msg("%s %s: got '%s', expected '%s'", bad[i].args[0],
				 bad[i].args[1] ? bad[i].args[1] : "", err, bad[i].says);
		assert_null(strchr(err, '\n'));
		record_opts__free(&o);
	}
}

/*
 * record reads durations and sizes with the parsers of every other verb:
 * whatever spelling one accepts, record takes the same value, and what it
 * refuses, record refuses.
 */
static void test_shared_grammar(void **state)
{
	static const char *const durations[] = {
		"10", "+3",   "1.5", "1.5s", "250ms", "100us", "1000ns",
		"5m", "2min", "1h",  ".5",   "0.001", "1e3",   "10 ",
		"-1", "1d",   "inf", "",     "1.5.2", "ms",    "9999999999h",
	};
	static const char *const sizes[] = {
		"4096", "64K", "64KiB", "64KB", "1.5M", "2G",	"2GiB",
		"1k",	"1T",  "-1",	"",	"K",	"0x10", "1 K",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
		char *argv[] = {"record", "--duration", (char *)durations[i], NULL};
		struct record_opts o;
		uint64_t ns = 0;
		int shared = cli__parse_duration(durations[i], &ns);
		int rc = parse(&o, ARGC(argv), argv);

		if (!shared && ns) {
			if (rc || o.duration_ns != ns)
				fail_msg("--duration '%s': %d, %llu ns; shared parser: %llu ns",
					 durations[i], rc, (unsigned long long)o.duration_ns,
					 (unsigned long long)ns);
		} else if (rc != -EINVAL) {
			fail_msg("--duration '%s' taken, the shared parser refuses it",
				 durations[i]);
		}
		record_opts__free(&o);
	}
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char *argv[] = {"record", "--max-size", (char *)sizes[i], NULL};
		struct record_opts o;
		uint64_t b = 0;
		int shared = cli__parse_size(sizes[i], &b);
		int rc = parse(&o, ARGC(argv), argv);

		if (!shared && b) {
			if (rc || o.max_size != b)
				fail_msg("--max-size '%s': %d, %llu; shared parser: %llu", sizes[i],
					 rc, (unsigned long long)o.max_size, (unsigned long long)b);
		} else if (rc != -EINVAL) {
			fail_msg("--max-size '%s' taken, the shared parser refuses it", sizes[i]);
		}
		record_opts__free(&o);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_cmd),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_shared_grammar),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
