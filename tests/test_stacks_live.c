// SPDX-License-Identifier: MIT
/*
 * Root test of `record -g` against perf, of kernel stacks that mean
 * something, and of binaries gone before their stacks were resolved.
 *
 * test_perf_agrees: tests/work_stacks (five nested functions of its own,
 * frame pointers, the innermost making the syscall itself) runs under
 * `perf record -g -e syscalls:sys_enter_openat`, itself run by `bpftape
 * record -g -e open`: the same opens, recorded twice in one run.  perf
 * script's frames and replay's are the same lines (`ADDRESS SYMBOL+0xOFF
 * (BINARY)`), so one parser reads both; for each of the workload's opens,
 * in order, the user frames are the same lines: address, symbol and
 * offset, binary, also where both say [unknown].  No alignment
 * is needed: perf takes its stack at syscall entry and bpftape at syscall
 * exit, but both walk from the user registers saved at entry, so the
 * innermost user frame of both is the instruction after the syscall.
 * Kernel frames are left out: perf's are the syscall entry path, and -e
 * open keeps none (docs/RECORDING.md).
 *
 * test_tcp_state: a loopback connect, accept and close (tests/work_connect):
 * each state change's kernel frames start at the function that fires the
 * tracepoint, and name the state machine's step that led there.
 *
 * test_tracepoint: tracepoint:sched:sched_process_fork, fired by
 * kernel_clone: its innermost kernel frame, then the fork syscall's entry.
 *
 * test_deleted_binary: the workload deletes its binary before its opens;
 * the recorder reads the symbols through /proc/PID/map_files.
 * test_gone_at_once: workloads that exit at once, some after deleting
 * their binary: each frame is the right function or [unknown], never
 * another name, and replay reads the tape clean.
 * test_deeper_than_limit: a stack of 300 frames keeps its 127 innermost.
 * test_stripped_binary: a binary without symbols has [unknown] frames.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/bpf.h>

#include <cmocka.h>

#include "stacktest.h"

static char perf[PATH_MAX];
static char perf_why[512]; /* why perf cannot be used here, or "" */

/* ---- perf script's and replay's text: events, each with its frames ---- */

struct frame {
	unsigned long long addr;
	char sym[256]; /* SYMBOL+0xOFF, or [unknown] */
	char bin[PATH_MAX];
	bool kernel;
};

struct event {
	char head[1024]; /* the event's line */
	struct frame *f;
	size_t n;
};

struct script {
	struct event *ev;
	size_t n;
};

/* Read @path: an event line, then one tab-indented line per frame,
 * `ADDRESS SYMBOL+0xOFF (BINARY)` (perf script -F ip,sym,symoff,dso, and
 * bpftape replay alike).  Keeps the events whose line has every word of
 * @want (space-separated, each matched as " WORD "). */
static void read_script(const char *path, const char *want, struct script *s)
{
	FILE *f = fopen(path, "r");
	char line[PATH_MAX + 512];
	struct event *cur = NULL;

	assert_non_null(f);
	memset(s, 0, sizeof(*s));
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (line[0] == '\t') {
			unsigned long long addr;
			struct frame *fr;
			char *open, *close;
			int used = 0;

			if (!cur)
				continue;
			cur->f = realloc(cur->f, (cur->n + 1) * sizeof(*cur->f));
			assert_non_null(cur->f);
			fr = &cur->f[cur->n++];
			memset(fr, 0, sizeof(*fr));
			if (sscanf(line, " %llx %255s %n", &addr, fr->sym, &used) != 2)
				fail_msg("%s: not a frame line: %s", path, line);
			open = line + used;
			close = strrchr(open, ')');
			if (*open != '(' || !close)
				fail_msg("%s: no (BINARY) on: %s", path, line);
			*close = 0;
			snprintf(fr->bin, sizeof(fr->bin), "%s", open + 1);
			fr->addr = addr;
			fr->kernel = !strcmp(fr->bin, "[kernel.kallsyms]");
			continue;
		}
		cur = NULL;
		if (!line[0])
			continue;
		{
			char words[256], padded[sizeof(line) + 2], *w, *save = NULL;
			bool all = true;

			snprintf(padded, sizeof(padded), " %s ", line);
			snprintf(words, sizeof(words), "%s", want);
			for (w = strtok_r(words, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
				char pat[300];

				snprintf(pat, sizeof(pat), " %s ", w);
				all &= strstr(padded, pat) != NULL;
			}
			if (!all)
				continue;
		}
		s->ev = realloc(s->ev, (s->n + 1) * sizeof(*s->ev));
		assert_non_null(s->ev);
		cur = &s->ev[s->n++];
		memset(cur, 0, sizeof(*cur));
		snprintf(cur->head, sizeof(cur->head), "%.1000s", line);
	}
	fclose(f);
}

