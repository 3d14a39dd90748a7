// SPDX-License-Identifier: MIT
/*
 * Symbol tables and binary blocks (format/symtab.c): round trips, the
 * lookup conventions perf uses (size 0 up to the next symbol, nothing
 * outside symbols), the choice among aliases, and hostile bytes that must
 * come back as named errors.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "private/symtab.h"
#include "private/block.h"

static struct symtab *roundtrip(struct symtab_sym *syms, size_t n, struct buf *b)
{
	char err[200] = "";
	struct symtab *t;

	b->len = 0;
	assert_int_equal(tape__symtab_encode(b, syms, n), 0);
	t = tape__symtab_decode(b->data, b->len, err, sizeof(err));
	if (!t)
		fail_msg("decode: %s", err);
	return t;
}

static void expect(const struct symtab *t, uint64_t addr, uint64_t limit, const char *name,
		   uint64_t off)
{
	uint64_t o = 12345;
	const char *s = tape__symtab_lookup(t, addr, limit, &o);

	if (!name) {
		if (s)
			fail_msg("0x%llx: expected unknown, got %s+0x%llx",
				 (unsigned long long)addr, s, (unsigned long long)o);
		return;
	}
	if (!s)
		fail_msg("0x%llx: expected %s, got unknown", (unsigned long long)addr, name);
	assert_string_equal(s, name);
	assert_int_equal(o, off);
}

static void test_lookup(void **state)
{
	struct symtab_sym syms[] = {
		{0x1100, 0x20, "zeta", SYMTAB_GLOBAL}, {0x1000, 0x10, "alpha", SYMTAB_GLOBAL},
		{0x1040, 0, "sizeless", SYMTAB_LOCAL}, {0x1080, 0x8, "beta", SYMTAB_LOCAL},
		{0x2000, 0, "last", SYMTAB_GLOBAL},
	};
	struct buf b = {0};
	struct symtab *t = roundtrip(syms, 5, &b);

	(void)state;
	assert_int_equal(tape__symtab_count(t), 5);
	expect(t, 0xfff, UINT64_MAX, NULL, 0); /* before any symbol */
	expect(t, 0x1000, UINT64_MAX, "alpha", 0);
	expect(t, 0x100f, UINT64_MAX, "alpha", 0xf);
	expect(t, 0x1010, UINT64_MAX, NULL, 0); /* after alpha's end: not alpha+0x10 */
	expect(t, 0x103f, UINT64_MAX, NULL, 0);
	expect(t, 0x1040, UINT64_MAX, "sizeless", 0);
	expect(t, 0x107f, UINT64_MAX, "sizeless", 0x3f); /* size 0: up to the next */
	expect(t, 0x1087, UINT64_MAX, "beta", 7);
	expect(t, 0x1088, UINT64_MAX, NULL, 0);
	expect(t, 0x111f, UINT64_MAX, "zeta", 0x1f);
	expect(t, 0x1120, UINT64_MAX, NULL, 0);
	expect(t, 0x2010, 0x3000, "last", 0x10); /* the last size-0 one: up to the limit */
	expect(t, 0x3000, 0x3000, NULL, 0);
	tape__symtab_free(t);
	tape__buf_free(&b);
}

static void test_nested(void **state)
{
	struct symtab_sym syms[] = {
		{0x1000, 0x100, "outer", SYMTAB_GLOBAL},
		{0x1010, 0x10, "inner", SYMTAB_LOCAL},
	};
	struct buf b = {0};
	struct symtab *t = roundtrip(syms, 2, &b);

	(void)state;
	expect(t, 0x1015, UINT64_MAX, "inner", 5);
	expect(t, 0x1050, UINT64_MAX, "outer", 0x50);
	expect(t, 0x1100, UINT64_MAX, NULL, 0);
	tape__symtab_free(t);
	tape__buf_free(&b);
}

