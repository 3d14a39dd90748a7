/* SPDX-License-Identifier: MIT */
/*
 * The golden replay tapes: known content written with the tape writer and
 * the built-in types of docs/EVENTS.md.  Shared by tests/gen_golden.c, which
 * writes tests/golden/replay-*.tape, and tests/test_replay.c, which
 * regenerates them in memory and checks the checked-in files did not drift.
 *
 * Everything is a pure function of the code: fixed timestamps, pids and
 * strings; no clock, no randomness.
 */
#ifndef BPFTAPE_GOLDEN_GEN_H
#define BPFTAPE_GOLDEN_GEN_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <bpftape/tape.h>

/* Values the redaction tests look for: none may survive --redact all. */
#define GOLDEN_HOST	   "golden-host.example.org"
#define GOLDEN_SECRET_PATH "/etc/secret-file"
#define GOLDEN_SECRET_ARG  "--password=hunter2"
#define GOLDEN_CGROUP	   "/user.slice/user-1000.slice/session-7.scope"
#define GOLDEN_BOOT_TS	   1000000000ULL /* first event, CLOCK_BOOTTIME ns */
#define GOLDEN_CLOCK_OFF   "1763740000000000000"

static const uint64_t golden_syscall_vals[] = {2, 257, 437};
static const char *const golden_syscall_names[] = {"open", "openat", "openat2"};
static const struct tape_enum golden_open_syscall = {"open_syscall", 3, golden_syscall_vals,
						     golden_syscall_names};

static const uint64_t golden_oflag_vals[] = {01,    02,	   0100,    0200,    01000,
					     02000, 04000, 0200000, 02000000};
static const char *const golden_oflag_names[] = {"O_WRONLY",   "O_RDWR",      "O_CREAT",
						 "O_EXCL",     "O_TRUNC",     "O_APPEND",
						 "O_NONBLOCK", "O_DIRECTORY", "O_CLOEXEC"};
static const struct tape_enum golden_open_flags = {"open_flags", 9, golden_oflag_vals,
						   golden_oflag_names};

static const uint64_t golden_sig_vals[] = {2, 9, 11, 15};
static const char *const golden_sig_names[] = {"SIGINT", "SIGKILL", "SIGSEGV", "SIGTERM"};
static const struct tape_enum golden_signal = {"signal", 4, golden_sig_vals, golden_sig_names};

static const uint64_t golden_nr_vals[] = {0, 1, 3, 257};
static const char *const golden_nr_names[] = {"read", "write", "close", "openat"};
static const struct tape_enum golden_nr = {"syscall", 4, golden_nr_vals, golden_nr_names};

static const struct tape_field golden_fork_f[] = {
	{"parent_pid", TAPE_U32, 0, NULL},
	{"child_pid", TAPE_U32, 0, NULL},
	{"child_tid", TAPE_U32, 0, NULL},
};
static const struct tape_field golden_exec_f[] = {
	{"filename", TAPE_STR, 0, NULL},
	{"argv", TAPE_BYTES, TAPE_DISP_ARGV, NULL},
	{"ret", TAPE_S32, TAPE_DISP_ERRNO, NULL},
};
static const struct tape_field golden_exit_f[] = {
	{"code", TAPE_S32, 0, NULL},
	{"signal", TAPE_S32, TAPE_DISP_ENUM, &golden_signal},
};
static const struct tape_field golden_open_f[] = {
	{"syscall", TAPE_U16, TAPE_DISP_ENUM, &golden_open_syscall},
	{"dfd", TAPE_S32, 0, NULL},
	{"path", TAPE_STR, 0, NULL},
	{"flags", TAPE_U32, TAPE_DISP_FLAGS, &golden_open_flags},
	{"mode", TAPE_U32, TAPE_DISP_OCTAL, NULL},
	{"ret", TAPE_S32, TAPE_DISP_ERRNO, NULL},
};
static const struct tape_field golden_close_f[] = {
	{"fd", TAPE_S32, 0, NULL},
	{"ret", TAPE_S32, TAPE_DISP_ERRNO, NULL},
};
static const struct tape_field golden_read_f[] = {
	{"fd", TAPE_S32, 0, NULL},
	{"count", TAPE_U64, 0, NULL},
	{"ret", TAPE_S64, TAPE_DISP_ERRNO, NULL},
};
static const struct tape_field golden_connect_f[] = {
	{"fd", TAPE_S32, 0, NULL},
	{"addr", TAPE_BYTES, TAPE_DISP_SOCKADDR, NULL},
	{"ret", TAPE_S32, TAPE_DISP_ERRNO, NULL},
};
static const struct tape_field golden_syscall_f[] = {
	{"nr", TAPE_U32, TAPE_DISP_ENUM, &golden_nr}, {"arg0", TAPE_U64, TAPE_DISP_HEX, NULL},
	{"arg1", TAPE_U64, TAPE_DISP_HEX, NULL},      {"arg2", TAPE_U64, TAPE_DISP_HEX, NULL},
	{"arg3", TAPE_U64, TAPE_DISP_HEX, NULL},      {"arg4", TAPE_U64, TAPE_DISP_HEX, NULL},
	{"arg5", TAPE_U64, TAPE_DISP_HEX, NULL},      {"ret", TAPE_S64, TAPE_DISP_ERRNO, NULL},
	{"latency", TAPE_U64, TAPE_DISP_NSEC, NULL},
};

