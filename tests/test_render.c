// SPDX-License-Identifier: MIT
/*
 * The one renderer (format/fmt.c: tape_escape(), tape_format_value()) and
 * every output that goes through it: the escaping of each mode byte for
 * byte, round trips of awkward bytes through a decoder written from
 * docs/USAGE.md ("How values are rendered"), and the same bytes through
 * replay (text, JSON), query (JSON, CSV, events.args) and export (CSV,
 * Chrome), read back with Python's json and csv modules
 * (tests/render_check.py).
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "golden_gen.h"
#include <bpftape/tape.h>
#include "../cli/verbs.h"

static char dir[256];	  /* scratch directory */
static char checker[512]; /* tests/render_check.py */

/* Awkward strings: every escape of the notation, and what must pass as is. */
static const struct {
	const char *s;
	size_t n;
} awkward[] = {
#define A(lit)                                                                                     \
	{                                                                                          \
		lit, sizeof(lit) - 1                                                               \
	}
	A(""),
	A("plain /etc/passwd"),
	A("new\nline"),
	A("tab\there"),
	A("cr\rhere"),
	A("quote\"here"),
	A("back\\slash"),
	A("looks escaped: \\x41 \\\\ \\n"),
	A("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f"),
	A("\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f"),
	A("del\x7f"),
	A("ff\xff"),
	A("latin1 caf\xe9"),
	A("cut \xc3"),
	A("cut3 \xe2\x82"),
	A("lone \x80 continuation"),
	A("overlong \xc0\xaf"),
	A("surrogate \xed\xa0\x80"),
	A("past U+10FFFF \xf4\x90\x80\x80"),
	A("caf\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e"),
	A("C1 \xc2\x9b\x32J \xc2\x85"),
	A("\x1b]0;TITLE\x07\x1b[2J"),
	A(",comma,"),
	A(" spaces "),
#undef A
};
#define NAWKWARD (sizeof(awkward) / sizeof(awkward[0]))

/* ---- a decoder written from the documentation ---- */

/* The recorded bytes of @s (@n bytes) rendered in TAPE_ESC_PLAIN or
 * TAPE_ESC_TEXT; -1 for an escape the documentation does not define. */
static ssize_t unescape(const char *s, size_t n, enum tape_esc esc, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\\') {
			out[o++] = s[i];
			continue;
		}
		if (++i >= n)
			return -1;
		switch (s[i]) {
		case '\\':
			out[o++] = '\\';
			break;
		case 'x': {
			unsigned v;

			if (i + 2 >= n || !s[i + 1] || !s[i + 2] ||
			    !strchr("0123456789abcdef", s[i + 1]) ||
			    !strchr("0123456789abcdef", s[i + 2]) ||
			    sscanf(s + i + 1, "%2x", &v) != 1)
				return -1;
			out[o++] = (char)v;
			i += 2;
			break;
		}
		case 'n':
		case 't':
		case 'r':
		case '"':
			if (esc == TAPE_ESC_PLAIN)
				return -1;
			out[o++] = s[i] == 'n'	 ? '\n'
				   : s[i] == 't' ? '\t'
				   : s[i] == 'r' ? '\r'
						 : '"';
			break;
		default:
			return -1;
		}
	}
	return (ssize_t)o;
}

/* The JSON string body @s decoded to its characters, as a JSON parser would,
 * then the plain notation undone.  Only the escapes the renderer writes. */
static ssize_t json_then_plain(const char *s, size_t n, char *out)
{
	char *mid = malloc(n + 1);
	size_t m = 0;
	ssize_t r;

	assert_non_null(mid);
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\\') {
			/* a JSON string holds no raw control character nor quote */
			assert_true((unsigned char)s[i] >= 0x20 && s[i] != '"');
			mid[m++] = s[i];
			continue;
		}
		i++;
		switch (s[i]) {
		case '\\':
		case '"':
			mid[m++] = s[i];
			break;
		case 'n':
			mid[m++] = '\n';
			break;
		case 't':
			mid[m++] = '\t';
			break;
		case 'r':
			mid[m++] = '\r';
			break;
		default:
			fail_msg("JSON escape \\%c the renderer does not write", s[i]);
		}
	}
	r = unescape(mid, m, TAPE_ESC_PLAIN, out);
	free(mid);
	return r;
}

static bool valid_utf8(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t l;
		uint32_t cp;

		if (s[i] < 0x80) {
			i++;
			continue;
		}
		l = (s[i] & 0xe0) == 0xc0   ? 2
		    : (s[i] & 0xf0) == 0xe0 ? 3
		    : (s[i] & 0xf8) == 0xf0 ? 4
					    : 0;
		if (!l || i + l > n)
			return false;
		cp = s[i] & (0x7f >> l);
		for (size_t k = 1; k < l; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((l == 2 && cp < 0x80) || (l == 3 && cp < 0x800) || (l == 4 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000))
			return false;
		i += l;
	}
	return true;
}

static char *escape_new(const void *s, size_t n, enum tape_esc esc, size_t *len)
{
	ssize_t w = tape_escape(s, n, esc, NULL, 0);
	char *buf;

	assert_true(w >= 0);
	assert_true((size_t)w <= TAPE_ESC_MAX * n);
	buf = malloc((size_t)w + 1);
	assert_non_null(buf);
	assert_int_equal(tape_escape(s, n, esc, buf, (size_t)w + 1), w);
	assert_int_equal(strlen(buf), (size_t)w); /* no NUL inside */
	*len = (size_t)w;
	return buf;
}

