// SPDX-License-Identifier: MIT
/*
 * bpftape export (replay/export.c): cmd_export() over the golden tape
 * written in memory and handed over as a memfd, each format taken back from
 * standard output: Chrome trace JSON (well-formed, instants, slices,
 * losses, process and thread names, the pids of several hosts kept apart),
 * CSV (header, one row per event, NAME_str columns, losses, quoting), the
 * Perfetto protobuf's framing, predicates, usage errors.  Over a tape with
 * stacks (stack_tape.h): folded stacks, and Chrome's stackFrames.
 */
#include <errno.h>
#include <fcntl.h>
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
#include "../replay/stackfold.h"
#include "../cli/verbs.h"

static struct golden_mem golden;
static char gpath[64];
static int gfd = -1;
static struct golden_mem stk;
static char spath[64];
static int sfd = -1;

static int setup(void **state)
{
	(void)state;
	if (golden_basic_mem(&golden))
		return -1;
	gfd = unit_memfd(golden.data, golden.len, gpath, sizeof(gpath));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	close(gfd);
	free(golden.data);
	if (sfd >= 0)
		close(sfd);
	free(stk.data);
	return 0;
}

static void must(const char *text, const char *part)
{
	if (!strstr(text, part))
		fail_msg("'%s' not in:\n%s", part, text);
}

/* A JSON value at *@p (objects, arrays, strings, numbers, literals); false
 * if it is not one.  Enough of RFC 8259 to tell a well-formed trace. */
static bool json_value(const char **p);

static void ws(const char **p)
{
	while (**p == ' ' || **p == '\n' || **p == '\t' || **p == '\r')
		(*p)++;
}

static bool json_string(const char **p)
{
	if (**p != '"')
		return false;
	for ((*p)++; **p != '"'; (*p)++) {
		if ((unsigned char)**p < 0x20)
			return false;
		if (**p == '\\') {
			(*p)++;
			if (**p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF", (*p)[i]) || !(*p)[i])
						return false;
				*p += 4;
			} else if (!**p || !strchr("\"\\/bfnrt", **p)) {
				return false;
			}
		}
	}
	(*p)++;
	return true;
}

static bool json_value(const char **p)
{
	ws(p);
	if (**p == '{' || **p == '[') {
		char close = **p == '{' ? '}' : ']';
		bool obj = close == '}';

		(*p)++;
		ws(p);
		if (**p == close) {
			(*p)++;
			return true;
		}
		for (;;) {
			if (obj) {
				ws(p);
				if (!json_string(p))
					return false;
				ws(p);
				if (*(*p)++ != ':')
					return false;
			}
			if (!json_value(p))
				return false;
			ws(p);
			if (**p == ',') {
				(*p)++;
				continue;
			}
			if (**p != close)
				return false;
			(*p)++;
			return true;
		}
	}
	if (**p == '"')
		return json_string(p);
	if (!strncmp(*p, "true", 4) || !strncmp(*p, "null", 4)) {
		*p += 4;
		return true;
	}
	if (!strncmp(*p, "false", 5)) {
		*p += 5;
		return true;
	}
	{
		char *end;

		strtod(*p, &end);
		if (end == *p || **p == '+' || **p == '.')
			return false;
		*p = end;
		return true;
	}
}

static void well_formed(const char *text)
{
	const char *p = text;

	if (!json_value(&p))
		fail_msg("not JSON at byte %zu: %.40s", (size_t)(p - text), p);
	ws(&p);
	if (*p)
		fail_msg("trailing bytes after the JSON at %zu", (size_t)(p - text));
}

static int count(const char *text, const char *part)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, part)); p++)
		n++;
	return n;
}

