// SPDX-License-Identifier: MIT
/* The -f expression language: syntax errors with columns, semantics, binding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../replay/expr.h"
#include "golden_gen.h"

/* ---- syntax errors ---- */

static void test_errors(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{"type == \"open\" && (ret < 0", "column 27: expected ')'"},
		{"(pid == 1 || pid == 2", "column 22: expected ')'"},
		{"pid == ", "column 8: expected a field or value, found the end"},
		{"", "column 1: empty expression"},
		{"   ", "column 4: empty expression"},
		{"pid == 1 )", "column 10: unbalanced ')'"},
		{"pid == 1 pid", "column 10: expected '&&', '||' or the end"},
		{"path =~ /etc", "column 9: expected a quoted pattern after '=~'"},
		{"path !~ 3", "column 9: expected a quoted pattern after '!~'"},
		{"path == \"abc", "column 9: unterminated string"},
		{"pid @ 3", "column 5: unexpected '@'"},
		{"pid == 12abc", "column 8: bad number"},
		{"pid == 99999999999999999999999", "column 8: number out of range"},
		{"3", "column 1: expected a comparison"},
		{"flags & O_CREAT|", "column 17: expected a flag name after '|'"},
		{"ret == -\"x\"", "column 9: expected a number or a name after '-'"},
		{"&& pid", "column 1: expected a field or value"},
		{"!", "column 2: expected a field or value, found the end"},
	};
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct expr *e = expr__compile(cases[i].text, err, sizeof(err));

		if (e)
			fail_msg("'%s' compiled; expected '%s'", cases[i].text, cases[i].msg);
		if (strcmp(err, cases[i].msg))
			fail_msg("'%s': got '%s', expected '%s'", cases[i].text, err, cases[i].msg);
	}
}

static void test_deep_nesting(void **state)
{
	char text[2048], err[256];
	struct expr *e;
	size_t n = 0;

	(void)state;
	for (int i = 0; i < 500; i++)
		text[n++] = '(';
	strcpy(text + n, "pid == 1");
	e = expr__compile(text, err, sizeof(err));
	assert_null(e);
	assert_non_null(strstr(err, "nested too deeply"));
	n = 0;
	for (int i = 0; i < 1000; i++)
		text[n++] = '!';
	strcpy(text + n, "pid");
	e = expr__compile(text, err, sizeof(err));
	assert_null(e);
	assert_non_null(strstr(err, "nested too deeply"));
}

/* ---- evaluation over the golden types ---- */

struct fixture {
	struct expr *e;
	struct tape_event ev;
	union tape_value v[TAPE_MAX_FIELDS];
};

static struct fixture fx;

/* Compile and bind @text for every golden type (source 0, ids 1..). */
static bool ev_match(const char *text, int type, const union tape_value *v, size_t nv, uint32_t pid,
		     const char *comm)
{
	static struct tape_type types[G_NTYPES];
	char err[256];
	bool r;

	for (int t = 0; t < G_NTYPES; t++) {
		types[t] = golden_types[t];
		types[t].id = (uint16_t)(t + 1);
	}
	fx.e = expr__compile(text, err, sizeof(err));
	if (!fx.e)
		fail_msg("'%s': %s", text, err);
	for (int t = 0; t < G_NTYPES; t++)
		assert_int_equal(expr__bind_type(fx.e, 0, &types[t], err, sizeof(err)), 0);
	memcpy(fx.v, v, nv * sizeof(*v));
	memset(&fx.ev, 0, sizeof(fx.ev));
	fx.ev.ts = 5000;
	fx.ev.pid = pid;
	fx.ev.tid = pid + 1;
	fx.ev.cpu = 3;
	fx.ev.comm = comm;
	fx.ev.type = (uint16_t)(type + 1);
	fx.ev.tp = &types[type];
	fx.ev.values = fx.v;
	r = expr__eval(fx.e, &fx.ev);
	expr__free(fx.e);
	fx.e = NULL;
	return r;
}

static bool open_match(const char *text, const char *path, size_t plen, uint32_t flags, int32_t ret)
{
	union tape_value v[] = {GV_U(257),   GV_S(-100), GV_B(path, plen),
				GV_U(flags), GV_U(0644), GV_S(ret)};

	return ev_match(text, G_OPEN, v, 6, 42, "nginx");
}