static void free_script(struct script *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->ev[i].f);
	free(s->ev);
}

static bool named(const struct frame *f)
{
	return strcmp(f->sym, "[unknown]") != 0;
}

/* The symbol of @f without its +0xOFF. */
static const char *fn(const struct frame *f, char *buf, size_t len)
{
	snprintf(buf, len, "%s", f->sym);
	buf[strcspn(buf, "+")] = 0;
	return buf;
}

/* @ev's user frames only, into @u (at most @max). */
static size_t user_frames(const struct event *ev, const struct frame **u, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < ev->n && n < max; i++)
		if (!ev->f[i].kernel)
			u[n++] = &ev->f[i];
	return n;
}

/* ---- perf record -g beside record -g ---- */

/* Can perf record the tracepoint here?  "" if so, else why not. */
static void probe_perf(void)
{
	char data[PATH_MAX], err[PATH_MAX], line[256] = "";
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL;
	FILE *f;

	perf[0] = 0;
	copy = strdup(path ? path : "/usr/bin:/bin");
	for (dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		pathf(perf, "%s/perf", dir);
		if (!access(perf, X_OK))
			break;
		perf[0] = 0;
	}
	free(copy);
	if (!perf[0]) {
		snprintf(perf_why, sizeof(perf_why), "no perf in PATH (Debian: linux-perf)");
		return;
	}
	pathf(data, "%s/probe.perf.data", tmpdir);
	pathf(err, "%s/probe.perf.err", tmpdir);
	{
		char *argv[] = {
			perf, "record", "-q", "-g",	   "-e", "syscalls:sys_enter_openat",
			"-o", data,	"--", "/bin/true", NULL};

		if (run_io(argv, NULL, err) == 0) {
			unlink(data);
			return;
		}
	}
	f = fopen(err, "r");
	if (f) {
		if (fgets(line, sizeof(line), f))
			line[strcspn(line, "\n")] = 0;
		fclose(f);
	}
	snprintf(perf_why, sizeof(perf_why),
		 "perf record -g -e syscalls:sys_enter_openat fails here: %s", line);
}

