// SPDX-License-Identifier: MIT
/*
 * Tracepoint format parser and raw-record decoder (format/tpfmt.c), on
 * format files copied from a 6.18 kernel's tracefs (print fmt shortened:
 * the parser stops there) and on hand-made hostile ones.
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

#include "private/tpfmt.h"

static const char fmt_sched_switch[] =
	"name: sched_switch\n"
	"ID: 372\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
	"\n"
	"\tfield:char prev_comm[16];\toffset:8;\tsize:16;\tsigned:0;\n"
	"\tfield:pid_t prev_pid;\toffset:24;\tsize:4;\tsigned:1;\n"
	"\tfield:int prev_prio;\toffset:28;\tsize:4;\tsigned:1;\n"
	"\tfield:long prev_state;\toffset:32;\tsize:8;\tsigned:1;\n"
	"\tfield:char next_comm[16];\toffset:40;\tsize:16;\tsigned:0;\n"
	"\tfield:pid_t next_pid;\toffset:56;\tsize:4;\tsigned:1;\n"
	"\tfield:int next_prio;\toffset:60;\tsize:4;\tsigned:1;\n"
	"\n"
	"print fmt: \"prev_comm=%s prev_pid=%d prev_prio=%d prev_state...\"\n";

static const char fmt_sys_enter_openat[] =
	"name: sys_enter_openat\n"
	"ID: 782\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
	"\n"
	"\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n"
	"\tfield:int dfd;\toffset:16;\tsize:8;\tsigned:0;\n"
	"\tfield:const char * filename;\toffset:24;\tsize:8;\tsigned:0;\n"
	"\tfield:int flags;\toffset:32;\tsize:8;\tsigned:0;\n"
	"\tfield:umode_t mode;\toffset:40;\tsize:8;\tsigned:0;\n"
	"\n"
	"print fmt: \"dfd: 0x%08lx, filename: 0x%08lx, flags: 0x%08lx,...\"\n";

static const char fmt_sched_process_exec[] =
	"name: sched_process_exec\n"
	"ID: 365\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
	"\n"
	"\tfield:__data_loc char[] filename;\toffset:8;\tsize:4;\tsigned:0;\n"
	"\tfield:pid_t pid;\toffset:12;\tsize:4;\tsigned:1;\n"
	"\tfield:pid_t old_pid;\toffset:16;\tsize:4;\tsigned:1;\n"
	"\n"
	"print fmt: \"filename=%s pid=%d old_pid=%d\", __get_str(filena...\"\n";

static const char fmt_sched_process_fork[] =
	"name: sched_process_fork\n"
	"ID: 366\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
	"\n"
	"\tfield:__data_loc char[] parent_comm;\toffset:8;\tsize:4;\tsigned:0;\n"
	"\tfield:pid_t parent_pid;\toffset:12;\tsize:4;\tsigned:1;\n"
	"\tfield:__data_loc char[] child_comm;\toffset:16;\tsize:4;\tsigned:0;\n"
	"\tfield:pid_t child_pid;\toffset:20;\tsize:4;\tsigned:1;\n"
	"\n"
	"print fmt: \"comm=%s pid=%d child_comm=%s child_pid=%d\", __ge...\"\n";

static const char fmt_dma_map_sg[] =
	"name: dma_map_sg\n"
	"ID: 431\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
	"\n"
	"\tfield:__data_loc char[] device;\toffset:8;\tsize:4;\tsigned:0;\n"
	"\tfield:int full_nents;\toffset:12;\tsize:4;\tsigned:1;\n"
	"\tfield:int full_ents;\toffset:16;\tsize:4;\tsigned:1;\n"
	"\tfield:bool truncated;\toffset:20;\tsize:1;\tsigned:0;\n"
	"\tfield:__data_loc u64[] phys_addrs;\toffset:24;\tsize:4;\tsigned:0;\n"
	"\tfield:__data_loc u64[] dma_addrs;\toffset:28;\tsize:4;\tsigned:0;\n"
	"\tfield:__data_loc unsigned int[] lengths;\toffset:32;\tsize:4;\tsigned:0;\n"
	"\tfield:enum dma_data_direction dir;\toffset:36;\tsize:4;\tsigned:0;\n"
	"\tfield:unsigned long attrs;\toffset:40;\tsize:8;\tsigned:0;\n"
	"\n"
	"print fmt: \"%s dir=%s nents=%d/%d ents=%d/%d%s dma_addrs=%s ...\"\n";

static const char fmt_function[] =
	"name: function\n"
	"ID: 1\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
	"\n"
	"\tfield:unsigned long ip;\toffset:8;\tsize:8;\tsigned:0;\n"
	"\tfield:unsigned long parent_ip;\toffset:16;\tsize:8;\tsigned:0;\n"
	"\tfield:unsigned long args[];\toffset:24;\tsize:0;\tsigned:0;\n"
	"\n"
	"print fmt: \" %ps <-- %ps\", (void *)REC->ip, (void *)REC->par...\"\n";

static const char fmt_alarmtimer_start[] =
	"name: alarmtimer_start\n"
	"ID: 471\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
	"\n"
	"\tfield:void * alarm;\toffset:8;\tsize:8;\tsigned:0;\n"
	"\tfield:unsigned char alarm_type;\toffset:16;\tsize:1;\tsigned:0;\n"
	"\tfield:s64 expires;\toffset:24;\tsize:8;\tsigned:1;\n"
	"\tfield:s64 now;\toffset:32;\tsize:8;\tsigned:1;\n"
	"\n"
	"print fmt: \"alarmtimer:%p type:%s expires:%llu now:%llu\", RE...\"\n";

/* This kernel has no __rel_loc tracepoint; the layout follows the kernel's
 * __get_rel_dynamic_array(): offset counted from the end of the descriptor. */