/* libc's open and its aliases: one name per address, the one perf shows. */
static void test_aliases(void **state)
{
	struct symtab_sym syms[] = {
		{0x500, 0x40, "open64", SYMTAB_WEAK},
		{0x500, 0x40, "__open", SYMTAB_GLOBAL},
		{0x500, 0x40, "__libc_open64", SYMTAB_GLOBAL},
		{0x500, 0x40, "open", SYMTAB_WEAK},
		{0x500, 0x40, "__open64", SYMTAB_GLOBAL},
		{0x600, 0, "x_nosize", SYMTAB_GLOBAL},
		{0x600, 0x10, "x_sized", SYMTAB_LOCAL},
		{0x700, 0x10, "g_local", SYMTAB_LOCAL},
		{0x700, 0x10, "g_global", SYMTAB_GLOBAL},
		{0x800, 0x10, "same", SYMTAB_LOCAL},
		{0x900, 0x10, "same", SYMTAB_LOCAL}, /* a static in two files */
	};
	struct buf b = {0};
	struct symtab *t = roundtrip(syms, sizeof(syms) / sizeof(syms[0]), &b);
	uint64_t s, z;
	const char *n;

	(void)state;
	assert_int_equal(tape__symtab_count(t), 5);
	/* global over weak, then fewest leading underscores, then longest:
	 * what perf shows for libc's open() with only .dynsym */
	expect(t, 0x510, UINT64_MAX, "__libc_open64", 0x10);
	expect(t, 0x600, UINT64_MAX, "x_sized", 0);
	expect(t, 0x700, UINT64_MAX, "g_global", 0);
	expect(t, 0x805, UINT64_MAX, "same", 5);
	expect(t, 0x905, UINT64_MAX, "same", 5);
	tape__symtab_get(t, 3, &s, &z, &n);
	assert_int_equal(s, 0x800);
	assert_int_equal(z, 0x10);
	assert_string_equal(n, "same");
	tape__symtab_free(t);
	tape__buf_free(&b);
}

/* Names are stored once, front-coded: a table of many long similar names
 * costs far less than the names. */
static void test_compact(void **state)
{
	enum { N = 2000 };
	struct symtab_sym *syms = calloc(N, sizeof(*syms));
	char(*names)[48] = calloc(N, 48);
	struct buf b = {0};
	size_t raw = 0;
	struct symtab *t;

	(void)state;
	assert_non_null(syms);
	assert_non_null(names);
	for (int i = 0; i < N; i++) {
		snprintf(names[i], 48, "pthread_mutexattr_something_%05d", i);
		raw += strlen(names[i]);
		syms[i] = (struct symtab_sym){0x10000 + 0x40 * (uint64_t)i, 0x30 + i % 7, names[i],
					      SYMTAB_GLOBAL};
	}
	t = roundtrip(syms, N, &b);
	assert_true(b.len < raw / 2);
	for (int i = 0; i < N; i += 97) {
		char want[48];

		snprintf(want, sizeof(want), "pthread_mutexattr_something_%05d", i);
		expect(t, 0x10000 + 0x40 * (uint64_t)i + 3, UINT64_MAX, want, 3);
	}
	tape__symtab_free(t);
	tape__buf_free(&b);
	free(syms);
	free(names);
}

static void test_empty(void **state)
{
	struct buf b = {0};
	struct symtab *t = roundtrip(NULL, 0, &b);

	(void)state;
	assert_int_equal(tape__symtab_count(t), 0);
	expect(t, 0x1000, UINT64_MAX, NULL, 0);
	tape__symtab_free(t);
	tape__buf_free(&b);
	tape__symtab_free(NULL);
}

static void bad_table(const uint8_t *p, size_t len, const char *msg)
{
	char err[200] = "";
	struct symtab *t = tape__symtab_decode(p, len, err, sizeof(err));

	if (t)
		fail_msg("accepted, expected '%s'", msg);
	assert_int_equal(errno, EBADMSG);
	if (!strstr(err, msg))
		fail_msg("error '%s' lacks '%s'", err, msg);
}

static void test_corrupt(void **state)
{
	/* 1 name "ab", 1 symbol at 0x10 size 4 name 0 */
	const uint8_t good[] = {1, 0, 2, 'a', 'b', 1, 0x20, 4, 0};
	uint8_t p[sizeof(good) + 4];
	char err[200];
	struct symtab *t = tape__symtab_decode(good, sizeof(good), err, sizeof(err));

	(void)state;
	assert_non_null(t);
	expect(t, 0x12, UINT64_MAX, "ab", 2);
	tape__symtab_free(t);
	/* every truncation is an error, not a crash */
	for (size_t n = 0; n < sizeof(good); n++)
		assert_null(tape__symtab_decode(good, n, err, sizeof(err)));
	memcpy(p, good, sizeof(good));
	p[8] = 1;
	bad_table(p, sizeof(good), "symbol 0 names 1 of 1 names");
	memcpy(p, good, sizeof(good));
	p[1] = 3;
	bad_table(p, sizeof(good), "name 0 shares 3 bytes");
	memcpy(p, good, sizeof(good));
	p[4] = 0;
	bad_table(p, sizeof(good), "not a name");
	memcpy(p, good, sizeof(good));
	p[0] = 0x7f;
	bad_table(p, sizeof(good), "bad name count");
	memcpy(p, good, sizeof(good));
	p[5] = 0x70;
	bad_table(p, sizeof(good), "bad symbol count");
	memcpy(p, good, sizeof(good));
	p[sizeof(good)] = 0;
	bad_table(p, sizeof(good) + 1, "1 bytes after the last symbol");
	{
		/* two symbols, the second not after the first */
		const uint8_t q[] = {1, 0, 1, 'a', 2, 0x20, 4, 0, 0x11, 0, 0};
		const uint8_t u[] = {2, 0, 1, 'b', 0, 1, 'a', 0};
		/* starts at 2^64 - 16 (zigzag(-16) = 31), 32 bytes long */
		const uint8_t w[] = {1, 0, 1, 'a', 1, 31, 0x20, 0};

		bad_table(q, sizeof(q), "symbol 1 is out of address order");
		bad_table(u, sizeof(u), "name 1 is out of order");
		bad_table(w, sizeof(w), "symbol 0 wraps past 2^64");
		/* a frame is never named "" */
		const uint8_t e[] = {1, 0, 0, 0};

		bad_table(e, sizeof(e), "name 0 is empty");
	}
}

