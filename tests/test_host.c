// SPDX-License-Identifier: MIT
/*
 * What the recorder writes at the head of a tape besides the schema
 * (record/host.c): the host metadata keys and their values, written through
 * an in-memory tape_io and read back; the clocks; the /proc snapshot; cgroup
 * ids.  No root, no BPF: only record/host.o is linked.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mntent.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "../record/host.h"
#include "unit_util.h"

static uint64_t ns_of(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static const char *value_of(const struct record_meta *m, const char *key)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->key[i], key))
			return m->value[i];
	return NULL;
}

/* Every key of docs/EVENTS.md "Metadata", in that order, with values taken
 * from the machine. */
static void test_meta_collect(void **state)
{
	static const char *const keys[] = {
		"host.name",
		"host.kernel",
		"host.machine",
		"host.ncpus",
		"clock.boottime_to_realtime_ns",
		"recorder.version",
		"recorder.cmdline",
		"record.start_ts",
		"record.start_time",
	};
	char *argv[] = {"bpftape", "record", "-o", "x y.tape", "--", "sleep", "1", NULL};
	struct record_meta m = {0};
	char host[256] = "", when[64];
	struct utsname u;
	uint64_t b0, b1, start;
	int64_t off;
	char *end;

	(void)state;
	b0 = host__boottime_ns();
	assert_int_equal(record_meta__collect(&m, 7, argv), 0);
	b1 = host__boottime_ns();
	assert_int_equal(m.n, sizeof(keys) / sizeof(keys[0]));
	for (size_t i = 0; i < m.n; i++)
		assert_string_equal(m.key[i], keys[i]);

	gethostname(host, sizeof(host) - 1);
	uname(&u);
	assert_string_equal(value_of(&m, "host.name"), host);
	assert_string_equal(value_of(&m, "host.kernel"), u.release);
	assert_string_equal(value_of(&m, "host.machine"), u.machine);
	assert_int_equal(strtol(value_of(&m, "host.ncpus"), NULL, 10),
			 sysconf(_SC_NPROCESSORS_CONF));
	assert_string_equal(value_of(&m, "recorder.version"), "bpftape " BPFTAPE_VERSION);
	assert_string_equal(value_of(&m, "recorder.cmdline"),
			    "bpftape record -o x y.tape -- sleep 1");
	start = strtoull(value_of(&m, "record.start_ts"), &end, 10);
	assert_int_equal(*end, 0);
	assert_true(start >= b0 && start <= b1);
	off = strtoll(value_of(&m, "clock.boottime_to_realtime_ns"), &end, 10);
	assert_int_equal(*end, 0);
	/* the start time is start_ts on the wall clock, to the second */
	{
		time_t t = (time_t)((start + (uint64_t)off) / 1000000000ull);
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		assert_string_equal(value_of(&m, "record.start_time"), when);
	}
	record_meta__free(&m);
	assert_int_equal(m.n, 0);
	record_meta__free(NULL);
}

/* A command line longer than the buffer is cut, not overrun. */
static void test_meta_long_cmdline(void **state)
{
	static char arg[3000];
	char *argv[] = {arg, arg, arg, NULL};
	struct record_meta m = {0};
	const char *cmd;

	(void)state;
	memset(arg, 'a', sizeof(arg) - 1);
	assert_int_equal(record_meta__collect(&m, 3, argv), 0);
	cmd = value_of(&m, "recorder.cmdline");
	assert_non_null(cmd);
	assert_true(strlen(cmd) >= 4000 && strlen(cmd) < 4096);
	assert_int_equal(strspn(cmd, "a "), strlen(cmd));
	record_meta__free(&m);
}

static void test_meta_add_write(void **state)
{
	struct record_meta m = {0};
	struct golden_mem mem = {0};
	struct tape_io io = {golden_mem_write, golden_mem_truncate, &mem};
	struct tape_writer *w;
	struct tape_reader *r;
	char key[32];

	(void)state;
	assert_int_equal(record_meta__add(&m, "a.b", "%d-%s", 42, "x"), 0);
	assert_int_equal(record_meta__add(&m, "empty", "%s", ""), 0);
	for (size_t i = 2; i < RECORD_META_MAX; i++) {
		snprintf(key, sizeof(key), "k%zu", i);
		assert_int_equal(record_meta__add(&m, key, "%zu", i * 10), 0);
	}
	assert_int_equal(record_meta__add(&m, "one.too.many", "x"), -ENOSPC);
	assert_int_equal(m.n, RECORD_META_MAX);

	w = tape_writer__new(&io, NULL);
	assert_non_null(w);
	assert_int_equal(record_meta__write(&m, w), 0);
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);
	r = unit_open_mem(&mem);
	assert_int_equal(tape_reader__meta_count(r), RECORD_META_MAX);
	assert_string_equal(tape_reader__meta(r, "a.b"), "42-x");
	assert_string_equal(tape_reader__meta(r, "empty"), "");
	assert_string_equal(tape_reader__meta(r, "k31"), "310");
	tape_reader__free(r);
	free(mem.data);
	record_meta__free(&m);
}