static const char fmt_rel_loc[] =
	"name: rel_example\n"
	"ID: 9999\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
	"\n"
	"\tfield:__rel_loc char[] name;\toffset:8;\tsize:4;\tsigned:0;\n"
	"\tfield:__rel_loc u8[] blob;\toffset:12;\tsize:4;\tsigned:0;\n"
	"\tfield:short delta;\toffset:16;\tsize:2;\tsigned:1;\n"
	"\n"
	"print fmt: \"name=%s\", __get_rel_str(name)\n";

static void put(uint8_t *rec, size_t off, uint64_t v, size_t size)
{
	for (size_t i = 0; i < size; i++)
		rec[off + i] = v >> (8 * i);
}

static uint32_t loc(size_t off, size_t len)
{
	return (uint32_t)(len << 16 | off);
}

static struct tpfmt *parse_ok(const char *text)
{
	char err[128] = "";
	struct tpfmt *f = tape__tpfmt_parse(text, err, sizeof(err));

	if (!f)
		fail_msg("parse failed: %s", err);
	return f;
}

static void check_field(const struct tpfmt *f, unsigned i, const char *name, int kind, int disp)
{
	const struct tape_field *fl = tape__tpfmt_fields(f);

	assert_true(i < tape__tpfmt_nfields(f));
	assert_string_equal(fl[i].name, name);
	assert_int_equal(fl[i].kind, kind);
	assert_int_equal(fl[i].display, disp);
}

static void test_sched_switch(void **state)
{
	struct tpfmt *f = parse_ok(fmt_sched_switch);
	uint8_t rec[64] = {0};
	union tape_value v[7];
	char scratch[sizeof(rec) + 7];

	(void)state;
	assert_string_equal(tape__tpfmt_name(f), "sched_switch");
	assert_int_equal(tape__tpfmt_nfields(f), 7);
	assert_int_equal(tape__tpfmt_fixed_size(f), 64);
	check_field(f, 0, "prev_comm", TAPE_STR, TAPE_DISP_DEFAULT);
	check_field(f, 1, "prev_pid", TAPE_S32, TAPE_DISP_DEFAULT);
	check_field(f, 2, "prev_prio", TAPE_S32, TAPE_DISP_DEFAULT);
	check_field(f, 3, "prev_state", TAPE_S64, TAPE_DISP_DEFAULT);
	check_field(f, 4, "next_comm", TAPE_STR, TAPE_DISP_DEFAULT);
	check_field(f, 5, "next_pid", TAPE_S32, TAPE_DISP_DEFAULT);
	check_field(f, 6, "next_prio", TAPE_S32, TAPE_DISP_DEFAULT);

	put(rec, 0, 372, 2);
	memcpy(rec + 8, "bash", 4);
	put(rec, 24, 4242, 4);
	put(rec, 28, (uint32_t)-20, 4);
	put(rec, 32, 1, 8);
	memcpy(rec + 40, "0123456789abcdef", 16); /* full: no NUL in the record */
	put(rec, 56, 0, 4);
	put(rec, 60, 120, 4);
	assert_int_equal(tape__tpfmt_decode(f, rec, sizeof(rec), v, scratch, sizeof(scratch)), 0);
	assert_string_equal(v[0].b.ptr, "bash");
	assert_int_equal(v[0].b.len, 4);
	assert_int_equal(v[1].s, 4242);
	assert_int_equal(v[2].s, -20);
	assert_int_equal(v[3].s, 1);
	assert_string_equal(v[4].b.ptr, "0123456789abcdef");
	assert_int_equal(v[4].b.len, 16);
	assert_int_equal(v[5].s, 0);
	assert_int_equal(v[6].s, 120);
	tape__tpfmt_free(f);
}

