// SPDX-License-Identifier: MIT
/*
 * builtin__emit() (record/builtin.c): kernel records of the bpf/events.h ABI,
 * crafted here byte by byte, become tape events written through an in-memory
 * tape_io, read back and checked field by field.  Malformed and truncated
 * records are refused with -EBADMSG and leave nothing in the tape.  No root,
 * no BPF: only record/builtin.o and record/container.o are linked.
 */
#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
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

#include "../record/builtin.h"
#include "../bpf/events.h"
#include "unit_util.h"

/* A record of any kind, aligned as the ring buffer hands it over. */
union rec {
	struct rec_hdr hdr;
	struct rec_fork fork;
	struct rec_exec exec;
	struct rec_exit exit;
	struct rec_open open;
	struct rec_close close;
	struct rec_unlink unlink;
	struct rec_mknod mknod;
	struct rec_rename rename;
	struct rec_rw rw;
	struct rec_sock sock;
	struct rec_tcp_state tcp;
	struct rec_syscall sys;
	struct rec_sched_switch sw;
	struct rec_signal sig;
	uint8_t bytes[sizeof(struct rec_exec) + 64];
};

struct fixture {
	struct golden_mem m;
	struct tape_writer *w;
	struct builtin_ids ids;
	struct tape_reader *r;
	struct tape_cursor *c;
};

static void fx_start(struct fixture *f, const uint32_t want[FAMILY_MAX])
{
	struct tape_io io = {golden_mem_write, golden_mem_truncate, &f->m};
	uint32_t all[FAMILY_MAX] = {0};

	memset(f, 0, sizeof(*f));
	if (!want) {
		assert_int_equal(builtin__select("all", all), 0);
		want = all;
	}
	f->w = tape_writer__new(&io, NULL);
	assert_non_null(f->w);
	assert_int_equal(builtin__add_types(f->w, want, &f->ids), 0);
}

static void fx_read(struct fixture *f)
{
	assert_int_equal(tape_writer__finish(f->w), 0);
	f->r = unit_open_mem(&f->m);
	f->c = tape_cursor__new(&f->r, 1, NULL);
	assert_non_null(f->c);
}

static void fx_end(struct fixture *f)
{
	const struct tape_event *ev;

	assert_int_equal(tape_cursor__next(f->c, &ev), 0);
	tape_cursor__free(f->c);
	tape_reader__free(f->r);
	tape_writer__free(f->w);
	free(f->m.data);
}

static void hdr(union rec *r, uint16_t kind, uint64_t ts, size_t size)
{
	memset(r, 0xa5, sizeof(*r)); /* what a record does not say is garbage */
	r->hdr.ts = ts;
	r->hdr.pid = 4242;
	r->hdr.tid = 4243;
	r->hdr.kind = kind;
	r->hdr.cpu = 3;
	r->hdr.size = (uint32_t)size;
	memset(r->hdr.comm, 0, sizeof(r->hdr.comm));
	strcpy(r->hdr.comm, "worker");
}

static int emit(struct fixture *f, const union rec *r, size_t size)
{
	return builtin__emit(&f->ids, f->w, r, size, 0);
}

/* The next event: of type @name, with the header hdr() wrote at @ts. */
static const struct tape_event *next(struct fixture *f, const char *name, uint64_t ts)
{
	const struct tape_event *ev;

	assert_int_equal(tape_cursor__next(f->c, &ev), 1);
	assert_non_null(ev->tp);
	assert_string_equal(ev->tp->name, name);
	assert_int_equal(ev->ts, ts);
	assert_int_equal(ev->pid, 4242);
	assert_int_equal(ev->tid, 4243);
	assert_int_equal(ev->cpu, 3);
	assert_string_equal(ev->comm, "worker");
	return ev;
}

static void expect_u(const struct tape_event *ev, const char *field, uint64_t want)
{
	uint64_t v = ~want;

	if (tape_event__uint_by_name(ev, field, &v))
		fail_msg("%s: no unsigned field '%s'", ev->tp->name, field);
	if (v != want)
		fail_msg("%s.%s: %llu, expected %llu", ev->tp->name, field, (unsigned long long)v,
			 (unsigned long long)want);
}

