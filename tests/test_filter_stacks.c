// SPDX-License-Identifier: MIT
/*
 * filter --redact over a tape with stacks (stack_tape.h): under `paths` a
 * user frame's binary becomes the token every other use of that path gets
 * (here an open of the library itself), and so does its binary block's
 * and its mapping's path; no byte of the new tape holds the path; symbols
 * and kernel frames stay.  Under `symbols` the names of
 * user frames go and nothing else changes: no value is tokenized.
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

#include "unit_util.h"
#include "stack_tape.h"
#include "../cli/verbs.h"
#include "../replay/redact.h"

/* stack_tape.h's binary and stack 1, and "app" opening the library's own
 * path, so that a field and a frame name one path. */
static int write_tape(struct tape_writer *w)
{
	const struct tape_frame s1[] = {
		{.symbol = "do_sys_openat2", .offset = 0x10, .kernel = 1},
		{.symbol = "nft_do_chain", .offset = 0x30, .binary = "nf_tables", .kernel = 1},
		{.address = 0x1210, .binary = STK_LIB, .binary_id = 1},
		{.address = 0x1150, .binary = STK_LIB, .binary_id = 1},
	};
	/* pid 7's mapping of the library: filter copies it */
	struct tape_mapping m = {.kind = TAPE_MAPPING_MAP,
				 .pid = 7,
				 .ts = GOLDEN_BOOT_TS,
				 .start = 0x7f0000001000,
				 .end = 0x7f0000002000,
				 .offset = 0x1000,
				 .binary = 1};
	int ids[G_NTYPES], rc;

	if ((rc = stk_types(w, ids)) || (rc = tape_writer__add_mapping(w, &m, STK_LIB)) ||
	    (rc = stk_binary(w)) || (rc = tape_writer__add_stack(w, 1, s1, 4)) ||
	    (rc = stk_open(w, ids, 1000, 7, "app", STK_LIB, 1)) ||
	    (rc = stk_open(w, ids, 2000, 7, "app", "/srv/a", 1)))
		return rc;
	return tape_writer__finish(w);
}

static struct unit_tape tape;

static int setup(void **state)
{
	(void)state;
	return unit_tape_open(&tape, write_tape);
}

static int teardown(void **state)
{
	(void)state;
	unit_tape_close(&tape);
	return 0;
}

/* The first event's path and stack (the open of STK_LIB). */
static void first_event(struct tape_reader *t, char *path, size_t cap, const struct tape_frame **f,
			size_t *n)
{
	struct tape_cursor *c = tape_cursor__new(&t, 1, NULL);
	const struct tape_event *ev;
	const void *p;
	uint32_t len;

	assert_non_null(c);
	assert_int_equal(tape_cursor__next(c, &ev), 1);
	assert_int_equal(tape_event__bytes_by_name(ev, "path", &p, &len), 0);
	snprintf(path, cap, "%.*s", (int)len, (const char *)p);
	assert_true(ev->stack_id > 0);
	assert_int_equal(tape_reader__stack(t, ev->stack_id, f, n), 0);
	tape_cursor__free(c);
}

static void test_paths(void **state)
{
	uint8_t key[SIPHASH_KEY_LEN];
	char want[64], path[64];
	const struct tape_frame *f;
	size_t n;
	struct unit_run r;
	struct tape_reader *t;

	(void)state;
	/* unredacted, the new tape's bytes hold the path and the names in
	 * clear: the scans below can see them */
	r = UNIT_RUN(cmd_filter, "filter", "-o", "-", tape.path);
	assert_true(unit_run_holds(&r, STK_LIB));
	assert_true(unit_run_holds(&r, "stk_inner"));
	unit_run_free(&r);

	assert_int_equal(redact_key(tape.key, key), 0);
	redact_token(key, "path", STK_LIB, strlen(STK_LIB), want);
	r = UNIT_RUN(cmd_filter, "filter", "-o", "-", "--redact", "paths", "--key", tape.key,
		     tape.path);
	t = unit_run_tape(&r, "filter");
	assert_string_equal(tape_reader__meta(t, "filter.redacted"), "paths");
	first_event(t, path, sizeof(path), &f, &n);
	/* one path, one token: the opened file and the frames' binary */
	assert_string_equal(path, want);
	assert_int_equal(n, 4);
	assert_string_equal(f[2].binary, want);
	assert_string_equal(f[3].binary, want);
	/* code names stay: the frames still say where the call came from */
	assert_string_equal(f[2].symbol, "stk_inner");
	assert_string_equal(f[3].symbol, "stk_middle");
	assert_string_equal(f[0].symbol, "do_sys_openat2");
	assert_string_equal(f[1].binary, "nf_tables");
	/* the binary and mapping blocks filter copies name it by the token */
	assert_non_null(tape__reader_binary(t, f[2].binary_id));
	assert_string_equal(tape__reader_binary(t, f[2].binary_id)->path, want);
	assert_int_equal(tape_reader__mapping_count(t), 1);
	assert_non_null(tape_reader__binary_by_id(t, tape_reader__mapping(t, 0)->binary));
	assert_string_equal(tape_reader__binary_by_id(t, tape_reader__mapping(t, 0)->binary)->path,
			    want);
	/* no block of the new tape (stack, mapping or binary block) holds
	 * the path or its directory */
	assert_false(unit_run_holds(&r, "secret-app"));
	tape_reader__free(t);
	unit_run_free(&r);
}

static void test_symbols(void **state)
{
	char path[64];
	const struct tape_frame *f;
	size_t n;
	struct unit_run r;
	struct tape_reader *t;

	(void)state;
	r = UNIT_RUN(cmd_filter, "filter", "-o", "-", "--redact", "symbols", tape.path);
	t = unit_run_tape(&r, "filter");
	assert_string_equal(tape_reader__meta(t, "filter.redacted"), "symbols");
	first_event(t, path, sizeof(path), &f, &n);
	/* values are not touched: symbols are not a class of data */
	assert_string_equal(path, STK_LIB);
	assert_int_equal(n, 4);
	assert_null(f[2].symbol);
	assert_null(f[3].symbol);
	assert_string_equal(f[2].binary, STK_LIB);
	assert_int_equal(f[2].address, 0x1210);
	/* the kernel's names are the kernel's, not the user's code */
	assert_string_equal(f[0].symbol, "do_sys_openat2");
	/* the binary block stays, with its build-id, for symbolize */
	assert_non_null(tape__reader_binary(t, f[2].binary_id));
	assert_string_equal(tape__reader_binary(t, f[2].binary_id)->build_id_hex, "abcdef01");
	/* nor does any block hold the names (a binary block's table) */
	assert_false(unit_run_holds(&r, "stk_inner"));
	assert_false(unit_run_holds(&r, "stk_middle"));
	tape_reader__free(t);
	unit_run_free(&r);

	/* "all" is the classes of data: symbols stay */
	r = UNIT_RUN(cmd_filter, "filter", "-o", "-", "--redact", "all", tape.path);
	t = unit_run_tape(&r, "filter");
	first_event(t, path, sizeof(path), &f, &n);
	assert_string_equal(f[2].symbol, "stk_inner");
	assert_memory_equal(f[2].binary, "path:", 5);
	tape_reader__free(t);
	unit_run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_symbols),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
