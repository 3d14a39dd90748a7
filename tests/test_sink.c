// SPDX-License-Identifier: MIT
/*
 * The recorder's sink (record/sink.c): one tape or a ring of rotated tapes,
 * each with the full head its start() callback writes, and the accounting
 * the end-of-recording line reports (events written, events still pending,
 * bytes, tapes).  The sink writes files by name, so the tapes live in a
 * scratch directory; no root, no BPF: only record/sink.o is linked.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "../record/sink.h"
#include <bpftape/tape.h>

static char dir[64];

static const struct tape_field tick_f[] = {{"n", TAPE_U64, 0, NULL}};
static const struct tape_type tick_t = {0, "tick", "test", "", 1, tick_f};

/* What start() does: the head of each tape, numbered. */
struct head {
	unsigned calls;
	int type;
	int fail; /* -errno to return instead */
};

static int start(void *ctx, struct tape_writer *w)
{
	struct head *h = ctx;
	char no[16];
	int err;

	if (h->fail)
		return h->fail;
	snprintf(no, sizeof(no), "%u", ++h->calls);
	err = tape_writer__set_meta(w, "test.tape_no", no);
	if (err)
		return err;
	h->type = tape_writer__add_type(w, &tick_t);
	return h->type < 0 ? h->type : 0;
}

static int append(struct sink *s, const struct head *h, uint64_t n)
{
	union tape_value v = {.u = n};
	struct tape_event ev = {.ts = 1000 + n,
				.pid = 1,
				.tid = 1,
				.type = (uint16_t)h->type,
				.comm = "t",
				.values = &v};

	return tape_writer__append(sink__writer(s), &ev);
}

static void path_of(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

static off_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : st.st_size;
}

/* The events of tape @path, in order, into @ns (of @max); their count. */
static size_t read_tape(const char *path, uint64_t *ns, size_t max, const char **tape_no,
			struct tape_reader **keep)
{
	char err[256] = "";
	struct tape_reader *r = tape_reader__open(path, err, sizeof(err));
	struct tape_cursor *c;
	const struct tape_event *ev;
	size_t n = 0;