/* One string through every mode: the text each promises, and the bytes back. */
static void check_roundtrip(const void *s, size_t n)
{
	char *back = malloc(n + 1);

	assert_non_null(back);
	for (int m = TAPE_ESC_RAW + 1; m <= TAPE_ESC_LAST; m++) {
		size_t len;
		char *e = escape_new(s, n, (enum tape_esc)m, &len);
		ssize_t got;

		assert_true(valid_utf8((const unsigned char *)e, len));
		for (size_t i = 0; i < len; i++) {
			unsigned char c = (unsigned char)e[i];

			if (m == TAPE_ESC_PLAIN)
				assert_true(c >= 0x20 || c == '\t' || c == '\n' || c == '\r');
			else
				assert_true(c >= 0x20 && c != 0x7f);
			/* no C1 control reaches a terminal */
			if (m == TAPE_ESC_TEXT && c == 0xc2 && i + 1 < len)
				assert_true((unsigned char)e[i + 1] >= 0xa0);
		}
		got = m == TAPE_ESC_JSON ? json_then_plain(e, len, back)
					 : unescape(e, len, (enum tape_esc)m, back);
		if (got != (ssize_t)n || memcmp(back, s, n))
			fail_msg("mode %d: %zu bytes do not come back from '%s'", m, n, e);
		free(e);
	}
	free(back);
}

/* ---- the renderer ---- */

static void expect_esc(const char *s, size_t n, enum tape_esc esc, const char *want)
{
	size_t len;
	char *e = escape_new(s, n, esc, &len);

	assert_string_equal(e, want);
	free(e);
}

#define EXPECT(lit, esc, want) expect_esc(lit, sizeof(lit) - 1, esc, want)

static void test_escape_modes(void **state)
{
	(void)state;
	/* plain: what a JSON string reads once parsed, and a CSV cell */
	EXPECT("a\\b", TAPE_ESC_PLAIN, "a\\\\b");
	EXPECT("\xff", TAPE_ESC_PLAIN, "\\xff");
	EXPECT("\x01", TAPE_ESC_PLAIN, "\\x01");
	EXPECT("\x00", TAPE_ESC_PLAIN, "\\x00");
	EXPECT("\x7f", TAPE_ESC_PLAIN, "\\x7f");
	EXPECT("t\tn\nr\r\"", TAPE_ESC_PLAIN, "t\tn\nr\r\"");
	EXPECT("caf\xc3\xa9 \xe2\x82\xac", TAPE_ESC_PLAIN, "caf\xc3\xa9 \xe2\x82\xac");
	EXPECT("\xc2\x9b", TAPE_ESC_PLAIN, "\xc2\x9b"); /* valid text, not a terminal */
	EXPECT("\xc3(", TAPE_ESC_PLAIN, "\\xc3(");
	EXPECT("\xed\xa0\x80", TAPE_ESC_PLAIN, "\\xed\\xa0\\x80");
	EXPECT("\xc0\xaf", TAPE_ESC_PLAIN, "\\xc0\\xaf");
	/* JSON: the plain text inside a JSON string literal.  A raw byte is
	 * never \u00XX, which reads back as the character U+00XX. */
	EXPECT("\xff", TAPE_ESC_JSON, "\\\\xff");
	EXPECT("\x01", TAPE_ESC_JSON, "\\\\x01");
	EXPECT("\x1b[2J", TAPE_ESC_JSON, "\\\\x1b[2J");
	EXPECT("a\\b", TAPE_ESC_JSON, "a\\\\\\\\b");
	EXPECT("\"\n\t\r", TAPE_ESC_JSON, "\\\"\\n\\t\\r");
	EXPECT("\xc3\xa9", TAPE_ESC_JSON, "\xc3\xa9");
	/* text: safe on a terminal */
	EXPECT("\x1b]0;T\x07", TAPE_ESC_TEXT, "\\x1b]0;T\\x07");
	EXPECT("\"\n\t\r\\", TAPE_ESC_TEXT, "\\\"\\n\\t\\r\\\\");
	EXPECT("\xc2\x9b\xc2\x85\xc2\xa0", TAPE_ESC_TEXT, "\\xc2\\x9b\\xc2\\x85\xc2\xa0");
	EXPECT("\xff\xc3\xa9", TAPE_ESC_TEXT, "\\xff\xc3\xa9");
	/* raw: as recorded */
	EXPECT("\x1b\xff\\", TAPE_ESC_RAW, "\x1b\xff\\");
	assert_int_equal(tape_escape("x", 1, (enum tape_esc)9, NULL, 0), -EINVAL);
	assert_int_equal(tape_escape(NULL, 1, TAPE_ESC_PLAIN, NULL, 0), -EINVAL);
}

static void test_escape_truncation(void **state)
{
	char buf[8];

	(void)state;
	/* like snprintf: the full length, a NUL-terminated prefix */
	assert_int_equal(tape_escape("\xff\xff\xff", 3, TAPE_ESC_JSON, buf, sizeof(buf)), 15);
	assert_int_equal(strlen(buf), 7);
	assert_memory_equal(buf, "\\\\xff\\\\", 7);
	assert_int_equal(tape_escape("abc", 3, TAPE_ESC_PLAIN, buf, 1), 3);
	assert_string_equal(buf, "");
	/* a long string escaped near the end of the buffer keeps its UTF-8 */
	{
		char s[300], big[2048];
		size_t n = 0;

		while (n + 2 <= 200) {
			s[n++] = '\xc3';
			s[n++] = '\xa9';
		}
		for (size_t room = 1; room < 420; room += 7) {
			ssize_t w = tape_escape(s, n, TAPE_ESC_TEXT, big, room);

			assert_int_equal(w, (ssize_t)n);
			assert_memory_equal(big, s, room - 1 < n ? room - 1 : n);
		}
	}
}

static void test_escape_roundtrip(void **state)
{
	unsigned seed = 12345;

	(void)state;
	for (size_t i = 0; i < NAWKWARD; i++)
		check_roundtrip(awkward[i].s, awkward[i].n);
	/* every byte alone, and random strings weighted to the awkward bytes */
	for (int c = 0; c < 256; c++) {
		char b = (char)c;

		check_roundtrip(&b, 1);
	}
	for (int k = 0; k < 3000; k++) {
		static const unsigned char pick[] = {'\\', '"',	 'x',  '0',  '\n', '\t', 0,    0x1b,
						     0x7f, 0x80, 0xc2, 0x9b, 0xc3, 0xa9, 0xe2, 0x82,
						     0xac, 0xed, 0xf0, 0x9f, 0xff, 'a'};
		unsigned char s[64];
		size_t n = (size_t)(rand_r(&seed) % sizeof(s));

		for (size_t i = 0; i < n; i++)
			s[i] = rand_r(&seed) % 2 ? pick[rand_r(&seed) % sizeof(pick)]
						 : (unsigned char)rand_r(&seed);
		check_roundtrip(s, n);
	}
}

