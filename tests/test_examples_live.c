// SPDX-License-Identifier: MIT
/*
 * The C API live (root): examples/follow_opens follows a tape that
 * `bpftape record` is writing, from before the tape has a name, and ends
 * by itself once the recorder finishes it, with the counts that
 * examples/opens_per_comm reads from the finished tape.  And record -o -
 * streams a whole tape into a pipe while the recorded command's own
 * output goes to standard error.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <cmocka.h>

static char bpftape[PATH_MAX], helpers[PATH_MAX], examples[PATH_MAX], tmpdir[PATH_MAX];

static void pathf(char *buf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, PATH_MAX, fmt, ap);
	va_end(ap);
}

/* Run @fmt with bash; its exit status, or 128 + signal. */
static int sh(const char *fmt, ...)
{
	char cmd[4 * PATH_MAX + 512];
	va_list ap;
	pid_t pid;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	pid = fork();
	if (pid == 0) {
		execl("/bin/bash", "bash", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The text of file @name in tmpdir (empty if it is not there). */
static char *in_tmp(const char *name)
{
	char path[PATH_MAX];
	FILE *f;
	char *buf = calloc(1, 1 << 16);
	size_t n;

	assert_non_null(buf);
	pathf(path, "%s/%s", tmpdir, name);
	f = fopen(path, "r");
	if (!f)
		return buf;
	n = fread(buf, 1, (1 << 16) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

/* The count "   N work_files" of @text, or -1. */
static long count_of(const char *text, const char *comm)
{
	char line[256];

	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		long n;
		char c[64];

		snprintf(line, sizeof(line), "%.*s", (int)len, p);
		if (sscanf(line, "%ld %63s", &n, c) == 2 && !strcmp(c, comm))
			return n;
		p += len + (nl ? 1 : 0);
	}
	return -1;
}

static void test_follow_live(void **state)
{
	char tape[PATH_MAX], dir[PATH_MAX];
	char *followed, *read_after, *wl;
	long nfollow, nread, nprinted = 0;
	int st;

	(void)state;
	pathf(tape, "%s/live.tape", tmpdir);
	pathf(dir, "%s/work", tmpdir);
	assert_int_equal(sh("mkdir -p %s", dir), 0);
	/* the follower starts first: it waits for the recorder to name the
	 * tape; the workload runs twice, a second apart, so that the tape
	 * grows while it is followed (flushed every 100 ms) */
	st = sh("%s/follow_opens %s > %s/followed 2> %s/follow.err & f=$!; "
		"%s record -e file --flush-interval 100ms -o %s -- /bin/sh -c "
		"'%s/work_files %s; sleep 1.5; %s/work_files %s 50' > %s/work.out 2> %s/record.err "
		"|| exit 101; "
		"for i in $(seq 100); do kill -0 $f 2>/dev/null || break; sleep 0.1; done; "
		"kill -0 $f 2>/dev/null && { kill $f; exit 102; }; wait $f",
		examples, tape, tmpdir, tmpdir, bpftape, tape, helpers, dir, helpers, dir, tmpdir,
		tmpdir);
	if (st) {
		char *e1, *e2;

		e1 = in_tmp("record.err");
		e2 = in_tmp("follow.err");
		fprintf(stderr,
			"status %d (101: record failed, 102: the follower never ended)\n"
			"record: %s\nfollow_opens: %s\n",
			st, e1, e2);
		free(e1);
		free(e2);
	}
	assert_int_equal(st, 0);
	assert_int_equal(sh("%s/opens_per_comm %s > %s/read", examples, tape, tmpdir), 0);
	followed = in_tmp("followed");
	read_after = in_tmp("read");
	wl = in_tmp("work.out");
	for (const char *p = wl; (p = strstr(p, "open ")); p++)
		nprinted += p == wl || p[-1] == '\n';
	nfollow = count_of(followed, "work_files");
	nread = count_of(read_after, "work_files");
	printf("# work_files: %ld opens printed by the workload, %ld followed, %ld read after\n",
	       nprinted, nfollow, nread);
	/* what was followed is what the finished tape holds */
	assert_string_equal(followed, read_after);
	/* both runs of the workload: every open they printed, and the 50
	 * loops of the second, besides what the loader opens */
	assert_true(nprinted > 0);
	assert_true(nfollow >= nprinted + 50);
	free(followed);
	free(read_after);
	free(wl);
}

static void test_record_to_pipe(void **state)
{
	char dir[PATH_MAX];
	char *err, *info;

	(void)state;
	pathf(dir, "%s/pipe", tmpdir);
	assert_int_equal(sh("mkdir -p %s", dir), 0);
	/* the tape crosses a pipe (cat), a reader takes it from standard input */
	assert_int_equal(sh("set -o pipefail; %s record -e file -o - -- %s/work_files %s "
			    "2> %s/pipe.err | cat | %s info --verify - > %s/pipe.info",
			    bpftape, helpers, dir, tmpdir, bpftape, tmpdir),
			 0);
	err = in_tmp("pipe.err");
	info = in_tmp("pipe.info");
	/* the workload's ground truth went to standard error, not into the tape */
	assert_non_null(strstr(err, "open openat"));
	/* a whole tape: opens in it, and its index (nothing rebuilt) */
	assert_non_null(strstr(info, "open "));
	assert_null(strstr(info, "rebuilt"));
	assert_null(strstr(info, "BAD"));
	free(err);
	free(info);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_follow_live),
		cmocka_unit_test(test_record_to_pipe),
	};
	union bpf_attr attr;
	char self[PATH_MAX];
	ssize_t n;
	int fd, ret;

	if (geteuid() != 0) {
		printf("test_examples_live: skipped: needs root to record\n");
		return 77;
	}
	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = attr.value_size = attr.max_entries = 4;
	fd = syscall(__NR_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
	if (fd < 0) {
		printf("test_examples_live: skipped: the kernel refuses BPF (%s)\n",
		       strerror(errno));
		return 77;
	}
	close(fd);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return 1;
	self[n] = 0;
	snprintf(helpers, sizeof(helpers), "%s", self);
	*strrchr(helpers, '/') = 0;
	pathf(examples, "%s/../examples", helpers);
	if (getenv("BPFTAPE"))
		snprintf(bpftape, sizeof(bpftape), "%s", getenv("BPFTAPE"));
	else
		pathf(bpftape, "%s/../bpftape", helpers);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/bpftape-test-examples-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	unsetenv("SUDO_UID");
	unsetenv("SUDO_GID");
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	if (!ret && sh("rm -rf %s", tmpdir))
		fprintf(stderr, "test_examples_live: could not remove %s\n", tmpdir);
	return ret;
}