static void expect_s(const struct tape_event *ev, const char *field, int64_t want)
{
	int64_t v = ~want;

	if (tape_event__int_by_name(ev, field, &v))
		fail_msg("%s: no integer field '%s'", ev->tp->name, field);
	if (v != want)
		fail_msg("%s.%s: %lld, expected %lld", ev->tp->name, field, (long long)v,
			 (long long)want);
}

static void expect_b(const struct tape_event *ev, const char *field, const void *want, size_t len)
{
	const void *p;
	uint32_t n;

	if (tape_event__bytes_by_name(ev, field, &p, &n))
		fail_msg("%s: no bytes field '%s'", ev->tp->name, field);
	if (n != len || memcmp(p, want, len))
		fail_msg("%s.%s: %u bytes, expected %zu", ev->tp->name, field, n, len);
}

#define expect_str(ev, field, s) expect_b(ev, field, s, strlen(s))

/* ---- every kind, field by field ---- */

static void test_every_kind(void **state)
{
	static const char argv[] = "ls\0-l\0/tmp";
	uint8_t sin[16] = {2, 0, 0x1f, 0x90, 10, 1, 2, 3};
	struct fixture f;
	union rec r;
	uint64_t t = 1000;

	(void)state;
	fx_start(&f, NULL);

	hdr(&r, REC_FORK, t++, sizeof(r.fork));
	r.fork.parent_pid = 4242, r.fork.child_pid = 5000, r.fork.child_tid = 5001;
	assert_int_equal(emit(&f, &r, sizeof(r.fork)), 0);

	hdr(&r, REC_EXEC, t++, 0);
	r.exec.ret = -2;
	r.exec.filename_len = 7;
	r.exec.argv_len = sizeof(argv) - 1;
	r.exec.truncated = REC_EXEC_TRUNC_ARGV;
	memcpy(r.exec.data, "/bin/ls", 7);
	memcpy(r.exec.data + 7, argv, sizeof(argv) - 1);
	assert_int_equal(emit(&f, &r, offsetof(struct rec_exec, data) + 7 + sizeof(argv) - 1), 0);

	hdr(&r, REC_EXIT, t++, sizeof(r.exit));
	r.exit.code = 3, r.exit.signal = 9;
	assert_int_equal(emit(&f, &r, sizeof(r.exit)), 0);

	/* single-path records end with the path's used bytes */
	hdr(&r, REC_OPEN, t++, 0);
	r.open.dfd = -100, r.open.flags = O_CREAT | O_WRONLY, r.open.mode = 0640, r.open.ret = 7;
	r.open.syscall = REC_OPEN_OPENAT, r.open.path_len = 8;
	memcpy(r.open.path, "/tmp/out", 8);
	assert_int_equal(emit(&f, &r, offsetof(struct rec_open, path) + 8), 0);

	hdr(&r, REC_CLOSE, t++, sizeof(r.close));
	r.close.fd = 7, r.close.ret = -9;
	assert_int_equal(emit(&f, &r, sizeof(r.close)), 0);

	hdr(&r, REC_UNLINK, t++, 0);
	r.unlink.dfd = 5, r.unlink.flags = 0x200, r.unlink.ret = 0, r.unlink.path_len = 3;
	memcpy(r.unlink.path, "dir", 3);
	assert_int_equal(emit(&f, &r, offsetof(struct rec_unlink, path) + 3), 0);

	hdr(&r, REC_RENAME, t++, sizeof(r.rename));
	r.rename.olddfd = 1, r.rename.newdfd = 2, r.rename.flags = 1, r.rename.ret = -17;
	r.rename.oldpath_len = 1, r.rename.newpath_len = 2;
	memcpy(r.rename.data, "a", 1);
	memcpy(r.rename.data + REC_PATH_MAX, "bb", 2);
	assert_int_equal(emit(&f, &r, sizeof(r.rename)), 0);

	hdr(&r, REC_MKDIR, t++, 0);
	r.mknod.dfd = -100, r.mknod.mode = 0755, r.mknod.dev = 77, r.mknod.ret = 0;
	r.mknod.path_len = 1;
	r.mknod.path[0] = 'd';
	assert_int_equal(emit(&f, &r, offsetof(struct rec_mknod, path) + 1), 0);

	hdr(&r, REC_MKNOD, t++, 0);
	r.mknod.dfd = -100, r.mknod.mode = 010644, r.mknod.dev = 0x0103, r.mknod.ret = -1;
	r.mknod.path_len = 4;
	memcpy(r.mknod.path, "fifo", 4);
	assert_int_equal(emit(&f, &r, offsetof(struct rec_mknod, path) + 4), 0);

	hdr(&r, REC_LINK, t++, sizeof(r.rename));
	r.rename.olddfd = 3, r.rename.newdfd = 4, r.rename.flags = 0x400, r.rename.ret = 0;
	r.rename.oldpath_len = 3, r.rename.newpath_len = 3;
	memcpy(r.rename.data, "old", 3);
	memcpy(r.rename.data + REC_PATH_MAX, "new", 3);
	assert_int_equal(emit(&f, &r, sizeof(r.rename)), 0);

	hdr(&r, REC_SYMLINK, t++, sizeof(r.rename));
	r.rename.olddfd = 99, r.rename.newdfd = -100, r.rename.ret = 0;
	r.rename.oldpath_len = 6, r.rename.newpath_len = 4;
	memcpy(r.rename.data, "target", 6);
	memcpy(r.rename.data + REC_PATH_MAX, "link", 4);
	assert_int_equal(emit(&f, &r, sizeof(r.rename)), 0);

	hdr(&r, REC_READ, t++, sizeof(r.rw));
	r.rw.fd = 0, r.rw.count = 1ull << 40, r.rw.ret = -11;
	assert_int_equal(emit(&f, &r, sizeof(r.rw)), 0);
	hdr(&r, REC_WRITE, t++, sizeof(r.rw));
	r.rw.fd = 1, r.rw.count = 5, r.rw.ret = 5;
	assert_int_equal(emit(&f, &r, sizeof(r.rw)), 0);

	hdr(&r, REC_CONNECT, t++, sizeof(r.sock));
	r.sock.fd = 6, r.sock.ret = -111, r.sock.addr_len = sizeof(sin);
	memcpy(r.sock.addr, sin, sizeof(sin));
	assert_int_equal(emit(&f, &r, sizeof(r.sock)), 0);
	r.hdr.kind = REC_ACCEPT, r.hdr.ts = t++, r.sock.ret = 8;
	assert_int_equal(emit(&f, &r, sizeof(r.sock)), 0);
	r.hdr.kind = REC_BIND, r.hdr.ts = t++, r.sock.ret = 0;
	assert_int_equal(emit(&f, &r, sizeof(r.sock)), 0);

	hdr(&r, REC_TCP_STATE, t++, sizeof(r.tcp));
	r.tcp.oldstate = 2, r.tcp.newstate = 1, r.tcp.saddr_len = 16, r.tcp.daddr_len = 16;
	memcpy(r.tcp.saddr, sin, 16);
	memcpy(r.tcp.daddr, sin, 16);
	r.tcp.daddr[7] = 9;
	assert_int_equal(emit(&f, &r, sizeof(r.tcp)), 0);

	hdr(&r, REC_SYSCALL, t++, sizeof(r.sys));
	r.sys.nr = 257;
	for (int i = 0; i < 6; i++)
		r.sys.args[i] = 0x1000 + i;
	r.sys.ret = -13, r.sys.latency = 12345;
	assert_int_equal(emit(&f, &r, sizeof(r.sys)), 0);

	hdr(&r, REC_SCHED_SWITCH, t++, sizeof(r.sw));
	r.sw.prev_pid = 10, r.sw.next_pid = 0, r.sw.prev_state = 0x2;
	memset(r.sw.prev_comm, 0, REC_COMM_LEN);
	strcpy(r.sw.prev_comm, "kworker/0:1");
	memcpy(r.sw.next_comm, "0123456789abcdef", REC_COMM_LEN); /* no NUL */
	assert_int_equal(emit(&f, &r, sizeof(r.sw)), 0);

	hdr(&r, REC_SIGNAL, t++, sizeof(r.sig));
	r.sig.sig = 15, r.sig.target_pid = 5000, r.sig.code = 0, r.sig.ret = REC_SIG_IGNORED;
	assert_int_equal(emit(&f, &r, sizeof(r.sig)), 0);

	assert_int_equal(tape_writer__events(f.w), t - 1000);
	fx_read(&f);
	t = 1000;
	{
		const struct tape_event *ev = next(&f, "fork", t++);

		expect_u(ev, "parent_pid", 4242);
		expect_u(ev, "child_pid", 5000);
		expect_u(ev, "child_tid", 5001);
		ev = next(&f, "exec", t++);
		expect_str(ev, "filename", "/bin/ls");
		expect_b(ev, "argv", argv, sizeof(argv) - 1);
		expect_s(ev, "ret", -2);
		expect_u(ev, "truncated", REC_EXEC_TRUNC_ARGV);
		/* no container cache: the container is left unknown */
		expect_str(ev, "cgroup", "");
		expect_str(ev, "container", "");
		expect_str(ev, "container_name", "");
		expect_str(ev, "runtime", "");
		expect_str(ev, "pod", "");
		ev = next(&f, "exit", t++);
		expect_s(ev, "code", 3);
		expect_s(ev, "signal", 9);
		ev = next(&f, "open", t++);
		expect_u(ev, "syscall", REC_OPEN_OPENAT);
		expect_s(ev, "dfd", -100);
		expect_str(ev, "path", "/tmp/out");
		expect_u(ev, "flags", O_CREAT | O_WRONLY);
		expect_u(ev, "mode", 0640);
		expect_s(ev, "ret", 7);
		ev = next(&f, "close", t++);
		expect_s(ev, "fd", 7);
		expect_s(ev, "ret", -9);
		ev = next(&f, "unlink", t++);
		expect_s(ev, "dfd", 5);
		expect_str(ev, "path", "dir");
		expect_u(ev, "flags", 0x200);
		expect_s(ev, "ret", 0);
		ev = next(&f, "rename", t++);
		expect_s(ev, "olddfd", 1);
		expect_str(ev, "oldpath", "a");
		expect_s(ev, "newdfd", 2);
		expect_str(ev, "newpath", "bb");
		expect_u(ev, "flags", 1);
		expect_s(ev, "ret", -17);
		ev = next(&f, "mkdir", t++);
		assert_int_equal(ev->tp->nfields, 4); /* no dev */
		expect_s(ev, "dfd", -100);
		expect_str(ev, "path", "d");
		expect_u(ev, "mode", 0755);
		expect_s(ev, "ret", 0);
		ev = next(&f, "mknod", t++);
		expect_str(ev, "path", "fifo");
		expect_u(ev, "mode", 010644);
		expect_u(ev, "dev", 0x0103);
		expect_s(ev, "ret", -1);
		ev = next(&f, "link", t++);
		expect_s(ev, "olddfd", 3);
		expect_str(ev, "oldpath", "old");
		expect_s(ev, "newdfd", 4);
		expect_str(ev, "newpath", "new");
		expect_u(ev, "flags", 0x400);
		ev = next(&f, "symlink", t++);
		expect_str(ev, "target", "target");
		expect_s(ev, "newdfd", -100);
		expect_str(ev, "linkpath", "link");
		expect_s(ev, "ret", 0);
		ev = next(&f, "read", t++);
		expect_s(ev, "fd", 0);
		expect_u(ev, "count", 1ull << 40);
		expect_s(ev, "ret", -11);
		ev = next(&f, "write", t++);
		expect_s(ev, "fd", 1);
		expect_s(ev, "ret", 5);
		ev = next(&f, "connect", t++);
		expect_s(ev, "fd", 6);
		expect_b(ev, "addr", sin, sizeof(sin));
		expect_s(ev, "ret", -111);
		ev = next(&f, "accept", t++);
		expect_s(ev, "ret", 8);
		ev = next(&f, "bind", t++);
		expect_b(ev, "addr", sin, sizeof(sin));
		expect_s(ev, "ret", 0);
		ev = next(&f, "tcp_state", t++);
		expect_u(ev, "oldstate", 2);
		expect_u(ev, "newstate", 1);
		expect_b(ev, "saddr", sin, 16);
		sin[7] = 9;
		expect_b(ev, "daddr", sin, 16);
		ev = next(&f, "syscall", t++);
		expect_u(ev, "nr", 257);
		expect_u(ev, "arg0", 0x1000);
		expect_u(ev, "arg5", 0x1005);
		expect_s(ev, "ret", -13);
		expect_u(ev, "latency", 12345);
		ev = next(&f, "sched_switch", t++);
		expect_u(ev, "prev_pid", 10);
		expect_str(ev, "prev_comm", "kworker/0:1");
		expect_u(ev, "prev_state", 2);
		expect_u(ev, "next_pid", 0);
		expect_str(ev, "next_comm", "0123456789abcdef");
		ev = next(&f, "signal", t++);
		expect_s(ev, "sig", 15);
		expect_u(ev, "target_pid", 5000);
		expect_s(ev, "code", 0);
		expect_s(ev, "ret", REC_SIG_IGNORED);
	}
	fx_end(&f);
}