#define GOLDEN_TYPE(n, src, f)                                                                     \
	{                                                                                          \
		0, n, src, "", sizeof(f) / sizeof(f[0]), f                                         \
	}

static const struct tape_type golden_types[] = {
	GOLDEN_TYPE("fork", "builtin:proc", golden_fork_f),
	GOLDEN_TYPE("exec", "builtin:proc", golden_exec_f),
	GOLDEN_TYPE("exit", "builtin:proc", golden_exit_f),
	GOLDEN_TYPE("open", "builtin:file", golden_open_f),
	GOLDEN_TYPE("close", "builtin:file", golden_close_f),
	GOLDEN_TYPE("read", "builtin:file", golden_read_f),
	GOLDEN_TYPE("connect", "builtin:net", golden_connect_f),
	GOLDEN_TYPE("syscall", "builtin:syscall", golden_syscall_f),
};

enum golden_type_idx {
	G_FORK,
	G_EXEC,
	G_EXIT,
	G_OPEN,
	G_CLOSE,
	G_READ,
	G_CONNECT,
	G_SYSCALL,
	G_NTYPES
};

/* Memory output for tape_writer__new(). */
struct golden_mem {
	char *data;
	size_t len, cap;
};

static inline int golden_mem_write(void *ctx, const void *buf, size_t len)
{
	struct golden_mem *m = ctx;

	if (m->len + len > m->cap) {
		size_t cap = m->cap ? m->cap : 4096;
		char *d;

		while (cap < m->len + len)
			cap *= 2;
		d = realloc(m->data, cap);
		if (!d)
			return -ENOMEM;
		m->data = d;
		m->cap = cap;
	}
	memcpy(m->data + m->len, buf, len);
	m->len += len;
	return 0;
}

static inline int golden_mem_truncate(void *ctx, uint64_t off)
{
	struct golden_mem *m = ctx;

	if (off < m->len)
		m->len = off;
	return 0;
}

struct golden_ctx {
	struct tape_writer *w;
	int ids[G_NTYPES];
	int err;
};

static inline void golden_ev(struct golden_ctx *g, uint64_t rel_ns, uint16_t cpu, uint32_t pid,
			     uint32_t tid, const char *comm, int type, const union tape_value *v)
{
	struct tape_event ev = {
		.ts = GOLDEN_BOOT_TS + rel_ns,
		.pid = pid,
		.tid = tid,
		.cpu = cpu,
		.type = (uint16_t)g->ids[type],
		.comm = comm,
		.values = v,
	};

	if (!g->err)
		g->err = tape_writer__append(g->w, &ev);
}

#define GV_U(x)                                                                                    \
	{                                                                                          \
		.u = (uint64_t)(x)                                                                 \
	}
#define GV_S(x)                                                                                    \
	{                                                                                          \
		.s = (int64_t)(x)                                                                  \
	}
#define GV_B(p, l)                                                                                 \
	{                                                                                          \
		.b = {(p), (uint32_t)(l) }                                                         \
	}

