// SPDX-License-Identifier: MIT
/*
 * libtape's process table through its public API (tape_proctab.h): a tape
 * written in memory with a snapshot and fork, exec and exit events, read
 * back with a cursor, and the table checked after each event.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <bpftape/tape.h>
#include <bpftape/tape_proctab.h>

struct mem {
	uint8_t *data;
	size_t len, cap;
};

static int mem_write(void *ctx, const void *buf, size_t len)
{
	struct mem *m = ctx;

	if (m->len + len > m->cap) {
		m->cap = (m->len + len) * 2;
		m->data = realloc(m->data, m->cap);
		assert_non_null(m->data);
	}
	memcpy(m->data + m->len, buf, len);
	m->len += len;
	return 0;
}

static const struct tape_field fork_f[] = {{"parent_pid", TAPE_U32, 0, NULL},
					   {"child_pid", TAPE_U32, 0, NULL}};
static const struct tape_field exec_f[] = {{"filename", TAPE_STR, 0, NULL},
					   {"argv", TAPE_BYTES, TAPE_DISP_ARGV, NULL},
					   {"ret", TAPE_S32, TAPE_DISP_ERRNO, NULL}};
static const struct tape_field exit_f[] = {{"code", TAPE_S32, 0, NULL},
					   {"signal", TAPE_S32, 0, NULL}};
static const struct tape_field open_f[] = {{"path", TAPE_STR, 0, NULL}};

/* What the events below are, in time order. */
enum { E_FORK, E_EXEC, E_EXEC_FAILED, E_THREAD, E_OPEN_UNKNOWN, E_EXIT, E_COUNT };

static void write_tape(struct mem *m)
{
	struct tape_io io = {.write = mem_write, .ctx = m};
	struct tape_writer *w = tape_writer__new(&io, NULL);
	const struct tape_type types[] = {
		{0, "fork", "", "", 2, fork_f},
		{0, "exec", "", "", 3, exec_f},
		{0, "exit", "", "", 2, exit_f},
		{0, "open", "", "", 1, open_f},
	};
	const struct tape_proc procs[] = {
		{1, 0, 0, 0, "systemd", "/sbin/init", "/sbin/init", 11, "/"},
		{100, 1, 1000, 5, "bash", "/usr/bin/bash", "bash\0-l", 8, "/user.slice"},
	};
	int id[4];
	union tape_value v[3];
	struct tape_event ev = {.cpu = 0, .values = v};

	assert_non_null(w);
	for (int i = 0; i < 4; i++)
		assert_true((id[i] = tape_writer__add_type(w, &types[i])) > 0);
	assert_int_equal(tape_writer__add_procs(w, procs, 2), 0);
	for (int e = 0; e < E_COUNT; e++) {
		ev.ts = 1000 + (uint64_t)e;
		ev.pid = ev.tid = e == E_FORK || e == E_THREAD ? 100
				  : e == E_OPEN_UNKNOWN	       ? 555
							       : 101;
		ev.comm = e == E_FORK || e == E_THREAD ? "bash"
			  : e == E_OPEN_UNKNOWN	       ? "mystery"
						       : "cat";
		ev.comm_len = 0;
		memset(v, 0, sizeof(v));
		switch (e) {
		case E_FORK:
		case E_THREAD:
			ev.type = id[0];
			v[0].u = 100;
			v[1].u = e == E_FORK ? 101 : 100; /* a thread: the same tgid */
			break;
		case E_EXEC:
		case E_EXEC_FAILED:
			ev.type = id[1];
			v[0].b.ptr = e == E_EXEC ? "/usr/bin/cat" : "/nonexistent";
			v[0].b.len = strlen(v[0].b.ptr);
			v[1].b.ptr = e == E_EXEC ? "cat\0/etc/hosts" : "x";
			v[1].b.len = e == E_EXEC ? 14 : 1;
			v[2].s = e == E_EXEC ? 0 : -ENOENT;
			break;
		case E_OPEN_UNKNOWN:
			ev.type = id[3];
			v[0].b.ptr = "/etc/passwd";
			v[0].b.len = 11;
			break;
		case E_EXIT:
			ev.type = id[2];
			v[0].s = 0;
			v[1].s = 9;
			break;
		}
		assert_int_equal(tape_writer__append(w, &ev), 0);
	}
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);
}

