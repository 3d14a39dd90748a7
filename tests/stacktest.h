/* SPDX-License-Identifier: MIT */
/*
 * What the root tests of `record -g` share:
 * the paths (bpftape, the helpers beside the test, a temporary
 * directory), running a command, and the checks that decide to skip.
 */
#ifndef BPFTAPE_TESTS_STACKTEST_H
#define BPFTAPE_TESTS_STACKTEST_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/bpf.h>

#include <bpftape/tape.h>

static char bpftape[PATH_MAX];
static char helpers[PATH_MAX];
static char tmpdir[PATH_MAX];

static inline void pathf(char *buf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, PATH_MAX, fmt, ap);
	va_end(ap);
}

/* Run @argv with stdout to @out (NULL: /dev/null) and stderr to @err
 * (NULL: this test's); its exit status. */
static inline int run_io(char *const argv[], const char *out, const char *err)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		int o = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(o, 1);
		if (err) {
			int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);

			dup2(e, 2);
		}
		execv(argv[0], argv);
		_exit(126);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Run @argv with stdout to @out (NULL: /dev/null); its exit status. */
static inline int run(char *const argv[], const char *out)
{
	return run_io(argv, out, NULL);
}

/* Whether @ev is an open of exactly @path. */
static inline bool stacktest_open_of(const struct tape_event *ev, const char *path)
{
	const void *p;
	uint32_t len;

	return !strcmp(ev->tp->name, "open") && !tape_event__bytes_by_name(ev, "path", &p, &len) &&
	       len == strlen(path) && !memcmp(p, path, len);
}

/*
 * Root, BPF and BTF, then the paths and the temporary directory.  0, 77
 * (skip, said why) or 1.
 */
static inline int stacktest_setup(const char *name)
{
	union bpf_attr attr;
	char self[PATH_MAX];
	ssize_t n;
	int fd;

	if (geteuid() != 0) {
		printf("%s: skipped: needs root to load BPF programs\n", name);
		return 77;
	}
	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = 4;
	attr.max_entries = 1;
	fd = syscall(__NR_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
	if (fd < 0) {
		printf("%s: skipped: the kernel refuses BPF (%s)\n", name, strerror(errno));
		return 77;
	}
	close(fd);
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		printf("%s: skipped: no kernel BTF at /sys/kernel/btf/vmlinux\n", name);
		return 77;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return 1;
	self[n] = 0;
	pathf(helpers, "%s", self);
	*strrchr(helpers, '/') = 0;
	if (getenv("BPFTAPE"))
		pathf(bpftape, "%s", getenv("BPFTAPE"));
	else
		pathf(bpftape, "%s/../bpftape", helpers);
	if (access(bpftape, X_OK)) {
		printf("%s: %s is not executable: build it first (make)\n", name, bpftape);
		return 1;
	}
	pathf(tmpdir, "/tmp/bpftape-%s-XXXXXX", name);
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	return 0;
}

/* Remove the temporary directory (after a pass: a failure leaves it). */
static inline void stacktest_cleanup(const char *name)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd))
		fprintf(stderr, "%s: could not remove %s\n", name, tmpdir);
}

#endif /* BPFTAPE_TESTS_STACKTEST_H */
