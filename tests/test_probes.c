// SPDX-License-Identifier: MIT
/*
 * Generic probes end to end (root, BPF): `bpftape record -e SPEC -- WORKLOAD`
 * on workloads whose own actions are the ground truth (tests/work_uprobe.c,
 * tests/work_usdt.c, a Python script), then the tape read back through
 * libtape, tracepoints decoded by the reader from their kernel format.
 * Also the errors a user sees for bad specs, and list-events.
 *
 * Needs $BPFTAPE (set by `make root-tests`; defaults to ../bpftape next to
 * this binary) and the helpers built next to this binary.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <cmocka.h>

#include <bpftape/tape.h>

/* Directories are kept short so that paths built in them always fit. */
#define DIR_MAX 1024

static char bpftape[PATH_MAX];
static char helpers[DIR_MAX];
static char tmpdir[DIR_MAX] = "/tmp/bpftape-probes-XXXXXX";

/* Run @argv with stdout+stderr into @out; the exit status, or -1. */
static int run(char *const argv[], char *out, size_t outlen)
{
	int pfd[2], status;
	size_t len = 0;
	pid_t pid;

	if (pipe(pfd))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		close(pfd[1]);
		alarm(120); /* a hung recorder fails the test, not the run */
		execv(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		char sink[512];
		ssize_t n;

		if (len + 1 < outlen)
			n = read(pfd[0], out + len, outlen - len - 1);
		else
			n = read(pfd[0], sink, sizeof(sink));
		if (n <= 0)
			break;
		if (len + 1 < outlen)
			len += n;
	}
	out[len] = '\0';
	close(pfd[0]);
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* bpftape record -o TAPE [-e SPEC]... -- CMD...; argv NULL-terminated. */
static void record(const char *tape, const char *const *events, const char *const *cmd)
{
	char *argv[64], out[8192];
	int n = 0, rc;

	argv[n++] = bpftape;
	argv[n++] = "record";
	argv[n++] = "-o";
	argv[n++] = (char *)tape;
	for (; *events; events++) {
		argv[n++] = "-e";
		argv[n++] = (char *)*events;
	}
	argv[n++] = "--";
	for (; *cmd; cmd++)
		argv[n++] = (char *)*cmd;
	argv[n] = NULL;
	rc = run(argv, out, sizeof(out));
	if (rc)
		fail_msg("bpftape record exited %d:\n%s", rc, out);
}

struct event {
	char type[80];
	uint32_t pid;
	char comm[17];
	union tape_value v[8];
	char strs[8][128];
};

/* Every event of a type whose name starts with @prefix, in time order. */
static size_t read_events(const char *tape, const char *prefix, struct event *evs, size_t max,
			  const struct tape_reader **rout)
{
	char err[256];
	struct tape_reader *r = tape_reader__open(tape, err, sizeof(err));
	struct tape_cursor *c;
	const struct tape_event *ev;
	size_t n = 0;
	int ret;

	if (!r)
		fail_msg("%s: %s", tape, err);
	c = tape_cursor__new(&r, 1, NULL);
	assert_non_null(c);
	while ((ret = tape_cursor__next(c, &ev)) > 0) {
		struct event *e;

		if (!ev->tp || strncmp(ev->tp->name, prefix, strlen(prefix)))
			continue;
		assert_true(n < max);
		e = &evs[n++];
		memset(e, 0, sizeof(*e));
		snprintf(e->type, sizeof(e->type), "%s", ev->tp->name);
		snprintf(e->comm, sizeof(e->comm), "%s", ev->comm);
		e->pid = ev->pid;
		for (unsigned i = 0; i < ev->tp->nfields && i < 8; i++) {
			e->v[i] = ev->values[i];
			if (ev->tp->fields[i].kind == TAPE_STR) {
				snprintf(e->strs[i], sizeof(e->strs[i]), "%s",
					 (const char *)ev->values[i].b.ptr);
				e->v[i].b.ptr = e->strs[i];
			}
		}
	}
	if (ret < 0)
		fail_msg("%s: %s", tape, tape_cursor__errmsg(c));
	tape_cursor__free(c);
	if (rout)
		*rout = r;
	else
		tape_reader__free(r);
	return n;
}

/* Index of field @name in type @type of @tape's reader @r. */
static int field(const struct tape_reader *r, const char *type, const char *name)
{
	const struct tape_type *t = tape_reader__type_by_name(r, type);
	int i;

	if (!t)
		fail_msg("no type '%s' in the tape", type);
	i = tape_type__field_index(t, name);
	if (i < 0)
		fail_msg("type '%s' has no field '%s'", type, name);
	return i;
}

static void path_in(char *buf, const char *dir, const char *name)
{
	snprintf(buf, PATH_MAX, "%s/%s", dir, name);
}

static void test_uprobe_uretprobe(void **state)
{
	char work[PATH_MAX], tape[PATH_MAX], up[PATH_MAX + 64], ret[PATH_MAX + 64];
	const struct tape_reader *r;
	struct event evs[32];
	int fa, fb, fs, fr, nu = 0, nr = 0;
	pid_t other;
	size_t n;

	(void)state;
	path_in(work, helpers, "work_uprobe");
	path_in(tape, tmpdir, "uprobe.tape");
	snprintf(up, sizeof(up), "uprobe:%s:work_add(a:s32,b:s64,s:str)", work);
	snprintf(ret, sizeof(ret), "uretprobe:%s:work_add(s32)", work);
	/* Another process hits the same probes all along: uprobes are
	 * system-wide, the -- CMD filter must keep its events out. */
	other = fork();
	assert_true(other >= 0);
	if (!other) {
		alarm(60); /* not forever if the test fails before kill() */
		execl(work, work, "2000000000", (char *)NULL);
		_exit(127);
	}
	record(tape, (const char *const[]){up, ret, NULL}, (const char *const[]){work, "5", NULL});
	kill(other, SIGKILL);
	waitpid(other, NULL, 0);

	n = read_events(tape, "u", evs, 32, &r);
	assert_int_equal(tape_reader__type_by_name(r, "uprobe_work_add")->nfields, 3);
	assert_string_equal(tape_reader__type_by_name(r, "uprobe_work_add")->source, up);
	assert_string_equal(tape_reader__type_by_name(r, "uretprobe_work_add")->source, ret);
	fa = field(r, "uprobe_work_add", "a");
	fb = field(r, "uprobe_work_add", "b");
	fs = field(r, "uprobe_work_add", "s");
	fr = field(r, "uretprobe_work_add", "ret");
	assert_int_equal(n, 10);
	for (size_t i = 0; i < n; i++) {
		char want[32];

		assert_string_equal(evs[i].comm, "work_uprobe");
		assert_int_equal(evs[i].pid, evs[0].pid);
		/* entry, then its return, call after call */
		if (i % 2 == 0) {
			assert_string_equal(evs[i].type, "uprobe_work_add");
			assert_int_equal(evs[i].v[fa].s, nu);
			assert_int_equal(evs[i].v[fb].s, 1000 + nu);
			snprintf(want, sizeof(want), "item-%d", nu);
			assert_string_equal(evs[i].v[fs].b.ptr, want);
			nu++;
		} else {
			assert_string_equal(evs[i].type, "uretprobe_work_add");
			assert_int_equal(evs[i].v[fr].s, 1000 + nr + 6 - 6 * nr);
			nr++;
		}
	}
	tape_reader__free((struct tape_reader *)r);
}

/* uprobe:PATH:0xADDR, the address as nm shows it. */
static void test_uprobe_address(void **state)
{
	char work[PATH_MAX], tape[PATH_MAX], cmd[PATH_MAX + 64], spec[PATH_MAX + 64], line[256];
	const struct tape_reader *r;
	struct event evs[8];
	unsigned long long addr = 0;
	FILE *nm;
	size_t n;
	int fa;

	(void)state;
	path_in(work, helpers, "work_uprobe");
	path_in(tape, tmpdir, "address.tape");
	snprintf(cmd, sizeof(cmd), "nm '%s' 2>/dev/null", work);
	nm = popen(cmd, "r");
	while (nm && fgets(line, sizeof(line), nm))
		if (strstr(line, " T work_add\n"))
			addr = strtoull(line, NULL, 16);
	if (nm)
		pclose(nm);
	if (!addr) {
		printf("no nm to find work_add's address\n");
		skip();
	}
	snprintf(spec, sizeof(spec), "uprobe:%s:0x%llx(a:s32,b:s64)", work, addr);
	record(tape, (const char *const[]){spec, NULL}, (const char *const[]){work, "2", NULL});
	snprintf(cmd, sizeof(cmd), "uprobe_0x%llx", addr);
	n = read_events(tape, cmd, evs, 8, &r);
	fa = field(r, cmd, "a");
	assert_int_equal(n, 2);
	assert_int_equal(evs[0].v[fa].s, 0);
	assert_int_equal(evs[1].v[fa].s, 1);
	tape_reader__free((struct tape_reader *)r);
}

static void test_tracepoints(void **state)
{
	char work[PATH_MAX], tape[PATH_MAX];
	const struct tape_reader *r;
	const struct tape_type *t;
	struct event evs[64];
	int fwhich, fwho, ffile, fpid, ngp = 0, nexec = 0;
	size_t n;

	(void)state;
	path_in(work, helpers, "work_uprobe");
	path_in(tape, tmpdir, "tracepoint.tape");
	record(tape,
	       (const char *const[]){"tracepoint:syscalls:sys_enter_getpriority",
				     "tracepoint:sched:sched_process_exec", NULL},
	       (const char *const[]){work, "4", NULL});

	n = read_events(tape, "s", evs, 64, &r);
	t = tape_reader__type_by_name(r, "sys_enter_getpriority");
	assert_non_null(t);
	assert_string_equal(t->source, "tracepoint:syscalls:sys_enter_getpriority");
	assert_non_null(strstr(t->format, "field:int who;"));
	/* the reader shows the kernel format's fields, not one raw blob */
	fwhich = field(r, "sys_enter_getpriority", "which");
	fwho = field(r, "sys_enter_getpriority", "who");
	ffile = field(r, "sched_process_exec", "filename");
	fpid = field(r, "sched_process_exec", "pid");
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(evs[i].type, "sys_enter_getpriority")) {
			assert_int_equal(evs[i].v[fwhich].u, 2); /* PRIO_USER */
			assert_int_equal(evs[i].v[fwho].u, 4242 + ngp);
			ngp++;
		} else if (!strcmp(evs[i].type, "sched_process_exec")) {
			/* a __data_loc string */
			assert_string_equal(evs[i].v[ffile].b.ptr, work);
			assert_int_equal(evs[i].v[fpid].s, evs[i].pid);
			nexec++;
		}
	}
	assert_int_equal(ngp, 4);
	assert_int_equal(nexec, 1);
	tape_reader__free((struct tape_reader *)r);
}