static void test_chrome(void **state)
{
	struct unit_run r = UNIT_RUN(cmd_export, "export", "--format", "chrome", gpath);

	(void)state;
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.err, "");
	well_formed(r.out);
	assert_memory_equal(r.out, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n", 40);
	/* 15 instants, 3 syscall slices as long as their latency, the loss */
	assert_int_equal(count(r.out, "\"ph\":\"i\",\"s\":\"t\""), 15);
	assert_int_equal(count(r.out, "\"ph\":\"X\""), 3);
	must(r.out, "{\"name\":\"read\",\"cat\":\"syscall\",\"ph\":\"X\",\"ts\":5500.000,"
		    "\"dur\":1.500,\"pid\":101,\"tid\":101,");
	must(r.out, "{\"name\":\"1234 events lost\",\"cat\":\"lost\",\"ph\":\"i\",\"s\":\"g\","
		    "\"ts\":3500.000,");
	must(r.out, "\"path\":\"/etc/missing.conf\"");
	must(r.out, "\"ret\":\"-2(ENOENT)\"");
	/* every thread named, every process with its exe */
	must(r.out, "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":200,\"tid\":201,"
		    "\"args\":{\"name\":\"nginx\"}}");
	must(r.out, "\"args\":{\"name\":\"cat (/usr/bin/cat)\"}");
	unit_run_free(&r);

	/* predicates: the times stay relative to the start of the tape */
	r = UNIT_RUN(cmd_export, "export", "--format", "chrome", "--pid", "102", gpath);
	assert_int_equal(r.rc, 0);
	well_formed(r.out);
	assert_null(strstr(r.out, "\"pid\":101,"));
	assert_int_equal(count(r.out, "\"ph\":\"i\",\"s\":\"t\""), 2);
	assert_int_equal(count(r.out, "\"ph\":\"X\""), 1);
	/* a loss is no process's: --pid does not hide it */
	must(r.out, "events lost");
	unit_run_free(&r);
}

/* Tapes of two hosts: host N's pids and tids are N x 10000000 + the
 * recorded ones, so the two pids 101 stay apart, and the processes carry
 * their host's name. */
static void test_chrome_hosts(void **state)
{
	struct golden_mem m = {0};
	struct tape_io io = {golden_mem_write, golden_mem_truncate, &m};
	struct tape_writer *w = tape_writer__new(&io, NULL);
	union tape_value v[] = {GV_S(3), GV_S(0)};
	struct tape_event ev = {
		.ts = 2000000000ull, .pid = 101, .tid = 101, .comm = "other", .values = v};
	struct unit_run r;
	char p[64];
	int fd;

	(void)state;
	assert_int_equal(tape_writer__set_meta(w, "host.name", "other-host"), 0);
	assert_int_equal(
		tape_writer__set_meta(w, "clock.boottime_to_realtime_ns", "1763740000000000000"),
		0);
	ev.type = (uint16_t)tape_writer__add_type(w, &golden_types[G_CLOSE]);
	assert_int_equal(tape_writer__append(w, &ev), 0);
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);
	fd = unit_memfd(m.data, m.len, p, sizeof(p));
	r = UNIT_RUN(cmd_export, "export", "--format", "chrome", "--type", "close", gpath, p);
	assert_int_equal(r.rc, 0);
	well_formed(r.out);
	must(r.out, "\"ts\":4000.000,\"pid\":10000101,\"tid\":10000101,");
	must(r.out, "\"ts\":1000000.000,\"pid\":20000101,\"tid\":20000101,");
	must(r.out, "\"args\":{\"name\":\"other-host: other\"}");
	must(r.out, "\"args\":{\"name\":\"" GOLDEN_HOST ": cat (/usr/bin/cat)\"}");
	assert_null(strstr(r.out, "\"pid\":101,"));
	unit_run_free(&r);
	close(fd);
	free(m.data);
}

/* The cells of the CSV line at @p (quotes honoured). */
static int cells(const char *p)
{
	bool quoted = false;
	int n = 1;

	for (; *p && (quoted || *p != '\n'); p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (*p == ',' && !quoted)
			n++;
	}
	return n;
}

