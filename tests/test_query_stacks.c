// SPDX-License-Identifier: MIT
/*
 * Stacks in SQL (issue 12): the events' stack_id and the frames table give
 * the same answers through `bpftape query`'s tables, an imported database
 * and the loadable extension; a tape without stacks has no frames and NULL
 * stack ids; two tapes whose stack ids clash (the golden story numbers its
 * stacks backwards on hosts other than "golden") join each event to its
 * own tape's frames.  The tapes are written in-process (query_golden.h).
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../query/qimport.h"
#include "../query/qsql.h"
#include "query_golden.h"
#include "query_util.h"

/* golden's stacks are numbered 1..4, golden2's the same stacks 4..1 */
static char plain[PATH_MAX + 32]; /* no stacks at all */

/* ---- helpers ---- */

static void expect_rows(sqlite3 *db, const char *where, const char *sql, const char *want)
{
	char *got = rows(db, sql);

	if (strcmp(got, want))
		fail_msg("%s: %s\ngave:\n%s\nwant:\n%s", where, sql, got, want);
	free(got);
}

/* `bpftape import` of @paths, opened read-only. */
static sqlite3 *open_import(const char *const *paths, size_t n, const char *name)
{
	struct qimport_opts opts = {.sz = sizeof(opts)};
	char dbpath[PATH_MAX + 64], err[512];
	struct qset *set;
	sqlite3 *db;

	snprintf(dbpath, sizeof(dbpath), "%s/%s.db", tmpdir, name);
	unlink(dbpath);
	set = qset__open(paths, n, err, sizeof(err));
	assert_non_null(set);
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	if (qimport__run(db, set, &opts, NULL, err, sizeof(err)))
		fail_msg("import: %s", err);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	qset__put(set);
	assert_int_equal(sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	return db;
}

/* A connection with the extension loaded. */
static sqlite3 *open_ext(void)
{
	char *msg = NULL;
	struct stat sb;
	sqlite3 *db;

	if (stat(ext_path, &sb))
		fail_msg("%s: %s (built by 'make')", ext_path, strerror(errno));
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	sqlite3_enable_load_extension(db, 1);
	if (sqlite3_load_extension(db, ext_path, NULL, &msg) != SQLITE_OK)
		fail_msg("load %s: %s", ext_path, msg);
	return db;
}

/* The extension's form of @sql: each "{T}" becomes tape_T('@path'). */
static char *ext_sql(const char *sql, const char *path)
{
	struct text t = {0};
	const char *p = sql, *b;

	text_put(&t, "", 0);
	while ((b = strchr(p, '{'))) {
		const char *e = strchr(b, '}');

		assert_non_null(e);
		text_put(&t, p, b - p);
		text_put(&t, "tape_", 5);
		text_put(&t, b + 1, e - b - 1);
		text_put(&t, "('", 2);
		text_put(&t, path, strlen(path));
		text_put(&t, "')", 2);
		p = e + 1;
	}
	text_put(&t, p, strlen(p));
	return t.p;
}

/* @sql with "{T}" as plain T, for query and import. */
static char *plain_sql(const char *sql)
{
	char *s = strdup(sql), *o = s;

	assert_non_null(s);
	for (const char *p = sql; *p; p++)
		if (*p != '{' && *p != '}')
			*o++ = *p;
	*o = '\0';
	return s;
}

/* ---- tests ---- */

/* Questions about one tape's stacks, with "{T}" for a table. */
static const char *const questions[] = {
	"SELECT * FROM {frames} ORDER BY stack_id, depth",
	"SELECT ts, type, stack_id FROM {events} ORDER BY ts",
	"SELECT ts, path, ret, stack_id FROM {open} ORDER BY ts",
	"SELECT ts, code, stack_id FROM {exit} ORDER BY ts",
	"SELECT o.path, f.depth, f.symbol, f.binary FROM {open} o JOIN {frames} f "
	"ON f.stack_id = o.stack_id ORDER BY o.ts, f.depth",
	"SELECT count(*), count(stack_id) FROM {events}",
};

/* query, import and the extension give the same rows, and the frames are
 * the ones the golden tape defines. */
static void test_agree(void **state)
{
	const char *const paths[] = {golden};
	sqlite3 *q = open_tapes(paths, 1, NULL), *im = open_import(paths, 1, "one"),
		*ext = open_ext();
	char *plan;

	(void)state;
	for (size_t i = 0; i < sizeof(questions) / sizeof(questions[0]); i++) {
		char *ps = plain_sql(questions[i]), *es = ext_sql(questions[i], golden);
		char *a = rows(q, ps), *b = rows(im, ps), *c = rows(ext, es);

		if (strcmp(a, b))
			fail_msg("%s: import gave\n%s\nquery gave\n%s", ps, b, a);
		if (strcmp(a, c))
			fail_msg("%s: the extension gave\n%s\nquery gave\n%s", es, c, a);
		assert_true(strlen(a) > 0);
		free(a);
		free(b);
		free(c);
		free(ps);
		free(es);
	}
	/* what the frames say, column by column */
	expect_rows(q, "query", "SELECT * FROM frames WHERE stack_id = 1 ORDER BY depth",
		    "1|0|1||do_sys_openat2|499|||0\n"
		    "1|1|1||__x64_sys_openat|85|||0\n"
		    "1|2|0|4176|__libc_open64|80|/usr/lib/x86_64-linux-gnu/libc.so.6|1bc0de06|0\n"
		    "1|3|0|4387|read_makefile|35|/usr/bin/make|6d616b6501|0\n"
		    "1|4|0|4165|main|69|/usr/bin/make|6d616b6501|0\n"
		    "1|5|0|36864|||/usr/lib/x86_64-linux-gnu/libc.so.6|1bc0de06|0\n");
	/* where unwinding stopped, the frame keeps its name */
	expect_rows(q, "query", "SELECT stack_id, depth, symbol FROM frames WHERE gap",
		    "4|2|__libc_open64\n");
	expect_rows(q, "query", "SELECT count(*), count(DISTINCT stack_id) FROM frames", "23|4\n");
	assert_int_equal(scalar(q, "SELECT count(*) FROM events WHERE stack_id IS NOT NULL"), 7);
	assert_int_equal(scalar(q, "SELECT count(*) FROM open WHERE stack_id IS NULL"), 0);
	/* the frames of one stack are looked up, not scanned for */
	plan = rows(q, "EXPLAIN QUERY PLAN SELECT * FROM open o JOIN frames f "
		       "ON f.stack_id = o.stack_id");
	if (!strstr(plan, "SCAN f VIRTUAL TABLE INDEX 1:stack_id=?"))
		fail_msg("the join scans frames:\n%s", plan);
	free(plan);
	/* ids no stack has: nothing, not every stack */
	/* the imported rows store the ids */
	assert_int_equal(scalar(im, "SELECT count(*) FROM pragma_table_info('events:rows') "
				    "WHERE name = 'stack_id'"),
			 1);
	assert_int_equal(scalar(q, "SELECT count(*) FROM frames WHERE stack_id = 0"), 0);
	assert_int_equal(scalar(q, "SELECT count(*) FROM frames WHERE stack_id = 99"), 0);
	assert_int_equal(scalar(q, "SELECT count(*) FROM frames WHERE stack_id = 'x'"), 0);
	assert_int_equal(scalar(q, "SELECT count(*) FROM frames WHERE stack_id = 2.5"), 0);
	assert_int_equal(scalar(q, "SELECT count(*) FROM frames WHERE stack_id = 2.0"), 6);
	assert_int_equal(scalar(q, "SELECT count(*) FROM frames WHERE stack_id = '2'"), 6);
	assert_int_equal(scalar(q, "SELECT count(*) FROM frames WHERE stack_id = 1e10"), 0);
	assert_int_equal(scalar(q, "SELECT count(*) FROM frames WHERE stack_id = NULL"), 0);
	sqlite3_close(q);
	sqlite3_close(im);
	sqlite3_close(ext);
}

/* A tape recorded without -g: an empty frames table, stack_id NULL. */
static void test_no_stacks(void **state)
{
	const char *const paths[] = {plain};
	sqlite3 *dbs[] = {open_tapes(paths, 1, NULL), open_import(paths, 1, "plain"), open_ext()};
	const char *const names[] = {"query", "import", "extension"};

	(void)state;
	for (int i = 0; i < 3; i++) {
		char *a = i == 2 ? ext_sql("SELECT count(*) FROM {frames}", plain)
				 : plain_sql("SELECT count(*) FROM {frames}");
		char *b = i == 2 ? ext_sql("SELECT count(*), count(stack_id), "
					   "sum(stack_id IS NULL) FROM {events}",
					   plain)
				 : plain_sql("SELECT count(*), count(stack_id), "
					     "sum(stack_id IS NULL) FROM {events}");
		char *c = i == 2 ? ext_sql("SELECT count(*), count(stack_id) FROM {open}", plain)
				 : plain_sql("SELECT count(*), count(stack_id) FROM {open}");

		expect_rows(dbs[i], names[i], a, "0\n");
		expect_rows(dbs[i], names[i], b, "3|0|3\n");
		expect_rows(dbs[i], names[i], c, "3|0\n");
		/* nothing stored for ids that are all NULL: the views say it */
		if (i == 1)
			expect_rows(dbs[i], names[i],
				    "SELECT count(*) FROM pragma_table_info('events:rows') "
				    "WHERE name = 'stack_id'",
				    "0\n");
		free(a);
		free(b);
		free(c);
		sqlite3_close(dbs[i]);
	}
}

/* Two tapes whose stack ids clash: joined on (file, stack_id), each open
 * finds its own tape's frames, in query, import and the extension. */
static void test_clashing_ids(void **state)
{
	const char *const paths[] = {golden, golden2};
	static const char *const join =
		"SELECT o.host, o.path, f.symbol FROM open o JOIN frames f "
		"ON f.file = o.file AND f.stack_id = o.stack_id AND f.depth = 3 "
		"ORDER BY o.host, o.ts";
	static const char *const want = "golden|Makefile|read_makefile\n"
					"golden|a.c|open_source\n"
					"golden|b.c|open_source\n"
					"golden|/usr/include/stdio.h|find_include\n"
					"golden|/usr/include/missing.h|find_include\n"
					"golden|/usr/local/include/missing.h|find_include\n"
					"golden|a.o|write_object\n"
					"golden2|Makefile|read_makefile\n"
					"golden2|a.c|open_source\n"
					"golden2|b.c|open_source\n"
					"golden2|/usr/include/stdio.h|find_include\n"
					"golden2|/usr/include/missing.h|find_include\n"
					"golden2|/usr/local/include/missing.h|find_include\n"
					"golden2|a.o|write_object\n";
	sqlite3 *q = open_tapes(paths, 2, NULL), *im = open_import(paths, 2, "two"),
		*ext = open_ext();
	char sql[4 * PATH_MAX + 512], *all;

	(void)state;
	/* the ids do clash: the same open has another id on the other tape */
	assert_int_equal(scalar(q, "SELECT count(*) FROM open a JOIN open b ON a.path = b.path "
				   "AND a.file < b.file AND a.stack_id <> b.stack_id"),
			 7);
	expect_rows(q, "query", join, want);
	expect_rows(im, "import", join, want);
	/* both tapes' frames, each row saying whose */
	assert_int_equal(scalar(q, "SELECT count(DISTINCT file) FROM frames"), 2);
	assert_int_equal(scalar(im, "SELECT count(DISTINCT file) FROM frames"), 2);
	all = rows(q, "SELECT * FROM frames ORDER BY file, stack_id, depth");
	expect_rows(im, "import", "SELECT * FROM frames ORDER BY file, stack_id, depth", all);
	free(all);
	/* the extension's tables over several tapes */
	snprintf(sql, sizeof(sql),
		 "CREATE VIRTUAL TABLE temp.open USING bpftape('%s', '%s', table=open);"
		 "CREATE VIRTUAL TABLE temp.frames USING bpftape('%s', '%s', table=frames);",
		 golden, golden2, golden, golden2);
	free(rows(ext, sql));
	expect_rows(ext, "extension", join, want);
	sqlite3_close(q);
	sqlite3_close(im);
	sqlite3_close(ext);
}

/* A tape of three opens and no stack. */
static void write_plain(const char *path)
{
	static const struct tape_type t = {0, "open", "", "", 6, qg_open_f};
	struct tape_writer *w = tape_writer__open(path, NULL);
	struct qg g = {.w = w};

	assert_non_null(w);
	g.ids[QG_OPEN] = tape_writer__add_type(w, &t);
	assert_true(g.ids[QG_OPEN] > 0);
	for (int i = 0; i < 3; i++)
		qg_open(&g, QG_BOOT_TS + i, 7, "/etc/passwd", 0, 3);
	assert_int_equal(g.err, 0);
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);
}