/* A glob is every matching tracepoint, each its own type. */
static void test_tracepoint_glob(void **state)
{
	char tape[PATH_MAX];
	const struct tape_reader *r;
	const struct tape_type *t;
	struct event evs[16];
	size_t n;
	int ff;

	(void)state;
	path_in(tape, tmpdir, "glob.tape");
	record(tape, (const char *const[]){"tracepoint:sched:sched_process_ex*", NULL},
	       (const char *const[]){"/bin/true", NULL});
	n = read_events(tape, "sched_process_exec", evs, 16, &r);
	t = tape_reader__type_by_name(r, "sched_process_exit");
	assert_non_null(t);
	assert_string_equal(t->source, "tracepoint:sched:sched_process_exit");
	assert_non_null(tape_reader__type_by_name(r, "sched_process_exec"));
	assert_null(tape_reader__type_by_name(r, "sched_process_fork"));
	ff = field(r, "sched_process_exec", "filename");
	assert_int_equal(n, 1);
	assert_string_equal(evs[0].v[ff].b.ptr, "/bin/true");
	tape_reader__free((struct tape_reader *)r);
}

static void test_usdt(void **state)
{
	char work[PATH_MAX], tape[PATH_MAX], step[PATH_MAX + 64], done[PATH_MAX + 64];
	const struct tape_reader *r;
	struct event evs[32];
	int fi, fname, fv, fn;
	size_t n;

	(void)state;
	path_in(work, helpers, "work_usdt");
	path_in(tape, tmpdir, "usdt.tape");
	snprintf(step, sizeof(step), "usdt:%s:bpftape_test:step(i:s32,name:str,v:s64)", work);
	snprintf(done, sizeof(done), "usdt:%s:bpftape_test:done(s32)", work);
	record(tape, (const char *const[]){step, done, NULL},
	       (const char *const[]){work, "3", NULL});

	n = read_events(tape, "usdt_", evs, 32, &r);
	fi = field(r, "usdt_bpftape_test_step", "i");
	fname = field(r, "usdt_bpftape_test_step", "name");
	fv = field(r, "usdt_bpftape_test_step", "v");
	fn = field(r, "usdt_bpftape_test_done", "arg0");
	assert_int_equal(n, 4);
	for (int i = 0; i < 3; i++) {
		char want[32];

		snprintf(want, sizeof(want), "step-%d", i);
		assert_string_equal(evs[i].type, "usdt_bpftape_test_step");
		assert_int_equal(evs[i].v[fi].s, i);
		assert_string_equal(evs[i].v[fname].b.ptr, want);
		assert_int_equal(evs[i].v[fv].s, -7 * i);
	}
	assert_string_equal(evs[3].type, "usdt_bpftape_test_done");
	assert_int_equal(evs[3].v[fn].s, 3);
	tape_reader__free((struct tape_reader *)r);
}