/* A comm of 16 bytes without NUL keeps all 16; one with a NUL ends there. */
static void test_comm(void **state)
{
	struct fixture f;
	union rec r;
	const struct tape_event *ev;

	(void)state;
	fx_start(&f, NULL);
	hdr(&r, REC_CLOSE, 1, sizeof(r.close));
	memcpy(r.hdr.comm, "sixteen-bytes-xx", REC_COMM_LEN);
	assert_int_equal(emit(&f, &r, sizeof(r.close)), 0);
	fx_read(&f);
	assert_int_equal(tape_cursor__next(f.c, &ev), 1);
	assert_string_equal(ev->comm, "sixteen-bytes-xx");
	fx_end(&f);
}

/* ---- malformed and truncated records ---- */

static void bad(struct fixture *f, const union rec *r, size_t size, const char *what)
{
	uint64_t before = tape_writer__events(f->w);
	int rc = emit(f, r, size);

	if (rc != -EBADMSG)
		fail_msg("%s (%zu bytes): %d, expected -EBADMSG", what, size, rc);
	assert_int_equal(tape_writer__events(f->w), before);
}

static void test_malformed(void **state)
{
	static const struct {
		uint16_t kind;
		size_t size;
	} fixed[] = {
		{REC_FORK, sizeof(struct rec_fork)},
		{REC_EXIT, sizeof(struct rec_exit)},
		{REC_CLOSE, sizeof(struct rec_close)},
		{REC_RENAME, sizeof(struct rec_rename)},
		{REC_LINK, sizeof(struct rec_rename)},
		{REC_SYMLINK, sizeof(struct rec_rename)},
		{REC_READ, sizeof(struct rec_rw)},
		{REC_WRITE, sizeof(struct rec_rw)},
		{REC_CONNECT, sizeof(struct rec_sock)},
		{REC_ACCEPT, sizeof(struct rec_sock)},
		{REC_BIND, sizeof(struct rec_sock)},
		{REC_TCP_STATE, sizeof(struct rec_tcp_state)},
		{REC_SYSCALL, sizeof(struct rec_syscall)},
		{REC_SCHED_SWITCH, sizeof(struct rec_sched_switch)},
		{REC_SIGNAL, sizeof(struct rec_signal)},
	};
	static const struct {
		uint16_t kind;
		size_t off;	/* of the path */
		size_t len_off; /* of path_len */
	} paths[] = {
		{REC_OPEN, offsetof(struct rec_open, path), offsetof(struct rec_open, path_len)},
		{REC_UNLINK, offsetof(struct rec_unlink, path),
		 offsetof(struct rec_unlink, path_len)},
		{REC_MKDIR, offsetof(struct rec_mknod, path), offsetof(struct rec_mknod, path_len)},
		{REC_MKNOD, offsetof(struct rec_mknod, path), offsetof(struct rec_mknod, path_len)},
	};
	struct fixture f;
	union rec r;

	(void)state;
	fx_start(&f, NULL);
	/* the header itself */
	hdr(&r, REC_CLOSE, 1, 0);
	bad(&f, &r, 0, "empty");
	bad(&f, &r, sizeof(struct rec_hdr) - 1, "short header");
	hdr(&r, 32, 1, 0);
	bad(&f, &r, sizeof(r.close), "kind 32");
	hdr(&r, 0xffff, 1, 0);
	bad(&f, &r, sizeof(r.close), "kind 65535");

	/* fixed-size records one byte short, and down to the bare header */
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		hdr(&r, fixed[i].kind, 1, fixed[i].size);
		bad(&f, &r, fixed[i].size - 1, "fixed record one byte short");
		bad(&f, &r, sizeof(struct rec_hdr), "fixed record, header only");
	}

	/* single-path records: short of the path, path_len past the record
	 * or past REC_PATH_MAX */
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		size_t off = paths[i].off;
		uint16_t *len = (uint16_t *)(r.bytes + paths[i].len_off);

		hdr(&r, paths[i].kind, 1, 0);
		bad(&f, &r, off - 1, "short of the path");
		*len = 10;
		bad(&f, &r, off + 9, "path_len past the record");
		*len = REC_PATH_MAX + 1;
		bad(&f, &r, sizeof(r.bytes), "path_len past REC_PATH_MAX");
		/* ...and the same record with a consistent length passes */
		*len = 10;
		assert_int_equal(emit(&f, &r, off + 10), 0);
	}

	/* exec: short of its data, or lengths past what it holds */
	hdr(&r, REC_EXEC, 1, 0);
	bad(&f, &r, offsetof(struct rec_exec, data) - 1, "exec short of data");
	r.exec.filename_len = 5, r.exec.argv_len = 6;
	bad(&f, &r, offsetof(struct rec_exec, data) + 10, "exec lengths past the record");
	r.exec.filename_len = 0xffff, r.exec.argv_len = 0xffff;
	bad(&f, &r, sizeof(r.exec), "exec lengths past the buffer");
	r.exec.filename_len = 5, r.exec.argv_len = 5;
	assert_int_equal(emit(&f, &r, offsetof(struct rec_exec, data) + 10), 0);

	/* the five good records above, nothing else */
	assert_int_equal(tape_writer__events(f.w), 5);
	fx_read(&f);
	for (int i = 0; i < 5; i++) {
		const struct tape_event *ev;

		assert_int_equal(tape_cursor__next(f.c, &ev), 1);
	}
	fx_end(&f);
}

