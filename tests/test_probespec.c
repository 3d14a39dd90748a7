// SPDX-License-Identifier: MIT
/*
 * The probe spec parser (record/probespec.c): accepted forms, the names and
 * types it derives, and errors that point at the right column.  No root,
 * no BPF.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

/* The recorder's objects are not linked into unit tests (they need libbpf);
 * the parser has no dependency, so build it in. */
#include "../record/probespec.c"

static struct probe_spec *ok(const char *text)
{
	char err[256] = "";
	struct probe_spec *ps = probe_spec__parse(text, err, sizeof(err));

	if (!ps)
		fail_msg("'%s' rejected: %s", text, err);
	assert_string_equal(ps->text, text);
	return ps;
}

static void bad(const char *text, const char *msg)
{
	char err[256] = "";
	struct probe_spec *ps = probe_spec__parse(text, err, sizeof(err));

	if (ps)
		fail_msg("'%s' accepted, expected '%s'", text, msg);
	assert_int_equal(errno, EINVAL);
	if (!strstr(err, msg))
		fail_msg("'%s': error '%s' lacks '%s'", text, err, msg);
}

static void name_is(const struct probe_spec *ps, const char *want)
{
	char buf[128];

	probe_spec__type_name(ps, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void test_tracepoint(void **state)
{
	struct probe_spec *ps = ok("tracepoint:sched:sched_process_fork");

	(void)state;
	assert_int_equal(ps->kind, PROBE_TRACEPOINT);
	assert_string_equal(ps->subsys, "sched");
	assert_string_equal(ps->name, "sched_process_fork");
	assert_int_equal(ps->nargs, 0);
	name_is(ps, "sched_process_fork");
	assert_false(probe_spec__is_glob(ps));
	probe_spec__free(ps);

	ps = ok("tracepoint:sched:sched_process_*");
	assert_true(probe_spec__is_glob(ps));
	probe_spec__free(ps);
	ps = ok("tracepoint:sys?alls:sys_enter_openat");
	assert_true(probe_spec__is_glob(ps));
	probe_spec__free(ps);
}

static void test_uprobe(void **state)
{
	struct probe_spec *ps = ok("uprobe:/usr/bin/bash:readline(prompt:str, u32,s64)");

	(void)state;
	assert_int_equal(ps->kind, PROBE_UPROBE);
	assert_string_equal(ps->path, "/usr/bin/bash");
	assert_string_equal(ps->func, "readline");
	assert_int_equal(ps->offset, 0);
	assert_int_equal(ps->nargs, 3);
	assert_string_equal(ps->args[0].name, "prompt");
	assert_int_equal(ps->args[0].type, PROBE_ARG_STR);
	assert_string_equal(ps->args[1].name, "arg1");
	assert_int_equal(ps->args[1].type, PROBE_ARG_U32);
	assert_string_equal(ps->args[2].name, "arg2");
	assert_int_equal(ps->args[2].type, PROBE_ARG_S64);
	name_is(ps, "uprobe_readline");
	probe_spec__free(ps);

	ps = ok("uprobe:./work:work_step+0x10");
	assert_string_equal(ps->func, "work_step");
	assert_int_equal(ps->offset, 16);
	assert_int_equal(ps->nargs, 0);
	probe_spec__free(ps);

	ps = ok("uprobe:/bin/x:f+010");
	assert_int_equal(ps->offset, 10);
	probe_spec__free(ps);

	ps = ok("uprobe:/lib/libc.so.6:malloc@GLIBC_2.2.5()");
	assert_string_equal(ps->func, "malloc@GLIBC_2.2.5");
	name_is(ps, "uprobe_malloc_GLIBC_2_2_5");
	probe_spec__free(ps);

	ps = ok("uprobe:/bin/x:0x4f20a1(ptr)");
	assert_null(ps->func);
	assert_int_equal(ps->offset, 0x4f20a1);
	assert_int_equal(ps->args[0].type, PROBE_ARG_PTR);
	name_is(ps, "uprobe_0x4f20a1");
	probe_spec__free(ps);

	ps = ok("uprobe:/bin/x:f(u8,u16,u32,u64,s8,s16)");
	assert_int_equal(ps->nargs, 6);
	assert_int_equal(ps->args[5].type, PROBE_ARG_S16);
	probe_spec__free(ps);
}

static void test_return_probes(void **state)
{
	struct probe_spec *ps = ok("uretprobe:/bin/x:work_sum");

	(void)state;
	assert_int_equal(ps->kind, PROBE_URETPROBE);
	assert_int_equal(ps->nargs, 1);
	assert_string_equal(ps->args[0].name, "ret");
	assert_int_equal(ps->args[0].type, PROBE_ARG_S64);
	name_is(ps, "uretprobe_work_sum");
	probe_spec__free(ps);

	ps = ok("uretprobe:/bin/x:getenv(str)");
	assert_int_equal(ps->args[0].type, PROBE_ARG_STR);
	probe_spec__free(ps);

	ps = ok("kretprobe:do_sys_openat2(s32)");
	assert_int_equal(ps->kind, PROBE_KRETPROBE);
	assert_string_equal(ps->func, "do_sys_openat2");
	assert_int_equal(ps->args[0].type, PROBE_ARG_S32);
	name_is(ps, "kretprobe_do_sys_openat2");
	probe_spec__free(ps);
}

static void test_usdt(void **state)
{
	struct probe_spec *ps =
		ok("usdt:/usr/bin/python3.11:python:function__entry(filename:str,funcname:str,"
		   "lineno:s32)");

	(void)state;
	assert_int_equal(ps->kind, PROBE_USDT);
	assert_string_equal(ps->path, "/usr/bin/python3.11");
	assert_string_equal(ps->provider, "python");
	assert_string_equal(ps->name, "function__entry");
	assert_int_equal(ps->nargs, 3);
	assert_string_equal(ps->args[2].name, "lineno");
	assert_int_equal(ps->args[2].type, PROBE_ARG_S32);
	name_is(ps, "usdt_python_function__entry");
	probe_spec__free(ps);

	ps = ok("usdt:/x:p:n(u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64)");
	assert_int_equal(ps->nargs, 12);
	probe_spec__free(ps);
}

static void test_kprobe(void **state)
{
	struct probe_spec *ps = ok("kprobe:do_sys_openat2(s32,filename:str)");

	(void)state;
	assert_int_equal(ps->kind, PROBE_KPROBE);
	assert_string_equal(ps->func, "do_sys_openat2");
	assert_int_equal(ps->nargs, 2);
	assert_string_equal(ps->args[1].name, "filename");
	name_is(ps, "kprobe_do_sys_openat2");
	probe_spec__free(ps);

	ps = ok("kprobe:vfs_read.isra.0+4");
	assert_int_equal(ps->offset, 4);
	name_is(ps, "kprobe_vfs_read_isra_0");
	probe_spec__free(ps);
}

static void test_errors(void **state)
{
	(void)state;
	bad("uprobe:/bin/x", "bad probe spec 'uprobe:/bin/x': expected ':FUNC' at column 14");
	bad("uprobe", "bad probe spec 'uprobe': unknown probe kind 'uprobe'");
	bad("", "unknown probe kind '' (tracepoint, uprobe, uretprobe, usdt, kprobe, kretprobe) "
		"at column 1");
	bad("uprobes:/bin/x:f", "unknown probe kind 'uprobes'");
	bad("uprobe::f", "expected PATH at column 8");
	bad("uprobe:/bin/x:", "expected FUNC at column 15");
	bad("uprobe:/bin/x:f(str", "expected ',' or ')' at column 20");
	bad("uprobe:/bin/x:f(string)", "unknown type 'string' (str, u8..u64, s8..s64, ptr) at "
				       "column 17");
	bad("uprobe:/bin/x:f(u64,)", "expected an argument type at column 21");
	bad("uprobe:/bin/x:f(a:u64,a:u64)", "duplicate argument name 'a' at column 23");
	bad("uprobe:/bin/x:f(arg1:u64,u64)", "duplicate argument name 'arg1'");
	bad("uprobe:/bin/x:f(1a:u64)", "expected an argument name at column 17");
	bad("uprobe:/bin/x:f(u8,u8,u8,u8,u8,u8,u8)", "more than 6 arguments at column 35");
	bad("uprobe:/bin/x:f+", "expected a number at column 17");
	bad("uprobe:/bin/x:f+12z", "bad number at column 19");
	bad("uprobe:/bin/x:f+0x", "bad number at column 17");
	bad("uprobe:/bin/x:f+0x-1", "bad number at column 17");
	bad("uprobe:/bin/x:f+-1", "expected a number at column 17");
	bad("uprobe:/bin/x:f+99999999999999999999999", "bad number");
	bad("uprobe:/bin/x:f)", "unexpected ')' at column 16");
	bad("uprobe:/bin/x:0x0", "address 0");
	bad("uretprobe:/bin/x:f+4", "a return probe takes no +OFFSET at column 19");
	bad("uretprobe:/bin/x:f(u8,u8)", "expected ')' after the return value's type at column 22");
	bad("tracepoint:sched", "expected ':NAME' at column 17");
	bad("tracepoint::x", "expected SUBSYS at column 12");
	bad("tracepoint:sched:sched_switch(u64)", "a tracepoint takes no argument list");
	bad("usdt:/bin/x:prov", "expected ':NAME' at column 17");
	bad("usdt:/bin/x:prov:name(u8,u8,u8,u8,u8,u8,u8,u8,u8,u8,u8,u8,u8)", "more than 12");
	bad("kprobe:", "expected FUNC at column 8");
	bad("kprobe:f(str) x", "unexpected ' ' at column 14");
}

static void test_too_long(void **state)
{
	static char buf[PROBE_SPEC_MAX + 64];
	char err[64];

	(void)state;
	strcpy(buf, "uprobe:/");
	memset(buf + 8, 'a', PROBE_SPEC_MAX);
	strcpy(buf + 8 + PROBE_SPEC_MAX, ":f");
	assert_null(probe_spec__parse(buf, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_null(probe_spec__parse(NULL, err, sizeof(err)));
	probe_spec__free(NULL);
	assert_string_equal(probe_arg_type__name(PROBE_ARG_PTR), "ptr");
	assert_null(probe_arg_type__name(0));
	assert_null(probe_arg_type__name(99));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tracepoint),    cmocka_unit_test(test_uprobe),
		cmocka_unit_test(test_return_probes), cmocka_unit_test(test_usdt),
		cmocka_unit_test(test_kprobe),	      cmocka_unit_test(test_errors),
		cmocka_unit_test(test_too_long),
	};

	return cmocka_run_group_tests_name("probespec", tests, NULL, NULL);
}