static void test_python_usdt(void **state)
{
	static const char python[] = "/usr/bin/python3.11";
	char script[PATH_MAX], tape[PATH_MAX];
	const struct tape_reader *r;
	struct event evs[4096];
	int ff, fn, fl, found = 0;
	size_t n;
	FILE *f;

	(void)state;
	if (access(python, X_OK)) {
		printf("%s is not installed\n", python);
		skip();
	}
	path_in(script, tmpdir, "probe_target.py");
	path_in(tape, tmpdir, "python.tape");
	f = fopen(script, "w");
	assert_non_null(f);
	fprintf(f, "def known_function(x):\n    return x + 1\n\nknown_function(41)\n");
	fclose(f);
	/* Python 3.11 fires function__entry only on its tracing path, which
	 * the line probe's semaphore turns on. */
	record(tape,
	       (const char *const[]){"usdt:/usr/bin/python3.11:python:function__entry("
				     "filename:str,funcname:str,lineno:s32)",
				     "usdt:/usr/bin/python3.11:python:line(str,str,s32)", NULL},
	       (const char *const[]){python, "-S", script, NULL});

	n = read_events(tape, "usdt_python_function__entry", evs, 4096, &r);
	ff = field(r, "usdt_python_function__entry", "filename");
	fn = field(r, "usdt_python_function__entry", "funcname");
	fl = field(r, "usdt_python_function__entry", "lineno");
	for (size_t i = 0; i < n; i++) {
		if (strcmp(evs[i].v[fn].b.ptr, "known_function"))
			continue;
		assert_string_equal(evs[i].v[ff].b.ptr, script);
		assert_int_equal(evs[i].v[fl].s, 1);
		assert_string_equal(evs[i].comm, "python3.11");
		found++;
	}
	assert_int_equal(found, 1);
	tape_reader__free((struct tape_reader *)r);
}

