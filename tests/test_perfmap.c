// SPDX-License-Identifier: MIT
/* record/perfmap.c: /tmp/perf-PID.map files, in a directory of the test's. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../record/perfmap.h"

static char dir[] = "/tmp/bpftape-test-perfmap-XXXXXX";

static void write_map(unsigned pid, const char *mode, const char *fmt, ...)
{
	char path[128];
	va_list ap;
	FILE *f;

	snprintf(path, sizeof(path), "%s/perf-%u.map", dir, pid);
	f = fopen(path, mode);
	assert_non_null(f);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	assert_int_equal(fclose(f), 0);
}

static void pause_ms(long ms)
{
	struct timespec ts = {0, ms * 1000000};

	nanosleep(&ts, NULL);
}

static void test_lookup(void **state)
{
	struct perfmaps *pm = perfmaps__new(dir);
	struct perfmap_hit h;
	char want[128];

	(void)state;
	assert_non_null(pm);
	/* out of order, 0x or not, a name with spaces, junk lines */
	write_map(101, "w",
		  "7f0000002000 100 second fn\n"
		  "garbage\n"
		  "0x7f0000001000 0x10 first\n"
		  "7f0000003000 0 empty\n"
		  "7f0000004000 zz bad size\n"
		  "7f0000005000 20\n");
	assert_int_equal(perfmaps__resolve(pm, 101, 0x7f0000001004, false, &h), 0);
	assert_string_equal(h.name, "first");
	assert_int_equal(h.offset, 4);
	snprintf(want, sizeof(want), "%s/perf-101.map", dir);
	assert_string_equal(h.path, want);
	assert_int_equal(perfmaps__resolve(pm, 101, 0x7f00000020ff, false, &h), 0);
	assert_string_equal(h.name, "second fn");
	assert_int_equal(h.offset, 0xff);
	/* past the end: nothing, not the nearest below */
	assert_int_equal(perfmaps__resolve(pm, 101, 0x7f0000001010, false, &h), -ENOENT);
	assert_int_equal(perfmaps__resolve(pm, 101, 0x7f0000002100, false, &h), -ENOENT);
	/* a return address right after the function: its call was inside */
	assert_int_equal(perfmaps__resolve(pm, 101, 0x7f0000001010, true, &h), 0);
	assert_string_equal(h.name, "first");
	assert_int_equal(h.offset, 0x10);
	assert_int_equal(perfmaps__resolve(pm, 101, 0x7f0000003000, false, &h), -ENOENT);
	assert_int_equal(perfmaps__resolve(pm, 101, 0x7f0000005000, false, &h), -ENOENT);
	assert_int_equal(perfmaps__skipped(pm), 4);
	/* interned: the same pointer every time */
	{
		const char *a;

		assert_int_equal(perfmaps__resolve(pm, 101, 0x7f0000001000, false, &h), 0);
		a = h.name;
		assert_int_equal(perfmaps__resolve(pm, 101, 0x7f0000001008, false, &h), 0);
		assert_ptr_equal(a, h.name);
	}
	/* no file */
	assert_int_equal(perfmaps__resolve(pm, 102, 0x7f0000001004, false, &h), -ENOENT);
	perfmaps__free(pm);
}

/* A JIT appends: the file is read again once it changed; a later line
 * wins where code was reused; what was read stays once the file is gone. */
static void test_grow(void **state)
{
	struct perfmaps *pm = perfmaps__new(dir);
	struct perfmap_hit h;
	char path[128];

	(void)state;
	write_map(201, "w", "1000 100 old\n");
	assert_int_equal(perfmaps__resolve(pm, 201, 0x1010, false, &h), 0);
	assert_string_equal(h.name, "old");
	assert_int_equal(perfmaps__resolve(pm, 201, 0x2010, false, &h), -ENOENT);
	write_map(201, "a", "2000 100 new\n1000 80 reused\n");
	pause_ms(20);
	assert_int_equal(perfmaps__resolve(pm, 201, 0x2010, false, &h), 0);
	assert_string_equal(h.name, "new");
	assert_int_equal(perfmaps__resolve(pm, 201, 0x1010, false, &h), 0);
	assert_string_equal(h.name, "reused");
	assert_int_equal(perfmaps__resolve(pm, 201, 0x10a0, false, &h), 0);
	assert_string_equal(h.name, "old");
	snprintf(path, sizeof(path), "%s/perf-201.map", dir);
	assert_int_equal(unlink(path), 0);
	pause_ms(20);
	assert_int_equal(perfmaps__resolve(pm, 201, 0x2010, false, &h), 0);
	assert_string_equal(h.name, "new");
	/* exec: forgotten, and the file is gone */
	perfmaps__forget(pm, 201);
	assert_int_equal(perfmaps__resolve(pm, 201, 0x2010, false, &h), -ENOENT);
	perfmaps__free(pm);
}

/* Bad input: a symlink is not followed, an overlong name is skipped and
 * the next line still read. */
static void test_bad(void **state)
{
	struct perfmaps *pm = perfmaps__new(dir);
	struct perfmap_hit h;
	char path[128], *longname;

	(void)state;
	write_map(301, "w", "1000 10 secret\n");
	snprintf(path, sizeof(path), "%s/perf-302.map", dir);
	{
		char target[128];

		snprintf(target, sizeof(target), "%s/perf-301.map", dir);
		assert_int_equal(symlink(target, path), 0);
	}
	assert_int_equal(perfmaps__resolve(pm, 302, 0x1004, false, &h), -ENOENT);
	longname = malloc(PERFMAP_MAX_NAME * 3);
	assert_non_null(longname);
	memset(longname, 'x', PERFMAP_MAX_NAME * 3 - 1);
	longname[PERFMAP_MAX_NAME * 3 - 1] = 0;
	write_map(303, "w", "1000 10 %s\n2000 10 after\n", longname);
	free(longname);
	assert_int_equal(perfmaps__resolve(pm, 303, 0x1004, false, &h), -ENOENT);
	assert_int_equal(perfmaps__resolve(pm, 303, 0x2004, false, &h), 0);
	assert_string_equal(h.name, "after");
	/* owned by someone else than root, us, or the process (gone here) */
	if (geteuid() == 0) {
		write_map(4194000, "w", "1000 10 planted\n");
		snprintf(path, sizeof(path), "%s/perf-4194000.map", dir);
		assert_int_equal(chown(path, 12345, 12345), 0);
		assert_int_equal(perfmaps__resolve(pm, 4194000, 0x1004, false, &h), -ENOENT);
	}
	perfmaps__free(pm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_grow),
		cmocka_unit_test(test_bad),
	};
	char cmd[128];
	int ret;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		fprintf(stderr, "test_perfmap: could not remove %s\n", dir);
	return ret;
}