static void test_sys_enter_openat(void **state)
{
	struct tpfmt *f = parse_ok(fmt_sys_enter_openat);
	uint8_t rec[48] = {0};
	union tape_value v[5];
	char scratch[sizeof(rec) + 5];

	(void)state;
	assert_int_equal(tape__tpfmt_nfields(f), 5);
	check_field(f, 0, "__syscall_nr", TAPE_S32, TAPE_DISP_DEFAULT);
	/* `int dfd` in an unsigned 8-byte slot: the size and signed: decide. */
	check_field(f, 1, "dfd", TAPE_U64, TAPE_DISP_DEFAULT);
	check_field(f, 2, "filename", TAPE_U64, TAPE_DISP_PTR);
	check_field(f, 3, "flags", TAPE_U64, TAPE_DISP_DEFAULT);
	check_field(f, 4, "mode", TAPE_U64, TAPE_DISP_DEFAULT);
	put(rec, 8, 257, 4);
	put(rec, 16, (uint64_t)-100, 8);
	put(rec, 24, 0x7ffc12345678ull, 8);
	put(rec, 32, 0x80000, 8);
	put(rec, 40, 0644, 8);
	assert_int_equal(tape__tpfmt_decode(f, rec, sizeof(rec), v, scratch, sizeof(scratch)), 0);
	assert_int_equal(v[0].s, 257);
	assert_true(v[1].u == (uint64_t)-100);
	assert_true(v[2].u == 0x7ffc12345678ull);
	assert_int_equal(v[3].u, 0x80000);
	assert_int_equal(v[4].u, 0644);
	tape__tpfmt_free(f);
}

static void test_data_loc(void **state)
{
	struct tpfmt *f = parse_ok(fmt_sched_process_exec);
	uint8_t rec[40] = {0};
	union tape_value v[3];
	char scratch[sizeof(rec) + 3];
	uint32_t off;
	bool rel;

	(void)state;
	assert_int_equal(tape__tpfmt_nfields(f), 3);
	check_field(f, 0, "filename", TAPE_STR, TAPE_DISP_DEFAULT);
	check_field(f, 1, "pid", TAPE_S32, TAPE_DISP_DEFAULT);
	assert_int_equal(tape__tpfmt_fixed_size(f), 20);
	assert_int_equal(tape__tpfmt_dynamic(f, 0, &off, &rel), 0);
	assert_int_equal(off, 8);
	assert_false(rel);
	assert_int_equal(tape__tpfmt_dynamic(f, 1, &off, &rel), -ENOENT);

	put(rec, 8, loc(20, 10), 4); /* the kernel counts the NUL */
	put(rec, 12, 77, 4);
	put(rec, 16, 76, 4);
	memcpy(rec + 20, "/bin/true", 10);
	assert_int_equal(tape__tpfmt_decode(f, rec, 30, v, scratch, sizeof(scratch)), 0);
	assert_string_equal(v[0].b.ptr, "/bin/true");
	assert_int_equal(v[0].b.len, 9);
	assert_int_equal(v[1].s, 77);
	assert_int_equal(v[2].s, 76);

	/* The record ends inside the string: clamped, NUL added. */
	assert_int_equal(tape__tpfmt_decode(f, rec, 25, v, scratch, sizeof(scratch)), 0);
	assert_string_equal(v[0].b.ptr, "/bin/");
	/* A descriptor pointing past the end: empty, not a read past it. */
	put(rec, 8, loc(200, 10), 4);
	assert_int_equal(tape__tpfmt_decode(f, rec, 30, v, scratch, sizeof(scratch)), 0);
	assert_string_equal(v[0].b.ptr, "");
	assert_int_equal(v[0].b.len, 0);
	tape__tpfmt_free(f);
}