static void test_proctab_follows_a_tape(void **state)
{
	struct mem m = {0};
	struct tape_reader *r;
	struct tape_cursor *c;
	struct tape_proctab *t;
	const struct tape_event *ev;
	const struct tape_proc_state *p;
	char err[256];
	int e = 0;

	(void)state;
	write_tape(&m);
	r = tape_reader__open_mem(m.data, m.len, err, sizeof(err));
	assert_non_null(r);
	c = tape_cursor__new(&r, 1, NULL);
	t = tape_proctab__new();
	assert_non_null(c);
	assert_non_null(t);
	assert_int_equal(tape_proctab__load_snapshot(t, r), 0);
	assert_int_equal(tape_proctab__count(t), 2);
	p = tape_proctab__get(t, 100);
	assert_non_null(p);
	assert_string_equal(p->exe, "/usr/bin/bash");
	assert_int_equal(p->ppid, 1);
	assert_null(tape_proctab__get(t, 101));
	while (tape_cursor__next(c, &ev) == 1) {
		assert_int_equal(tape_proctab__apply(t, ev), 0);
		p = tape_proctab__get(t, 101);
		switch (e++) {
		case E_FORK:
			/* the child is its parent's copy until it execs */
			assert_non_null(p);
			assert_int_equal(p->ppid, 100);
			assert_int_equal(p->uid, 1000);
			assert_string_equal(p->exe, "/usr/bin/bash");
			assert_int_equal(p->argv_len, 8);
			assert_memory_equal(p->argv, "bash\0-l", 8);
			assert_string_equal(p->cgroup, "/user.slice");
			assert_int_equal(p->start_ts, 1000);
			break;
		case E_EXEC:
		case E_EXEC_FAILED: /* changes nothing */
			assert_string_equal(p->exe, "/usr/bin/cat");
			assert_string_equal(p->comm, "cat");
			assert_int_equal(p->argv_len, 14);
			assert_memory_equal(p->argv, "cat\0/etc/hosts", 14);
			assert_int_equal(p->ppid, 100);
			break;
		case E_THREAD: /* a new thread is no new process */
			assert_int_equal(tape_proctab__count(t), 3);
			break;
		case E_OPEN_UNKNOWN: /* named by its events alone */
			p = tape_proctab__get(t, 555);
			assert_non_null(p);
			assert_string_equal(p->comm, "mystery");
			assert_null(p->exe);
			assert_null(p->argv);
			break;
		case E_EXIT:
			assert_true(p->exited);
			assert_int_equal(p->exit_ts, 1005);
			assert_int_equal(p->exit_signal, 9);
			break;
		}
	}
	assert_int_equal(e, E_COUNT);
	assert_int_equal(tape_proctab__count(t), 4);
	assert_int_equal(tape_proctab__at(t, 0)->pid, 1);
	assert_null(tape_proctab__at(t, 4));
	tape_proctab__free(t);
	tape_proctab__free(NULL);
	tape_cursor__free(c);
	tape_reader__free(r);
	free(m.data);
}

/* Many pids: the table grows and finds every one again. */
static void test_proctab_many(void **state)
{
	static const struct tape_field f[] = {{"parent_pid", TAPE_U32, 0, NULL},
					      {"child_pid", TAPE_U32, 0, NULL}};
	const struct tape_type fork_t = {1, "fork", "", "", 2, f};
	struct tape_proctab *t = tape_proctab__new();
	union tape_value v[2];
	struct tape_event ev = {.comm = "x", .values = v, .tp = &fork_t, .type = 1};

	(void)state;
	assert_non_null(t);
	for (uint32_t pid = 2; pid < 20002; pid++) {
		ev.pid = ev.tid = pid - 1;
		v[0].u = pid - 1;
		v[1].u = pid;
		assert_int_equal(tape_proctab__apply(t, &ev), 0);
	}
	for (uint32_t pid = 2; pid < 20002; pid++)
		assert_int_equal(tape_proctab__get(t, pid)->ppid, pid - 1);
	tape_proctab__free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proctab_follows_a_tape),
		cmocka_unit_test(test_proctab_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