/* Lengths a record claims beyond its arrays are clamped to the arrays. */
static void test_clamped_lengths(void **state)
{
	struct fixture f;
	union rec r;
	const struct tape_event *ev;
	const void *p;
	uint32_t n;

	(void)state;
	fx_start(&f, NULL);
	hdr(&r, REC_RENAME, 1, sizeof(r.rename));
	r.rename.oldpath_len = 0xffff, r.rename.newpath_len = REC_PATH_MAX + 1;
	assert_int_equal(emit(&f, &r, sizeof(r.rename)), 0);
	hdr(&r, REC_SYMLINK, 2, sizeof(r.rename));
	r.rename.oldpath_len = 0xffff, r.rename.newpath_len = 0xffff;
	assert_int_equal(emit(&f, &r, sizeof(r.rename)), 0);
	hdr(&r, REC_CONNECT, 3, sizeof(r.sock));
	r.sock.addr_len = 100000;
	assert_int_equal(emit(&f, &r, sizeof(r.sock)), 0);
	hdr(&r, REC_TCP_STATE, 4, sizeof(r.tcp));
	r.tcp.saddr_len = 255, r.tcp.daddr_len = 29;
	assert_int_equal(emit(&f, &r, sizeof(r.tcp)), 0);
	fx_read(&f);

	ev = next(&f, "rename", 1);
	assert_int_equal(tape_event__bytes_by_name(ev, "oldpath", &p, &n), 0);
	assert_int_equal(n, REC_PATH_MAX);
	assert_int_equal(tape_event__bytes_by_name(ev, "newpath", &p, &n), 0);
	assert_int_equal(n, REC_PATH_MAX);
	ev = next(&f, "symlink", 2);
	assert_int_equal(tape_event__bytes_by_name(ev, "target", &p, &n), 0);
	assert_int_equal(n, REC_PATH_MAX);
	assert_int_equal(tape_event__bytes_by_name(ev, "linkpath", &p, &n), 0);
	assert_int_equal(n, REC_PATH_MAX);
	ev = next(&f, "connect", 3);
	assert_int_equal(tape_event__bytes_by_name(ev, "addr", &p, &n), 0);
	assert_int_equal(n, REC_ADDR_MAX);
	ev = next(&f, "tcp_state", 4);
	assert_int_equal(tape_event__bytes_by_name(ev, "saddr", &p, &n), 0);
	assert_int_equal(n, 28);
	assert_int_equal(tape_event__bytes_by_name(ev, "daddr", &p, &n), 0);
	assert_int_equal(n, 28);
	fx_end(&f);
}

