// SPDX-License-Identifier: MIT
/*
 * filter keeps the binaries (type 10) and mappings (type 9) its kept
 * stacks and processes use, and no others, so a filtered tape still names
 * its frames and `symbolize` still finds their build-ids.
 *
 * The tape: pid 5 maps STK_LIB and forks pid 7; pid 7 maps STK_LIB,
 * GONE and BARE (stripped: a build-id, no symbols); pid 8 maps GONE.
 * STK_LIB has two binary blocks, the first without symbols (the last one
 * names frames, as after `symbolize`).  Events: pid 7 opens with stack 1
 * (STK_LIB) and stack 3 (BARE); pid 8 opens with stack 2 (GONE).
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

#define GONE "/opt/dropped/libgone.so"
#define BARE "/opt/stripped/libbare.so"

static const uint8_t bare_id[] = {0x55, 0x66, 0x77, 0x88};

/* A binary block of @id: one segment, @nsyms symbols at 0x1000 on. */
static int add_bin(struct tape_writer *w, uint32_t id, const char *path, const uint8_t *bid,
		   size_t bidlen, const char *sym, uint32_t sources)
{
	struct symtab_seg seg = {.vaddr = 0x1000, .offset = 0x1000, .filesz = 0x1000, .flags = 5};
	struct symtab_sym s = {0x1000, 0x100, sym, SYMTAB_GLOBAL};
	struct binary_desc d = {.id = id,
				.path = path,
				.build_id = bid,
				.build_id_len = bidlen,
				.segs = &seg,
				.nsegs = 1,
				.sources = sources};
	struct buf b = {0};
	int rc = tape__binary_encode(&b, &d, &s, sym ? 1 : 0);

	rc = rc ?: tape__writer_add_binary(w, b.data, b.len);
	tape__buf_free(&b);
	return rc;
}

static int map(struct tape_writer *w, uint32_t pid, uint64_t start, uint32_t bin, const char *path)
{
	struct tape_mapping m = {.kind = TAPE_MAPPING_MAP,
				 .pid = pid,
				 .ts = GOLDEN_BOOT_TS + 10,
				 .start = start,
				 .end = start + 0x1000,
				 .offset = 0x1000,
				 .binary = bin};

	return tape_writer__add_mapping(w, &m, path);
}

