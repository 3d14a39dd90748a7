/* SPDX-License-Identifier: MIT */
/*
 * A deterministic tape for the query tests, docs/QUERIES.md and the query
 * benchmark, written with the format library's writer using the built-in
 * types of docs/EVENTS.md.
 *
 * The story: host "golden", booted 1000 s before the tape starts.  bash
 * (pid 100) runs `make -j2` (pid 1000), which runs two compilers (1001,
 * 1002); 1002 fails.  sshd (200) connects out every 250 ms, sometimes
 * refused.  Every process issues syscalls with latencies, reads and opens
 * files.  @filler extra open/syscall events spread over the ten seconds give
 * the tape many chunks (one per 100 ms).
 */
#ifndef BPFTAPE_QUERY_GOLDEN_H
#define BPFTAPE_QUERY_GOLDEN_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <bpftape/tape.h>
#include "private/block.h"
#include "private/symtab.h"

#define QG_BOOT_TS 1000000000000ull /* the first event: 1000 s after boot */
#define QG_RT_OFF  1699999000000000000ll
#define QG_SEC	   1000000000ull

static const uint64_t qg_open_sys_v[] = {0, 1, 2};
static const char *const qg_open_sys_n[] = {"open", "openat", "openat2"};
static const struct tape_enum qg_open_sys = {"open_syscall", 3, qg_open_sys_v, qg_open_sys_n};

static const uint64_t qg_oflags_v[] = {0, 01, 02, 0100, 01000, 02000, 02000000};
static const char *const qg_oflags_n[] = {"O_RDONLY", "O_WRONLY", "O_RDWR",   "O_CREAT",
					  "O_TRUNC",  "O_APPEND", "O_CLOEXEC"};
static const struct tape_enum qg_oflags = {"open_flags", 7, qg_oflags_v, qg_oflags_n};

static const uint64_t qg_sig_v[] = {0, 2, 9, 11, 15};
static const char *const qg_sig_n[] = {"0", "SIGINT", "SIGKILL", "SIGSEGV", "SIGTERM"};
static const struct tape_enum qg_sig = {"signal", 5, qg_sig_v, qg_sig_n};

static const uint64_t qg_nr_v[] = {0, 1, 3, 7, 257};
static const char *const qg_nr_n[] = {"read", "write", "close", "poll", "openat"};
static const struct tape_enum qg_nr = {"syscall", 5, qg_nr_v, qg_nr_n};

static const struct tape_field qg_fork_f[] = {
	{"parent_pid", TAPE_U32, 0, NULL},
	{"child_pid", TAPE_U32, 0, NULL},
	{"child_tid", TAPE_U32, 0, NULL},
};
static const struct tape_field qg_exec_f[] = {
	{"filename", TAPE_STR, 0, NULL},
	{"argv", TAPE_BYTES, TAPE_DISP_ARGV, NULL},
	{"ret", TAPE_S32, TAPE_DISP_ERRNO, NULL},
};
static const struct tape_field qg_exit_f[] = {
	{"code", TAPE_S32, 0, NULL},
	{"signal", TAPE_S32, TAPE_DISP_ENUM, &qg_sig},
};
static const struct tape_field qg_open_f[] = {
	{"syscall", TAPE_U16, TAPE_DISP_ENUM, &qg_open_sys},
	{"dfd", TAPE_S32, 0, NULL},
	{"path", TAPE_STR, 0, NULL},
	{"flags", TAPE_U32, TAPE_DISP_FLAGS, &qg_oflags},
	{"mode", TAPE_U32, TAPE_DISP_OCTAL, NULL},
	{"ret", TAPE_S32, TAPE_DISP_ERRNO, NULL},
};
static const struct tape_field qg_close_f[] = {
	{"fd", TAPE_S32, 0, NULL},
	{"ret", TAPE_S32, TAPE_DISP_ERRNO, NULL},
};
static const struct tape_field qg_read_f[] = {
	{"fd", TAPE_S32, 0, NULL},
	{"count", TAPE_U64, 0, NULL},
	{"ret", TAPE_S64, TAPE_DISP_ERRNO, NULL},
};
static const struct tape_field qg_connect_f[] = {
	{"fd", TAPE_S32, 0, NULL},
	{"addr", TAPE_BYTES, TAPE_DISP_SOCKADDR, NULL},
	{"ret", TAPE_S32, TAPE_DISP_ERRNO, NULL},
};
static const struct tape_field qg_syscall_f[] = {
	{"nr", TAPE_U32, TAPE_DISP_ENUM, &qg_nr},    {"arg0", TAPE_U64, TAPE_DISP_HEX, NULL},
	{"arg1", TAPE_U64, TAPE_DISP_HEX, NULL},     {"arg2", TAPE_U64, TAPE_DISP_HEX, NULL},
	{"arg3", TAPE_U64, TAPE_DISP_HEX, NULL},     {"arg4", TAPE_U64, TAPE_DISP_HEX, NULL},
	{"arg5", TAPE_U64, TAPE_DISP_HEX, NULL},     {"ret", TAPE_S64, TAPE_DISP_ERRNO, NULL},
	{"latency", TAPE_U64, TAPE_DISP_NSEC, NULL},
};