static void test_two_data_loc(void **state)
{
	struct tpfmt *f = parse_ok(fmt_sched_process_fork);
	uint8_t rec[48] = {0};
	union tape_value v[4];
	char scratch[sizeof(rec) + 4];

	(void)state;
	assert_int_equal(tape__tpfmt_nfields(f), 4);
	put(rec, 8, loc(24, 5), 4);
	put(rec, 12, 100, 4);
	put(rec, 16, loc(29, 8), 4);
	put(rec, 20, 101, 4);
	memcpy(rec + 24, "bash\0make -j\0", 13);
	assert_int_equal(tape__tpfmt_decode(f, rec, 37, v, scratch, sizeof(scratch)), 0);
	assert_string_equal(v[0].b.ptr, "bash");
	assert_int_equal(v[1].s, 100);
	assert_string_equal(v[2].b.ptr, "make -j");
	assert_int_equal(v[3].s, 101);
	tape__tpfmt_free(f);
}

static void test_dynamic_arrays(void **state)
{
	struct tpfmt *f = parse_ok(fmt_dma_map_sg);
	uint8_t rec[96] = {0};
	union tape_value v[9];
	char scratch[sizeof(rec) + 9];

	(void)state;
	assert_int_equal(tape__tpfmt_nfields(f), 9);
	check_field(f, 0, "device", TAPE_STR, TAPE_DISP_DEFAULT);
	check_field(f, 3, "truncated", TAPE_U8, TAPE_DISP_DEFAULT);
	check_field(f, 4, "phys_addrs", TAPE_BYTES, TAPE_DISP_DEFAULT);
	check_field(f, 6, "lengths", TAPE_BYTES, TAPE_DISP_DEFAULT);
	check_field(f, 7, "dir", TAPE_U32, TAPE_DISP_DEFAULT);
	check_field(f, 8, "attrs", TAPE_U64, TAPE_DISP_DEFAULT);
	put(rec, 8, loc(48, 5), 4);
	put(rec, 20, 1, 1);
	put(rec, 24, loc(56, 16), 4);
	put(rec, 28, loc(72, 0), 4);
	put(rec, 32, loc(72, 8), 4);
	put(rec, 36, 2, 4);
	memcpy(rec + 48, "nvme", 5);
	put(rec, 56, 0x1000, 8);
	put(rec, 64, 0x2000, 8);
	put(rec, 72, 4096, 4);
	put(rec, 76, 512, 4);
	assert_int_equal(tape__tpfmt_decode(f, rec, 80, v, scratch, sizeof(scratch)), 0);
	assert_string_equal(v[0].b.ptr, "nvme");
	assert_int_equal(v[3].u, 1);
	assert_int_equal(v[4].b.len, 16);
	assert_ptr_equal(v[4].b.ptr, rec + 56);
	assert_int_equal(v[5].b.len, 0);
	assert_int_equal(v[6].b.len, 8);
	assert_ptr_equal(v[6].b.ptr, rec + 72);
	assert_int_equal(v[7].u, 2);
	tape__tpfmt_free(f);
}

static void test_trailing_array_and_ptr(void **state)
{
	struct tpfmt *f = parse_ok(fmt_function);
	uint8_t rec[48] = {0};
	union tape_value v[4];
	char scratch[sizeof(rec) + 4];

	(void)state;
	assert_int_equal(tape__tpfmt_nfields(f), 3);
	check_field(f, 2, "args", TAPE_BYTES, TAPE_DISP_DEFAULT);
	put(rec, 8, 0xffffffff81000000ull, 8);
	assert_int_equal(tape__tpfmt_decode(f, rec, 40, v, scratch, sizeof(scratch)), 0);
	assert_true(v[0].u == 0xffffffff81000000ull);
	assert_int_equal(v[2].b.len, 16);
	assert_ptr_equal(v[2].b.ptr, rec + 24);
	tape__tpfmt_free(f);

	f = parse_ok(fmt_alarmtimer_start);
	check_field(f, 0, "alarm", TAPE_U64, TAPE_DISP_PTR);
	check_field(f, 1, "alarm_type", TAPE_U8, TAPE_DISP_DEFAULT);
	check_field(f, 2, "expires", TAPE_S64, TAPE_DISP_DEFAULT);
	put(rec, 24, (uint64_t)-5, 8);
	assert_int_equal(tape__tpfmt_decode(f, rec, 40, v, scratch, sizeof(scratch)), 0);
	assert_int_equal(v[2].s, -5);
	tape__tpfmt_free(f);
}