static void test_perf_agrees(void **state)
{
	char bin[PATH_MAX], tape[PATH_MAX], data[PATH_MAX], marker[PATH_MAX];
	char ours_txt[PATH_MAX], perf_txt[PATH_MAX], cmd[4 * PATH_MAX], a[256], b[256];
	struct script ours, theirs;
	size_t marked = 0;

	(void)state;
	if (perf_why[0]) {
		printf("test_perf_agrees: skipped: %s\n", perf_why);
		skip();
	}
	pathf(bin, "%s/work_stacks", tmpdir);
	snprintf(cmd, sizeof(cmd), "cp %s/work_stacks %s", helpers, bin);
	pathf(tape, "%s/perf.tape", tmpdir);
	pathf(data, "%s/perf.data", tmpdir);
	pathf(marker, "%s/marker-perf", tmpdir);
	pathf(ours_txt, "%s/perf.replay", tmpdir);
	pathf(perf_txt, "%s/perf.script", tmpdir);
	close(open(marker, O_CREAT | O_WRONLY, 0644));
	/* perf on this kernel now and then records no sample at all of a
	 * tracepoint (perf alone too): that run proves nothing, try again */
	for (int attempt = 0;; attempt++) {
		char *rec[] = {bpftape, "record",
			       "-g",	"-e",
			       "open",	"-o",
			       tape,	"--",
			       perf,	"record",
			       "-q",	"-g",
			       "-e",	"syscalls:sys_enter_openat",
			       "-o",	data,
			       "--",	bin,
			       "5",	marker,
			       "1",	NULL};
		char *script[] = {
			perf, "script", "-i", data, "-F", "comm,pid,event,ip,sym,symoff,dso", NULL};

		assert_int_equal(system(cmd), 0);
		assert_int_equal(run(rec, NULL), 0);
		assert_int_equal(run(script, perf_txt), 0);
		read_script(perf_txt, "work_stacks syscalls:sys_enter_openat:", &theirs);
		if (theirs.n)
			break;
		free_script(&theirs);
		if (attempt == 4) {
			printf("test_perf_agrees: skipped: perf recorded none of the workload's "
			       "opens in 5 runs\n");
			skip();
		}
		sleep(1);
	}
	/* ours is read without the binary: the tape carries its symbols */
	assert_int_equal(unlink(bin), 0);
	{
		char *argv[] = {bpftape, "replay", tape, NULL};

		assert_int_equal(run(argv, ours_txt), 0);
	}
	read_script(ours_txt, "work_stacks open", &ours);
	/* the loader's opens, then the five marked ones */
	assert_true(theirs.n >= 5);
	if (ours.n != theirs.n)
		fail_msg("the workload's opens: %zu in the tape, %zu in perf.data", ours.n,
			 theirs.n);
	for (size_t e = 0; e < ours.n; e++) {
		const struct frame *u[128], *p[128];
		size_t nu = user_frames(&ours.ev[e], u, 128),
		       np = user_frames(&theirs.ev[e], p, 128);

		/* frame for frame: address, name and binary, unknown ones too */
		for (size_t i = 0; i < (nu > np ? nu : np); i++)
			if (i >= nu || i >= np || u[i]->addr != p[i]->addr ||
			    strcmp(u[i]->sym, p[i]->sym) || strcmp(u[i]->bin, p[i]->bin))
				fail_msg("open %zu (%s), user frame %zu: ours %llx %s (%s), perf's "
					 "%llx %s (%s)",
					 e, ours.ev[e].head, i, i < nu ? u[i]->addr : 0,
					 i < nu ? u[i]->sym : "none", i < nu ? u[i]->bin : "",
					 i < np ? p[i]->addr : 0, i < np ? p[i]->sym : "none",
					 i < np ? p[i]->bin : "");
		/* the marked opens: perf names the chain too, so the agreement
		 * above is over the workload's own functions */
		if (strstr(ours.ev[e].head, marker)) {
			assert_true(nu >= 6);
			for (int i = 0; i < 5; i++) {
				snprintf(b, sizeof(b), "stk_level%d", 5 - i);
				if (strcmp(fn(p[i], a, sizeof(a)), b))
					fail_msg("perf's frame %d of a marked open: %s, not %s", i,
						 p[i]->sym, b);
				assert_string_equal(p[i]->bin, bin);
			}
			assert_string_equal(fn(p[5], a, sizeof(a)), "main");
			marked++;
		}
	}
	assert_int_equal(marked, 5);
	free_script(&ours);
	free_script(&theirs);
}

/* ---- kernel stacks taken deep in the kernel ---- */

/* The index of the first kernel frame of @ev named @name, or -1. */
static int kframe(const struct event *ev, const char *name)
{
	char buf[256];

	for (size_t i = 0; i < ev->n; i++)
		if (ev->f[i].kernel && !strcmp(fn(&ev->f[i], buf, sizeof(buf)), name))
			return (int)i;
	return -1;
}