#define OPEN(text, path, flags, ret) open_match(text, path, strlen(path), flags, ret)

static void test_compare(void **state)
{
	(void)state;
	assert_true(OPEN("type == \"open\" && path =~ \"/etc/*\" && ret < 0", "/etc/x", 0, -2));
	assert_false(OPEN("type == \"open\" && path =~ \"/etc/*\" && ret < 0", "/etc/x", 0, 3));
	assert_false(OPEN("type == \"open\" && path =~ \"/etc/*\" && ret < 0", "/var/x", 0, -2));
	assert_false(OPEN("type == \"exec\"", "/etc/x", 0, 0));
	assert_true(OPEN("type != \"exec\"", "/etc/x", 0, 0));
	assert_true(
		OPEN("pid == 42 && tid == 43 && cpu == 3 && ts >= 5000 && ts <= 5000", "/", 0, 0));
	assert_true(OPEN("comm == \"nginx\" && comm =~ 'ng*' && comm !~ \"apache*\"", "/", 0, 0));
	assert_true(OPEN("comm < \"zzz\" && comm > \"a\"", "/", 0, 0));
	assert_true(OPEN("mode == 0644 && mode == 420 && mode == 0x1a4", "/", 0, 0));
	assert_true(OPEN("dfd == -100 && dfd < -99 && dfd != 100", "/", 0, 0));
	assert_true(OPEN("path == \"/a b\\\"c\"", "/a b\"c", 0, 0));
	assert_true(OPEN("path", "/x", 0, 0));
	assert_false(OPEN("path", "", 0, 0));
	assert_true(OPEN("ret", "/x", 0, 3));
	assert_false(OPEN("ret", "/x", 0, 0));
}

static void test_logic(void **state)
{
	(void)state;
	/* && binds tighter than || */
	assert_true(OPEN("pid == 1 || pid == 42 && ret == 3", "/", 0, 3));
	assert_false(OPEN("(pid == 1 || pid == 42) && ret == 4", "/", 0, 3));
	assert_true(OPEN("pid == 42 || pid == 1 && ret == 4", "/", 0, 3));
	assert_true(OPEN("!(pid == 1)", "/", 0, 0));
	assert_false(OPEN("!!(pid == 1)", "/", 0, 0));
	assert_true(OPEN("!pid == 1 || 1 == 1", "/", 0, 0));
}

static void test_symbols(void **state)
{
	(void)state;
	assert_true(OPEN("ret == ENOENT", "/", 0, -2));
	assert_true(OPEN("ret == -ENOENT", "/", 0, -2));
	assert_false(OPEN("ret == ENOENT", "/", 0, 2));
	assert_true(OPEN("ret != EACCES", "/", 0, -2));
	assert_true(OPEN("flags & O_CREAT", "/", 0100 | 01, 3));
	assert_false(OPEN("flags & O_CREAT", "/", 01, 3));
	assert_true(OPEN("flags & O_CREAT|O_EXCL", "/", 0200, 3));
	assert_true(OPEN("flags == O_WRONLY|O_CREAT", "/", 0101, 3));
	assert_true(OPEN("syscall == openat && syscall == \"openat\"", "/", 0, 3));
	assert_false(OPEN("syscall == open", "/", 0, 3));
	/* a string against a number compares with the number's display */
	assert_true(OPEN("flags =~ \"*O_CLOEXEC*\"", "/", 02000000 | 01, 3));
	assert_true(OPEN("ret =~ \"*ENOENT*\"", "/", 0, -2));
	{
		union tape_value v[] = {GV_S(0), GV_S(9)};

		assert_true(ev_match("signal == SIGKILL", G_EXIT, v, 2, 1, "x"));
		assert_false(ev_match("signal == SIGTERM", G_EXIT, v, 2, 1, "x"));
		/* SIGKILL means nothing for a type without a signal field */
		assert_false(OPEN("signal == SIGKILL", "/", 0, 9));
	}
}