/* Names and paths inside a display are escaped in place. */
static void test_format_value(void **state)
{
	static const uint64_t vals[] = {1, 2, 4};
	static const char *const names[] = {"SYM\x1b]0;TITLE\x07\x1b[2J", "B\\C", "D\xff"};
	static const struct tape_enum evil = {"evil", 3, vals, names};
	static const struct tape_field f[] = {
		{"flags", TAPE_U32, TAPE_DISP_FLAGS, &evil},
		{"addr", TAPE_BYTES, TAPE_DISP_SOCKADDR, NULL},
		{"argv", TAPE_BYTES, TAPE_DISP_ARGV, NULL},
		{"e", TAPE_U32, TAPE_DISP_ENUM, &evil},
	};
	static const struct tape_type tp = {0, "t", "", "", 4, f};
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	union tape_value v;
	char buf[256];

	(void)state;
	v.u = 7;
	assert_int_equal(tape_format_value(&tp, 0, &v, TAPE_ESC_TEXT, buf, sizeof(buf)), 37);
	assert_string_equal(buf, "SYM\\x1b]0;TITLE\\x07\\x1b[2J|B\\\\C|D\\xff");
	tape_format_value(&tp, 0, &v, TAPE_ESC_JSON, buf, sizeof(buf));
	assert_string_equal(buf, "SYM\\\\x1b]0;TITLE\\\\x07\\\\x1b[2J|B\\\\\\\\C|D\\\\xff");
	tape_format_value(&tp, 0, &v, TAPE_ESC_RAW, buf, sizeof(buf));
	assert_string_equal(buf, "SYM\x1b]0;TITLE\x07\x1b[2J|B\\C|D\xff");
	v.u = 4;
	tape_format_value(&tp, 3, &v, TAPE_ESC_PLAIN, buf, sizeof(buf));
	assert_string_equal(buf, "D\\xff");

	/* an unnamed unix socket has no string to quote */
	v.b.ptr = &sun;
	v.b.len = offsetof(struct sockaddr_un, sun_path);
	for (int m = TAPE_ESC_RAW; m <= TAPE_ESC_LAST; m++) {
		tape_format_value(&tp, 1, &v, (enum tape_esc)m, buf, sizeof(buf));
		assert_string_equal(buf, "unix:unnamed");
	}
	/* an abstract name is its whole length, NULs included */
	memcpy(sun.sun_path, "\0ab\0c\n", 6);
	v.b.len = offsetof(struct sockaddr_un, sun_path) + 6;
	tape_format_value(&tp, 1, &v, TAPE_ESC_TEXT, buf, sizeof(buf));
	assert_string_equal(buf, "@\"ab\\x00c\\n\"");
	tape_format_value(&tp, 1, &v, TAPE_ESC_PLAIN, buf, sizeof(buf));
	assert_string_equal(buf, "@ab\\x00c\n");
	/* unquoted, a path that starts with '@' does not read as abstract */
	memcpy(sun.sun_path, "@x\0", 3);
	v.b.len = offsetof(struct sockaddr_un, sun_path) + 3;
	tape_format_value(&tp, 1, &v, TAPE_ESC_PLAIN, buf, sizeof(buf));
	assert_string_equal(buf, "\\x40x");
	tape_format_value(&tp, 1, &v, TAPE_ESC_TEXT, buf, sizeof(buf));
	assert_string_equal(buf, "\"@x\"");

	/* argv: quoted in text; unquoted, a space inside an argument is \x20 */
	v.b.ptr = "ls\0a b\0\xff";
	v.b.len = 8;
	tape_format_value(&tp, 2, &v, TAPE_ESC_TEXT, buf, sizeof(buf));
	assert_string_equal(buf, "\"ls\" \"a b\" \"\\xff\"");
	tape_format_value(&tp, 2, &v, TAPE_ESC_PLAIN, buf, sizeof(buf));
	assert_string_equal(buf, "ls a\\x20b \\xff");
	tape_format_value(&tp, 2, &v, TAPE_ESC_JSON, buf, sizeof(buf));
	assert_string_equal(buf, "ls a\\\\x20b \\\\xff");
}

/* ---- the verbs ---- */

struct run {
	int rc;
	char out[300]; /* the file holding its standard output */
	char *err;
};

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Run verb @fn with @args (args[0] is the verb), its standard output into
 * the file @name in the scratch directory. */
static struct run run_verb(const char *name, int (*fn)(int, char **), const char *const *args)
{
	char errp[300], *argv[64];
	int argc = 0, o, e, so, se;
	struct run r;