/* With a one-page ring buffer most events are lost: every one of them must
 * be counted (events + losses = what the workload fired). */
static void test_drops_counted(void **state)
{
	enum { N = 100000 };
	char work[PATH_MAX], tape[PATH_MAX], step[PATH_MAX + 64], out[8192], err[256];
	char *argv[] = {bpftape, "record", "-o", tape, "--buffer", "4096",
			"-e",	 step,	   "--", work, "100000",   NULL};
	struct tape_reader *r;
	struct tape_cursor *c;
	const struct tape_event *ev;
	uint64_t lost = 0, seen = 0;
	int64_t last = -1;
	int rc, fi;

	(void)state;
	path_in(work, helpers, "work_usdt");
	path_in(tape, tmpdir, "drops.tape");
	snprintf(step, sizeof(step), "usdt:%s:bpftape_test:step(i:s32,name:str,v:s64)", work);
	rc = run(argv, out, sizeof(out));
	if (rc)
		fail_msg("bpftape record exited %d:\n%s", rc, out);
	r = tape_reader__open(tape, err, sizeof(err));
	if (!r)
		fail_msg("%s: %s", tape, err);
	fi = field(r, "usdt_bpftape_test_step", "i");
	c = tape_cursor__new(&r, 1, NULL);
	assert_non_null(c);
	while (tape_cursor__next(c, &ev) > 0) {
		if (ev->type == TAPE_TYPE_LOSS) {
			lost += ev->values[TAPE_LOSS_COUNT].u;
		} else if (!strcmp(ev->tp->name, "usdt_bpftape_test_step")) {
			/* in order, none twice */
			assert_true(ev->values[fi].s > last);
			last = ev->values[fi].s;
			seen++;
		}
	}
	tape_cursor__free(c);
	tape_reader__free(r);
	printf("drops: %llu step events recorded, %llu lost\n", (unsigned long long)seen,
	       (unsigned long long)lost);
	assert_true(lost > 0);
	/* the losses may include the workload's exec/exit records */
	assert_true(seen + lost >= N && seen + lost <= N + 4);
}