static void test_csv(void **state)
{
	struct unit_run r = UNIT_RUN(cmd_export, "export", "--format", "csv", gpath);
	const char *row;

	(void)state;
	assert_int_equal(r.rc, 0);
	/* a header and a row per event and loss */
	assert_int_equal(unit_count_lines(r.out), 1 + 19);
	assert_memory_equal(r.out, "ts,time,cpu,pid,tid,comm,type,parent_pid,child_pid,", 51);
	/* every row as wide as the header, the loss's too */
	for (const char *l = strchr(r.out, '\n') + 1; *l; l = strchr(l, '\n') + 1)
		if (cells(l) != cells(r.out))
			fail_msg("%d cells, the header has %d: %.60s", cells(l), cells(r.out), l);
	must(r.out, ",lost_count,lost_last_ts\n");
	/* a row: the stored value, then its text in NAME_str; a column per
	 * field name, shared by the types that have it (ret) */
	row = strstr(r.out, "\n1005000000,");
	assert_non_null(row);
	must(row, "\n1005000000,0.005000000,1,101,101,cat,open,,,,,,,-2,ENOENT,,,,257,openat,"
		  "-100,/etc/missing.conf,0,0,0,0,,");
	/* the loss: its cpu, count and last ts */
	must(r.out, "\n1003500000,0.003500000,1,,,,lost,");
	must(r.out, ",1234,1004500000\n");
	/* argv stored as hex bytes, shown joined */
	must(r.out, ",636174002f6574632f7365637265742d66696c65002d2d70617373776f72643d68756e746572"
		    "3200,cat /etc/secret-file --password=hunter2,");
	unit_run_free(&r);

	/* the columns are those of the selected types */
	r = UNIT_RUN(cmd_export, "export", "--format", "csv", "--type", "exit", gpath);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "ts,time,cpu,pid,tid,comm,type,code,signal,signal_str\n"
				   "1006000000,0.006000000,1,101,101,cat,exit,0,0,0\n"
				   "4200000000,3.200000000,0,102,102,sleep,exit,0,9,SIGKILL\n");
	unit_run_free(&r);
}

/* A comm or a path with a comma or a quote is quoted as CSV wants. */
static void test_csv_quoting(void **state)
{
	struct golden_mem m = {0};
	struct tape_io io = {golden_mem_write, golden_mem_truncate, &m};
	struct tape_writer *w = tape_writer__new(&io, NULL);
	union tape_value v[] = {GV_U(257), GV_S(-100), GV_B("/a,\"b\"", 6),
				GV_U(0),   GV_U(0),    GV_S(0)};
	struct tape_event ev = {.ts = 5, .pid = 1, .tid = 1, .comm = "x,y", .values = v};
	struct unit_run r;
	char p[64];
	int fd;

	(void)state;
	ev.type = (uint16_t)tape_writer__add_type(w, &golden_types[G_OPEN]);
	assert_int_equal(tape_writer__append(w, &ev), 0);
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);
	fd = unit_memfd(m.data, m.len, p, sizeof(p));
	r = UNIT_RUN(cmd_export, "export", "--format", "csv", p);
	assert_int_equal(r.rc, 0);
	must(r.out, "\n5,0.000000000,0,1,1,\"x,y\",open,257,openat,-100,\"/a,\"\"b\"\"\",0,");
	unit_run_free(&r);
	close(fd);
	free(m.data);
}

/* Perfetto: a stream of TracePackets (field 1, length-delimited) that
 * ends where the last one ends. */
static void test_perfetto_framing(void **state)
{
	struct unit_run r =
		UNIT_RUN(cmd_export, "export", "--format", "perfetto", "-o", "-", gpath);
	const uint8_t *p = (const uint8_t *)r.out, *end = p + r.out_len;
	size_t packets = 0;

	(void)state;
	assert_int_equal(r.rc, 0);
	assert_true(r.out_len > 100);
	while (p < end) {
		uint64_t len = 0;

		assert_int_equal(*p++, 0x0a);
		for (unsigned shift = 0;; shift += 7) {
			assert_true(p < end && shift < 64);
			len |= (uint64_t)(*p & 0x7f) << shift;
			if (!(*p++ & 0x80))
				break;
		}
		assert_true(len <= (uint64_t)(end - p));
		p += len;
		packets++;
	}
	assert_true(packets >= 19);
	unit_run_free(&r);
}

/* ---- stacks ---------------------------------------------------------------- */

static void stk_open_tape(void)
{
	if (sfd >= 0)
		return;
	assert_int_equal(golden_write_mem(&stk, stk_write), 0);
	sfd = unit_memfd(stk.data, stk.len, spath, sizeof(spath));
}

#define STK1_FOLDED                                                                                \
	"app;[libwork.so.1];stk_outer;stk_middle;stk_inner;__x64_sys_openat_[k];do_sys_openat2_["  \
	"k]"