	for (; args[argc]; argc++)
		argv[argc] = (char *)args[argc];
	argv[argc] = NULL;
	snprintf(r.out, sizeof(r.out), "%s/%s", dir, name);
	snprintf(errp, sizeof(errp), "%s/stderr", dir);
	o = open(r.out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(o >= 0 && e >= 0);
	fflush(stdout);
	fflush(stderr);
	so = dup(1);
	se = dup(2);
	dup2(o, 1);
	dup2(e, 2);
	optind = 0;
	r.rc = fn(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	close(o);
	close(e);
	r.err = slurp(errp);
	return r;
}

#define RUN(name, fn, ...) run_verb(name, fn, (const char *const[]){__VA_ARGS__, NULL})

static const uint64_t hostile_vals[] = {1};
static const char *const hostile_names[] = {"N\xff\\\"\x01\xc3\xa9,x"};
static const struct tape_enum hostile_enum = {"hostile", 1, hostile_vals, hostile_names};
static const struct tape_field probe_f[] = {
	{"s", TAPE_STR, 0, NULL},
	{"n", TAPE_S32, TAPE_DISP_ERRNO, NULL},
	{"fl", TAPE_U32, TAPE_DISP_FLAGS, &hostile_enum},
};
static const struct tape_type probe_t = {0, "probe", "", "", 3, probe_f};
static const char hostile_comm[] = "c\x1b]0;T\x07\xff\\\"";

struct str {
	const char *s;
	size_t n;
};

/* A tape @name of one "probe" event per string of @strs, and the file of
 * what render_check.py must read back. */
static void write_probes(const char *name, const struct str *strs, size_t nstrs, char *tape,
			 size_t len, char *expected, size_t elen)
{
	struct tape_writer_opts opts = {.sz = sizeof(opts)};
	struct tape_writer *w;
	FILE *f;
	int type;

	snprintf(tape, len, "%s/%s.tape", dir, name);
	snprintf(expected, elen, "%s/%s.expected", dir, name);
	w = tape_writer__open(tape, &opts);
	assert_non_null(w);
	assert_int_equal(
		tape_writer__set_meta(w, "clock.boottime_to_realtime_ns", GOLDEN_CLOCK_OFF), 0);
	type = tape_writer__add_type(w, &probe_t);
	assert_true(type > 0);
	f = fopen(expected, "w");
	assert_non_null(f);
	for (size_t i = 0; i < nstrs; i++) {
		union tape_value v[] = {GV_B(strs[i].s, strs[i].n), GV_S(-2), GV_U(1)};
		struct tape_event ev = {.ts = 1000 + i,
					.pid = 7,
					.tid = 7,
					.type = (uint16_t)type,
					.comm = hostile_comm,
					.values = v};

		assert_int_equal(tape_writer__append(w, &ev), 0);
		for (size_t k = 0; k < strs[i].n; k++)
			fprintf(f, "%02x", (unsigned char)strs[i].s[k]);
		fputc('\n', f);
	}
	fputs("comm ", f);
	for (size_t k = 0; k < strlen(hostile_comm); k++)
		fprintf(f, "%02x", (unsigned char)hostile_comm[k]);
	fputs("\nfl ", f);
	for (size_t k = 0; k < strlen(hostile_names[0]); k++)
		fprintf(f, "%02x", (unsigned char)hostile_names[0][k]);
	fputc('\n', f);
	fclose(f);
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);
}

static void write_awkward(char *tape, size_t len, char *expected, size_t elen)
{
	struct str strs[NAWKWARD];

	for (size_t i = 0; i < NAWKWARD; i++) {
		strs[i].s = awkward[i].s;
		strs[i].n = awkward[i].n;
	}
	write_probes("awkward", strs, NAWKWARD, tape, len, expected, elen);
}

static size_t count_char(const char *s, char c)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == c;
	return n;
}

/* The outputs to read back with render_check.py, in one run of it. */
static char checks[8192];

static void check_output(const char *kind, struct run *r, const char *expected)
{
	size_t k = strlen(checks);

	if (r->rc != 0)
		fail_msg("%s: exit %d: %s", kind, r->rc, r->err);
	snprintf(checks + k, sizeof(checks) - k, " %s '%s' '%s'", kind, r->out, expected);
	assert_true(strlen(checks) < sizeof(checks) - 1);
	free(r->err);
}

static void check_all(void)
{
	char cmd[sizeof(checks) + 600];

	snprintf(cmd, sizeof(cmd), "python3 '%s'%s", checker, checks);
	checks[0] = '\0';
	if (system(cmd))
		fail_msg("the recorded bytes do not come back (%s)", cmd);
}

/* Every output of every verb gives the recorded bytes back to a reader with
 * nothing but Python's json and csv modules. */
static void test_outputs_roundtrip(void **state)
{
	char tape[300], expected[300];
	struct run r;

	(void)state;
	write_awkward(tape, sizeof(tape), expected, sizeof(expected));
	r = RUN("replay.json", cmd_replay, "replay", "--json", tape);
	check_output("replay-json", &r, expected);
	r = RUN("replay.txt", cmd_replay, "replay", tape);
	check_output("replay-text", &r, expected);
	r = RUN("query.json", cmd_query, "query", "--format", "json", tape, "-c",
		"SELECT s, comm, fl_str FROM probe ORDER BY ts");
	check_output("query-json", &r, expected);
	r = RUN("args.json", cmd_query, "query", "--format", "json", tape, "-c",
		"SELECT args FROM events ORDER BY ts");
	check_output("query-args", &r, expected);
	r = RUN("query.csv", cmd_query, "query", "--format", "csv", tape, "-c",
		"SELECT s, comm, fl_str FROM probe ORDER BY ts");
	check_output("query-csv", &r, expected);
	r = RUN("export.csv", cmd_export, "export", "--format", "csv", tape);
	check_output("export-csv", &r, expected);
	/* query's table is for a terminal: no control character from a value */
	r = RUN("query.txt", cmd_query, "query", tape, "-c", "SELECT s, comm, fl_str FROM probe");
	assert_int_equal(r.rc, 0);
	free(r.err);
	{
		char *out = slurp(r.out);

		for (char *p = out; *p; p++) {
			assert_true((unsigned char)*p >= 0x20 || *p == '\n');
			assert_true((unsigned char)*p != 0x7f);
		}
		assert_int_equal(count_char(out, '\n'), NAWKWARD + 2);
		free(out);
	}
	r = RUN("export.json", cmd_export, "export", "--format", "chrome", tape);
	check_output("export-chrome", &r, expected);
	check_all();
}

/* Values longer than the output buffer (256 KiB) come back whole, through
 * the paths that escape in pieces. */