static void test_tcp_state(void **state)
{
	char tape[PATH_MAX], txt[PATH_MAX], work[PATH_MAX], buf[256];
	struct script s;
	int connect = 0, established = 0, closing = 0;

	(void)state;
	pathf(tape, "%s/tcp.tape", tmpdir);
	pathf(txt, "%s/tcp.replay", tmpdir);
	pathf(work, "%s/work_connect", helpers);
	{
		char *argv[] = {bpftape, "record", "-g", "-e", "tcp_state",
				"-o",	 tape,	   "--", work, NULL};

		assert_int_equal(run(argv, NULL), 0);
	}
	{
		char *argv[] = {bpftape, "replay", tape, NULL};

		assert_int_equal(run(argv, txt), 0);
	}
	read_script(txt, "work_connect tcp_state", &s);
	/* listen, connect, accept, close and the refused connect: a dozen,
	 * those of the softirq under this task (a busy machine may leave
	 * some to ksoftirqd, which is not recorded) and at least the five
	 * its syscalls make */
	assert_true(s.n >= 5);
	for (size_t e = 0; e < s.n; e++) {
		const struct event *ev = &s.ev[e];

		/* innermost: what calls trace_inet_sock_set_state (tcp_set_state
		 * ends in a tail call to inet_sk_state_store: no frame of its own) */
		if (!ev->n || !ev->f[0].kernel)
			fail_msg("%s: no kernel frames", ev->head);
		fn(&ev->f[0], buf, sizeof(buf));
		if (strcmp(buf, "inet_sk_state_store") && strcmp(buf, "inet_sk_set_state") &&
		    strcmp(buf, "tcp_set_state"))
			fail_msg("%s: innermost kernel frame %s", ev->head, ev->f[0].sym);
		if (strstr(ev->head, "oldstate=CLOSE newstate=SYN_SENT"))
			connect +=
				kframe(ev, "tcp_v4_connect") > 0 || kframe(ev, "tcp_connect") > 0;
		if (strstr(ev->head, "newstate=ESTABLISHED"))
			established += kframe(ev, "tcp_rcv_state_process") > 0 ||
				       kframe(ev, "tcp_finish_connect") > 0;
		if (strstr(ev->head, "oldstate=ESTABLISHED newstate=FIN_WAIT1"))
			closing += kframe(ev, "__tcp_close") > 0 || kframe(ev, "tcp_close") > 0;
	}
	/* the connect and the refused one; one end at least (either may be
	 * ksoftirqd's); the side closing first */
	assert_int_equal(connect, 2);
	assert_true(established >= 1);
	assert_int_equal(closing, 1);
	free_script(&s);
}

static void test_tracepoint(void **state)
{
	char tape[PATH_MAX], txt[PATH_MAX];
	struct script s;

	(void)state;
	pathf(tape, "%s/fork.tape", tmpdir);
	pathf(txt, "%s/fork.replay", tmpdir);
	{
		char *argv[] = {bpftape,
				"record",
				"-g",
				"-e",
				"tracepoint:sched:sched_process_fork",
				"-o",
				tape,
				"--",
				"/bin/sh",
				"-c",
				"/bin/true; /bin/true",
				NULL};

		assert_int_equal(run(argv, NULL), 0);
	}
	{
		char *argv[] = {bpftape, "replay", tape, NULL};

		assert_int_equal(run(argv, txt), 0);
	}
	read_script(txt, "sh sched_process_fork", &s);
	assert_true(s.n >= 2);
	for (size_t e = 0; e < s.n; e++) {
		const struct event *ev = &s.ev[e];
		bool entry = false;

		/* kernel_clone fires it, called from the fork syscall */
		if (kframe(ev, "kernel_clone") != 0)
			fail_msg("%s: innermost kernel frame %s, not kernel_clone", ev->head,
				 ev->n ? ev->f[0].sym : "none");
		for (size_t i = 1; i < ev->n; i++)
			entry |= ev->f[i].kernel && (strstr(ev->f[i].sym, "_sys_clone") ||
						     strstr(ev->f[i].sym, "_sys_vfork") ||
						     strstr(ev->f[i].sym, "_sys_fork"));
		if (!entry)
			fail_msg("%s: no fork syscall among its kernel frames", ev->head);
	}
	free_script(&s);
}

/* ---- binaries that are gone ---- */