/* Kinds not selected, and kinds that are no built-in, are skipped: 0 and
 * nothing written. */
static void test_selection(void **state)
{
	uint32_t want[FAMILY_MAX] = {0};
	struct fixture f;
	union rec r;
	const struct tape_event *ev;

	(void)state;
	assert_int_equal(builtin__select("open", want), 0);
	assert_int_equal(builtin__select("proc", want), 0);
	assert_int_equal(builtin__select("nosuch", want), -ENOENT);
	assert_int_equal(want[FAMILY_FILE], WANT_OPEN);
	assert_int_equal(want[FAMILY_PROC], WANT_FORK | WANT_EXEC | WANT_EXIT);
	assert_int_equal(want[FAMILY_NET] | want[FAMILY_SYSCALL] | want[FAMILY_SCHED], 0);
	assert_string_equal(record_family__name(FAMILY_SCHED), "sched");
	assert_string_equal(record_family__name(FAMILY_MAX), "?");

	fx_start(&f, want);
	assert_int_equal(f.ids.id[REC_CLOSE], 0);
	assert_true(f.ids.id[REC_OPEN] > 0 && f.ids.id[REC_EXIT] > 0);
	hdr(&r, REC_CLOSE, 1, sizeof(r.close));
	assert_int_equal(emit(&f, &r, sizeof(r.close)), 0);
	/* a record of an unselected kind is not even checked for size */
	assert_int_equal(emit(&f, &r, sizeof(struct rec_hdr)), 0);
	hdr(&r, 0, 2, sizeof(r.close));
	assert_int_equal(emit(&f, &r, sizeof(r.close)), 0);
	hdr(&r, REC_GENERIC, 3, sizeof(r.close));
	assert_int_equal(emit(&f, &r, sizeof(r.close)), 0);
	f.ids.id[REC_GENERIC] = f.ids.id[REC_EXIT]; /* no built-in decodes it */
	assert_int_equal(emit(&f, &r, sizeof(r.close)), 0);
	assert_int_equal(tape_writer__events(f.w), 0);
	hdr(&r, REC_EXIT, 4, sizeof(r.exit));
	r.exit.code = 1, r.exit.signal = 0;
	assert_int_equal(emit(&f, &r, sizeof(r.exit)), 0);
	fx_read(&f);
	assert_null(tape_reader__type_by_name(f.r, "close"));
	assert_non_null(tape_reader__type_by_name(f.r, "fork"));
	ev = next(&f, "exit", 4);
	expect_s(ev, "code", 1);
	fx_end(&f);
}