static void test_outputs_big_values(void **state)
{
	static const char unit[] = "a\\\xff\n\xc3\xa9\x1b\"\xe2\x82\xac,x ";
	size_t n1 = 300000, n2 = 70000;
	char *big1 = malloc(n1), *big2 = malloc(n2);
	char tape[300], expected[300];
	struct run r;

	(void)state;
	assert_non_null(big1);
	assert_non_null(big2);
	for (size_t i = 0; i < n1; i++)
		big1[i] = unit[i % (sizeof(unit) - 1)];
	memset(big2, 0xff, n2);
	{
		struct str strs[] = {{big1, n1}, {big2, n2}, {"", 0}};

		write_probes("big", strs, 3, tape, sizeof(tape), expected, sizeof(expected));
	}
	r = RUN("big.json", cmd_replay, "replay", "--json", tape);
	check_output("replay-json", &r, expected);
	r = RUN("big.txt", cmd_replay, "replay", tape);
	check_output("replay-text", &r, expected);
	r = RUN("bigq.json", cmd_query, "query", "--format", "json", tape, "-c",
		"SELECT s, comm, fl_str FROM probe ORDER BY ts");
	check_output("query-json", &r, expected);
	r = RUN("bigargs.json", cmd_query, "query", "--format", "json", tape, "-c",
		"SELECT args FROM events ORDER BY ts");
	check_output("query-args", &r, expected);
	r = RUN("big.csv", cmd_export, "export", "--format", "csv", tape);
	check_output("export-csv", &r, expected);
	r = RUN("big-chrome.json", cmd_export, "export", "--format", "chrome", tape);
	check_output("export-chrome", &r, expected);
	check_all();
	free(big1);
	free(big2);
}

/* The check above fails when a value does not come back (the checker is
 * not a rubber stamp). */
static void test_checker_catches_loss(void **state)
{
	char tape[300], expected[300], cmd[1600], *out;
	struct run r;
	FILE *f;

	(void)state;
	write_awkward(tape, sizeof(tape), expected, sizeof(expected));
	r = RUN("replay.json", cmd_replay, "replay", "--json", tape);
	assert_int_equal(r.rc, 0);
	free(r.err);
	/* 0xff written the old way, as a character */
	out = slurp(r.out);
	f = fopen(r.out, "w");
	assert_non_null(f);
	for (char *p = out; *p; p++) {
		if (!strncmp(p, "\\\\xff", 5)) {
			fputs("\\u00ff", f);
			p += 4;
		} else {
			fputc(*p, f);
		}
	}
	fclose(f);
	free(out);
	snprintf(cmd, sizeof(cmd), "python3 '%s' replay-json '%s' '%s' >/dev/null", checker, r.out,
		 expected);
	assert_int_not_equal(system(cmd), 0);
}

/* replay --json names values of enums of any size (the names object once
 * lost every enum whose symbol text passed a fixed buffer). */
static void test_json_long_enum(void **state)
{
	struct tape_writer_opts opts = {.sz = sizeof(opts)};
	static uint64_t vals[400];
	static char name_buf[400][24];
	static const char *names[400];
	char longname[700], tape[300], *out;
	struct tape_enum e = {"nr", 400, vals, names};
	struct tape_field f[] = {{"nr", TAPE_U64, TAPE_DISP_ENUM, &e},
				 {"fl", TAPE_U64, TAPE_DISP_FLAGS, &e}};
	struct tape_type tp = {0, "syscall", "", "", 2, f};
	struct tape_writer *w;
	struct run r;
	int type;

	(void)state;
	for (int i = 0; i < 400; i++) {
		vals[i] = (uint64_t)i;
		snprintf(name_buf[i], sizeof(name_buf[i]), "sys_number_%03d", i);
		names[i] = name_buf[i];
	}
	memset(longname, 'L', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	names[399] = longname; /* one name longer than any small buffer */
	vals[398] = 1ull << 40;
	vals[399] = 1ull << 41;
	snprintf(tape, sizeof(tape), "%s/long-enum.tape", dir);
	w = tape_writer__open(tape, &opts);
	assert_non_null(w);
	type = tape_writer__add_type(w, &tp);
	assert_true(type > 0);
	for (int i = 0; i < 3; i++) {
		union tape_value v[] = {GV_U(i == 2 ? 1ull << 41 : 257u),
					GV_U(i ? (1ull << 41) | (1ull << 40) : 0)};
		struct tape_event ev = {.ts = 10 + (uint64_t)i,
					.pid = 1,
					.tid = 1,
					.type = (uint16_t)type,
					.comm = "x",
					.values = v};

		assert_int_equal(tape_writer__append(w, &ev), 0);
	}
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);

	r = RUN("long.json", cmd_replay, "replay", "--json", tape);
	assert_int_equal(r.rc, 0);
	free(r.err);
	out = slurp(r.out);
	/* 400 names of ~15 bytes: the enum's symbol text is about 6 KB */
	assert_non_null(
		strstr(out, "\"names\":{\"nr\":\"sys_number_257\",\"fl\":\"sys_number_000\"}"));
	{
		char want[1600];

		snprintf(want, sizeof(want),
			 "\"names\":{\"nr\":\"sys_number_257\",\"fl\":\"%s|%s\"}", "sys_number_398",
			 longname);
		assert_non_null(strstr(out, want));
		snprintf(want, sizeof(want),
			 "\"names\":{\"nr\":\"%s\",\"fl\":\"sys_number_398|%s\"}", longname,
			 longname);
		assert_non_null(strstr(out, want));
	}
	free(out);
}

/* Text replay: no byte of a tape reaches the terminal as a control
 * character, from enum and flag names, comm, type and field names, paths. */