/* `bpftape record -e SPEC -- /bin/true` fails and says @msg. */
static void expect_record_error(const char *spec, const char *msg)
{
	char tape[PATH_MAX], out[8192];
	char *argv[] = {bpftape, "record", "-o", tape, "-e", (char *)spec, "--", "/bin/true", NULL};
	int rc;

	path_in(tape, tmpdir, "error.tape");
	rc = run(argv, out, sizeof(out));
	if (!rc)
		fail_msg("'%s' was accepted", spec);
	if (!strstr(out, msg))
		fail_msg("'%s': output lacks '%s':\n%s", spec, msg, out);
}

static void test_errors(void **state)
{
	char work[PATH_MAX], spec[PATH_MAX + 64], want[2 * PATH_MAX + 128];

	(void)state;
	path_in(work, helpers, "work_uprobe");
	expect_record_error("uprobe:/bin/x",
			    "bad probe spec 'uprobe:/bin/x': expected ':FUNC' at column 14; "
			    "'bpftape record --help' shows the probe forms");
	expect_record_error("uprobe:/no/such:f", "uprobe: /no/such: No such file or directory; "
						 "check the path");
	expect_record_error("uprobe:no-such-binary-x:f",
			    "not in PATH nor the library directories: give its full path");
	expect_record_error("uprobe:/etc/passwd:f", "not an ELF file (a script? probe its "
						    "interpreter");
	/* each says where to look next: list-events for this very binary */
	snprintf(spec, sizeof(spec), "uprobe:%s:no_such_function", work);
	snprintf(want, sizeof(want),
		 "no function 'no_such_function' in its symbol tables; 'bpftape list-events "
		 "uprobe:%s:GLOB' lists its functions",
		 work);
	expect_record_error(spec, want);
	snprintf(spec, sizeof(spec), "usdt:%s:bpftape_test:step", work);
	snprintf(want, sizeof(want),
		 "no USDT probe bpftape_test:step in it; 'bpftape list-events usdt:%s' lists its "
		 "probes",
		 work);
	expect_record_error(spec, want);
	path_in(work, helpers, "work_usdt");
	snprintf(spec, sizeof(spec), "usdt:%s:bpftape_test:done(s32,s32)", work);
	expect_record_error(spec, "probe bpftape_test:done has 1 argument, the spec reads 2; "
				  "give at most 1 type");
	expect_record_error("tracepoint:sched:no_such_*", "no tracepoint matches sched:no_such_*");
	expect_record_error("tracepoint:sched:no_such_event", "no tracepoint sched:no_such_event");
	expect_record_error("uprobe:/bin/x:f(string)", "unknown type 'string'");
	if (access("/sys/bus/event_source/devices/kprobe/type", F_OK) &&
	    access("/sys/kernel/tracing/kprobe_events", F_OK)) {
		expect_record_error("kprobe:do_sys_openat2(s32,str)",
				    "kprobe:do_sys_openat2(s32,str): this kernel lacks kprobes, so "
				    "'do_sys_openat2' cannot be probed");
		expect_record_error("kretprobe:do_sys_openat2", "CONFIG_KPROBE_EVENTS");
		expect_record_error("kretprobe:do_sys_openat2",
				    "'bpftape list-events' lists the tracepoints to use instead");
		/* where a tracepoint records the same, the error points to it */
		expect_record_error("kprobe:__x64_sys_openat",
				    "tracepoint:syscalls:sys_enter_openat records");
	} else {
		printf("kprobes available here: the missing-kprobes error is not tested\n");
		expect_record_error(
			"kprobe:no_such_kernel_function_x",
			"no kernel function 'no_such_kernel_function_x' in "
			"/proc/kallsyms; /sys/kernel/tracing/available_filter_functions "
			"lists");
	}
}