enum { QG_FORK, QG_EXEC, QG_EXIT, QG_OPEN, QG_CLOSE, QG_READ, QG_CONNECT, QG_SYSCALL, QG_NTYPES };

/*
 * Stacks of the story's opens (docs/QUERIES.md asks which code paths open
 * files): make reads its Makefile; the compilers open sources, headers
 * and the object through libc's open().  User frames are file offsets
 * named from the binary blocks below; kernel frames carry their names.
 */
enum { QG_STK_MAKEFILE, QG_STK_SOURCE, QG_STK_HEADER, QG_STK_OBJECT, QG_NSTACKS };

#define QG_MAKE 1
#define QG_CC	2
#define QG_LIBC 3
#define QG_K(sym, off)                                                                             \
	{                                                                                          \
		.symbol = (sym), .offset = (off), .kernel = 1                                      \
	}
#define QG_F(bin, addr)                                                                            \
	{                                                                                          \
		.address = (addr), .binary_id = (bin),                                             \
		.binary = (bin) == QG_MAKE ? "/usr/bin/make"                                       \
			  : (bin) == QG_CC ? "/usr/bin/cc"                                         \
					   : "/usr/lib/x86_64-linux-gnu/libc.so.6"                 \
	}

static const struct tape_frame qg_stk_makefile[] = {
	QG_K("do_sys_openat2", 0x1f3),
	QG_K("__x64_sys_openat", 0x55),
	QG_F(QG_LIBC, 0x1050),
	QG_F(QG_MAKE, 0x1123),
	QG_F(QG_MAKE, 0x1045),
	/* outside libc's symbols: [unknown] */
	QG_F(QG_LIBC, 0x9000),
};
static const struct tape_frame qg_stk_source[] = {
	QG_K("do_sys_openat2", 0x1f3), QG_K("__x64_sys_openat", 0x55),
	QG_F(QG_LIBC, 0x1050),	       QG_F(QG_CC, 0x1310),
	QG_F(QG_CC, 0x1240),	       QG_F(QG_CC, 0x1020),
};
static const struct tape_frame qg_stk_header[] = {
	QG_K("do_sys_openat2", 0x1f3), QG_K("__x64_sys_openat", 0x55),
	QG_F(QG_LIBC, 0x1050),	       QG_F(QG_CC, 0x1390),
	QG_F(QG_CC, 0x1260),	       QG_F(QG_CC, 0x1020),
};
/* unwinding stopped in libc: the frames after it are the frame-pointer
 * chain, not proven callers */
static const struct tape_frame qg_stk_object[] = {
	QG_K("do_sys_openat2", 0x1f3),
	QG_K("__x64_sys_openat", 0x55),
	{.address = 0x1050,
	 .binary_id = QG_LIBC,
	 .binary = "/usr/lib/x86_64-linux-gnu/libc.so.6",
	 .gap = 1},
	QG_F(QG_CC, 0x1420),
	QG_F(QG_CC, 0x1030),
};
#undef QG_K
#undef QG_F

struct qg {
	struct tape_writer *w;
	int ids[QG_NTYPES];
	uint32_t rng;
	int err;
	/* the tape's id of each stack: other hosts number them backwards,
	 * so that two tapes' ids clash with other frames behind them */
	uint32_t stack_ids[QG_NSTACKS];
	uint32_t stack; /* of the next event, 0: none */
};

