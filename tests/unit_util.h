/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the per-module unit tests: tapes that live in memory (written
 * through a tape_io, handed to a verb as a memfd under /proc/self/fd), and a
 * verb run in-process with its standard output and error captured in memfds,
 * so no test needs a scratch directory or a subprocess.
 */
#ifndef BPFTAPE_TESTS_UNIT_UTIL_H
#define BPFTAPE_TESTS_UNIT_UTIL_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "golden_gen.h"
#include <bpftape/tape.h>

/* A memfd holding @len bytes at @data; its name for a verb into @path. */
static inline int unit_memfd(const void *data, size_t len, char *path, size_t pathlen)
{
	int fd = memfd_create("bpftape-test", MFD_CLOEXEC);

	assert_true(fd >= 0);
	if (len)
		assert_int_equal(write(fd, data, len), (ssize_t)len);
	snprintf(path, pathlen, "/proc/self/fd/%d", fd);
	return fd;
}

/* Everything @fd holds, NUL-terminated (malloc'ed); its size in *@len. */
static inline char *unit_fd_slurp(int fd, size_t *len)
{
	off_t end = lseek(fd, 0, SEEK_END);
	char *buf;

	assert_true(end >= 0);
	buf = malloc((size_t)end + 1);
	assert_non_null(buf);
	assert_int_equal(pread(fd, buf, (size_t)end, 0), (ssize_t)end);
	buf[end] = 0;
	if (len)
		*len = (size_t)end;
	return buf;
}

struct unit_run {
	int rc;
	char *out, *err; /* NUL-terminated */
	size_t out_len;	 /* bytes of standard output (a tape holds NULs) */
};

static inline void unit_run_free(struct unit_run *r)
{
	free(r->out);
	free(r->err);
}

/* Run verb @fn over @args (NULL-terminated; args[0] is the verb) with its
 * standard output and error captured. */
static inline struct unit_run unit_run_verb(int (*fn)(int, char **), const char *const *args)
{
	char *argv[64];
	int argc = 0, o, e, so, se;
	struct unit_run r;

	for (; args[argc]; argc++)
		argv[argc] = (char *)args[argc];
	argv[argc] = NULL;
	o = memfd_create("stdout", MFD_CLOEXEC);
	e = memfd_create("stderr", MFD_CLOEXEC);
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
	r.out = unit_fd_slurp(o, &r.out_len);
	r.err = unit_fd_slurp(e, NULL);
	close(o);
	close(e);
	return r;
}

#define UNIT_RUN(fn, ...) unit_run_verb(fn, (const char *const[]){__VA_ARGS__, NULL})

/* Open the tape in @m; fails the test if it does not open. */
static inline struct tape_reader *unit_open_mem(const struct golden_mem *m)
{
	char err[256] = "";
	struct tape_reader *r = tape_reader__open_mem(m->data, m->len, err, sizeof(err));

	if (!r)
		fail_msg("the tape in memory does not open: %s", err);
	return r;
}

/* The tape verb @verb wrote on its standard output in @r, verified; fails
 * the test if the verb failed or the tape does not open. */
static inline struct tape_reader *unit_run_tape(const struct unit_run *r, const char *verb)
{
	char err[256] = "";
	struct tape_reader *t;

	if (r->rc)
		fail_msg("%s: status %d: %s", verb, r->rc, r->err);
	t = tape_reader__open_mem(r->out, r->out_len, err, sizeof(err));
	if (!t)
		fail_msg("the new tape does not open: %s", err);
	assert_int_equal(tape_reader__verify(t, NULL, NULL), 0);
	return t;
}

/* Whether the standard output in @r holds the bytes of @s anywhere. */
static inline bool unit_run_holds(const struct unit_run *r, const char *s)
{
	return memmem(r->out, r->out_len, s, strlen(s)) != NULL;
}

/* A tape written in memory by a test's writer, and a redaction key, each a
 * memfd a verb is given by its name (@path, @key). */
struct unit_tape {
	struct golden_mem mem;
	char path[64], key[64];
	int fd, key_fd;
};

/* For a group setup: 0, or -1 if @write fails. */
static inline int unit_tape_open(struct unit_tape *t, int (*write)(struct tape_writer *))
{
	if (golden_write_mem(&t->mem, write))
		return -1;
	t->fd = unit_memfd(t->mem.data, t->mem.len, t->path, sizeof(t->path));
	t->key_fd = unit_memfd("a key of thirty-two bytes, fixed", 32, t->key, sizeof(t->key));
	return 0;
}

static inline void unit_tape_close(struct unit_tape *t)
{
	close(t->fd);
	close(t->key_fd);
	free(t->mem.data);
}

static inline int unit_count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

#endif
