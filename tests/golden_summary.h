/* SPDX-License-Identifier: MIT */
/*
 * The golden summary tape (tests/golden/summary-basic.tape): content whose
 * every figure in `bpftape summary` is known by hand, written with the
 * types of golden_gen.h.  tests/gen_golden.c writes the file;
 * tests/test_summary.c regenerates it in memory and checks that the
 * checked-in file did not drift; tests/test_summary.sh checks the report.
 *
 * What it holds (times from the first event):
 *   - bash (100, in the snapshot) forks worker 300 at 0 s, which execs
 *     "worker --fast" at 1 ms;
 *   - worker, on threads 300 and 301: 100 read syscalls at 10 ms + i*10 ms
 *     (i = 1..100) of latency i us, those with i a multiple of 10 failing
 *     with EAGAIN; 20 write syscalls of 5 us at 1.1 s + i ms; opens of
 *     /etc/hosts (5, fd 3), /nonexistent (3, ENOENT), /etc/shadow (1,
 *     EACCES, thread 301);
 *   - worker forks helper 302 at 1.2 s, which execs "helper -v", connects
 *     to 10.0.0.1:80 three times (two ok, one ECONNREFUSED) and to
 *     [::1]:443 once (EINPROGRESS), makes 3 close syscalls of 50 ns and
 *     exits at 1.5 s; worker exits at 1.9 s;
 *   - losses: 10 events on cpu 0 (0.5 s..0.6 s), 5 on cpu 1 (at 1.3 s).
 *
 * Chunks are cut every second of event time: the reads span the first cut.
 */
#ifndef BPFTAPE_GOLDEN_SUMMARY_H
#define BPFTAPE_GOLDEN_SUMMARY_H

#include "golden_gen.h"

static inline void golden_connect(struct golden_ctx *g, uint64_t t, uint32_t pid, const char *comm,
				  const void *addr, size_t len, int32_t ret)
{
	union tape_value v[] = {GV_S(5), GV_B(addr, len), GV_S(ret)};

	golden_ev(g, t, 0, pid, pid, comm, G_CONNECT, v);
}

static inline int golden_write_summary(struct tape_writer *w)
{
	static const char bash_argv[] = "bash\0-l";
	static const char worker_argv[] = "worker\0--fast";
	static const char helper_argv[] = "helper\0-v";
	struct tape_proc procs[] = {
		{1, 0, 0, 1000, "systemd", "/usr/lib/systemd/systemd", "/sbin/init", 11, "/"},
		{100, 1, 1000, 500000000, "bash", "/usr/bin/bash", bash_argv, sizeof(bash_argv),
		 GOLDEN_CGROUP},
	};
	struct tape_loss loss0 = {0, 10, GOLDEN_BOOT_TS + 500000000, GOLDEN_BOOT_TS + 600000000};
	struct tape_loss loss1 = {1, 5, GOLDEN_BOOT_TS + 1300000000, GOLDEN_BOOT_TS + 1300000000};
	struct golden_ctx g = {.w = w};
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(80)};
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_port = htons(443)};
	uint64_t t;
	int rc;

	inet_pton(AF_INET, "10.0.0.1", &sin.sin_addr);
	inet_pton(AF_INET6, "::1", &sin6.sin6_addr);
	if ((rc = tape_writer__set_meta(w, "host.name", "golden-summary")) ||
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
		union tape_value v[] = {GV_U(100), GV_U(300), GV_U(300)};

		golden_ev(&g, 0, 0, 100, 100, "bash", G_FORK, v);
	}
	{
		union tape_value v[] = {GV_B("/usr/bin/worker", 15),
					GV_B(worker_argv, sizeof(worker_argv)), GV_S(0)};

		golden_ev(&g, 1000000, 0, 300, 300, "worker", G_EXEC, v);
	}
	for (int i = 1; i <= 100; i++) {
		uint32_t tid = i % 2 ? 300 : 301;

		golden_syscall(&g, 10000000ULL + (uint64_t)i * 10000000ULL, (uint16_t)(i % 2), 300,
			       tid, "worker", 0, 3, i % 10 ? 100 : -EAGAIN, (uint64_t)i * 1000);
	}
	if (!g.err)
		g.err = tape_writer__add_loss(w, &loss0);
	for (int i = 1; i <= 20; i++)
		golden_syscall(&g, 1100000000ULL + (uint64_t)i * 1000000ULL, 0, 300, 300, "worker",
			       1, 1, 10, 5000);
	t = 1130000000ULL;
	for (int i = 0; i < 5; i++)
		golden_open(&g, t += 1000000, 0, 300, 300, "worker", "/etc/hosts", 0, 0, 3);
	for (int i = 0; i < 3; i++)
		golden_open(&g, t += 1000000, 0, 300, 300, "worker", "/nonexistent", 0, 0, -ENOENT);
	golden_open(&g, t += 1000000, 1, 300, 301, "worker", "/etc/shadow", 0, 0, -EACCES);
	{
		union tape_value v[] = {GV_U(300), GV_U(302), GV_U(302)};

		golden_ev(&g, 1200000000ULL, 0, 300, 300, "worker", G_FORK, v);
	}
	{
		union tape_value v[] = {GV_B("/usr/bin/helper", 15),
					GV_B(helper_argv, sizeof(helper_argv)), GV_S(0)};

		golden_ev(&g, 1201000000ULL, 1, 302, 302, "helper", G_EXEC, v);
	}
	golden_connect(&g, 1210000000ULL, 302, "helper", &sin, sizeof(sin), 0);
	golden_connect(&g, 1220000000ULL, 302, "helper", &sin, sizeof(sin), -ECONNREFUSED);
	golden_connect(&g, 1230000000ULL, 302, "helper", &sin, sizeof(sin), 0);
	golden_connect(&g, 1240000000ULL, 302, "helper", &sin6, sizeof(sin6), -EINPROGRESS);
	if (!g.err)
		g.err = tape_writer__add_loss(w, &loss1);
	for (int i = 0; i < 3; i++)
		golden_syscall(&g, 1400000000ULL + (uint64_t)i * 1000000ULL, 1, 302, 302, "helper",
			       3, 5, 0, 50);
	{
		union tape_value v[] = {GV_S(0), GV_S(0)};

		golden_ev(&g, 1500000000ULL, 1, 302, 302, "helper", G_EXIT, v);
		golden_ev(&g, 1900000000ULL, 0, 300, 300, "worker", G_EXIT, v);
	}
	if (g.err)
		return g.err;
	return tape_writer__finish(w);
}

/* Write the summary golden tape into memory.  0 or -errno; @m->data is
 * malloc'ed. */
static inline int golden_summary_mem(struct golden_mem *m)
{
	return golden_write_mem(m, golden_write_summary);
}

#endif