static void test_binary(void **state)
{
	struct symtab_sym syms[] = {
		{0x401000, 0x20, "main", SYMTAB_GLOBAL},
		{0x401020, 0x10, "helper", SYMTAB_LOCAL},
	};
	const uint8_t id[] = {0xde, 0xad, 0xbe, 0xef, 0x01};
	const struct symtab_seg segs[] = {
		{0x400000, 0, 0x1000, 4},
		{0x401000, 0x1000, 0x2000, 5},
	};
	struct binary_desc d = {7, "/usr/bin/prog", id, sizeof(id), segs, 2, SYMTAB_SRC_SYMTAB};
	struct buf b = {0};
	char err[200] = "";
	struct binary *bin;
	const char *name;
	uint64_t off;

	(void)state;
	assert_int_equal(tape__binary_encode(&b, &d, syms, 2), 0);
	/* a later writer's extra field after the table is ignored */
	assert_int_equal(tape__buf_put_varint(&b, 99), 0);
	bin = tape__binary_parse(b.data, b.len, err, sizeof(err));
	if (!bin)
		fail_msg("parse: %s", err);
	assert_int_equal(bin->id, 7);
	assert_string_equal(bin->path, "/usr/bin/prog");
	assert_string_equal(bin->build_id_hex, "deadbeef01");
	assert_int_equal(bin->nsegs, 2);
	assert_int_equal(bin->segs[1].flags, 5);
	assert_int_equal(bin->sources, SYMTAB_SRC_SYMTAB);
	assert_int_equal(tape__binary_lookup(bin, 0x1024, &name, &off), 0);
	assert_string_equal(name, "helper");
	assert_int_equal(off, 4);
	assert_int_equal(tape__binary_lookup(bin, 0x1005, &name, &off), 0);
	assert_string_equal(name, "main");
	assert_int_equal(tape__binary_lookup(bin, 0x1040, &name, &off), -ENOENT);
	assert_int_equal(tape__binary_lookup(bin, 0x5000, &name, &off), -ENOENT);
	tape__binary_free(bin);
	/* every truncation of the body is a named error */
	for (size_t n = 0; n + 1 < b.len; n++) {
		bin = tape__binary_parse(b.data, n, err, sizeof(err));
		assert_null(bin);
		assert_int_equal(errno, EBADMSG);
		assert_true(strstr(err, "binary block") != NULL);
	}
	tape__binary_free(NULL);
	tape__buf_free(&b);
}

/* A binary whose symbols could not be read still has a block: frames in it
 * are unknown, never named. */
static void test_binary_without_symbols(void **state)
{
	struct binary_desc d = {3, "/gone", NULL, 0, NULL, 0, SYMTAB_SRC_UNREADABLE};
	struct buf b = {0};
	char err[200] = "";
	struct binary *bin;
	const char *name;
	uint64_t off;

	(void)state;
	assert_int_equal(tape__binary_encode(&b, &d, NULL, 0), 0);
	bin = tape__binary_parse(b.data, b.len, err, sizeof(err));
	assert_non_null(bin);
	assert_string_equal(bin->build_id_hex, "");
	assert_int_equal(tape__symtab_count(bin->syms), 0);
	assert_int_equal(tape__binary_lookup(bin, 0x10, &name, &off), -ENOENT);
	tape__binary_free(bin);
	tape__buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup),	cmocka_unit_test(test_nested),
		cmocka_unit_test(test_aliases), cmocka_unit_test(test_compact),
		cmocka_unit_test(test_empty),	cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_binary),	cmocka_unit_test(test_binary_without_symbols),
	};

	return cmocka_run_group_tests_name("symtab", tests, NULL, NULL);
}