static void test_missing_fields(void **state)
{
	union tape_value v[] = {GV_S(3), GV_S(0)};

	(void)state;
	/* close has no path: comparisons with it are false, their negation true */
	assert_false(ev_match("path =~ \"*\"", G_CLOSE, v, 2, 1, "x"));
	assert_false(ev_match("path == \"\"", G_CLOSE, v, 2, 1, "x"));
	assert_true(ev_match("!(path =~ \"*\")", G_CLOSE, v, 2, 1, "x"));
	assert_true(ev_match("fd == 3 || path == \"x\"", G_CLOSE, v, 2, 1, "x"));
	/* a string field against a number is false, not an error */
	assert_false(OPEN("path == 3", "3", 0, 0));
}

static void test_bytes_fields(void **state)
{
	static const char argv[] = "cat\0/etc/shadow\0--verbose";
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(80)};
	union tape_value ex[] = {GV_B("/usr/bin/cat", 12), GV_B(argv, sizeof(argv)), GV_S(0)};
	union tape_value cn[] = {GV_S(4), GV_B(&sin, sizeof(sin)), GV_S(0)};

	(void)state;
	inet_pton(AF_INET, "192.168.7.9", &sin.sin_addr);
	assert_true(ev_match("argv =~ \"*/etc/shadow*\"", G_EXEC, ex, 3, 1, "cat"));
	assert_true(ev_match("argv == \"cat /etc/shadow --verbose\"", G_EXEC, ex, 3, 1, "cat"));
	assert_false(ev_match("argv =~ \"*passwd*\"", G_EXEC, ex, 3, 1, "cat"));
	assert_true(ev_match("addr =~ \"192.168.*:80\"", G_CONNECT, cn, 3, 1, "curl"));
	assert_false(ev_match("addr =~ \"10.*\"", G_CONNECT, cn, 3, 1, "curl"));
}

static void test_may_match(void **state)
{
	static struct tape_type types[G_NTYPES];
	char err[256];
	struct expr *e =
		expr__compile("type == \"open\" && ret < 0 || type == \"exit\"", err, sizeof(err));

	(void)state;
	assert_non_null(e);
	for (int t = 0; t < G_NTYPES; t++) {
		types[t] = golden_types[t];
		types[t].id = (uint16_t)(t + 1);
		assert_int_equal(expr__bind_type(e, 0, &types[t], err, sizeof(err)), 0);
	}
	for (int t = 0; t < G_NTYPES; t++)
		assert_int_equal(expr__may_match(e, 0, (unsigned)t + 1),
				 t == G_OPEN || t == G_EXIT);
	/* an unbound source or type can never match */
	assert_false(expr__may_match(e, 1, 1));
	assert_false(expr__may_match(e, 0, 200));
	expr__free(e);
}

static void test_bind_unknown_names(void **state)
{
	struct golden_mem m;
	struct tape_reader *r;
	struct expr *e;
	char err[256];

	(void)state;
	assert_int_equal(golden_basic_mem(&m), 0);
	r = tape_reader__open_mem(m.data, m.len, err, sizeof(err));
	assert_non_null(r);
	e = expr__compile("pid == 1 && pth =~ \"/etc*\"", err, sizeof(err));
	assert_non_null(e);
	assert_int_equal(expr__bind(e, &r, 1, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "column 13: unknown field or name 'pth'");
	expr__free(e);
	e = expr__compile("flags & O_CREAT|O_BOGUS", err, sizeof(err));
	assert_non_null(e);
	assert_int_equal(expr__bind(e, &r, 1, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "column 9: unknown name 'O_BOGUS'");
	expr__free(e);
	/* names from enums, errno names and fields of any type are known */
	e = expr__compile("signal == SIGKILL || ret == EPERM || child_pid > 0 || nr == openat", err,
			  sizeof(err));
	assert_non_null(e);
	assert_int_equal(expr__bind(e, &r, 1, err, sizeof(err)), 0);
	expr__free(e);
	tape_reader__free(r);
	free(m.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_logic),
		cmocka_unit_test(test_symbols),
		cmocka_unit_test(test_missing_fields),
		cmocka_unit_test(test_bytes_fields),
		cmocka_unit_test(test_may_match),
		cmocka_unit_test(test_bind_unknown_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