/* The binary blocks that name the story's user frames. */
static int qg_binaries(struct tape_writer *w)
{
	static const struct symtab_seg seg = {
		.vaddr = 0x401000, .offset = 0x1000, .filesz = 0x8000, .flags = 5};
	static const uint8_t make_id[] = {0x6d, 0x61, 0x6b, 0x65, 0x01};
	static const uint8_t cc_id[] = {0xcc, 0x00, 0x11, 0x22, 0x33, 0x44};
	static const uint8_t libc_id[] = {0x1b, 0xc0, 0xde, 0x06};
	struct symtab_sym make_syms[] = {
		{.start = 0x401000, .size = 0x100, .name = "main", .bind = SYMTAB_GLOBAL},
		{.start = 0x401100, .size = 0x100, .name = "read_makefile", .bind = SYMTAB_GLOBAL},
	};
	struct symtab_sym cc_syms[] = {
		{.start = 0x401000, .size = 0x200, .name = "main", .bind = SYMTAB_GLOBAL},
		{.start = 0x401200, .size = 0x100, .name = "compile", .bind = SYMTAB_GLOBAL},
		{.start = 0x401300, .size = 0x80, .name = "open_source", .bind = SYMTAB_GLOBAL},
		{.start = 0x401380, .size = 0x80, .name = "find_include", .bind = SYMTAB_GLOBAL},
		{.start = 0x401400, .size = 0x80, .name = "write_object", .bind = SYMTAB_GLOBAL},
	};
	struct symtab_sym libc_syms[] = {
		{.start = 0x401000, .size = 0x100, .name = "__libc_open64", .bind = SYMTAB_GLOBAL},
	};
	const struct binary_desc d[] = {
		{QG_MAKE, "/usr/bin/make", make_id, sizeof(make_id), &seg, 1, SYMTAB_SRC_SYMTAB},
		{QG_CC, "/usr/bin/cc", cc_id, sizeof(cc_id), &seg, 1, SYMTAB_SRC_SYMTAB},
		{QG_LIBC, "/usr/lib/x86_64-linux-gnu/libc.so.6", libc_id, sizeof(libc_id), &seg, 1,
		 SYMTAB_SRC_DYNSYM},
	};
	struct symtab_sym *syms[] = {make_syms, cc_syms, libc_syms};
	const size_t nsyms[] = {2, 5, 1};
	struct buf body = {0};
	int ret = 0;

	for (int i = 0; i < 3 && !ret; i++) {
		body.len = 0;
		ret = tape__binary_encode(&body, &d[i], syms[i], nsyms[i]);
		ret = ret ?: tape__writer_add_binary(w, body.data, body.len);
	}
	free(body.data);
	return ret;
}

static int qg_stacks(struct qg *g, const char *host)
{
	static const struct {
		const struct tape_frame *f;
		size_t n;
	} stk[QG_NSTACKS] = {
		{qg_stk_makefile, sizeof(qg_stk_makefile) / sizeof(qg_stk_makefile[0])},
		{qg_stk_source, sizeof(qg_stk_source) / sizeof(qg_stk_source[0])},
		{qg_stk_header, sizeof(qg_stk_header) / sizeof(qg_stk_header[0])},
		{qg_stk_object, sizeof(qg_stk_object) / sizeof(qg_stk_object[0])},
	};
	int ret = qg_binaries(g->w);

	for (int k = 0; k < QG_NSTACKS && !ret; k++) {
		g->stack_ids[k] = strcmp(host, "golden") ? QG_NSTACKS - k : k + 1;
		ret = tape_writer__add_stack(g->w, g->stack_ids[k], stk[k].f, stk[k].n);
	}
	return ret;
}

static uint32_t qg_rand(struct qg *g)
{
	g->rng = g->rng * 1103515245u + 12345u;
	return g->rng >> 8;
}

static const char *qg_comm(uint32_t pid)
{
	switch (pid) {
	case 1:
		return "systemd";
	case 100:
		return "bash";
	case 200:
		return "sshd";
	case 1000:
		return "make";
	case 1001:
	case 1002:
		return "cc";
	default:
		return "worker";
	}
}