/* The schema every selected type gets: names and kinds of docs/EVENTS.md. */
static void test_types(void **state)
{
	size_t n;
	const struct record_builtin *b = builtin__table(&n);
	struct fixture f;

	(void)state;
	assert_int_equal(n, 20);
	fx_start(&f, NULL);
	for (size_t i = 0; i < n; i++)
		assert_true(f.ids.id[b[i].kind] > 0);
	fx_read(&f);
	for (size_t i = 0; i < n; i++) {
		const struct tape_type *t = tape_reader__type_by_name(f.r, b[i].name);

		assert_non_null(t);
		assert_int_equal(t->id, f.ids.id[b[i].kind]);
		assert_int_equal(t->nfields, b[i].type->nfields);
	}
	/* the syscall enum carries this machine's names */
	{
		const struct tape_type *t = tape_reader__type_by_name(f.r, "syscall");
		const struct tape_enum *e = t->fields[0].enumeration;
		bool openat = false;

		assert_non_null(e);
		for (uint32_t i = 0; i < e->count; i++)
			openat |= e->values[i] == 257 && !strcmp(e->names[i], "openat");
		assert_true(openat);
	}
	fx_end(&f);
}

/* With a container cache, an exec names the cgroup its id stands for: our
 * own cgroup, resolved from its id (or, without the privilege to open a
 * cgroup by its id, from the process) as the recorder resolves it. */