static void test_rel_loc(void **state)
{
	struct tpfmt *f = parse_ok(fmt_rel_loc);
	uint8_t rec[40] = {0};
	union tape_value v[3];
	char scratch[sizeof(rec) + 3];
	uint32_t off;
	bool rel;

	(void)state;
	check_field(f, 0, "name", TAPE_STR, TAPE_DISP_DEFAULT);
	check_field(f, 1, "blob", TAPE_BYTES, TAPE_DISP_DEFAULT);
	check_field(f, 2, "delta", TAPE_S16, TAPE_DISP_DEFAULT);
	assert_int_equal(tape__tpfmt_dynamic(f, 1, &off, &rel), 0);
	assert_int_equal(off, 12);
	assert_true(rel);
	/* name at 20 = 8 + 4 + 8; blob at 24 = 12 + 4 + 8 */
	put(rec, 8, loc(8, 4), 4);
	put(rec, 12, loc(8, 3), 4);
	put(rec, 16, (uint16_t)-3, 2);
	memcpy(rec + 20, "abc\0xyz", 7);
	assert_int_equal(tape__tpfmt_decode(f, rec, 28, v, scratch, sizeof(scratch)), 0);
	assert_string_equal(v[0].b.ptr, "abc");
	assert_int_equal(v[1].b.len, 3);
	assert_memory_equal(v[1].b.ptr, "xyz", 3);
	assert_int_equal(v[2].s, -3);
	tape__tpfmt_free(f);
}

static void test_short_record(void **state)
{
	struct tpfmt *f = parse_ok(fmt_sched_switch);
	uint8_t rec[64];
	union tape_value v[7];
	char scratch[64];

	(void)state;
	memset(rec, 'A', sizeof(rec));
	/* Only prev_comm's first 4 bytes are in the record. */
	assert_int_equal(tape__tpfmt_decode(f, rec, 12, v, scratch, sizeof(scratch)), 0);
	assert_string_equal(v[0].b.ptr, "AAAA");
	assert_int_equal(v[1].s, 0);
	assert_int_equal(v[3].s, 0);
	assert_string_equal(v[4].b.ptr, "");
	assert_int_equal(tape__tpfmt_decode(f, NULL, 0, v, scratch, sizeof(scratch)), 0);
	assert_string_equal(v[0].b.ptr, "");
	/* Too little scratch: strings truncate, nothing overflows. */
	assert_int_equal(tape__tpfmt_decode(f, rec, sizeof(rec), v, scratch, 6), 0);
	assert_string_equal(v[0].b.ptr, "AAAAA");
	assert_string_equal(v[4].b.ptr, "");
	tape__tpfmt_free(f);
}

static void expect_error(const char *text, int err_no, const char *msg)
{
	char err[128] = "";
	struct tpfmt *f = tape__tpfmt_parse(text, err, sizeof(err));

	if (f)
		fail_msg("accepted bad format, expected '%s'", msg);
	assert_int_equal(errno, err_no);
	if (!strstr(err, msg))
		fail_msg("error '%s' lacks '%s'", err, msg);
}

