// SPDX-License-Identifier: MIT
/*
 * The mapping probes for real (root, BPF): a workload dlopen()s a shared
 * object the tests built, calls into it and exits at once.  Its mapping
 * reaches the tape through the kernel's records alone (the process is gone
 * before anyone could read its /proc/PID/maps, and the library was mapped
 * after the recording's snapshot), with the right path and file offset:
 * the address the workload printed resolves, from the tape, to the offset
 * its own program headers give.  Each test runs twice: with the exec
 * events alone, the mapping probes follow mmap and munmap with their own
 * sys_exit program; with a file event too, the file family's sys_exit
 * program follows them instead (WANT_MMAP).
 *
 * BPFTAPE names the bpftape binary (default: ../bpftape next to this
 * test); the workload and the library are found next to this test.
 * Exits 77 with the reason when not root or when the kernel refuses BPF.
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
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <bpftape/tape.h>

static char bpftape[PATH_MAX + 16];
static char dir[PATH_MAX];
static char tmpdir[PATH_MAX];

/* Run @argv with stdout into @out and stderr into @err; the exit status. */
static int run(char *const argv[], const char *out, const char *err, bool mappings)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(o, 1);
		dup2(e, 2);
		if (mappings)
			setenv("BPFTAPE_RECORD_MAPPINGS", "1", 1);
		else
			unsetenv("BPFTAPE_RECORD_MAPPINGS");
		execv(argv[0], argv);
		_exit(126);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void show(const char *path)
{
	char line[512];
	FILE *f = fopen(path, "r");

	while (f && fgets(line, sizeof(line), f))
		print_message("  %s", line);
	if (f)
		fclose(f);
}

struct rec {
	char tape[PATH_MAX + 16];
	int pid;
	unsigned long long addr, offset;
	unsigned long long main_addr, main_offset; /* "fork" */
};

/* Record the workload (in @mode, or NULL) with events @events; its pid and
 * what it printed into @out. */
static void record(struct rec *out, bool mappings, char *events, char *mode)
{
	char work[PATH_MAX + 32], lib[PATH_MAX + 32], o[PATH_MAX + 16], e[PATH_MAX + 16];
	char *argv[] = {bpftape, "record", "-e", events, "-o", out->tape,
			"--",	 work,	   lib,	 mode,	 NULL};
	FILE *f;
	int rc;

	snprintf(work, sizeof(work), "%s/work_dlopen", dir);
	snprintf(lib, sizeof(lib), "%s/libwork_dso.so", dir);
	snprintf(out->tape, sizeof(out->tape), "%s/%s%s.tape", tmpdir, mappings ? "maps" : "plain",
		 mode ? mode : "");
	snprintf(o, sizeof(o), "%s/out", tmpdir);
	snprintf(e, sizeof(e), "%s/err", tmpdir);
	rc = run(argv, o, e, mappings);
	if (rc) {
		show(e);
		fail_msg("bpftape record exited with %d", rc);
	}
	f = fopen(o, "r");
	assert_non_null(f);
	if (fscanf(f, "%d %llx %llx", &out->pid, &out->addr, &out->offset) != 3 ||
	    (mode && fscanf(f, "%llx %llx", &out->main_addr, &out->main_offset) != 2)) {
		show(o);
		fail_msg("the workload printed no address");
	}
	fclose(f);
}

static void test_dlopen_exit(void **state)
{
	char lib[PATH_MAX + 32], want[PATH_MAX], err[256];
	const struct tape_binary *b;
	struct tape_reader *r;
	struct rec rec;
	uint64_t start_ts, offset, exec_ts = 0, map_ts = 0;
	uint32_t bin;
	const char *v;
	bool exe_seen = false;

	record(&rec, true, *state, NULL);
	snprintf(lib, sizeof(lib), "%s/libwork_dso.so", dir);
	assert_non_null(realpath(lib, want));
	r = tape_reader__open(rec.tape, err, sizeof(err));
	if (!r)
		fail_msg("%s: %s", rec.tape, err);
	assert_int_equal(tape_reader__problem_count(r), 0);
	v = tape_reader__meta(r, "record.start_ts");
	assert_non_null(v);
	start_ts = strtoull(v, NULL, 10);
	/* exec, then the new image (the executable itself among it), then the
	 * library, all after the recording started */
	for (size_t i = 0; i < tape_reader__mapping_count(r); i++) {
		const struct tape_mapping *m = tape_reader__mapping(r, i);

		if (m->pid != (uint32_t)rec.pid)
			continue;
		if (m->kind == TAPE_MAPPING_EXEC)
			exec_ts = m->ts;
		if (m->kind != TAPE_MAPPING_MAP || !exec_ts)
			continue;
		b = tape_reader__binary_by_id(r, m->binary);
		assert_non_null(b);
		if (strstr(b->path, "/work_dlopen"))
			exe_seen = true;
		if (!strcmp(b->path, want))
			map_ts = m->ts;
	}
	if (!exec_ts)
		fail_msg("no exec record for pid %d", rec.pid);
	assert_true(exe_seen);
	if (!map_ts)
		fail_msg("no mapping of %s for pid %d", want, rec.pid);
	assert_true(exec_ts > start_ts);
	assert_true(map_ts > exec_ts);
	/* the address the workload called resolves to its file offset */
	assert_int_equal(tape_reader__resolve_addr(r, rec.pid, UINT64_MAX, rec.addr, &bin, &offset),
			 0);
	b = tape_reader__binary_by_id(r, bin);
	assert_non_null(b);
	assert_string_equal(b->path, want);
	if (offset != rec.offset)
		fail_msg("0x%llx resolves to offset 0x%llx, the workload says 0x%llx", rec.addr,
			 (unsigned long long)offset, rec.offset);
	/* the process is gone: /proc could not have said any of it */
	{
		char p[64];

		snprintf(p, sizeof(p), "/proc/%d/maps", rec.pid);
		assert_true(access(p, F_OK) != 0);
	}
	tape_reader__free(r);
}