/* Lines outermost first, sorted, counted; names as stackcollapse-perf's. */
static void test_folded(void **state)
{
	struct unit_run r;

	(void)state;
	stk_open_tape();
	r = UNIT_RUN(cmd_export, "export", "--format", "folded", "--type", "open", spath);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.err, "");
	/* stack 4 differs from 1 only in an offset: one line, 3 + 1 */
	assert_string_equal(r.out, STK1_FOLDED " 4\n"
					       "app;stk_outer;[gap];stk_inner 1\n"
					       "my_app 1\n"
					       "web;[unknown] 1\n");
	unit_run_free(&r);

	/* predicates as for the other formats */
	r = UNIT_RUN(cmd_export, "export", "--format", "folded", "--type", "open", "--pid", "8",
		     spath);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, STK1_FOLDED " 1\n");
	unit_run_free(&r);

	/* into a file through the one output path */
	{
		char out[] = "/tmp/bpftape-folded-XXXXXX";
		int fd = mkstemp(out);
		char *text;

		assert_true(fd >= 0);
		r = UNIT_RUN(cmd_export, "export", "--format", "folded", "-o", out, "--pid", "10",
			     spath);
		assert_int_equal(r.rc, 0);
		text = unit_fd_slurp(fd, NULL);
		close(fd);
		fd = open(out, O_RDONLY);
		assert_true(fd >= 0);
		free(text);
		text = unit_fd_slurp(fd, NULL);
		assert_string_equal(text, "web;[unknown] 1\n");
		free(text);
		close(fd);
		unlink(out);
		unit_run_free(&r);
	}
}

/* syscall events weigh their latency; a mix of events counts them. */
static void test_folded_weight(void **state)
{
	struct unit_run r;

	(void)state;
	stk_open_tape();
	r = UNIT_RUN(cmd_export, "export", "--format", "folded", "--type", "syscall", spath);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, STK1_FOLDED " 1500\n");
	unit_run_free(&r);
	r = UNIT_RUN(cmd_export, "export", "--format", "folded", "--type", "syscall", "--weight",
		     "count", spath);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, STK1_FOLDED " 2\n");
	unit_run_free(&r);
	/* opens and syscalls of one stack and comm: one line, 4 + 2 events */
	r = UNIT_RUN(cmd_export, "export", "--format", "folded", "--pid", "7,8", spath);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, STK1_FOLDED " 6\n"
					       "app;stk_outer;[gap];stk_inner 1\n");
	unit_run_free(&r);
	/* latency forced: the events without one are left out */
	r = UNIT_RUN(cmd_export, "export", "--format", "folded", "--weight", "latency", spath);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, STK1_FOLDED " 1500\n");
	unit_run_free(&r);
	r = UNIT_RUN(cmd_export, "export", "--format", "folded", "--weight", "size", spath);
	assert_int_equal(r.rc, 2);
	must(r.err, "--weight: 'size' is not count or latency");
	unit_run_free(&r);
	r = UNIT_RUN(cmd_export, "export", "--format", "csv", "--weight", "count", spath);
	assert_int_equal(r.rc, 2);
	must(r.err, "--weight is for --format folded");
	unit_run_free(&r);
}

static void test_frame_name(void **state)
{
	char buf[64];
	struct tape_frame f = {.symbol = "tcp_v4_connect", .kernel = 1};

	(void)state;
	assert_int_equal(stackfold__frame_name(&f, true, buf, sizeof(buf)), 18);
	assert_string_equal(buf, "tcp_v4_connect_[k]");
	stackfold__frame_name(&f, false, buf, sizeof(buf));
	assert_string_equal(buf, "tcp_v4_connect");
	f = (struct tape_frame){.kernel = 1, .binary = "nf_tables"};
	stackfold__frame_name(&f, true, buf, sizeof(buf));
	assert_string_equal(buf, "[nf_tables]_[k]");
	f = (struct tape_frame){.kernel = 1};
	stackfold__frame_name(&f, true, buf, sizeof(buf));
	assert_string_equal(buf, "[kernel.kallsyms]_[k]");
	f = (struct tape_frame){.binary = "/usr/lib/x86_64-linux-gnu/libc.so.6", .address = 9};
	stackfold__frame_name(&f, true, buf, sizeof(buf));
	assert_string_equal(buf, "[libc.so.6]");
	f = (struct tape_frame){.address = 9};
	stackfold__frame_name(&f, true, buf, sizeof(buf));
	assert_string_equal(buf, "[unknown]");
	/* cut to the buffer, the full length returned */
	f = (struct tape_frame){.symbol = "a_rather_long_symbol_name", .kernel = 1};
	assert_int_equal(stackfold__frame_name(&f, true, buf, 8), 29);
	assert_string_equal(buf, "a_rathe");
}