static void test_text_hostile(void **state)
{
	struct tape_writer_opts opts = {.sz = sizeof(opts)};
	static const uint64_t vals[] = {1, 2};
	static const char *const names[] = {"SYM\x1b]0;TITLE\x07\x1b[2J", "C1\xc2\x9b"};
	static const struct tape_enum e = {"fl", 2, vals, names};
	static const struct tape_field f[] = {
		{"flags", TAPE_U32, TAPE_DISP_FLAGS, &e},
		{"path", TAPE_STR, 0, NULL},
		{"addr", TAPE_BYTES, TAPE_DISP_SOCKADDR, NULL},
		{"argv", TAPE_BYTES, TAPE_DISP_ARGV, NULL},
		{"f\x1b[1m", TAPE_U32, TAPE_DISP_ENUM, &e},
	};
	static const struct tape_type tp = {0, "t\x9b", "", "", 5, f};
	struct sockaddr_un sun = {.sun_family = AF_UNIX, .sun_path = "\0\x1b[2J"};
	char tape[300], *out;
	struct tape_writer *w;
	struct run r;
	int type;
	union tape_value v[] = {GV_U(3), GV_B("/tmp/\x1b[31mred\n", 14),
				GV_B(&sun, offsetof(struct sockaddr_un, sun_path) + 5),
				GV_B("a\x1b\0\x9b", 4), GV_U(2)};
	struct tape_event ev = {
		.ts = 5, .pid = 1, .tid = 1, .comm = "\x1b[2J\xc2\x85", .values = v};

	(void)state;
	snprintf(tape, sizeof(tape), "%s/hostile.tape", dir);
	w = tape_writer__open(tape, &opts);
	assert_non_null(w);
	assert_int_equal(tape_writer__set_meta(w, "host.name", "h\x1b]0;X\x07\xc2\x9b"), 0);
	type = tape_writer__add_type(w, &tp);
	assert_true(type > 0);
	ev.type = (uint16_t)type;
	assert_int_equal(tape_writer__append(w, &ev), 0);
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);

	for (int k = 0; k < 2; k++) {
		/* the direct path and the one --time wall takes */
		r = k ? RUN("hostile.txt", cmd_replay, "replay", "--time", "wall", tape)
		      : RUN("hostile.txt", cmd_replay, "replay", tape);
		assert_int_equal(r.rc, 0);
		free(r.err);
		out = slurp(r.out);
		for (char *p = out; *p; p++) {
			unsigned char c = (unsigned char)*p;

			assert_true(c >= 0x20 || (c == '\n' && !p[1]));
			assert_true(c != 0x7f && c != 0x9b);
			if (c == 0xc2)
				assert_true((unsigned char)p[1] >= 0xa0);
		}
		assert_non_null(strstr(out, " \\x1b[2J\\xc2\\x85 "));
		assert_non_null(strstr(out,
				       " t\\x9b flags=SYM\\x1b]0;TITLE\\x07\\x1b[2J|C1\\xc2\\x9b"
				       " path=\"/tmp/\\x1b[31mred\\n\""
				       " addr=@\"\\x1b[2J\""
				       " argv=\"a\\x1b\" \"\\x9b\""
				       " f\\x1b[1m=C1\\xc2\\x9b\n"));
		free(out);
	}
	/* info shows the tape's names and metadata through the same renderer */
	r = RUN("info.txt", cmd_info, "info", tape);
	assert_int_equal(r.rc, 0);
	free(r.err);
	out = slurp(r.out);
	for (char *p = out; *p; p++) {
		unsigned char c = (unsigned char)*p;

		assert_true(c >= 0x20 || c == '\n');
		assert_true(c != 0x7f && c != 0x9b);
		if (c == 0xc2)
			assert_true((unsigned char)p[1] >= 0xa0);
	}
	assert_non_null(strstr(out, "h\\x1b]0;X\\x07\\xc2\\x9b"));
	assert_non_null(strstr(out, "t\\x9b"));
	free(out);
}

/* No byte of @s can drive a terminal: no control byte but the newline that
 * ends a line, no DEL, no C1 control in UTF-8, no invalid UTF-8 (what
 * TAPE_ESC_TEXT leaves). */
static void assert_terminal_safe(const char *what, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		bool bad = (*p < 0x20 && *p != '\n') || *p == 0x7f || (*p == 0xc2 && p[1] < 0xa0) ||
			   *p == 0xff;

		if (bad)
			fail_msg("%s: byte 0x%02x at %zu of stderr: %s", what, *p,
				 (size_t)(p - (const unsigned char *)s), s);
	}
}

/* A hostile tape for stderr: its file name, type name and metadata carry
 * ESC, BEL, CSI (7-bit and C1) and invalid UTF-8.  @fields picks one of two
 * layouts of the type, so that two such tapes clash.  With @flip, one byte
 * of its only chunk and one of its trailer are flipped: the index is not
 * trusted, and the scan that opens the tape names the chunk as damage. */
