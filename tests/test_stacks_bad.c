// SPDX-License-Identifier: MIT
/*
 * Stacks in a damaged tape, end to end through `replay` (no root): a tape
 * whose binary block (type 10) for one binary is corrupt, CRC and all
 * intact, beside a good one for another binary.  replay prints every
 * event, names the frames of the good binary and the kernel, says
 * [unknown] for the corrupt binary's frames (still with its path, from the
 * stack block), names the bad block on stderr and exits 3 (docs/USAGE.md:
 * a damaged tape); never a crash, in text or JSON.
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

#include "golden_gen.h"
#include "private/block.h"
#include "private/symtab.h"
#include "../cli/verbs.h"

static char dir[PATH_MAX / 2];

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, n, f), (size_t)n);
	fclose(f);
	return buf;
}

/* Run `bpftape replay ARGS...` in a child (a crash is a signal, not this
 * test's death), standard output and error into files; its exit status. */
static int replay(char **out, char **err, const char *const *args)
{
	char outp[PATH_MAX + 16], errp[PATH_MAX + 16], *argv[16];
	int argc = 0, status;
	pid_t pid;

	argv[argc++] = "replay";
	for (; *args && argc < 15; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	snprintf(outp, sizeof(outp), "%s/stdout", dir);
	snprintf(errp, sizeof(errp), "%s/stderr", dir);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(o, 1);
		dup2(e, 2);
		status = cmd_replay(argc, argv);
		fflush(stdout);
		fflush(stderr);
		_exit(status);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	*out = slurp(outp);
	*err = slurp(errp);
	if (!WIFEXITED(status))
		fail_msg("replay died of signal %d; stderr: %s", WTERMSIG(status), *err);
	return WEXITSTATUS(status);
}

/* A binary block body for @id at @path: two functions in one segment. */
static void binary_body(struct buf *b, uint32_t id, const char *path)
{
	static const struct symtab_seg seg = {
		.vaddr = 0x401000, .offset = 0x1000, .filesz = 0x1000, .flags = 5};
	static const uint8_t build_id[] = {0xab, 0xcd, 0x01};
	struct symtab_sym syms[] = {
		{.start = 0x401000, .size = 0x10, .name = "first", .bind = SYMTAB_GLOBAL},
		{.start = 0x401010, .size = 0x40, .name = "second", .bind = SYMTAB_GLOBAL},
	};
	struct binary_desc d = {.id = id,
				.path = path,
				.build_id = build_id,
				.build_id_len = sizeof(build_id),
				.segs = &seg,
				.nsegs = 1,
				.sources = SYMTAB_SRC_SYMTAB};

	b->len = 0;
	assert_int_equal(tape__binary_encode(b, &d, syms, 2), 0);
}

/*
 * The tape: binary 3 (/usr/bin/prog) good, binary 4 (/usr/lib/libbad.so)
 * with a symbol table whose last symbol names a name the table does not
 * have; one stack through the kernel, prog, libbad and prog again; an open
 * event that uses it.  @bad_first: the corrupt block comes before the good.
 */
static void write_tape(const char *path, bool bad_first)
{
	const struct tape_frame frames[] = {
		{.kernel = 1, .symbol = "do_sys_openat2", .offset = 0x10},
		{.address = 0x1005, .binary = "/usr/bin/prog", .binary_id = 3},
		{.address = 0x1008, .binary = "/usr/lib/libbad.so", .binary_id = 4},
		{.address = 0x1030, .binary = "/usr/bin/prog", .binary_id = 3},
	};
	const char *file = "/etc/hosts";
	union tape_value v[] = {GV_U(257), GV_S(-100), GV_B(file, strlen(file)),
				GV_U(0),   GV_U(0),    GV_S(3)};
	struct tape_event ev = {.ts = GOLDEN_BOOT_TS,
				.pid = 42,
				.tid = 42,
				.comm = "prog",
				.values = v,
				.stack_id = 1};
	struct tape_writer *w = tape_writer__open(path, NULL);
	struct buf good = {0}, bad = {0};
	int type;

	assert_non_null(w);
	type = tape_writer__add_type(w, &golden_types[G_OPEN]);
	assert_true(type > 0);
	ev.type = (uint16_t)type;
	binary_body(&good, 3, "/usr/bin/prog");
	binary_body(&bad, 4, "/usr/lib/libbad.so");
	/* the table's last byte is the last symbol's name index: 127 of 2 */
	bad.data[bad.len - 1] = 0x7f;
	if (bad_first)
		assert_int_equal(tape__writer_add_binary(w, bad.data, bad.len), 0);
	assert_int_equal(tape__writer_add_binary(w, good.data, good.len), 0);
	if (!bad_first)
		assert_int_equal(tape__writer_add_binary(w, bad.data, bad.len), 0);
	assert_int_equal(tape_writer__add_stack(w, 1, frames, 4), 0);
	assert_int_equal(tape_writer__append(w, &ev), 0);
	ev.ts += 1000;
	assert_int_equal(tape_writer__append(w, &ev), 0);
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);
	tape__buf_free(&good);
	tape__buf_free(&bad);
}

static void expect(const char *text, const char *want)
{
	if (!strstr(text, want))
		fail_msg("missing '%s' in:\n%s", want, text);
}

static void check(bool bad_first)
{
	char tape[PATH_MAX + 16], *out, *err;
	const char *frames = "\t               0 do_sys_openat2+0x10 ([kernel.kallsyms])\n"
			     "\t            1005 first+0x5 (/usr/bin/prog)\n"
			     "\t            1008 [unknown] (/usr/lib/libbad.so)\n"
			     "\t            1030 second+0x20 (/usr/bin/prog)\n";
	int rc;

	snprintf(tape, sizeof(tape), "%s/bad-binary-%d.tape", dir, bad_first);
	write_tape(tape, bad_first);
	rc = replay(&out, &err, (const char *const[]){tape, NULL});
	assert_int_equal(rc, 3);
	/* both events, each with the four frames */
	expect(out, frames);
	expect(strstr(out, frames) + strlen(frames), frames);
	/* the block is named: its number, type and what is wrong */
	expect(err, "(binary) at offset");
	expect(err, "malformed body");
	expect(err, "symbol 1 names 127 of 2 names");
	free(out);
	free(err);
	rc = replay(&out, &err, (const char *const[]){"--json", tape, NULL});
	assert_int_equal(rc, 3);
	expect(out, "\"symbol\":\"first\"");
	expect(out, "\"binary\":\"/usr/lib/libbad.so\"");
	free(out);
	free(err);
}

static void test_corrupt_binary_block(void **state)
{
	(void)state;
	check(false);
}

/* The corrupt block first: the good one after it still names its frames. */
static void test_corrupt_binary_block_first(void **state)
{
	(void)state;
	check(true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corrupt_binary_block),
		cmocka_unit_test(test_corrupt_binary_block_first),
	};
	char cmd[PATH_MAX + 16];
	int ret;

	snprintf(dir, sizeof(dir), "%s/test_stacks_bad.XXXXXX", getenv("TMPDIR") ?: "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	ret = cmocka_run_group_tests_name("stacks_bad", tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "test_stacks_bad: could not remove %s\n", dir);
	return ret;
}