/* The JSON object of stackFrames entry @id (its text up to the closing
 * brace) in @out, or fail. */
static void frame_entry(const char *out, const char *id, char *name, char *cat, char *parent)
{
	char key[64];
	const char *p, *e;

	snprintf(key, sizeof(key), "\n\"%s\":{\"name\":\"", id);
	p = strstr(out, key);
	if (!p)
		fail_msg("stack frame %s is not defined", id);
	p += strlen(key);
	e = strchr(p, '"');
	snprintf(name, 64, "%.*s", (int)(e - p), p);
	p = e + strlen("\",\"category\":\"");
	e = strchr(p, '"');
	snprintf(cat, 64, "%.*s", (int)(e - p), p);
	parent[0] = 0;
	if (!strncmp(e, "\",\"parent\":\"", 12)) {
		p = e + 12;
		e = strchr(p, '"');
		snprintf(parent, 32, "%.*s", (int)(e - p), p);
	}
}

/* The frame chain of the event whose text holds @marker: names innermost
 * first, joined by ',', category of each after ':'. */
static void chain_of(const char *out, const char *marker, char *chain, size_t cap)
{
	const char *ev = strstr(out, marker), *start, *sf;
	char id[32], name[64], cat[64], parent[32];
	size_t len = 0;

	assert_non_null(ev);
	start = ev;
	while (start > out && start[-1] != '\n')
		start--;
	sf = strstr(start, "\"sf\":");
	chain[0] = 0;
	if (!sf || sf > strchr(ev, '\n'))
		return;
	snprintf(id, sizeof(id), "%.*s", (int)strspn(sf + 5, "0123456789"), sf + 5);
	for (int depth = 0; id[0]; depth++) {
		assert_true(depth < 64);
		frame_entry(out, id, name, cat, parent);
		len += (size_t)snprintf(chain + len, cap - len, "%s%s:%s", len ? "," : "", name,
					cat);
		assert_true(len < cap);
		memcpy(id, parent, sizeof(id));
	}
}

/* Each event's sf resolves, parent by parent, to the frames of its stack. */
static void test_chrome_stacks(void **state)
{
	struct unit_run r;
	char chain[512];

	(void)state;
	stk_open_tape();
	r = UNIT_RUN(cmd_export, "export", "--format", "chrome", spath);
	assert_int_equal(r.rc, 0);
	well_formed(r.out);
	must(r.out, "],\"stackFrames\":{\n\"1\":{");
	chain_of(r.out, "\"path\":\"/srv/a\"", chain, sizeof(chain));
	assert_string_equal(chain, "do_sys_openat2:kernel,__x64_sys_openat:kernel,"
				   "stk_inner:libwork.so.1,stk_middle:libwork.so.1,"
				   "stk_outer:libwork.so.1,[libwork.so.1]:libwork.so.1");
	chain_of(r.out, "\"path\":\"/srv/d\"", chain, sizeof(chain));
	assert_string_equal(chain, "stk_inner:libwork.so.1,[gap]:gap,stk_outer:libwork.so.1");
	chain_of(r.out, "\"path\":\"/srv/f\"", chain, sizeof(chain));
	assert_string_equal(chain, "[unknown]:unknown");
	/* a syscall slice carries its stack too; an event without one none */
	chain_of(r.out, "\"ts\":5.000,\"dur\":1.000", chain, sizeof(chain));
	must(chain, "do_sys_openat2:kernel,");
	chain_of(r.out, "\"path\":\"/srv/e\"", chain, sizeof(chain));
	assert_string_equal(chain, "");
	/* stack 4 names the same frames as stack 1: the same frame */
	must(r.out, "\"sf\":6,\"args\":{\"syscall\":\"openat\",\"dfd\":-100,\"path\":\"/srv/g\"");
	must(r.out, "\"sf\":6,\"args\":{\"syscall\":\"openat\",\"dfd\":-100,\"path\":\"/srv/a\"");
	/* one node per distinct (parent, frame): 6 + 3 + 1 */
	assert_int_equal(count(r.out, "\"category\":"), 10);
	unit_run_free(&r);

	/* a tape without stacks: no stackFrames */
	r = UNIT_RUN(cmd_export, "export", "--format", "chrome", gpath);
	assert_int_equal(r.rc, 0);
	assert_null(strstr(r.out, "stackFrames"));
	assert_null(strstr(r.out, "\"sf\""));
	unit_run_free(&r);
}