static void test_list_events(void **state)
{
	char out[1 << 16], usdt_pat[PATH_MAX + 32], up_pat[PATH_MAX + 16], want[PATH_MAX + 64];
	char *tp[] = {bpftape, "list-events", "sched:sched_switch", NULL};
	char *open_f[] = {bpftape, "list-events", "-F", "open", NULL};
	char *none[] = {bpftape, "list-events", "no_such_event_*", NULL};
	char *bogus[] = {bpftape, "list-events", "--bogus", NULL};
	char *help[] = {bpftape, "list-events", "--help", NULL};
	char *usdt[] = {bpftape, "list-events", usdt_pat, NULL};
	char *up[] = {bpftape, "list-events", up_pat, NULL};
	char work[PATH_MAX];

	(void)state;
	assert_int_equal(run(tp, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "tracepoint:sched:sched_switch\n"));
	assert_null(strstr(out, "sched_wakeup"));
	assert_int_equal(run(open_f, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "open"));
	assert_non_null(strstr(out, "path"));
	assert_non_null(strstr(out, "str"));
	assert_int_equal(run(none, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "nothing matches"));
	assert_int_equal(run(help, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "\nExamples:\n"));
	assert_null(strstr(out, "EXAMPLES"));
	assert_int_equal(run(bogus, out, sizeof(out)), 2);
	assert_string_equal(out, "bpftape list-events: unknown option '--bogus'; see 'bpftape "
				 "list-events --help'\n");

	/* a binary's USDT probes with their argument counts, and functions */
	path_in(work, helpers, "work_usdt");
	snprintf(usdt_pat, sizeof(usdt_pat), "usdt:%s", work);
	assert_int_equal(run(usdt, out, sizeof(out)), 0);
	snprintf(want, sizeof(want), "usdt:%s:bpftape_test:step\t(3 arguments)\n", work);
	assert_non_null(strstr(out, want));
	snprintf(want, sizeof(want), "usdt:%s:bpftape_test:done\t(1 argument)\n", work);
	assert_non_null(strstr(out, want));
	/* an exact PROVIDER:NAME, no wildcard */
	snprintf(usdt_pat, sizeof(usdt_pat), "usdt:%s:bpftape_test:done", work);
	assert_int_equal(run(usdt, out, sizeof(out)), 0);
	assert_string_equal(out, want);
	path_in(work, helpers, "work_uprobe");
	snprintf(up_pat, sizeof(up_pat), "uprobe:%s:work_*", work);
	assert_int_equal(run(up, out, sizeof(out)), 0);
	snprintf(want, sizeof(want), "uprobe:%s:work_add\n", work);
	assert_string_equal(out, want);
	snprintf(up_pat, sizeof(up_pat), "uprobe:/no/such");
	assert_int_equal(run(up, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "/no/such: No such file or directory"));
}

/* Root and a working bpf(): else the reason, and 77. */
static int can_run(void)
{
	union bpf_attr attr = {
		.map_type = BPF_MAP_TYPE_ARRAY,
		.key_size = 4,
		.value_size = 4,
		.max_entries = 1,
	};
	char self[DIR_MAX], *slash;
	const char *env = getenv("BPFTAPE");
	ssize_t n;
	int fd;

	if (geteuid()) {
		printf("test_probes: needs root (BPF, uprobes)\n");
		return 0;
	}
	fd = syscall(__NR_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
	if (fd < 0) {
		printf("test_probes: bpf() unavailable: %s\n", strerror(errno));
		return 0;
	}
	close(fd);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return 0;
	self[n] = '\0';
	slash = strrchr(self, '/');
	*slash = '\0';
	snprintf(helpers, sizeof(helpers), "%s", self);
	if (env)
		snprintf(bpftape, sizeof(bpftape), "%s", env);
	else
		snprintf(bpftape, sizeof(bpftape), "%s/../bpftape", self);
	if (access(bpftape, X_OK)) {
		printf("test_probes: no bpftape at %s (set BPFTAPE)\n", bpftape);
		return 0;
	}
	return 1;
}

static int cleanup_tmp(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) ? -1 : 0;
}