static void test_exec_cgroup(void **state)
{
	char line[4096], mnt[4096] = "", dir[8300];
	struct mntent *me;
	struct stat st;
	struct fixture f;
	union rec r;
	const struct tape_event *ev;
	const char *cg = NULL;
	FILE *fp;

	(void)state;
	fp = setmntent("/proc/self/mounts", "r");
	assert_non_null(fp);
	while ((me = getmntent(fp)))
		if (!strcmp(me->mnt_type, "cgroup2")) {
			snprintf(mnt, sizeof(mnt), "%s", me->mnt_dir);
			break;
		}
	endmntent(fp);
	fp = fopen("/proc/self/cgroup", "r");
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp))
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = 0;
			cg = line + 3;
			break;
		}
	fclose(fp);
	if (!mnt[0] || !cg) {
		print_message("no cgroup2 mount or no v2 line in /proc/self/cgroup: skipped\n");
		skip();
	}
	snprintf(dir, sizeof(dir), "%s%s", mnt, cg);
	assert_int_equal(stat(dir, &st), 0);

	fx_start(&f, NULL);
	f.ids.ctr = ctr_cache__new();
	assert_non_null(f.ids.ctr);
	hdr(&r, REC_EXEC, 1, 0);
	r.hdr.pid = getpid();
	r.exec.ret = 0, r.exec.filename_len = 1, r.exec.argv_len = 0, r.exec.truncated = 0;
	r.exec.cgroup_id = st.st_ino;
	r.exec.data[0] = 'x';
	assert_int_equal(emit(&f, &r, offsetof(struct rec_exec, data) + 1), 0);
	fx_read(&f);
	assert_int_equal(tape_cursor__next(f.c, &ev), 1);
	expect_str(ev, "cgroup", cg);
	ctr_cache__free(f.ids.ctr);
	fx_end(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_kind),  cmocka_unit_test(test_comm),
		cmocka_unit_test(test_malformed),   cmocka_unit_test(test_clamped_lengths),
		cmocka_unit_test(test_selection),   cmocka_unit_test(test_types),
		cmocka_unit_test(test_exec_cgroup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