/* Record `sh -c @script` with -g; the marked opens' events from replay. */
static void record_marked(const char *name, const char *script, const char *marker,
			  struct script *s)
{
	char tape[PATH_MAX], txt[PATH_MAX];

	pathf(tape, "%s/%s.tape", tmpdir, name);
	pathf(txt, "%s/%s.replay", tmpdir, name);
	{
		char *argv[] = {bpftape, "record", "-g",      "-e", "open,exit",    "-o",
				tape,	 "--",	   "/bin/sh", "-c", (char *)script, NULL};

		assert_int_equal(run(argv, NULL), 0);
	}
	{
		char *argv[] = {bpftape, "replay", tape, NULL};

		/* never a crash, never damage: what cannot be named is unknown */
		assert_int_equal(run(argv, txt), 0);
	}
	read_script(txt, "open", s);
	/* the marked opens only */
	for (size_t i = 0; i < s->n;) {
		if (strstr(s->ev[i].head, marker)) {
			i++;
			continue;
		}
		free(s->ev[i].f);
		s->ev[i] = s->ev[--s->n];
	}
}

/* Frame @i of a marked open: stk_level(5 - i) if @must, else that or
 * [unknown]; never another name. */
static void check_level(const struct event *ev, size_t i, bool must)
{
	char want[32], buf[256];

	snprintf(want, sizeof(want), "stk_level%zu", 5 - i);
	if (i >= ev->n)
		fail_msg("%s: %zu frames", ev->head, ev->n);
	if (!must && !named(&ev->f[i]))
		return;
	if (strcmp(fn(&ev->f[i], buf, sizeof(buf)), want))
		fail_msg("%s: frame %zu is %s, not %s", ev->head, i, ev->f[i].sym, want);
}

static void stage(char *bin, const char *name)
{
	char cmd[3 * PATH_MAX];

	pathf(bin, "%s/%s", tmpdir, name);
	snprintf(cmd, sizeof(cmd), "cp %s/work_stacks %s", helpers, bin);
	assert_int_equal(system(cmd), 0);
}

/* A binary deleted before its opens, while it runs: the recorder reads its
 * symbols through the mapping, and the frames are named as ever.  (It
 * lives 2 s after them; the cases that must name every frame live at
 * least 1 s, as a process that exits at once may not be resolved.) */
static void test_deleted_binary(void **state)
{
	char bin[PATH_MAX], marker[PATH_MAX], script[4 * PATH_MAX];
	struct script s;

	(void)state;
	stage(bin, "deleted");
	pathf(marker, "%s/marker-deleted", tmpdir);
	close(open(marker, O_CREAT | O_WRONLY, 0644));
	snprintf(script, sizeof(script), "WORK_STACKS_UNLINK=1 %s 3 %s 2 >/dev/null", bin, marker);
	record_marked("deleted", script, marker, &s);
	assert_int_equal(access(bin, F_OK), -1);
	assert_int_equal(s.n, 3);
	for (size_t e = 0; e < s.n; e++) {
		for (size_t i = 0; i < 5; i++) {
			check_level(&s.ev[e], i, true);
			assert_string_equal(s.ev[e].f[i].bin, bin);
		}
	}
	free_script(&s);
}

/*
 * Processes that exit at once, some after deleting their binary: nothing
 * is left to read by the time the recorder looks, and the stack may reach
 * it before the exec's mapping record (another CPU's ring).  Each frame is
 * the right function or [unknown], never another name.
 */
static void test_gone_at_once(void **state)
{
	char bin[4][PATH_MAX], marker[PATH_MAX], script[9 * PATH_MAX];
	struct script s;

	(void)state;
	for (int i = 0; i < 4; i++) {
		char name[16];

		snprintf(name, sizeof(name), "gone%d", i);
		stage(bin[i], name);
	}
	pathf(marker, "%s/marker-gone", tmpdir);
	close(open(marker, O_CREAT | O_WRONLY, 0644));
	snprintf(script, sizeof(script),
		 "export WORK_STACKS_UNLINK=1; %s 2 %s 0 & %s 2 %s 0 & unset WORK_STACKS_UNLINK; "
		 "%s 2 %s 0 & %s 2 %s 0; wait",
		 bin[0], marker, bin[1], marker, bin[2], marker, bin[3], marker);
	record_marked("gone", script, marker, &s);
	assert_int_equal(s.n, 8);
	for (size_t e = 0; e < s.n; e++)
		for (size_t i = 0; i < 5; i++)
			check_level(&s.ev[e], i, false);
	free_script(&s);
}