static void write_stderr_tape(const char *path, int fields, bool flip)
{
	static const struct tape_field f[] = {
		{"a", TAPE_U32, 0, NULL},
		{"b\x1b[1m", TAPE_U32, 0, NULL},
	};
	struct tape_type tp = {0, "t\x1b[2J\x07\xc2\x9b\xff", "", "", (unsigned)fields, f};
	struct tape_writer_opts opts = {.sz = sizeof(opts)};
	union tape_value v[] = {GV_U(1), GV_U(2)};
	struct tape_event ev = {.ts = 5, .pid = 1, .tid = 1, .comm = "c\x1b]0;T\x07", .values = v};
	struct tape_chunk_info ci;
	struct tape_reader *r;
	struct tape_writer *w;
	char err[256], *raw;
	FILE *fp;
	long n;

	w = tape_writer__open(path, &opts);
	assert_non_null(w);
	assert_int_equal(tape_writer__set_meta(w, "host.name", "h\x1b]0;X\x07\x1b[31m\xc2\x9b"), 0);
	ev.type = (uint16_t)tape_writer__add_type(w, &tp);
	assert_true(ev.type > 0);
	for (int i = 0; i < 3; i++, ev.ts++)
		assert_int_equal(tape_writer__append(w, &ev), 0);
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);
	if (!flip)
		return;
	r = tape_reader__open(path, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(tape_reader__chunk(r, 0, &ci), 0);
	tape_reader__free(r);
	raw = slurp(path);
	fp = fopen(path, "r+b");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	raw[ci.offset + ci.block_len / 2] ^= 0x40;
	raw[n - 1] ^= 0x40;
	fseek(fp, 0, SEEK_SET);
	assert_int_equal(fwrite(raw, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	free(raw);
}

/*
 * What the verbs print on stderr (usage errors, the damage they skip, the
 * library's messages, SQLite's) goes through the renderer too: a tape's
 * names and a file's name reach the terminal escaped, and still readable.
 */
static void test_stderr_hostile(void **state)
{
	char bad[300], other[300], clash[300], out[300], missing[300];
	const char *name = "e\x1b[2J\x07\xc2\x9b\x1b]0;T\x07\xff";
	struct run r;

	(void)state;
	snprintf(bad, sizeof(bad), "%s/%s.tape", dir, name);
	snprintf(other, sizeof(other), "%s/%s-1.tape", dir, name);
	snprintf(clash, sizeof(clash), "%s/%s-2.tape", dir, name);
	snprintf(out, sizeof(out), "%s/%s-out.tape", dir, name);
	snprintf(missing, sizeof(missing), "%s/%s-missing.tape", dir, name);
	write_stderr_tape(bad, 2, true);
	write_stderr_tape(other, 2, false);
	write_stderr_tape(clash, 1, false);

	{
		struct {
			const char *what;
			int (*fn)(int, char **);
			const char *const *args;
			int rc;
			const char *says;
		} runs[] = {
			{"replay", cmd_replay, (const char *const[]){"replay", bad, NULL}, 3,
			 "CRC mismatch"},
			{"replay --json", cmd_replay,
			 (const char *const[]){"replay", "--json", bad, NULL}, 3, "(skipped)"},
			{"replay --type", cmd_replay,
			 (const char *const[]){"replay", "--type", "x\x1b[2J\x9b", other, NULL}, 2,
			 "no type 'x\\x1b[2J\\x9b'"},
			{"info", cmd_info, (const char *const[]){"info", bad, NULL}, 3,
			 "(skipped)"},
			{"info --verify", cmd_info,
			 (const char *const[]){"info", "--verify", missing, NULL}, 1, "-missing"},
			{"query", cmd_query,
			 (const char *const[]){"query", bad, "-c", "SELECT count(*) FROM events",
					       NULL},
			 3, "(skipped)"},
			{"query (SQLite's message)", cmd_query,
			 (const char *const[]){"query", other, "-c",
					       "SELECT * FROM \"n\x1b[2J\x07\"", NULL},
			 1, "n\\x1b[2J\\x07"},
			{"export", cmd_export,
			 (const char *const[]){"export", "--format", "csv", bad, NULL}, 3,
			 "(skipped)"},
			{"filter", cmd_filter,
			 (const char *const[]){"filter", "-o", out, bad, NULL}, 3, "(skipped)"},
			{"filter (type clash)", cmd_filter,
			 (const char *const[]){"filter", "-o", out, other, clash, NULL}, 1,
			 "t\\x1b[2J\\x07\\xc2\\x9b\\xff"},
		};

		for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
			r = run_verb("stderr.out", runs[i].fn, runs[i].args);
			if (r.rc != runs[i].rc || !strstr(r.err, runs[i].says))
				fail_msg("%s: rc %d (want %d), stderr without '%s': %s",
					 runs[i].what, r.rc, runs[i].rc, runs[i].says, r.err);
			assert_terminal_safe(runs[i].what, r.err);
			/* the file name is there, escaped, wherever one is named */
			if (strstr(r.err, dir))
				assert_non_null(strstr(
					r.err, "e\\x1b[2J\\x07\\xc2\\x9b\\x1b]0;T\\x07\\xff"));
			free(r.err);
		}
	}
}

/* Text replay names an unnamed unix address without an empty string. */
static void test_text_unix_unnamed(void **state)
{
	struct tape_writer_opts opts = {.sz = sizeof(opts)};
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char tape[300], *out;
	struct tape_writer *w;
	struct run r;
	union tape_value v[] = {GV_S(4), GV_B(&sun, offsetof(struct sockaddr_un, sun_path)),
				GV_S(0)};
	struct tape_event ev = {.ts = 5, .pid = 1, .tid = 1, .comm = "x", .values = v};

	(void)state;
	snprintf(tape, sizeof(tape), "%s/unnamed.tape", dir);
	w = tape_writer__open(tape, &opts);
	assert_non_null(w);
	ev.type = (uint16_t)tape_writer__add_type(w, &golden_types[G_CONNECT]);
	assert_int_equal(tape_writer__append(w, &ev), 0);
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);
	r = RUN("unnamed.txt", cmd_replay, "replay", tape);
	assert_int_equal(r.rc, 0);
	free(r.err);
	out = slurp(r.out);
	assert_non_null(strstr(out, " connect fd=4 addr=unix:unnamed ret=0\n"));
	free(out);
	r = RUN("unnamed.json", cmd_replay, "replay", "--json", tape);
	assert_int_equal(r.rc, 0);
	free(r.err);
	out = slurp(r.out);
	assert_non_null(strstr(out, "\"addr\":\"unix:unnamed\""));
	free(out);
}

/* Names longer than the output buffer's reservations (a type named with
 * 400 KB, a field with 300 KB) are written whole, through the general paths. */