	if (!r)
		fail_msg("%s: %s", path, err);
	assert_false(tape_reader__recovered(r));
	c = tape_cursor__new(
		&r, 1, &(struct tape_select){.sz = sizeof(struct tape_select), .no_losses = true});
	assert_non_null(c);
	while (tape_cursor__next(c, &ev) == 1) {
		uint64_t v;

		assert_int_equal(tape_event__uint(ev, 0, &v), 0);
		assert_true(n < max);
		ns[n++] = v;
	}
	tape_cursor__free(c);
	*tape_no = tape_reader__meta(r, "test.tape_no");
	*keep = r;
	return n;
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/bpftape-test-sink-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_ring_path(void **state)
{
	char buf[64];

	(void)state;
	sink__ring_path("out.tape", 0, buf, sizeof(buf));
	assert_string_equal(buf, "out.tape");
	sink__ring_path("out.tape", 2, buf, sizeof(buf));
	assert_string_equal(buf, "out.2.tape");
	sink__ring_path("/d/x.tape", 11, buf, sizeof(buf));
	assert_string_equal(buf, "/d/x.11.tape");
	sink__ring_path("out", 1, buf, sizeof(buf));
	assert_string_equal(buf, "out.1");
	/* a name that is all suffix keeps it */
	sink__ring_path(".tape", 1, buf, sizeof(buf));
	assert_string_equal(buf, ".tape.1");
	sink__ring_path("out.tapes", 3, buf, sizeof(buf));
	assert_string_equal(buf, "out.tapes.3");
}

/* One tape: events held in memory until their chunk is written are pending,
 * not written; finishing writes them all. */
static void test_one_tape(void **state)
{
	struct head h = {0};
	char path[128], err[512] = "";
	struct sink_opts o = {.start = start, .ctx = &h};
	struct tape_reader *r;
	const char *no;
	uint64_t ns[64];
	struct sink *s;

	(void)state;
	path_of(path, sizeof(path), "one.tape");
	o.path = path;
	s = sink__open(&o, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(sink__tapes(s), 1);
	assert_int_equal(h.calls, 1);
	/* live: the tape has its name from the start */
	assert_true(file_size(path) > 0);
	for (uint64_t i = 0; i < 10; i++)
		assert_int_equal(append(s, &h, i), 0);
	assert_int_equal(sink__events(s), 0);
	assert_int_equal(sink__events_pending(s), 10);
	assert_int_equal(tape_writer__flush(sink__writer(s)), 0);
	assert_int_equal(sink__events(s), 10);
	assert_int_equal(sink__events_pending(s), 0);
	for (uint64_t i = 10; i < 15; i++)
		assert_int_equal(append(s, &h, i), 0);
	assert_int_equal(sink__events_pending(s), 5);
	/* no rotation asked: never rotates */
	assert_int_equal(sink__maybe_rotate(s), 0);
	assert_int_equal(sink__finish(s), 0);
	assert_int_equal(sink__events(s), 15);
	assert_int_equal(sink__events_pending(s), 0);
	assert_int_equal(sink__bytes(s), (uint64_t)file_size(path));
	assert_string_equal(sink__errmsg(s), "");
	sink__free(s);

	assert_int_equal(read_tape(path, ns, 64, &no, &r), 15);
	for (uint64_t i = 0; i < 15; i++)
		assert_int_equal(ns[i], i);
	assert_string_equal(no, "1");
	tape_reader__free(r);
	sink__free(NULL);
}

/* A ring of three: the newest tape under the path, older ones numbered,
 * the oldest dropped; each reads alone with its own head; the counts add
 * up over every tape, dropped ones included. */
static void test_rotation(void **state)
{
	struct head h = {0};
	char path[128], p[160], err[512] = "";
	struct sink_opts o = {.rotate_bytes = 1, .keep = 3, .start = start, .ctx = &h};
	uint64_t bytes_done = 0, ns[64];
	struct tape_reader *r;
	const char *no;
	struct sink *s;

	(void)state;
	path_of(path, sizeof(path), "ring.tape");
	o.path = path;
	s = sink__open(&o, err, sizeof(err));
	assert_non_null(s);
	/* five tapes of four events each, the last one left unrotated */
	for (unsigned t = 0; t < 5; t++) {
		for (uint64_t i = 0; i < 4; i++)
			assert_int_equal(append(s, &h, t * 100 + i), 0);
		if (t == 4)
			break;
		assert_int_equal(tape_writer__flush(sink__writer(s)), 0);
		/* a loss lands in the tape that is current */
		assert_int_equal(tape_writer__add_loss(sink__writer(s),
						       &(struct tape_loss){t, t + 1, 1000, 2000}),
				 0);
		assert_int_equal(sink__maybe_rotate(s), 1);
		/* what the finished tape held is in the totals */
		assert_int_equal(sink__events(s), (t + 1) * 4);
		assert_int_equal(sink__tapes(s), t + 2);
		path_of(p, sizeof(p), "ring.1.tape");
		bytes_done += (uint64_t)file_size(p);
		assert_true(sink__bytes(s) >= bytes_done);
	}
	assert_int_equal(sink__events_pending(s), 4);
	assert_int_equal(sink__finish(s), 0);
	assert_int_equal(sink__events(s), 20);
	assert_int_equal(sink__events_pending(s), 0);
	assert_int_equal(sink__bytes(s), bytes_done + (uint64_t)file_size(path));
	assert_int_equal(h.calls, 5);
	sink__free(s);

	/* newest first: tape 5, then 4 and 3; 1 and 2 are gone */
	for (unsigned i = 0; i < 3; i++) {
		char want[8];
		size_t n;

		if (i)
			snprintf(p, sizeof(p), "%s/ring.%u.tape", dir, i);
		else
			snprintf(p, sizeof(p), "%s", path);
		n = read_tape(p, ns, 64, &no, &r);
		assert_int_equal(n, 4);
		snprintf(want, sizeof(want), "%u", 5 - i);
		assert_string_equal(no, want);
		for (uint64_t k = 0; k < 4; k++)
			assert_int_equal(ns[k], (4 - i) * 100 + k);
		/* the finished ones hold the loss written before rotating */
		if (i) {
			assert_int_equal(tape_reader__loss_count(r), 1);
			assert_int_equal(tape_reader__loss(r, 0)->count, 5 - i);
			assert_int_equal(tape_reader__loss(r, 0)->cpu, 4 - i);
		} else {
			assert_int_equal(tape_reader__loss_count(r), 0);
		}
		tape_reader__free(r);
	}
	snprintf(p, sizeof(p), "%s/ring.3.tape", dir);
	assert_int_equal(access(p, F_OK), -1);
}

/* Under the rotation size nothing rotates. */
static void test_no_rotation_below_size(void **state)
{
	struct head h = {0};
	char path[128], err[512] = "";
	struct sink_opts o = {.rotate_bytes = 1 << 30, .keep = 2, .start = start, .ctx = &h};
	struct sink *s;

	(void)state;
	path_of(path, sizeof(path), "big.tape");
	o.path = path;
	s = sink__open(&o, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(append(s, &h, 1), 0);
	assert_int_equal(tape_writer__flush(sink__writer(s)), 0);
	assert_int_equal(sink__maybe_rotate(s), 0);
	assert_int_equal(sink__tapes(s), 1);
	assert_int_equal(sink__finish(s), 0);
	sink__free(s);
}

static void test_errors(void **state)
{
	struct head h = {0};
	char path[128], err[512] = "";
	struct sink_opts o = {.start = start, .ctx = &h};

	(void)state;
	/* a directory that does not exist: the message says what to do */
	path_of(path, sizeof(path), "no/such/dir/x.tape");
	o.path = path;
	errno = 0;
	assert_null(sink__open(&o, err, sizeof(err)));
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "give -o a path in an existing, writable directory"));

	/* a head that cannot be written: its error, naming the tape */
	err[0] = 0;
	h.fail = -ENOSPC;
	path_of(path, sizeof(path), "head.tape");
	o.path = path;
	errno = 0;
	assert_null(sink__open(&o, err, sizeof(err)));
	assert_int_equal(errno, ENOSPC);
	assert_non_null(strstr(err, "writing the head of"));
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, strerror(ENOSPC)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_path), cmocka_unit_test(test_one_tape),
		cmocka_unit_test(test_rotation),  cmocka_unit_test(test_no_rotation_below_size),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