/* A binary stripped of every symbol: its frames are [unknown] with its
 * path, libc's below them still named. */
static void test_stripped_binary(void **state)
{
	char bin[PATH_MAX], marker[PATH_MAX], script[4 * PATH_MAX], cmd[3 * PATH_MAX];
	struct script s;

	(void)state;
	if (system("strip --version >/dev/null 2>&1")) {
		printf("test_stripped_binary: skipped: no strip (Debian: binutils)\n");
		skip();
	}
	pathf(bin, "%s/stripped", tmpdir);
	snprintf(cmd, sizeof(cmd), "strip --strip-all -o %s %s/work_stacks", bin, helpers);
	assert_int_equal(system(cmd), 0);
	pathf(marker, "%s/marker-stripped", tmpdir);
	close(open(marker, O_CREAT | O_WRONLY, 0644));
	snprintf(script, sizeof(script), "%s 2 %s 1 >/dev/null", bin, marker);
	record_marked("stripped", script, marker, &s);
	assert_int_equal(s.n, 2);
	for (size_t e = 0; e < s.n; e++) {
		const struct event *ev = &s.ev[e];
		size_t i = 0;

		/* the five and main */
		for (; i < ev->n && !strcmp(ev->f[i].bin, bin); i++)
			if (named(&ev->f[i]))
				fail_msg("%s: frame %zu named %s in a binary without symbols",
					 ev->head, i, ev->f[i].sym);
		assert_int_equal(i, 6);
		assert_true(i < ev->n);
		assert_true(named(&ev->f[i]));
		assert_non_null(strstr(ev->f[i].bin, "/libc.so"));
	}
	free_script(&s);
}

/* 300 frames of recursion under the five: the 127 innermost (the default
 * limit) are kept, the five and then the recursion's own. */
static void test_deeper_than_limit(void **state)
{
	char bin[PATH_MAX], marker[PATH_MAX], script[4 * PATH_MAX], buf[256];
	struct script s;

	(void)state;
	stage(bin, "deep");
	pathf(marker, "%s/marker-deep", tmpdir);
	close(open(marker, O_CREAT | O_WRONLY, 0644));
	snprintf(script, sizeof(script), "WORK_STACKS_RECURSE=300 %s 2 %s 1 >/dev/null", bin,
		 marker);
	record_marked("deep", script, marker, &s);
	assert_int_equal(s.n, 2);
	for (size_t e = 0; e < s.n; e++) {
		assert_int_equal(s.ev[e].n, 127);
		for (size_t i = 0; i < s.ev[e].n; i++) {
			if (i < 5)
				check_level(&s.ev[e], i, true);
			else if (strcmp(fn(&s.ev[e].f[i], buf, sizeof(buf)), "stk_recurse"))
				fail_msg("frame %zu: %s, not stk_recurse", i, s.ev[e].f[i].sym);
		}
	}
	free_script(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_perf_agrees),	cmocka_unit_test(test_tcp_state),
		cmocka_unit_test(test_tracepoint),	cmocka_unit_test(test_deleted_binary),
		cmocka_unit_test(test_gone_at_once),	cmocka_unit_test(test_deeper_than_limit),
		cmocka_unit_test(test_stripped_binary),
	};
	int ret = stacktest_setup("test_stacks_live");

	if (ret)
		return ret;
#if !defined(__x86_64__)
	printf("test_stacks_live: skipped: the workload's raw syscall is written for x86-64\n");
	return 77;
#endif
	probe_perf();
	if (getenv("TEST_FILTER"))
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	if (!ret)
		stacktest_cleanup("test_stacks_live");
	return ret;
}
