// SPDX-License-Identifier: MIT
/*
 * record/ksyms.c on crafted kallsyms and modules files: kernel frames are
 * named only where a function is known to lie, never by the nearest
 * symbol across a gap.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../record/ksyms.c"

static char kall[64], mods[64];

static void write_file(char *path, const char *text)
{
	int fd;

	strcpy(path, "/tmp/test_ksyms.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static const char kallsyms_text[] = "ffffffff81000000 T _stext\n"
				    "ffffffff81000000 T startup_64\n"
				    "ffffffff81000100 t do_thing\n"
				    "ffffffff81000200 D some_data\n" /* data: not a function */
				    "ffffffff81000300 W weak_fn\n"
				    "ffffffff81001000 T _etext\n"
				    "ffffffffc0000000 t nft_do_chain\t[nf_tables]\n"
				    "ffffffffc0000400 t nft_other\t[nf_tables]\n"
				    "ffffffffc0100000 t bpf_prog_6deef7357e7b4530_x\t[bpf]\n"
				    "ffffffffc0100800 t bpf_prog_aaaaaaaaaaaaaaaa_y\t[bpf]\n"
				    "ffffffffc0200000 t late_fn\t[other]\n";

static int setup(void **state)
{
	(void)state;
	write_file(kall, kallsyms_text);
	/* nf_tables is 0x1000 bytes long: past it nothing is named */
	write_file(mods, "nf_tables 4096 0 - Live 0xffffffffc0000000\n");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(kall);
	unlink(mods);
	return 0;
}

static void expect(const struct ksyms *ks, uint64_t addr, const char *name, uint64_t off,
		   const char *module)
{
	struct ksym_hit hit;
	int ret = ksyms__resolve(ks, addr, &hit);

	if (!name) {
		if (ret != -ENOENT)
			fail_msg("0x%llx named %s+0x%llx, expected unknown",
				 (unsigned long long)addr, hit.name,
				 (unsigned long long)hit.offset);
		return;
	}
	assert_int_equal(ret, 0);
	assert_string_equal(hit.name, name);
	assert_int_equal(hit.offset, off);
	if (module)
		assert_string_equal(hit.module, module);
	else
		assert_null(hit.module);
}

static void test_resolve(void **state)
{
	struct ksyms *ks = ksyms__load(kall, mods);

	(void)state;
	assert_non_null(ks);
	expect(ks, 0xffffffff81000105, "do_thing", 5, NULL);
	/* a data symbol does not end the function before it */
	expect(ks, 0xffffffff81000250, "do_thing", 0x150, NULL);
	expect(ks, 0xffffffff81000310, "weak_fn", 0x10, NULL);
	expect(ks, 0xffffffff80ffffff, NULL, 0, NULL); /* below everything */
	expect(ks, 0xffffffff81001000, NULL, 0, NULL); /* past _etext */
	expect(ks, 0xffffffffc0000010, "nft_do_chain", 0x10, "nf_tables");
	expect(ks, 0xffffffffc0000410, "nft_other", 0x10, "nf_tables");
	expect(ks, 0xffffffffc0001000, NULL, 0, NULL); /* past the module */
	expect(ks, 0xffffffffc0100020, "bpf_prog_6deef7357e7b4530_x", 0x20, "bpf");
	expect(ks, 0xffffffffc0100810, NULL, 0, NULL); /* after the last of [bpf] */
	expect(ks, 0xffffffffc0200010, NULL, 0, NULL); /* last symbol, no extent */
	assert_int_equal(ksyms__count(ks), 10);
	ksyms__free(ks);
}

/* Without root, kallsyms shows every address as 0: nothing to name. */
static void test_restricted(void **state)
{
	char path[64];

	(void)state;
	write_file(path, "0000000000000000 T _stext\n0000000000000000 t do_thing\n");
	errno = 0;
	assert_null(ksyms__load(path, "/nonexistent"));
	assert_int_equal(errno, ENODATA);
	unlink(path);
	assert_null(ksyms__load("/nonexistent/kallsyms", NULL));
	assert_int_equal(errno, ENOENT);
}

/* A missing modules file is a kernel without modules. */
static void test_no_modules(void **state)
{
	struct ksyms *ks = ksyms__load(kall, "/nonexistent");

	(void)state;
	assert_non_null(ks);
	expect(ks, 0xffffffffc0000010, "nft_do_chain", 0x10, "nf_tables");
	/* the last symbol of a module: where it ends is not known */
	expect(ks, 0xffffffffc0000410, NULL, 0, NULL);
	ksyms__free(ks);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_restricted),
		cmocka_unit_test(test_no_modules),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