static void test_huge_names(void **state)
{
	struct tape_writer_opts opts = {.sz = sizeof(opts)};
	size_t tn = 400000, fn = 300000;
	char *tname = malloc(tn + 1), *fname = malloc(fn + 1), tape[300], *out;
	struct tape_field f[] = {{fname, TAPE_U32, 0, NULL}, {"s", TAPE_STR, 0, NULL}};
	struct tape_type tp = {0, tname, "", "", 2, f};
	union tape_value v[] = {GV_U(42), GV_B("x\x1b", 2)};
	struct tape_event ev = {.ts = 5, .pid = 1, .tid = 1, .comm = "c", .values = v};
	struct tape_writer *w;
	struct run r;

	(void)state;
	assert_non_null(tname);
	assert_non_null(fname);
	memset(tname, 'T', tn);
	tname[tn] = '\0';
	tname[tn - 1] = '\x1b';
	memset(fname, 'f', fn);
	fname[fn] = '\0';
	snprintf(tape, sizeof(tape), "%s/huge-names.tape", dir);
	w = tape_writer__open(tape, &opts);
	assert_non_null(w);
	ev.type = (uint16_t)tape_writer__add_type(w, &tp);
	assert_true(ev.type > 0);
	assert_int_equal(tape_writer__append(w, &ev), 0);
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);
	for (int k = 0; k < 3; k++) {
		size_t len;

		r = k == 0   ? RUN("huge.txt", cmd_replay, "replay", tape)
		    : k == 1 ? RUN("huge.txt", cmd_replay, "replay", "--time", "wall", tape)
			     : RUN("huge.txt", cmd_replay, "replay", "--json", tape);
		assert_int_equal(r.rc, 0);
		free(r.err);
		out = slurp(r.out);
		len = strlen(out);
		assert_int_equal(count_char(out, '\n'), 1);
		assert_true(len > tn + fn);
		assert_null(strchr(out, 0x1b));
		assert_non_null(strstr(out, k < 2 ? "TT\\x1b ff" : "TT\\\\x1b\""));
		assert_non_null(strstr(out, k < 2 ? "ff=42 s=\"x\\x1b\"\n"
						  : "ff\":42,\"s\":\"x\\\\x1b\"}"));
		free(out);
	}
	free(tname);
	free(fname);
}

/* Chrome's process names carry the whole executable path, escaped. */
static void test_chrome_process_name(void **state)
{
	struct tape_writer_opts opts = {.sz = sizeof(opts)};
	char exe[1200], want[1400], tape[300], *out;
	struct tape_proc proc = {.pid = 9,
				 .ppid = 1,
				 .comm = "srv",
				 .exe = exe,
				 .argv = "srv",
				 .argv_len = 4,
				 .cgroup = "/"};
	union tape_value v[] = {GV_S(3), GV_S(0)};
	struct tape_event ev = {.ts = 5, .pid = 9, .tid = 9, .comm = "srv", .values = v};
	struct tape_writer *w;
	struct run r;

	(void)state;
	memset(exe, 'd', sizeof(exe));
	memcpy(exe, "/opt/\xff\"", 7);
	exe[sizeof(exe) - 1] = '\0';
	snprintf(tape, sizeof(tape), "%s/procname.tape", dir);
	w = tape_writer__open(tape, &opts);
	assert_non_null(w);
	assert_int_equal(tape_writer__add_procs(w, &proc, 1), 0);
	ev.type = (uint16_t)tape_writer__add_type(w, &golden_types[G_CLOSE]);
	assert_int_equal(tape_writer__append(w, &ev), 0);
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);
	r = RUN("procname.json", cmd_export, "export", "--format", "chrome", tape);
	assert_int_equal(r.rc, 0);
	free(r.err);
	out = slurp(r.out);
	snprintf(want, sizeof(want), "\"args\":{\"name\":\"srv (/opt/\\\\xff\\\"%s)\"}}", exe + 7);
	assert_non_null(strstr(out, want));
	free(out);
}

/* The text of the direct path and of the general one (--time wall) agree
 * on every event of the golden tape, time aside. */
static void test_text_paths_agree(void **state)
{
	char golden[600], *a, *b, *pa, *pb;
	const char *f = __FILE__;
	const char *slash = strrchr(f, '/');
	struct run r;
	int lines = 0;

	(void)state;
	snprintf(golden, sizeof(golden), "%.*s/golden/replay-basic.tape",
		 slash ? (int)(slash - f) : 1, slash ? f : ".");
	r = RUN("a.txt", cmd_replay, "replay", golden);
	assert_int_equal(r.rc, 0);
	free(r.err);
	a = slurp(r.out);
	r = RUN("b.txt", cmd_replay, "replay", "--time", "wall", golden);
	assert_int_equal(r.rc, 0);
	free(r.err);
	b = slurp(r.out);
	for (pa = a, pb = b; *pa && *pb; lines++) {
		char *ea = strchr(pa, '\n'), *eb = strchr(pb, '\n');
		char *sa = strchr(pa, ' '), *sb = strchr(pb, ' ');

		assert_non_null(ea);
		assert_non_null(eb);
		if (!strncmp(pa, "***", 3)) {
			pa = ea + 1;
			pb = eb + 1;
			continue;
		}
		assert_int_equal(ea - sa, eb - sb);
		assert_memory_equal(sa, sb, (size_t)(ea - sa));
		pa = ea + 1;
		pb = eb + 1;
	}
	assert_true(lines > 10);
	assert_false(*pa || *pb);
	free(a);
	free(b);
}

static int setup(void **state)
{
	const char *f = __FILE__;
	const char *slash = strrchr(f, '/');

	(void)state;
	snprintf(checker, sizeof(checker), "%.*s/render_check.py", slash ? (int)(slash - f) : 1,
		 slash ? f : ".");
	snprintf(dir, sizeof(dir), "/tmp/bpftape-test-render-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	return access(checker, R_OK);
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_modes),
		cmocka_unit_test(test_escape_truncation),
		cmocka_unit_test(test_escape_roundtrip),
		cmocka_unit_test(test_format_value),
		cmocka_unit_test(test_outputs_roundtrip),
		cmocka_unit_test(test_outputs_big_values),
		cmocka_unit_test(test_checker_catches_loss),
		cmocka_unit_test(test_json_long_enum),
		cmocka_unit_test(test_text_hostile),
		cmocka_unit_test(test_stderr_hostile),
		cmocka_unit_test(test_text_unix_unnamed),
		cmocka_unit_test(test_huge_names),
		cmocka_unit_test(test_chrome_process_name),
		cmocka_unit_test(test_text_paths_agree),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