/* Does any value, type source, metadata value or process of @tape hold @s? */
static const char *tape_holds(const char *tape, const char *s)
{
	char err[256];
	struct tape_reader *r = tape_reader__open(tape, err, sizeof(err));
	struct tape_cursor *c;
	const struct tape_event *ev;
	const char *where = NULL;
	size_t n = strlen(s);

	if (!r)
		fail_msg("%s: %s", tape, err);
	for (unsigned t = 1; t <= tape_reader__max_type(r); t++) {
		const struct tape_type *tp = tape_reader__type(r, t);

		if (tp && tp->source && strstr(tp->source, s))
			where = "a type's source";
	}
	for (size_t i = 0; i < tape_reader__meta_count(r); i++) {
		const char *k, *v;

		if (!tape_reader__meta_at(r, i, &k, &v) && strstr(v, s))
			where = "a metadata value";
	}
	for (size_t i = 0; i < tape_reader__proc_count(r); i++) {
		const struct tape_proc *p = tape_reader__proc(r, i);

		if ((p->exe && strstr(p->exe, s)) ||
		    (p->argv && memmem(p->argv, p->argv_len, s, n)))
			where = "a process";
	}
	c = tape_cursor__new(&r, 1, NULL);
	assert_non_null(c);
	while (tape_cursor__next(c, &ev) > 0)
		for (unsigned i = 0; ev->type && i < ev->tp->nfields; i++)
			if ((ev->tp->fields[i].kind == TAPE_STR ||
			     ev->tp->fields[i].kind == TAPE_BYTES) &&
			    memmem(ev->values[i].b.ptr, ev->values[i].b.len, s, n))
				where = ev->tp->name;
	tape_cursor__free(c);
	tape_reader__free(r);
	return where;
}

/* filter --redact on a recorded tracepoint (its raw record decoded by the
 * reader) and uprobe string argument: neither the binary's path nor the
 * strings it passed survive. */
static void test_filter_redact_generic(void **state)
{
	char work[PATH_MAX], tape[PATH_MAX], out[PATH_MAX], up[PATH_MAX + 64], log[4096];
	const struct tape_reader *r;
	struct event evs[32];
	int ffile, fs, nexec = 0, nup = 0;
	size_t n;

	(void)state;
	path_in(work, helpers, "work_uprobe");
	path_in(tape, tmpdir, "generic-redact.tape");
	path_in(out, tmpdir, "generic-redacted.tape");
	snprintf(up, sizeof(up), "uprobe:%s:work_add(a:s32,b:s64,what:str)", work);
	record(tape, (const char *const[]){"tracepoint:sched:sched_process_exec", up, NULL},
	       (const char *const[]){work, "3", NULL});
	/* the recording holds them: the checks below can see a leak */
	assert_non_null(tape_holds(tape, work));
	assert_non_null(tape_holds(tape, "item-1"));
	{
		char *argv[] = {bpftape,    "filter",	  "-q", "-o", out,
				"--redact", "paths,argv", tape, NULL};
		int rc = run(argv, log, sizeof(log));

		if (rc)
			fail_msg("bpftape filter exited %d:\n%s", rc, log);
	}
	if (tape_holds(out, work))
		fail_msg("the redacted tape still holds %s in %s", work, tape_holds(out, work));
	if (tape_holds(out, "item-"))
		fail_msg("the redacted tape still holds 'item-' in %s", tape_holds(out, "item-"));

	n = read_events(out, "", evs, 32, &r);
	ffile = field(r, "sched_process_exec", "filename");
	fs = field(r, "uprobe_work_add", "what");
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(evs[i].type, "sched_process_exec")) {
			assert_memory_equal(evs[i].v[ffile].b.ptr, "path:", 5);
			nexec++;
		} else if (!strcmp(evs[i].type, "uprobe_work_add")) {
			/* a string named for no class: a token */
			assert_memory_equal(evs[i].v[fs].b.ptr, "str:", 4);
			nup++;
		}
	}
	assert_int_equal(nexec, 1);
	assert_int_equal(nup, 3);
	tape_reader__free((struct tape_reader *)r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uprobe_uretprobe),
		cmocka_unit_test(test_uprobe_address),
		cmocka_unit_test(test_tracepoints),
		cmocka_unit_test(test_tracepoint_glob),
		cmocka_unit_test(test_usdt),
		cmocka_unit_test(test_python_usdt),
		cmocka_unit_test(test_drops_counted),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_list_events),
		cmocka_unit_test(test_filter_redact_generic),
	};

	if (!can_run())
		return 77;
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	return cmocka_run_group_tests_name("probes", tests, NULL, cleanup_tmp);
}