static void qg_emit(struct qg *g, int t, uint64_t ts, uint32_t pid, const union tape_value *v)
{
	struct tape_event ev = {
		.ts = ts,
		.pid = pid,
		.tid = pid,
		.cpu = pid % 2,
		.type = (uint16_t)g->ids[t],
		.comm = qg_comm(pid),
		.values = v,
		.stack_id = g->stack,
	};

	if (!g->err)
		g->err = tape_writer__append(g->w, &ev);
}

#define QG_U(x)                                                                                    \
	{                                                                                          \
		.u = (x)                                                                           \
	}
#define QG_S(x)                                                                                    \
	{                                                                                          \
		.s = (x)                                                                           \
	}
#define QG_B(p, n)                                                                                 \
	{                                                                                          \
		.b = {(p), (n) }                                                                   \
	}

static void qg_open(struct qg *g, uint64_t ts, uint32_t pid, const char *path, uint32_t flags,
		    int ret)
{
	union tape_value v[] = {QG_U(1),
				QG_S(-100),
				QG_B(path, (uint32_t)strlen(path)),
				QG_U(flags),
				QG_U(flags & 0100 ? 0644 : 0),
				QG_S(ret)};

	qg_emit(g, QG_OPEN, ts, pid, v);
}

/* An open of the story, through stack @k. */
static void qg_open_stk(struct qg *g, int k, uint64_t ts, uint32_t pid, const char *path,
			uint32_t flags, int ret)
{
	g->stack = g->stack_ids[k];
	qg_open(g, ts, pid, path, flags, ret);
	g->stack = 0;
}

static void qg_syscall(struct qg *g, uint64_t ts, uint32_t pid, uint32_t nr, int64_t ret,
		       uint64_t latency)
{
	union tape_value v[] = {QG_U(nr), QG_U(3), QG_U(0x7ffd0000), QG_U(4096),   QG_U(0),
				QG_U(0),  QG_U(0), QG_S(ret),	     QG_U(latency)};

	qg_emit(g, QG_SYSCALL, ts, pid, v);
}

static void qg_exec(struct qg *g, uint64_t ts, uint32_t pid, const char *file, const char *argv,
		    uint32_t argv_len)
{
	union tape_value v[] = {QG_B(file, (uint32_t)strlen(file)), QG_B(argv, argv_len), QG_S(0)};

	qg_emit(g, QG_EXEC, ts, pid, v);
}

static void qg_fork(struct qg *g, uint64_t ts, uint32_t parent, uint32_t child)
{
	union tape_value v[] = {QG_U(parent), QG_U(child), QG_U(child)};

	qg_emit(g, QG_FORK, ts, parent, v);
}

static void qg_exit(struct qg *g, uint64_t ts, uint32_t pid, int code, int sig)
{
	union tape_value v[] = {QG_S(code), QG_S(sig)};

	qg_emit(g, QG_EXIT, ts, pid, v);
}

static void qg_connect(struct qg *g, uint64_t ts, uint32_t pid, int family, const char *ip,
		       uint16_t port, int ret)
{
	struct sockaddr_in6 sa6 = {0};
	struct sockaddr_in sa = {0};
	union tape_value v[3] = {QG_S(5)};

	if (family == AF_INET) {
		sa.sin_family = AF_INET;
		sa.sin_port = htons(port);
		inet_pton(AF_INET, ip, &sa.sin_addr);
		v[1].b.ptr = &sa;
		v[1].b.len = sizeof(sa);
	} else {
		sa6.sin6_family = AF_INET6;
		sa6.sin6_port = htons(port);
		inet_pton(AF_INET6, ip, &sa6.sin6_addr);
		v[1].b.ptr = &sa6;
		v[1].b.len = sizeof(sa6);
	}
	v[2].s = ret;
	qg_emit(g, QG_CONNECT, ts, pid, v);
}

static void qg_read(struct qg *g, uint64_t ts, uint32_t pid, int fd, uint64_t count, int64_t ret)
{
	union tape_value v[] = {QG_S(fd), QG_U(count), QG_S(ret)};

	qg_emit(g, QG_READ, ts, pid, v);
}

static void qg_close(struct qg *g, uint64_t ts, uint32_t pid, int fd)
{
	union tape_value v[] = {QG_S(fd), QG_S(0)};

	qg_emit(g, QG_CLOSE, ts, pid, v);
}

