// SPDX-License-Identifier: MIT
/*
 * Every input a fuzzer once crashed on (tests/fuzz/regress/<target>/) and
 * every seed (tests/fuzz/corpus/<target>/), run through the fuzz target's
 * own code in an ordinary build.  Under `make sanitize` ASan and UBSan see
 * them again; anywhere, a crash fails the test.  The targets are compiled
 * in here under their own names, so no libFuzzer is needed.
 *
 * Fuzz builds skip block CRCs, so a find's CRCs are usually wrong and an
 * ordinary reader would stop at the first block; the CRCs are recomputed
 * first so that the input reaches the code it once crashed.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../cli/verbs.h"

#define LLVMFuzzerTestOneInput fuzz_reader_one
#include "fuzz/fuzz_reader.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_replay_one
#include "fuzz/fuzz_replay.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_filter_one
#include "fuzz/fuzz_filter.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_tpfmt_one
#include "fuzz/fuzz_tpfmt.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_sql_one
#include "fuzz/fuzz_sql.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_symtab_one
#include "fuzz/fuzz_symtab.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_mapping_one
#include "fuzz/fuzz_mapping.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_stacks_one
#include "fuzz/fuzz_stacks.c"
#undef LLVMFuzzerTestOneInput

typedef int (*fuzz_fn)(const uint8_t *data, size_t size);

/* format/tape__crc32c.c (libtape) */
uint32_t tape__crc32c(uint32_t crc, const void *buf, size_t len);

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/*
 * Recompute the CRC of everything that looks like a block header (docs/
 * FORMAT.md, "Block framing").  From the end backwards: a header inside
 * another block's body is fixed before the CRC of that body is taken.
 */
static void fix_crcs(uint8_t *d, size_t size)
{
	for (size_t off = size >= 20 ? size - 20 + 1 : 0; off-- > 0;) {
		uint32_t len, crc;

		if (le32(d + off) != 0x4B4C4254)
			continue;
		len = le32(d + off + 12);
		if (len > size - off - 20)
			continue;
		crc = tape__crc32c(tape__crc32c(0, d + off, 16), d + off + 20, len);
		for (int i = 0; i < 4; i++)
			d[off + 16 + i] = crc >> (8 * i);
	}
}

static int read_file(const char *path, uint8_t **data, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0;
	int ret = -EIO;

	if (!f)
		return -errno;
	for (;;) {
		size_t got;

		if (n == cap) {
			uint8_t *nb = realloc(buf, cap ? cap * 2 : 65536);

			if (!nb) {
				ret = -ENOMEM;
				goto cleanup;
			}
			buf = nb;
			cap = cap ? cap * 2 : 65536;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (!got)
			break;
	}
	if (ferror(f))
		goto cleanup;
	*data = buf;
	*size = n;
	buf = NULL;
	ret = 0;
cleanup:
	free(buf);
	fclose(f);
	return ret;
}

/* Run @fn over every file of @dir; returns how many, or -1 if @dir is missing
 * when it must exist. */
static int run_dir(const char *dir, fuzz_fn fn, bool tape)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d))) {
		char path[1024];
		uint8_t *data = NULL;
		size_t size = 0;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (read_file(path, &data, &size)) {
			print_error("cannot read %s\n", path);
			closedir(d);
			return -1;
		}
		print_message("  %s (%zu bytes)\n", path, size);
		if (tape)
			fix_crcs(data, size);
		fn(data, size);
		free(data);
		n++;
	}
	closedir(d);
	return n;
}

static void run_target(const char *target, fuzz_fn fn, bool tape)
{
	char dir[256];
	int seeds, finds;

	snprintf(dir, sizeof(dir), "tests/fuzz/corpus/%s", target);
	seeds = run_dir(dir, fn, tape);
	snprintf(dir, sizeof(dir), "tests/fuzz/regress/%s", target);
	finds = run_dir(dir, fn, tape);
	assert_true(seeds >= 0 && finds >= 0);
	/* a target without seeds would make this test pass on nothing */
	assert_true(seeds + finds > 0);
}

static void test_reader(void **state)
{
	(void)state;
	run_target("fuzz_reader", fuzz_reader_one, true);
}

static void test_replay(void **state)
{
	(void)state;
	run_target("fuzz_replay", fuzz_replay_one, true);
}

static void test_filter(void **state)
{
	(void)state;
	run_target("fuzz_filter", fuzz_filter_one, true);
}

static void test_tpfmt(void **state)
{
	(void)state;
	run_target("fuzz_tpfmt", fuzz_tpfmt_one, false);
}

/* block bodies: the target frames them itself */
static void test_mapping(void **state)
{
	(void)state;
	run_target("fuzz_mapping", fuzz_mapping_one, false);
}

static void test_sql(void **state)
{
	(void)state;
	run_target("fuzz_sql", fuzz_sql_one, true);
}

static void test_symtab(void **state)
{
	(void)state;
	run_target("fuzz_symtab", fuzz_symtab_one, false);
}

static void test_stacks(void **state)
{
	(void)state;
	run_target("fuzz_stacks", fuzz_stacks_one, false);
}

/*
 * A valid tape of 2000 types with 64 distinct field names each and one
 * event: `export --format csv` once sized its column map types x columns
 * (1 GB here) and compared every column name with every other; it must
 * take time and memory in proportion to the tape.
 */
static void test_export_many_types(void **state)
{
	static struct tape_field f[64];
	static char names[64][24];
	union tape_value v[64] = {0};
	char in[] = "/tmp/bpftape-many-XXXXXX", tn[32];
	struct tape_writer *w;
	struct timespec t0, t1;
	int fd, id = 0;

	(void)state;
	fd = mkstemp(in);
	assert_true(fd >= 0);
	close(fd);
	w = tape_writer__open(in, NULL);
	assert_non_null(w);
	for (int t = 0; t < 2000; t++) {
		struct tape_type tp = {
			.name = tn, .source = "", .format = "", .nfields = 64, .fields = f};

		for (int i = 0; i < 64; i++) {
			snprintf(names[i], sizeof(names[i]), "f%d_%d", t, i);
			f[i].name = names[i];
			f[i].kind = TAPE_U8;
		}
		snprintf(tn, sizeof(tn), "t%d", t);
		id = tape_writer__add_type(w, &tp);
		assert_true(id > 0);
	}
	{
		struct tape_event ev = {
			.ts = 1000, .pid = 1, .tid = 1, .type = id, .comm = "x", .values = v};

		assert_int_equal(tape_writer__append(w, &ev), 0);
	}
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);
	{
		char *argv[] = {"export", "--format", "csv", "-o", "/dev/null", in, NULL};

		clock_gettime(CLOCK_MONOTONIC, &t0);
		assert_int_equal(cmd_export(6, argv), 0);
		clock_gettime(CLOCK_MONOTONIC, &t1);
	}
	unlink(in);
	/* about 0.5 s with ASan; the old map did not finish in minutes */
	assert_true(t1.tv_sec - t0.tv_sec < 30);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reader),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_tpfmt),
		cmocka_unit_test(test_mapping),
		cmocka_unit_test(test_symtab),
		cmocka_unit_test(test_sql),
		cmocka_unit_test(test_stacks),
		cmocka_unit_test(test_export_many_types),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