static inline void golden_open(struct golden_ctx *g, uint64_t t, uint16_t cpu, uint32_t pid,
			       uint32_t tid, const char *comm, const char *path, uint32_t flags,
			       uint32_t mode, int32_t ret)
{
	union tape_value v[] = {GV_U(257),   GV_S(-100), GV_B(path, strlen(path)),
				GV_U(flags), GV_U(mode), GV_S(ret)};

	golden_ev(g, t, cpu, pid, tid, comm, G_OPEN, v);
}

static inline void golden_syscall(struct golden_ctx *g, uint64_t t, uint16_t cpu, uint32_t pid,
				  uint32_t tid, const char *comm, uint32_t nr, uint64_t a0,
				  int64_t ret, uint64_t lat)
{
	union tape_value v[] = {GV_U(nr), GV_U(a0), GV_U(0),   GV_U(0),	 GV_U(0),
				GV_U(0),  GV_U(0),  GV_S(ret), GV_U(lat)};

	golden_ev(g, t, cpu, pid, tid, comm, G_SYSCALL, v);
}

/*
 * The "basic" tape: a shell (pid 100) forks 101, which execs cat on a secret
 * file, reads it and exits; nginx (pid 200, threads 200/201) connects and
 * opens files over three seconds; a loss on cpu 1; a process killed by
 * SIGKILL.  Chunks are cut every second of event time, so time predicates
 * can skip chunks.
 */