/* The build: make forks two compilers which open sources and headers.
 * Emits the story's events of millisecond @ms, at its start (+5..+7 ns). */
static void qg_story(struct qg *g, uint64_t ms)
{
	static const char make_argv[] = "make\0-j2";
	static const char cc1_argv[] = "cc\0-c\0a.c";
	static const char cc2_argv[] = "cc\0-c\0b.c";
	uint64_t t = QG_BOOT_TS + ms * 1000000 + 5;

	switch (ms) {
	case 1000:
		qg_fork(g, t, 100, 1000);
		break;
	case 1001:
		qg_exec(g, t, 1000, "/usr/bin/make", make_argv, sizeof(make_argv));
		break;
	case 1002:
		qg_open_stk(g, QG_STK_MAKEFILE, t, 1000, "Makefile", 02000000, 3);
		qg_read(g, t + 1, 1000, 3, 4096, 812);
		qg_close(g, t + 2, 1000, 3);
		break;
	case 1003:
		qg_fork(g, t, 1000, 1001);
		qg_fork(g, t + 1, 1000, 1002);
		break;
	case 1004:
		qg_exec(g, t, 1001, "/usr/bin/cc", cc1_argv, sizeof(cc1_argv));
		qg_exec(g, t + 1, 1002, "/usr/bin/cc", cc2_argv, sizeof(cc2_argv));
		break;
	case 1005:
		qg_open_stk(g, QG_STK_SOURCE, t, 1001, "a.c", 0, 3);
		qg_open_stk(g, QG_STK_SOURCE, t + 1, 1002, "b.c", 0, 3);
		break;
	case 1006:
		qg_open_stk(g, QG_STK_HEADER, t, 1001, "/usr/include/stdio.h", 0, 4);
		qg_open_stk(g, QG_STK_HEADER, t + 1, 1002, "/usr/include/missing.h", 0, -ENOENT);
		qg_open_stk(g, QG_STK_HEADER, t + 2, 1002, "/usr/local/include/missing.h", 0,
			    -ENOENT);
		break;
	case 1007:
		qg_open_stk(g, QG_STK_OBJECT, t, 1001, "a.o", 01 | 0100 | 01000, 5);
		break;
	case 3000:
		qg_exit(g, t, 1002, 1, 0);
		break;
	case 4000:
		qg_exit(g, t, 1001, 0, 0);
		break;
	case 4001:
		qg_exit(g, t, 1000, 2, 0);
		break;
	}
}

/*
 * Write the golden tape to @path, recorded on @host ("golden"); @filler
 * extra events (0 for the small tape) spread over @seconds.  @chunk_ns:
 * chunk length (0: 100 ms).  @stacks: the story's opens carry stacks (a
 * benchmark of tapes recorded without -g goes without).  0 or -errno;
 * @err says why.
 */