static void test_errors(void **state)
{
	char *big;
	size_t n = 0;

	(void)state;
	expect_error("", EINVAL, "line 0: no 'field:' lines");
	expect_error("hello\nworld\n", EINVAL, "line 2: no 'field:' lines");
	expect_error("name: x\nformat:\n\tfield:int a\toffset:0;\n", EINVAL,
		     "line 3: expected ';' after the field declaration");
	expect_error("format:\n\tfield:int a;\toffset:0;\tsize:4;\tsigned:1;\n"
		     "\tfield:int b;\toffset:x;\tsize:4;\n",
		     EINVAL, "line 3: expected 'offset:N;");
	expect_error("\tfield:int a;\toffset:99999999999999999999;\tsize:4;\n", EINVAL, "line 1:");
	expect_error("\tfield:int a;\toffset:65535;\tsize:4;\n", EINVAL,
		     "line 1: field ends past 65535 bytes");
	expect_error("\tfield:int a;\toffset:0;\tsize:4;\tsigned:7;\n", EINVAL,
		     "line 1: expected 'signed:0;'");
	expect_error("\tfield:int ;\toffset:0;\tsize:4;\n", EINVAL, "without a type");
	expect_error("\tfield:a;\toffset:0;\tsize:4;\n", EINVAL, "without a type");
	expect_error("\tfield:int 9a;\toffset:0;\tsize:4;\n", EINVAL, "without a name");
	expect_error("\tfield:int a];\toffset:0;\tsize:4;\n", EINVAL, "unbalanced");
	expect_error("\tfield:__data_loc char[] s;\toffset:0;\tsize:8;\n", EINVAL, "not 4 bytes");
	expect_error("\tfield:int a;\toffset:0;\tsize:4;\n\tfield:int a;\toffset:4;\tsize:4;\n",
		     EINVAL, "line 2: duplicate field 'a'");

	big = malloc(80 * 64);
	assert_non_null(big);
	for (int i = 0; i < 65; i++)
		n += sprintf(big + n, "\tfield:int f%d;\toffset:%d;\tsize:4;\tsigned:1;\n", i,
			     i * 4);
	expect_error(big, E2BIG, "line 65: more than 64 fields");
	free(big);
}

static void test_ret_is_errno(void **state)
{
	/* sys_exit_openat on 6.18 */
	struct tpfmt *f = parse_ok(
		"name: sys_exit_openat\nID: 781\nformat:\n"
		"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
		"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
		"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
		"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n"
		"\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n"
		"\tfield:long ret;\toffset:16;\tsize:8;\tsigned:1;\n\n"
		"print fmt: \"0x%lx\", REC->ret\n");
	uint8_t rec[24] = {0};
	union tape_value v[2];
	char scratch[32];

	(void)state;
	check_field(f, 0, "__syscall_nr", TAPE_S32, TAPE_DISP_DEFAULT);
	check_field(f, 1, "ret", TAPE_S64, TAPE_DISP_ERRNO);
	put(rec, 16, (uint64_t)-2, 8);
	assert_int_equal(tape__tpfmt_decode(f, rec, sizeof(rec), v, scratch, sizeof(scratch)), 0);
	assert_int_equal(v[1].s, -2);
	tape__tpfmt_free(f);
	/* unsigned or narrow: a plain number */
	f = parse_ok("\tfield:unsigned long ret;\toffset:8;\tsize:8;\tsigned:0;\n");
	check_field(f, 0, "ret", TAPE_U64, TAPE_DISP_DEFAULT);
	tape__tpfmt_free(f);
}

static void test_no_signed_attr_and_crlf(void **state)
{
	struct tpfmt *f = parse_ok("name: old\r\nformat:\r\n"
				   "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\r\n"
				   "\tfield:long x;\toffset:8;\tsize:8;\r\n");
	(void)state;
	assert_string_equal(tape__tpfmt_name(f), "old");
	assert_int_equal(tape__tpfmt_nfields(f), 1);
	check_field(f, 0, "x", TAPE_U64, TAPE_DISP_DEFAULT);
	tape__tpfmt_free(f);
	tape__tpfmt_free(NULL);
	assert_int_equal(tape__tpfmt_nfields(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sched_switch),
		cmocka_unit_test(test_sys_enter_openat),
		cmocka_unit_test(test_data_loc),
		cmocka_unit_test(test_two_data_loc),
		cmocka_unit_test(test_dynamic_arrays),
		cmocka_unit_test(test_trailing_array_and_ptr),
		cmocka_unit_test(test_rel_loc),
		cmocka_unit_test(test_short_record),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_ret_is_errno),
		cmocka_unit_test(test_no_signed_attr_and_crlf),
	};

	return cmocka_run_group_tests_name("tpfmt", tests, NULL, NULL);
}
