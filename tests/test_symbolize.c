// SPDX-License-Identifier: MIT
/*
 * Root test of `bpftape symbolize` (issue 12): tests/work_stacks, stripped
 * (strip --strip-all: its stk_level* functions are not in .dynsym), is
 * recorded with -g; its frames are [unknown].  Its debug file (objcopy
 * --only-keep-debug) in DIR/.build-id/xx/rest.debug, or served by a
 * debuginfod started here on the loopback, names them exactly, innermost
 * first.  A build-id no directory has stays [unknown] and is reported; a
 * damaged debug file, or one of another build, is named and skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>

#include <cmocka.h>

#include "stacktest.h"

#include <bpftape/tape.h>

static char bin[PATH_MAX];	 /* the stripped workload, as recorded */
static char tape[PATH_MAX];	 /* its recording */
static char marker[PATH_MAX];	 /* the file it opens */
static char build_id[129];	 /* the workload's, hex */
static char debugfile[PATH_MAX]; /* objcopy --only-keep-debug of it */
static pid_t dbgd_pid;		 /* the debuginfod server, while it runs */

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[4 * PATH_MAX];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static char *slurp(const char *path)
{
	static char buf[16384];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

/*
 * The names of the innermost five user frames of the marker open's stack
 * in @path ("[unknown]" where none), space-separated into @out.
 */
static void marker_names(const char *path, char *out, size_t len)
{
	char err[256];
	struct tape_reader *r = tape_reader__open(path, err, sizeof(err));
	struct tape_cursor *c;
	const struct tape_event *ev;
	bool found = false;
	int ret;

	if (!r)
		fail_msg("%s: %s", path, err);
	c = tape_cursor__new(&r, 1, NULL);
	assert_non_null(c);
	*out = 0;
	while (!found && (ret = tape_cursor__next(c, &ev)) > 0) {
		const struct tape_frame *f;
		const void *p;
		uint32_t plen;
		size_t n, at = 0;

		if (strcmp(ev->tp->name, "open") || !ev->stack_id ||
		    tape_event__bytes_by_name(ev, "path", &p, &plen) || plen != strlen(marker) ||
		    memcmp(p, marker, plen))
			continue;
		assert_int_equal(tape_reader__stack(r, ev->stack_id, &f, &n), 0);
		assert_true(n >= 5);
		for (size_t i = 0; i < 5; i++) {
			assert_false(f[i].kernel);
			assert_string_equal(f[i].binary, bin);
			at += snprintf(out + at, len - at, "%s%s", i ? " " : "",
				       f[i].symbol ? f[i].symbol : "[unknown]");
		}
		found = true;
	}
	assert_true(found);
	tape_cursor__free(c);
	tape_reader__free(r);
}

static const char *const named = "stk_level5 stk_level4 stk_level3 stk_level2 stk_level1";
static const char *const unnamed = "[unknown] [unknown] [unknown] [unknown] [unknown]";

/* A debug directory holding @file (may be NULL: empty) as the workload's. */
static void debug_dir(char *dir, const char *name, const char *file)
{
	pathf(dir, "%s/%s", tmpdir, name);
	assert_int_equal(sh("mkdir -p %s/.build-id/%.2s", dir, build_id), 0);
	if (file)
		assert_int_equal(
			sh("cp %s %s/.build-id/%.2s/%s.debug", file, dir, build_id, build_id + 2),
			0);
}

/* The stripped recording has no names; the debug directory's file names
 * exactly the five functions, innermost first. */
static void test_debug_dir(void **state)
{
	char dir[PATH_MAX], out[PATH_MAX], err[PATH_MAX], names[512];

	(void)state;
	marker_names(tape, names, sizeof(names));
	assert_string_equal(names, unnamed);
	debug_dir(dir, "dbg-good", debugfile);
	pathf(out, "%s/good.tape", tmpdir);
	pathf(err, "%s/good.err", tmpdir);
	{
		char *argv[] = {bpftape,
				"symbolize",
				"--no-debuginfod",
				"--debug-dir",
				"/nonexistent",
				"--debug-dir",
				dir,
				"-o",
				out,
				tape,
				NULL};

		assert_int_equal(run_io(argv, NULL, err), 0);
	}
	marker_names(out, names, sizeof(names));
	assert_string_equal(names, named);
	if (!strstr(slurp(err), "gained names") || strstr(slurp(err), build_id))
		fail_msg("report: %s", slurp(err));
	/* every other block as it was: the events are all there */
	{
		char *argv[] = {bpftape, "info", "--verify", out, NULL};

		assert_int_equal(run_io(argv, NULL, NULL), 0);
	}
}

/* A filtered copy keeps the binary block with the build-id: symbolize
 * names its frames as it does the recording's. */
static void test_after_filter(void **state)
{
	char dir[PATH_MAX], flt[PATH_MAX], out[PATH_MAX], names[512];

	(void)state;
	debug_dir(dir, "dbg-filter", debugfile);
	pathf(flt, "%s/filtered.tape", tmpdir);
	pathf(out, "%s/filtered-sym.tape", tmpdir);
	{
		char *argv[] = {bpftape, "filter", "-q", "--type", "open", "-o", flt, tape, NULL};

		assert_int_equal(run_io(argv, NULL, NULL), 0);
	}
	marker_names(flt, names, sizeof(names));
	assert_string_equal(names, unnamed);
	{
		char *argv[] = {bpftape,       "symbolize", "--no-debuginfod",
				"--debug-dir", dir,	    "-o",
				out,	       flt,	    NULL};

		assert_int_equal(run_io(argv, NULL, NULL), 0);
	}
	marker_names(out, names, sizeof(names));
	assert_string_equal(names, named);
}

/* No debug file anywhere: [unknown] stays, the build-id is reported, and
 * the status is 0 (the copy was written). */
static void test_not_found(void **state)
{
	char dir[PATH_MAX], out[PATH_MAX], err[PATH_MAX], names[512];

	(void)state;
	debug_dir(dir, "dbg-empty", NULL);
	pathf(out, "%s/missing.tape", tmpdir);
	pathf(err, "%s/missing.err", tmpdir);
	{
		char *argv[] = {bpftape,       "symbolize", "--no-debuginfod",
				"--debug-dir", dir,	    "-o",
				out,	       tape,	    NULL};

		assert_int_equal(run_io(argv, NULL, err), 0);
	}
	marker_names(out, names, sizeof(names));
	assert_string_equal(names, unnamed);
	if (!strstr(slurp(err), build_id) || !strstr(slurp(err), "no debug file found") ||
	    !strstr(slurp(err), bin))
		fail_msg("report: %s", slurp(err));
}

/* A damaged debug file, and a debug file of another build under this
 * build-id: each named with what is wrong, skipped, no crash. */
static void test_bad_debugfile(void **state)
{
	char dir[PATH_MAX], out[PATH_MAX], err[PATH_MAX], junk[PATH_MAX], names[512];

	(void)state;
	pathf(junk, "%s/junk.debug", tmpdir);
	assert_int_equal(sh("head -c 3000 %s > %s", debugfile, junk), 0);
	debug_dir(dir, "dbg-cut", junk);
	pathf(out, "%s/cut.tape", tmpdir);
	pathf(err, "%s/cut.err", tmpdir);
	{
		char *argv[] = {bpftape,       "symbolize", "--no-debuginfod",
				"--debug-dir", dir,	    "-o",
				out,	       tape,	    NULL};

		assert_int_equal(run_io(argv, NULL, err), 0);
	}
	marker_names(out, names, sizeof(names));
	assert_string_equal(names, unnamed);
	if (!strstr(slurp(err), build_id) || !strstr(slurp(err), ".debug: "))
		fail_msg("report: %s", slurp(err));

	/* another binary's debug file (libc's test helper: any other build) */
	pathf(junk, "%s/other.debug", tmpdir);
	assert_int_equal(sh("objcopy --only-keep-debug %s/work_files %s", helpers, junk), 0);
	debug_dir(dir, "dbg-other", junk);
	pathf(out, "%s/other.tape", tmpdir);
	{
		char *argv[] = {bpftape,       "symbolize", "--no-debuginfod",
				"--debug-dir", dir,	    "-o",
				out,	       tape,	    NULL};

		assert_int_equal(run_io(argv, NULL, err), 0);
	}
	marker_names(out, names, sizeof(names));
	assert_string_equal(names, unnamed);
	if (!strstr(slurp(err), "not ") || !strstr(slurp(err), build_id))
		fail_msg("report: %s", slurp(err));
}

/* --in-place replaces the tape, only when complete; -o the input is a
 * usage error. */
static void test_in_place(void **state)
{
	char dir[PATH_MAX], copy[PATH_MAX], err[PATH_MAX], names[512];

	(void)state;
	debug_dir(dir, "dbg-good", debugfile);
	pathf(copy, "%s/inplace.tape", tmpdir);
	pathf(err, "%s/inplace.err", tmpdir);
	assert_int_equal(sh("cp %s %s && chmod 644 %s", tape, copy, copy), 0);
	{
		char *argv[] = {bpftape, "symbolize", "--debug-dir", dir, "-o", copy, copy, NULL};

		assert_int_equal(run_io(argv, NULL, err), 2);
	}
	{
		char *argv[] = {bpftape,       "symbolize", "--no-debuginfod",
				"--debug-dir", dir,	    "--in-place",
				copy,	       NULL};

		assert_int_equal(run_io(argv, NULL, err), 0);
	}
	marker_names(copy, names, sizeof(names));
	assert_string_equal(names, named);
	/* no temporary left beside it, and its mode kept */
	assert_int_equal(sh("test $(ls -A %s | grep -c inplace) -eq 2", tmpdir), 0);
	assert_int_equal(sh("test $(stat -c %%a %s) = 644", copy), 0);
}

/* The names through a debuginfod server started here over a directory
 * holding the debug file, none in the debug directories. */
static void test_debuginfod(void **state)
{
	char srv[PATH_MAX], dir[PATH_MAX], out[PATH_MAX], err[PATH_MAX], names[512];
	char url[64], cache[PATH_MAX], db[PATH_MAX], log[PATH_MAX], port[16];
	pid_t pid;
	int ready = 0;

	(void)state;
	if (access("/usr/bin/debuginfod", X_OK)) {
		print_message("skipped: no /usr/bin/debuginfod (Debian package debuginfod)\n");
		skip();
	}
	pathf(srv, "%s/srv", tmpdir);
	pathf(cache, "%s/dbgd-cache", tmpdir);
	pathf(db, "%s/dbgd.sqlite", tmpdir);
	pathf(log, "%s/dbgd.log", tmpdir);
	assert_int_equal(sh("mkdir -p %s && cp %s %s/work_stacks.debug", srv, debugfile, srv), 0);
	snprintf(port, sizeof(port), "%d", 20000 + (int)(getpid() % 20000));
	snprintf(url, sizeof(url), "http://127.0.0.1:%s", port);
	pid = fork();
	if (pid == 0) {
		int o = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(o, 1);
		dup2(o, 2);
		execl("/usr/bin/debuginfod", "debuginfod", "-F", srv, "-p", port, "-d", db, "-t",
		      "1", NULL);
		_exit(126);
	}
	assert_true(pid > 0);
	dbgd_pid = pid; /* stopped by the teardown if an assertion fails */
	/* up once it serves the file (the first scan takes a moment) */
	for (int i = 0; i < 300 && !ready; i++) {
		ready = !sh("curl -sf -o /dev/null %s/buildid/%s/debuginfo", url, build_id);
		if (!ready)
			usleep(100000);
	}
	if (!ready) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		dbgd_pid = 0;
		fail_msg("debuginfod did not serve %s in 30 s: %s", build_id, slurp(log));
	}
	debug_dir(dir, "dbg-empty", NULL);
	pathf(out, "%s/dbgd.tape", tmpdir);
	pathf(err, "%s/dbgd.err", tmpdir);
	setenv("DEBUGINFOD_CACHE_PATH", cache, 1);
	unsetenv("DEBUGINFOD_URLS");
	{
		/* the server given on the command line */
		char opt[128];
		char *argv[] = {bpftape, "symbolize", opt,  "--debug-dir", dir,
				"-o",	 out,	      tape, NULL};

		snprintf(opt, sizeof(opt), "--debuginfod=%s", url);
		assert_int_equal(run_io(argv, NULL, err), 0);
	}
	marker_names(out, names, sizeof(names));
	assert_string_equal(names, named);
	if (!strstr(slurp(err), "1 through debuginfod"))
		fail_msg("report: %s", slurp(err));
	/* ... and by DEBUGINFOD_URLS alone, with a fresh cache */
	pathf(cache, "%s/dbgd-cache2", tmpdir);
	setenv("DEBUGINFOD_CACHE_PATH", cache, 1);
	setenv("DEBUGINFOD_URLS", url, 1);
	pathf(out, "%s/dbgd2.tape", tmpdir);
	{
		char *argv[] = {bpftape, "symbolize", "--debug-dir", dir, "-o", out, tape, NULL};

		assert_int_equal(run_io(argv, NULL, err), 0);
	}
	unsetenv("DEBUGINFOD_URLS");
	unsetenv("DEBUGINFOD_CACHE_PATH");
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	dbgd_pid = 0;
	marker_names(out, names, sizeof(names));
	assert_string_equal(names, named);
}