static int qg_write_long(const char *path, const char *host, uint64_t filler, uint64_t chunk_ns,
			 unsigned seconds, bool stacks, char *err, size_t errlen)
{
	static const struct tape_type types[QG_NTYPES] = {
		{0, "fork", "", "", 3, qg_fork_f},	 {0, "exec", "", "", 3, qg_exec_f},
		{0, "exit", "", "", 2, qg_exit_f},	 {0, "open", "", "", 6, qg_open_f},
		{0, "close", "", "", 2, qg_close_f},	 {0, "read", "", "", 3, qg_read_f},
		{0, "connect", "", "", 3, qg_connect_f}, {0, "syscall", "", "", 9, qg_syscall_f},
	};
	static const char bash_argv[] = "-bash";
	static const char sshd_argv[] = "sshd\0-D";
	static const char init_argv[] = "/sbin/init";
	const struct tape_proc procs[] = {
		{1, 0, 0, QG_BOOT_TS - 999 * QG_SEC, "systemd", "/usr/lib/systemd/systemd",
		 init_argv, sizeof(init_argv), "/"},
		{100, 1, 1000, QG_BOOT_TS - 60 * QG_SEC, "bash", "/usr/bin/bash", bash_argv,
		 sizeof(bash_argv), "/user.slice"},
		{200, 1, 0, QG_BOOT_TS - 900 * QG_SEC, "sshd", "/usr/sbin/sshd", sshd_argv,
		 sizeof(sshd_argv), "/system.slice/ssh.service"},
	};
	struct tape_writer_opts wo = {
		.sz = sizeof(wo),
		.chunk_ns = chunk_ns ? chunk_ns : QG_SEC / 10,
		.chunk_bytes = 4u << 20,
	};
	struct qg g = {.rng = 42};
	char rt[32];
	int ret = 0;

	g.w = tape_writer__open(path, &wo);
	if (!g.w) {
		snprintf(err, errlen, "%.256s: %s", path, strerror(errno));
		return -errno;
	}
	snprintf(rt, sizeof(rt), "%lld", (long long)QG_RT_OFF);
	ret = ret ?: tape_writer__set_meta(g.w, "host.name", host);
	ret = ret ?: tape_writer__set_meta(g.w, "host.kernel", "6.18.0-golden");
	ret = ret ?: tape_writer__set_meta(g.w, "clock.boottime_to_realtime_ns", rt);
	for (int i = 0; i < QG_NTYPES && !ret; i++) {
		g.ids[i] = tape_writer__add_type(g.w, &types[i]);
		if (g.ids[i] < 0)
			ret = g.ids[i];
	}
	ret = ret ?: tape_writer__add_procs(g.w, procs, 3);
	if (stacks)
		ret = ret ?: qg_stacks(&g, host);
	if (ret)
		goto cleanup;

	/* Ten seconds; the story happens in the second second. */
	uint64_t nms = (uint64_t)seconds * 1000, nf = 0, per_ms = filler / nms + 1;

	for (uint64_t ms = 0; ms < nms && !g.err; ms++) {
		uint64_t ts = QG_BOOT_TS + ms * 1000000;

		qg_story(&g, ms);
		if (ms % 250 == 0) {
			static const char *const ips[] = {"10.0.0.1", "10.0.0.2", "::1"};
			static const uint16_t ports[] = {443, 80, 5432};
			int k = (int)((ms / 250) % 3);

			qg_connect(&g, ts + 10, 200, k == 2 ? AF_INET6 : AF_INET, ips[k], ports[k],
				   (ms / 250) % 5 == 4 ? -ECONNREFUSED : 0);
		}
		if (ms % 100 == 0)
			qg_syscall(&g, ts + 20, 1, 7, 0, 100000 + ms * 10);
		if (ms % 7 == 0) {
			uint32_t r = qg_rand(&g);

			qg_syscall(&g, ts + 30, 200, r % 2, (int64_t)(r % 512), 1000 + (r % 5000));
		}
		if (ms % 5 == 0) {
			uint32_t r = qg_rand(&g);

			qg_syscall(&g, ts + 40, 100, (r % 3) ? 0 : 3, 0, 500 + (r % 2000));
		}
		if (ms % 1000 == 500)
			qg_read(&g, ts + 50, 200, 5, 16384, ms % 2000 == 500 ? -EAGAIN : 1024);
		/* filler: worker processes 3000..3063 opening files */
		for (uint64_t k = 0; k < per_ms && nf < filler; k++, nf++) {
			uint32_t r = qg_rand(&g);
			uint64_t fts = ts + 100 + k * (900000 / per_ms);
			uint32_t pid = 3000 + r % 64;

			if (r & 1)
				qg_open(&g, fts, pid, "/var/lib/data.bin", 0,
					(r % 16 == 3) ? -EACCES : 7);
			else
				qg_syscall(&g, fts, pid, 257, 7, 1500 + r % 3000);
		}
		if (ms == 5000) {
			struct tape_loss l = {1, 42, ts, ts + 3000000};

			if (!g.err)
				g.err = tape_writer__add_loss(g.w, &l);
		}
	}
	ret = g.err;
	ret = ret ?: tape_writer__finish(g.w);
cleanup:
	if (ret)
		snprintf(err, errlen, "%.256s: %s", path, tape_writer__errmsg(g.w));
	tape_writer__free(g.w);
	return ret;
}

/* The golden tape: ten seconds. */
static inline int qg_write(const char *path, const char *host, uint64_t filler, uint64_t chunk_ns,
			   char *err, size_t errlen)
{
	return qg_write_long(path, host, filler, chunk_ns, 10, true, err, errlen);
}

#endif
