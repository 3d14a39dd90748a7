// SPDX-License-Identifier: MIT
/*
 * record/strpool.c: one pointer per string for as long as the pool lives
 * (the stack table compares names by pointer), across the growth of its
 * table; its bound in bytes; and the clock the caches space re-reads by.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../record/strpool.h"

static void test_one_pointer(void **state)
{
	struct strpool sp = {0};
	const char *first[1000];
	char s[32];

	(void)state;
	/* more strings than the first table holds: pointers stay */
	for (int i = 0; i < 1000; i++) {
		snprintf(s, sizeof(s), "/usr/lib/lib%d.so", i);
		first[i] = strpool__intern(&sp, s);
		assert_non_null(first[i]);
		assert_ptr_not_equal(first[i], s);
		assert_string_equal(first[i], s);
	}
	for (int i = 0; i < 1000; i++) {
		snprintf(s, sizeof(s), "/usr/lib/lib%d.so", i);
		assert_ptr_equal(strpool__intern(&sp, s), first[i]);
	}
	assert_int_equal(sp.n, 1000);
	assert_string_equal(strpool__intern(&sp, ""), "");
	strpool__free(&sp);
	assert_int_equal(sp.n, 0);
	/* a freed pool is an empty one */
	assert_string_equal(strpool__intern(&sp, "again"), "again");
	strpool__free(&sp);
}

/* The bound counts each string once, with its NUL; a string already in
 * the pool is found even when the pool is full. */
static void test_bound(void **state)
{
	struct strpool sp = {.max_bytes = 12};
	const char *a;

	(void)state;
	a = strpool__intern(&sp, "abcde"); /* 6 bytes */
	assert_non_null(a);
	assert_non_null(strpool__intern(&sp, "fghij")); /* 12 */
	assert_null(strpool__intern(&sp, "k"));
	assert_ptr_equal(strpool__intern(&sp, "abcde"), a);
	assert_int_equal(sp.bytes, 12);
	strpool__free(&sp);
	assert_int_equal(sp.max_bytes, 12);
	assert_non_null(strpool__intern(&sp, "k"));
	strpool__free(&sp);
}

static void test_clock(void **state)
{
	uint64_t a = strpool__now_ns(), b = strpool__now_ns();

	(void)state;
	assert_true(a > 0);
	assert_true(b >= a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_pointer),
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_clock),
	};

	return cmocka_run_group_tests_name("strpool", tests, NULL, NULL);
}