/* Record the stripped workload once for every test. */
static int record_stripped(void **state)
{
	char out[PATH_MAX];
	FILE *f;

	(void)state;
	pathf(bin, "%s/work_stacks", tmpdir);
	pathf(debugfile, "%s/work_stacks.debug", tmpdir);
	pathf(tape, "%s/stripped.tape", tmpdir);
	pathf(marker, "%s/marker", tmpdir);
	pathf(out, "%s/build-id", tmpdir);
	if (sh("cp %s/work_stacks %s && objcopy --only-keep-debug %s %s && strip --strip-all %s",
	       helpers, bin, bin, debugfile, bin) ||
	    sh("readelf -n %s | sed -n 's/.*Build ID: //p' > %s", bin, out))
		return -1;
	f = fopen(out, "r");
	if (!f || fscanf(f, "%128s", build_id) != 1 || strlen(build_id) < 8)
		return -1;
	fclose(f);
	close(open(marker, O_CREAT | O_WRONLY, 0644));
	{
		char *argv[] = {bpftape, "record", "-g", "-e", "open", "-o",
				tape,	 "--",	   bin,	 "2",  marker, NULL};

		pathf(out, "%s/record.err", tmpdir);
		if (run_io(argv, NULL, out))
			return -1;
	}
	return 0;
}

static int stop_server(void **state)
{
	(void)state;
	if (dbgd_pid > 0) {
		kill(dbgd_pid, SIGTERM);
		waitpid(dbgd_pid, NULL, 0);
		dbgd_pid = 0;
	}
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_debug_dir),     cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_bad_debugfile), cmocka_unit_test(test_in_place),
		cmocka_unit_test(test_debuginfod),    cmocka_unit_test(test_after_filter),
	};
	int ret = stacktest_setup("test_symbolize");

	if (ret)
		return ret;
#if !defined(__x86_64__)
	printf("test_symbolize: skipped: the workload's raw syscall is written for x86-64\n");
	return 77;
#endif
	if (sh("command -v objcopy strip readelf >/dev/null")) {
		printf("test_symbolize: skipped: needs objcopy, strip and readelf (binutils)\n");
		return 77;
	}
	if (getenv("TEST_FILTER"))
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	ret = cmocka_run_group_tests(tests, record_stripped, stop_server);
	if (!ret)
		stacktest_cleanup("test_symbolize");
	return ret;
}