/* A generic probe with a field called stack_id: the field is f_stack_id,
 * and stack_id stays the event's stack, in query and import alike. */
static void test_field_named_stack_id(void **state)
{
	static const struct tape_field fd[] = {{"stack_id", TAPE_U32, TAPE_DISP_DEFAULT, NULL}};
	static const struct tape_type t = {0, "probe", "", "", 1, fd};
	static const struct tape_frame fr[] = {{.symbol = "do_exit", .offset = 4, .kernel = 1}};
	char path[PATH_MAX + 32];
	const char *const paths[] = {path};
	union tape_value v[1] = {{.u = 77}};
	struct tape_event ev = {
		.ts = 1000, .pid = 1, .tid = 1, .type = 1, .comm = "c", .values = v, .stack_id = 5};
	struct tape_writer *w;
	sqlite3 *dbs[2];

	(void)state;
	snprintf(path, sizeof(path), "%s/field.tape", tmpdir);
	w = tape_writer__open(path, NULL);
	assert_non_null(w);
	assert_int_equal(tape_writer__add_type(w, &t), 1);
	assert_int_equal(tape_writer__add_stack(w, 5, fr, 1), 0);
	assert_int_equal(tape_writer__append(w, &ev), 0);
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);
	dbs[0] = open_tapes(paths, 1, NULL);
	dbs[1] = open_import(paths, 1, "field");
	for (int i = 0; i < 2; i++) {
		const char *where = i ? "import" : "query";

		expect_rows(dbs[i], where,
			    "SELECT group_concat(name) FROM pragma_table_info('probe')",
			    "ts,time,cpu,pid,tid,comm,f_stack_id,stack_id\n");
		expect_rows(dbs[i], where,
			    "SELECT p.f_stack_id, p.stack_id, f.symbol FROM probe p "
			    "JOIN frames f USING (stack_id)",
			    "77|5|do_exit\n");
		sqlite3_close(dbs[i]);
	}
}

static int setup(void **state)
{
	(void)state;
	if (query_setup("test_query_stacks"))
		return -1;
	snprintf(plain, sizeof(plain), "%s/plain.tape", tmpdir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return query_teardown();
}

static void test_plain_tape(void **state)
{
	(void)state;
	write_plain(plain);
	test_no_stacks(state);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agree),
		cmocka_unit_test(test_plain_tape),
		cmocka_unit_test(test_clashing_ids),
		cmocka_unit_test(test_field_named_stack_id),
	};
	char self[PATH_MAX];

	(void)argc;
	/* the extension sits in the build directory, above build/tests/ */
	snprintf(self, sizeof(self), "%s", argv[0]);
	snprintf(ext_path, sizeof(ext_path), "%s/../bpftape_sqlite.so", dirname(self));
	return cmocka_run_group_tests(tests, setup, teardown);
}