/* The boot-time clock is CLOCK_BOOTTIME, and the offset turns it into the
 * wall clock. */
static void test_clocks(void **state)
{
	uint64_t b0, b, b1, wall;
	int64_t off;

	(void)state;
	b0 = ns_of(CLOCK_BOOTTIME);
	b = host__boottime_ns();
	b1 = ns_of(CLOCK_BOOTTIME);
	assert_true(b >= b0 && b <= b1);
	off = host__boottime_to_realtime_ns();
	wall = ns_of(CLOCK_REALTIME);
	b = ns_of(CLOCK_BOOTTIME);
	/* wide bounds: a loaded machine may stall between the readings */
	assert_true(llabs((long long)(wall - (b + (uint64_t)off))) < 1000000000ll);
	assert_true(off > 0);
}

/* This process in the snapshot as /proc describes it; ancestry. */
static void test_snapshot(void **state)
{
	struct proc_snapshot snap = {0};
	const struct tape_proc *me, *parent;
	char exe[4096];
	ssize_t n;

	(void)state;
	assert_int_equal(proc_snapshot__read(&snap), 0);
	assert_true(snap.n >= 2);
	me = proc_snapshot__find(&snap, (uint32_t)getpid());
	assert_non_null(me);
	assert_int_equal(me->ppid, (uint32_t)getppid());
	assert_int_equal(me->uid, getuid());
	assert_string_equal(me->comm, "test_host");
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = 0;
	assert_string_equal(me->exe, exe);
	/* argv: separators only, no final NUL */
	assert_non_null(me->argv);
	assert_true(me->argv_len > 0);
	assert_int_not_equal(me->argv[me->argv_len - 1], 0);
	assert_non_null(strstr(me->argv, "test_host"));
	assert_true(me->start_ts > 0 && me->start_ts <= host__boottime_ns());
	assert_non_null(me->cgroup);
	assert_null(strchr(me->cgroup, '\n'));

	parent = proc_snapshot__find(&snap, me->ppid);
	if (parent)
		assert_true(proc_snapshot__descends(&snap, me->pid, parent->pid));
	assert_true(proc_snapshot__descends(&snap, me->pid, me->pid));
	if (proc_snapshot__find(&snap, 1))
		assert_true(proc_snapshot__descends(&snap, me->pid, 1));
	assert_false(proc_snapshot__descends(&snap, 1, me->pid));
	assert_false(proc_snapshot__descends(&snap, me->pid, 0));
	assert_null(proc_snapshot__find(&snap, 0));
	proc_snapshot__free(&snap);
	assert_int_equal(snap.n, 0);
	proc_snapshot__free(NULL);
}

/* A table with a cycle (read while pids were reused) ends the walk. */
static void test_descends_cycle(void **state)
{
	struct tape_proc procs[] = {
		{.pid = 10, .ppid = 11},
		{.pid = 11, .ppid = 10},
		{.pid = 12, .ppid = 12},
	};
	struct proc_snapshot snap = {.n = 3, .procs = procs};

	(void)state;
	assert_true(proc_snapshot__descends(&snap, 10, 11));
	assert_false(proc_snapshot__descends(&snap, 10, 99));
	assert_false(proc_snapshot__descends(&snap, 12, 99));
	assert_false(proc_snapshot__descends(&snap, 13, 99));
}

static void test_cgroup_id(void **state)
{
	char mnt[4096] = "";
	struct mntent *me;
	struct stat st;
	uint64_t id = 0;
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
	if (!mnt[0]) {
		print_message("no cgroup2 mount: skipped\n");
		skip();
	}
	assert_int_equal(stat(mnt, &st), 0);
	/* the mount's directory given as it is, and as a path inside it */
	assert_int_equal(host__cgroup_id(mnt, &id), 0);
	assert_int_equal(id, st.st_ino);
	id = 0;
	assert_int_equal(host__cgroup_id("/", &id), 0);
	assert_int_equal(id, st.st_ino);
	assert_int_equal(host__cgroup_id("/no/such/cgroup", &id), -ENOENT);
	/* ".." leads out of the mount: no cgroup's id */
	assert_int_equal(host__cgroup_id("..", &id), -EXDEV);
	/* a file of the cgroup is no cgroup */
	assert_int_equal(host__cgroup_id("cgroup.procs", &id), -ENOTDIR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_meta_collect),   cmocka_unit_test(test_meta_long_cmdline),
		cmocka_unit_test(test_meta_add_write), cmocka_unit_test(test_clocks),
		cmocka_unit_test(test_snapshot),       cmocka_unit_test(test_descends_cycle),
		cmocka_unit_test(test_cgroup_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