/* A symbol of 600 bytes (Rust and C++ names run long) and one with the
 * folded format's separators in it. */
static char long_sym[601];

static int write_long(struct tape_writer *w)
{
	const struct tape_frame fr[] = {
		{.symbol = long_sym, .kernel = 1},
		{.symbol = "odd;name\nhere", .kernel = 1},
	};
	int ids[G_NTYPES], rc;

	for (int i = 0; i < G_NTYPES; i++)
		if ((ids[i] = tape_writer__add_type(w, &golden_types[i])) < 0)
			return ids[i];
	if ((rc = tape_writer__add_stack(w, 1, fr, 2)) ||
	    (rc = stk_open(w, ids, 1000, 7, "app", "/srv/a", 1)))
		return rc;
	return tape_writer__finish(w);
}

static void test_long_names(void **state)
{
	struct golden_mem m = {0};
	char p[64], want[700];
	struct unit_run r;
	int fd;

	(void)state;
	memset(long_sym, 'x', 600);
	long_sym[0] = 'L';
	assert_int_equal(golden_write_mem(&m, write_long), 0);
	fd = unit_memfd(m.data, m.len, p, sizeof(p));
	r = UNIT_RUN(cmd_export, "export", "--format", "folded", p);
	assert_int_equal(r.rc, 0);
	snprintf(want, sizeof(want), "app;odd_name_here_[k];%s_[k] 1\n", long_sym);
	assert_string_equal(r.out, want);
	unit_run_free(&r);
	r = UNIT_RUN(cmd_export, "export", "--format", "chrome", p);
	assert_int_equal(r.rc, 0);
	well_formed(r.out);
	snprintf(want, sizeof(want), "{\"name\":\"%s\",\"category\":\"kernel\",\"parent\":\"1\"}",
		 long_sym);
	must(r.out, want);
	must(r.out, "{\"name\":\"odd;name\\nhere\",\"category\":\"kernel\"}");
	unit_run_free(&r);
	close(fd);
	free(m.data);
}

static void test_usage(void **state)
{
	struct unit_run r;

	(void)state;
	r = UNIT_RUN(cmd_export, "export", gpath);
	assert_int_equal(r.rc, 2);
	must(r.err, "--format perfetto, chrome, csv or folded is required");
	unit_run_free(&r);
	r = UNIT_RUN(cmd_export, "export", "--format", "xml", gpath);
	assert_int_equal(r.rc, 2);
	must(r.err, "--format: 'xml' is not perfetto, chrome, csv or folded");
	unit_run_free(&r);
	r = UNIT_RUN(cmd_export, "export", "--format", "csv");
	assert_int_equal(r.rc, 2);
	must(r.err, "no tape given (FILE...)");
	unit_run_free(&r);
	r = UNIT_RUN(cmd_export, "export", "--format", "csv", "--since", "later", gpath);
	assert_int_equal(r.rc, 2);
	must(r.err, "--since: 'later'");
	assert_string_equal(r.out, "");
	unit_run_free(&r);
	r = UNIT_RUN(cmd_export, "export", "--format", "csv", "/nonexistent.tape");
	assert_int_equal(r.rc, 1);
	must(r.err, "/nonexistent.tape");
	assert_string_equal(r.out, "");
	unit_run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chrome),
		cmocka_unit_test(test_chrome_hosts),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_csv_quoting),
		cmocka_unit_test(test_perfetto_framing),
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_folded),
		cmocka_unit_test(test_folded_weight),
		cmocka_unit_test(test_frame_name),
		cmocka_unit_test(test_chrome_stacks),
		cmocka_unit_test(test_long_names),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