static int write_tape(struct tape_writer *w)
{
	static const uint8_t gone_id[] = {0x11, 0x22};
	const struct tape_frame s1[] = {
		{.symbol = "do_sys_openat2", .offset = 0x10, .kernel = 1},
		{.address = 0x1210, .binary = STK_LIB, .binary_id = 1},
		{.address = 0x1150, .binary = STK_LIB, .binary_id = 1},
	};
	const struct tape_frame s2[] = {{.address = 0x1010, .binary = GONE, .binary_id = 2}};
	const struct tape_frame s3[] = {{.address = 0x1010, .binary = BARE, .binary_id = 3}};
	struct tape_mapping fork = {
		.kind = TAPE_MAPPING_FORK, .pid = 7, .ppid = 5, .ts = GOLDEN_BOOT_TS + 5};
	int ids[G_NTYPES], rc;

	if ((rc = stk_types(w, ids)) || (rc = map(w, 5, 0x7f0000001000, 1, STK_LIB)) ||
	    (rc = tape_writer__add_mapping(w, &fork, NULL)) ||
	    (rc = map(w, 7, 0x7f0000001000, 1, STK_LIB)) ||
	    (rc = map(w, 7, 0x7f0000011000, 2, GONE)) ||
	    (rc = map(w, 7, 0x7f0000021000, 3, BARE)) || (rc = map(w, 8, 0x7f0000011000, 2, GONE)))
		return rc;
	/* STK_LIB's first block has no symbols; stk_binary()'s, later, has */
	if ((rc = add_bin(w, 1, STK_LIB, (const uint8_t *)"\xab\xcd\xef\x01", 4, NULL,
			  SYMTAB_SRC_DYNSYM)) ||
	    (rc = add_bin(w, 2, GONE, gone_id, sizeof(gone_id), "gone_fn", SYMTAB_SRC_SYMTAB)) ||
	    (rc = add_bin(w, 3, BARE, bare_id, sizeof(bare_id), NULL, SYMTAB_SRC_DYNSYM)) ||
	    (rc = stk_binary(w)) || (rc = tape_writer__add_stack(w, 1, s1, 3)) ||
	    (rc = tape_writer__add_stack(w, 2, s2, 1)) ||
	    (rc = tape_writer__add_stack(w, 3, s3, 1)))
		return rc;
	if ((rc = stk_open(w, ids, 1000, 7, "app", "/srv/a", 1)) ||
	    (rc = stk_open(w, ids, 2000, 8, "other", "/srv/b", 2)) ||
	    (rc = stk_open(w, ids, 3000, 7, "app", "/srv/c", 3)))
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

/* The stacks of the events of @t, in order (at most 4). */
static size_t stacks_of(struct tape_reader *t, const struct tape_frame **f, size_t *n)
{
	struct tape_cursor *c = tape_cursor__new(&t, 1, NULL);
	const struct tape_event *ev;
	size_t k = 0;

	assert_non_null(c);
	while (k < 4 && tape_cursor__next(c, &ev) == 1) {
		assert_true(ev->stack_id > 0);
		assert_int_equal(tape_reader__stack(t, ev->stack_id, &f[k], &n[k]), 0);
		k++;
	}
	tape_cursor__free(c);
	return k;
}

static void test_keeps_used(void **state)
{
	const struct tape_frame *f[4];
	size_t n[4], nmap;
	const struct binary *b;
	uint32_t bin;
	uint64_t off;
	struct unit_run r;
	struct tape_reader *t;

	(void)state;
	r = UNIT_RUN(cmd_filter, "filter", "-o", "-", "--pid", "7", tape.path);
	t = unit_run_tape(&r, "filter");
	assert_int_equal(stacks_of(t, f, n), 2);

	/* STK_LIB's last block, with its build-id, names the frames */
	assert_int_equal(n[0], 3);
	assert_string_equal(f[0][1].binary, STK_LIB);
	assert_non_null(f[0][1].symbol);
	assert_string_equal(f[0][1].symbol, "stk_inner");
	assert_string_equal(f[0][2].symbol, "stk_middle");
	assert_string_equal(f[0][1].build_id_hex, "abcdef01");
	b = tape__reader_binary(t, f[0][1].binary_id);
	assert_non_null(b);
	assert_string_equal(b->path, STK_LIB);
	assert_int_equal(tape__symtab_count(b->syms), 3);

	/* the stripped binary: no name, but the build-id a later
	 * `symbolize` looks its debug file up by */
	assert_int_equal(n[1], 1);
	assert_string_equal(f[1][0].binary, BARE);
	assert_null(f[1][0].symbol);
	b = tape__reader_binary(t, f[1][0].binary_id);
	assert_non_null(b);
	assert_int_equal(b->build_id_len, sizeof(bare_id));
	assert_memory_equal(b->build_id, bare_id, sizeof(bare_id));
	assert_int_equal(b->sources, SYMTAB_SRC_DYNSYM);

	/* nothing of the dropped event's binary, nor of pid 8 */
	assert_false(unit_run_holds(&r, "libgone"));
	assert_false(unit_run_holds(&r, "gone_fn"));
	nmap = tape_reader__mapping_count(t);
	/* pid 5's mapping (7 forked from it), the fork, 7's two kept ones */
	assert_int_equal(nmap, 4);
	for (size_t i = 0; i < nmap; i++) {
		const struct tape_mapping *m = tape_reader__mapping(t, i);

		assert_true(m->pid == 7 || m->pid == 5);
		if (m->kind == TAPE_MAPPING_MAP)
			assert_true(m->binary == f[0][1].binary_id ||
				    m->binary == f[1][0].binary_id);
	}
	assert_int_equal(tape_reader__binary_count(t), 2);
	/* one id space: the mappings resolve to the frames' binary ids */
	assert_int_equal(
		tape_reader__resolve_addr(t, 7, GOLDEN_BOOT_TS + 100, 0x7f0000001210, &bin, &off),
		0);
	assert_int_equal(bin, f[0][1].binary_id);
	assert_int_equal(off, 0x1210);
	assert_non_null(tape_reader__binary_by_id(t, bin));
	assert_string_equal(tape_reader__binary_by_id(t, bin)->path, STK_LIB);
	assert_int_equal(
		tape_reader__resolve_addr(t, 7, GOLDEN_BOOT_TS + 100, 0x7f0000021010, &bin, &off),
		0);
	assert_int_equal(bin, f[1][0].binary_id);
	tape_reader__free(t);
	unit_run_free(&r);
}

static void test_redacted(void **state)
{
	uint8_t key[SIPHASH_KEY_LEN];
	char lib[64], bare[64];
	const struct tape_frame *f[4];
	size_t n[4];
	const struct binary *b;
	struct unit_run r;
	struct tape_reader *t;

	(void)state;
	assert_int_equal(redact_key(tape.key, key), 0);
	redact_token(key, "path", STK_LIB, strlen(STK_LIB), lib);
	redact_token(key, "path", BARE, strlen(BARE), bare);
	r = UNIT_RUN(cmd_filter, "filter", "-o", "-", "--pid", "7", "--redact", "paths,symbols",
		     "--key", tape.key, tape.path);
	t = unit_run_tape(&r, "filter");
	assert_int_equal(stacks_of(t, f, n), 2);
	/* the binary block's and the mapping's path: the frames' token */
	assert_string_equal(f[0][1].binary, lib);
	b = tape__reader_binary(t, f[0][1].binary_id);
	assert_non_null(b);
	assert_string_equal(b->path, lib);
	assert_non_null(tape_reader__binary_by_id(t, f[0][1].binary_id));
	assert_string_equal(tape_reader__binary_by_id(t, f[0][1].binary_id)->path, lib);
	assert_non_null(tape__reader_binary(t, f[1][0].binary_id));
	assert_string_equal(tape__reader_binary(t, f[1][0].binary_id)->path, bare);
	assert_non_null(tape_reader__binary_by_id(t, f[1][0].binary_id));
	assert_string_equal(tape_reader__binary_by_id(t, f[1][0].binary_id)->path, bare);
	/* symbols go, the build-id and segments stay for `symbolize`,
	 * and the block claims no source of symbols */
	assert_null(f[0][1].symbol);
	assert_int_equal(tape__symtab_count(b->syms), 0);
	assert_int_equal(b->sources, 0);
	assert_string_equal(b->build_id_hex, "abcdef01");
	assert_int_equal(b->nsegs, 1);
	/* no byte of any block holds a path or a name */
	assert_false(unit_run_holds(&r, "/opt/"));
	assert_false(unit_run_holds(&r, "secret-app"));
	assert_false(unit_run_holds(&r, "libbare"));
	assert_false(unit_run_holds(&r, "stk_inner"));
	assert_false(unit_run_holds(&r, "stk_middle"));
	tape_reader__free(t);
	unit_run_free(&r);
}

/* What `symbolize` does with a debug file: STK_LIB's block again, its
 * symbol at 0x1200 under a new name. */
static int richer(void *ctx, const struct binary *b, struct buf *out)
{
	struct symtab_sym sym = {0x1200, 0x100, "stk_inner_dbg", SYMTAB_GLOBAL};
	struct binary_desc d = {.id = b->id,
				.path = b->path,
				.build_id = b->build_id,
				.build_id_len = b->build_id_len,
				.segs = b->segs,
				.nsegs = b->nsegs,
				.sources = b->sources | SYMTAB_SRC_DEBUGFILE};

	(void)ctx;
	if (strcmp(b->path, STK_LIB))
		return 0;
	return tape__binary_encode(out, &d, &sym, 1);
}

static struct tape_reader *rewrite_src;

static int write_rewrite(struct tape_writer *w)
{
	char err[256];
	int rc = tape__binary_rewrite(rewrite_src, w, richer, NULL, err, sizeof(err));

	return rc ?: tape_writer__finish(w);
}

/* The names the copied block gives are not written inline again: a
 * richer block added to the filtered tape later names the frames. */
static void test_richer_block_names(void **state)
{
	const struct tape_frame *f[4];
	size_t n[4];
	struct golden_mem sym = {0};
	struct unit_run r;
	struct tape_reader *t;
	char err[256];

	(void)state;
	r = UNIT_RUN(cmd_filter, "filter", "-o", "-", "--pid", "7", tape.path);
	rewrite_src = unit_run_tape(&r, "filter");
	assert_int_equal(golden_write_mem(&sym, write_rewrite), 0);
	t = tape_reader__open_mem(sym.data, sym.len, err, sizeof(err));
	if (!t)
		fail_msg("the rewritten tape does not open: %s", err);
	assert_int_equal(stacks_of(t, f, n), 2);
	assert_non_null(f[0][1].symbol);
	assert_string_equal(f[0][1].symbol, "stk_inner_dbg");
	tape_reader__free(t);
	tape_reader__free(rewrite_src);
	free(sym.data);
	unit_run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keeps_used),
		cmocka_unit_test(test_redacted),
		cmocka_unit_test(test_richer_block_names),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