/*
 * A forked child (no exec) has its parent's mappings, and a library it
 * dlclose()s is unmapped from then on: fork and munmap reach the tape.
 */
static void test_fork_dlclose(void **state)
{
	char lib[PATH_MAX + 32], want[PATH_MAX], err[256];
	const struct tape_binary *b;
	struct tape_reader *r;
	struct rec rec;
	uint64_t offset, map_ts = 0, unmap_ts = 0, map_start = 0;
	uint32_t bin, ppid = 0;

	record(&rec, true, *state, "fork");
	snprintf(lib, sizeof(lib), "%s/libwork_dso.so", dir);
	assert_non_null(realpath(lib, want));
	r = tape_reader__open(rec.tape, err, sizeof(err));
	if (!r)
		fail_msg("%s: %s", rec.tape, err);
	for (size_t i = 0; i < tape_reader__mapping_count(r); i++) {
		const struct tape_mapping *m = tape_reader__mapping(r, i);

		if (m->pid != (uint32_t)rec.pid)
			continue;
		if (m->kind == TAPE_MAPPING_FORK)
			ppid = m->ppid;
		b = m->kind == TAPE_MAPPING_MAP ? tape_reader__binary_by_id(r, m->binary) : NULL;
		if (b && !strcmp(b->path, want) && rec.addr >= m->start && rec.addr < m->end) {
			map_ts = m->ts;
			map_start = m->start;
		}
		if (m->kind == TAPE_MAPPING_UNMAP && map_ts && m->start <= map_start &&
		    m->end > map_start)
			unmap_ts = m->ts;
	}
	if (!ppid)
		fail_msg("no fork record for pid %d", rec.pid);
	if (!map_ts || !unmap_ts)
		fail_msg("pid %d: the library's mapping at ts %llu, its unmapping at ts %llu",
			 rec.pid, (unsigned long long)map_ts, (unsigned long long)unmap_ts);
	/* the child's own code, from the parent's exec through the fork */
	assert_int_equal(
		tape_reader__resolve_addr(r, rec.pid, map_ts, rec.main_addr, &bin, &offset), 0);
	b = tape_reader__binary_by_id(r, bin);
	assert_non_null(b);
	assert_non_null(strstr(b->path, "/work_dlopen"));
	assert_int_equal(offset, rec.main_offset);
	/* the library while it was mapped, and not after dlclose() */
	assert_int_equal(tape_reader__resolve_addr(r, rec.pid, map_ts, rec.addr, &bin, &offset), 0);
	assert_int_equal(offset, rec.offset);
	assert_int_equal(tape_reader__resolve_addr(r, rec.pid, unmap_ts, rec.addr, &bin, &offset),
			 -ENOENT);
	tape_reader__free(r);
}

/* Without stacks, a tape has no mapping block. */
static void test_off_by_default(void **state)
{
	struct tape_reader *r;
	struct rec rec;
	char err[256];

	(void)state;
	record(&rec, false, "exec", NULL);
	r = tape_reader__open(rec.tape, err, sizeof(err));
	if (!r)
		fail_msg("%s: %s", rec.tape, err);
	assert_int_equal(tape_reader__mapping_count(r), 0);
	assert_int_equal(tape_reader__binary_count(r), 0);
	tape_reader__free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_prestate(test_dlopen_exit, "exec"),
		cmocka_unit_test_prestate(test_dlopen_exit, "exec,open"),
		cmocka_unit_test_prestate(test_fork_dlclose, "exec"),
		cmocka_unit_test_prestate(test_fork_dlclose, "exec,open"),
		cmocka_unit_test(test_off_by_default),
	};
	char self[PATH_MAX], probe[PATH_MAX + 64], o[PATH_MAX + 16], e[PATH_MAX + 16];
	const char *env = getenv("BPFTAPE");
	ssize_t n;
	int ret;

	if (geteuid() != 0) {
		printf("test_maps_root: skipped: needs root to load BPF programs\n");
		return 77;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return 1;
	self[n] = 0;
	snprintf(dir, sizeof(dir), "%s", self);
	*strrchr(dir, '/') = 0;
	if (env)
		snprintf(bpftape, sizeof(bpftape), "%s", env);
	else
		snprintf(bpftape, sizeof(bpftape), "%s/../bpftape", dir);
	snprintf(probe, sizeof(probe), "%s/libwork_dso.so", dir);
	if (access(probe, R_OK)) {
		printf("test_maps_root: skipped: %s is not built (make root-tests builds it)\n",
		       probe);
		return 77;
	}
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/bpftape-test-maps-XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	/* can bpftape record here at all?  (the mapping probes must then load) */
	{
		char *argv[] = {bpftape, "record", "-e",	"exec", "-o",
				probe,	 "--",	   "/bin/true", NULL};

		snprintf(probe, sizeof(probe), "%s/probe.tape", tmpdir);
		snprintf(o, sizeof(o), "%s/out", tmpdir);
		snprintf(e, sizeof(e), "%s/err", tmpdir);
		if (run(argv, o, e, false)) {
			printf("test_maps_root: skipped: the recorder cannot run here:\n");
			fflush(stdout);
			show(e);
			return 77;
		}
	}
	ret = cmocka_run_group_tests_name("maps_root", tests, NULL, NULL);
	snprintf(probe, sizeof(probe), "rm -rf '%s'", tmpdir);
	if (system(probe))
		ret = ret ? ret : 1;
	return ret;
}