static inline int golden_write_basic(struct tape_writer *w)
{
	static const char bash_argv[] = "bash\0-l";
	static const char nginx_argv[] = "nginx\0-g\0daemon off;";
	static const char cat_argv[] = "cat\0" GOLDEN_SECRET_PATH "\0" GOLDEN_SECRET_ARG;
	static const char sleep_argv[] = "sleep\0"
					 "1000";
	struct tape_proc procs[] = {
		{1, 0, 0, 1000, "systemd", "/usr/lib/systemd/systemd", "/sbin/init", 11, "/"},
		{100, 1, 1000, 500000000, "bash", "/usr/bin/bash", bash_argv, sizeof(bash_argv),
		 GOLDEN_CGROUP},
		{200, 1, 33, 600000000, "nginx", "/usr/sbin/nginx", nginx_argv, sizeof(nginx_argv),
		 "/system.slice/nginx.service"},
	};
	struct golden_ctx g = {.w = w};
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(8080)};
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_port = htons(443)};
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct tape_loss loss = {1, 1234, GOLDEN_BOOT_TS + 3500000, GOLDEN_BOOT_TS + 4500000};
	int rc;

	inet_pton(AF_INET, "10.1.2.3", &sin.sin_addr);
	inet_pton(AF_INET6, "2001:db8::42", &sin6.sin6_addr);
	strcpy(sun.sun_path, "/run/secret.sock");

	if ((rc = tape_writer__set_meta(w, "host.name", GOLDEN_HOST)) ||
	    (rc = tape_writer__set_meta(w, "host.kernel", "6.18.0-golden")) ||
	    (rc = tape_writer__set_meta(w, "host.machine", "x86_64")) ||
	    (rc = tape_writer__set_meta(w, "host.ncpus", "2")) ||
	    (rc = tape_writer__set_meta(w, "recorder.version", "bpftape golden")) ||
	    (rc = tape_writer__set_meta(
		     w, "recorder.cmdline",
		     "bpftape record -o golden.tape -- cat " GOLDEN_SECRET_PATH)) ||
	    (rc = tape_writer__set_meta(w, "clock.boottime_to_realtime_ns", GOLDEN_CLOCK_OFF)))
		return rc;
	for (int i = 0; i < G_NTYPES; i++) {
		g.ids[i] = tape_writer__add_type(w, &golden_types[i]);
		if (g.ids[i] < 0)
			return g.ids[i];
	}
	if ((rc = tape_writer__add_procs(w, procs, sizeof(procs) / sizeof(procs[0]))))
		return rc;

	{
		union tape_value v[] = {GV_U(100), GV_U(101), GV_U(101)};

		golden_ev(&g, 0, 0, 100, 100, "bash", G_FORK, v);
	}
	{
		union tape_value v[] = {GV_B("/usr/bin/cat", 12), GV_B(cat_argv, sizeof(cat_argv)),
					GV_S(0)};

		golden_ev(&g, 1000000, 1, 101, 101, "cat", G_EXEC, v);
	}
	golden_open(&g, 2000000, 1, 101, 101, "cat", GOLDEN_SECRET_PATH, 02000000, 0, 3);
	{
		union tape_value v[] = {GV_S(3), GV_U(4096), GV_S(120)};

		golden_ev(&g, 3000000, 1, 101, 101, "cat", G_READ, v);
	}
	if (!g.err)
		g.err = tape_writer__add_loss(w, &loss);
	{
		union tape_value v[] = {GV_S(3), GV_S(0)};

		golden_ev(&g, 4000000, 1, 101, 101, "cat", G_CLOSE, v);
	}
	golden_open(&g, 5000000, 1, 101, 101, "cat", "/etc/missing.conf", 0, 0, -ENOENT);
	golden_syscall(&g, 5500000, 1, 101, 101, "cat", 0, 3, -EBADF, 1500);
	{
		union tape_value v[] = {GV_S(0), GV_S(0)};

		golden_ev(&g, 6000000, 1, 101, 101, "cat", G_EXIT, v);
	}
	{
		union tape_value v[] = {GV_S(5), GV_B(&sin, sizeof(sin)), GV_S(0)};

		golden_ev(&g, 500000000, 0, 200, 201, "nginx", G_CONNECT, v);
	}
	{
		union tape_value v[] = {GV_S(6), GV_B(&sin6, sizeof(sin6)), GV_S(-ECONNREFUSED)};

		golden_ev(&g, 600000000, 0, 200, 201, "nginx", G_CONNECT, v);
	}
	{
		union tape_value v[] = {GV_S(7),
					GV_B(&sun, offsetof(struct sockaddr_un, sun_path) +
							   strlen(sun.sun_path) + 1),
					GV_S(0)};

		golden_ev(&g, 700000000, 0, 200, 200, "nginx", G_CONNECT, v);
	}
	golden_syscall(&g, 1500000000, 0, 200, 200, "nginx", 257, 0xffffff9c, 8, 25000);
	golden_open(&g, 2500000000ULL, 0, 200, 200, "nginx", "/var/www/index.html",
		    0100 | 01 | 01000, 0644, 8);
	golden_open(&g, 2600000000ULL, 1, 200, 201, "nginx", "/var/www/missing.html", 0, 0,
		    -ENOENT);
	{
		union tape_value v[] = {GV_U(100), GV_U(102), GV_U(102)};

		golden_ev(&g, 2700000000ULL, 0, 100, 100, "bash", G_FORK, v);
	}
	{
		union tape_value v[] = {GV_B("/usr/bin/sleep", 14),
					GV_B(sleep_argv, sizeof(sleep_argv)), GV_S(0)};

		golden_ev(&g, 2700100000ULL, 0, 102, 102, "sleep", G_EXEC, v);
	}
	golden_syscall(&g, 3000000000ULL, 1, 102, 102, "sleep", 1, 1, 6, 800);
	{
		union tape_value v[] = {GV_S(0), GV_S(9)};

		golden_ev(&g, 3200000000ULL, 0, 102, 102, "sleep", G_EXIT, v);
	}
	if (g.err)
		return g.err;
	return tape_writer__finish(w);
}

/* Write a golden tape (@write's) into memory, in 1 s chunks.  0 or -errno;
 * @m->data is malloc'ed. */
static inline int golden_write_mem(struct golden_mem *m, int (*write)(struct tape_writer *))
{
	struct tape_io io = {golden_mem_write, golden_mem_truncate, m};
	struct tape_writer_opts opts = {
		.sz = sizeof(opts),
		.chunk_ns = 1000000000ULL,
	};
	struct tape_writer *w;
	int rc;

	memset(m, 0, sizeof(*m));
	w = tape_writer__new(&io, &opts);
	if (!w)
		return -errno;
	rc = write(w);
	tape_writer__free(w);
	return rc;
}

/* Write the basic golden tape into memory.  0 or -errno; @m->data is malloc'ed. */
static inline int golden_basic_mem(struct golden_mem *m)
{
	return golden_write_mem(m, golden_write_basic);
}

#endif
