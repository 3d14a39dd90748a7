// SPDX-License-Identifier: MIT
/*
 * query/: SQL over tapes.  A golden tape (query_golden.h) is written into a
 * temporary directory; the tests query it through the virtual tables, an
 * imported database, the `query` verb and the loadable extension.
 *
 *   test_query                     run the tests
 *   test_query --write-golden PATH write the golden tape docs/QUERIES.md uses
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../query/qimport.h"
#include "../query/qsql.h"
#include "query_golden.h"
#include "query_util.h"
#include "../cli/verbs.h"

static char big[PATH_MAX + 32]; /* with filler: many chunks */
static char self_dir[PATH_MAX]; /* where this binary is */

/* ---- helpers ---- */

static int line_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort the lines of @s in place (each ends with a newline). */
static void sort_lines(char *s)
{
	size_t n = 0, len = strlen(s);
	char **lines, *copy = strdup(s), *p;

	assert_non_null(copy);
	for (p = copy; *p; p++)
		n += *p == '\n';
	lines = calloc(n + 1, sizeof(*lines));
	assert_non_null(lines);
	n = 0;
	for (p = strtok(copy, "\n"); p; p = strtok(NULL, "\n"))
		lines[n++] = p;
	qsort(lines, n, sizeof(*lines), line_cmp);
	s[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		strcat(s, lines[i]);
		strcat(s, "\n");
	}
	assert_int_equal(strlen(s), len);
	free(lines);
	free(copy);
}

static sqlite3 *open_golden(struct qset **set)
{
	const char *paths[] = {golden};

	return open_tapes(paths, 1, set);
}

/* Run a verb with stdout and stderr captured into files. */
static int run_verb(int (*fn)(int, char **), int argc, char **argv, char **out, char **err)
{
	char opath[PATH_MAX + 16], epath[PATH_MAX + 16];
	int o = dup(1), e = dup(2), fo, fe, ret;
	FILE *f;

	snprintf(opath, sizeof(opath), "%s/stdout", tmpdir);
	snprintf(epath, sizeof(epath), "%s/stderr", tmpdir);
	fflush(stdout);
	fflush(stderr);
	fo = open(opath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	fe = open(epath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fo >= 0 && fe >= 0);
	dup2(fo, 1);
	dup2(fe, 2);
	ret = fn(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(o, 1);
	dup2(e, 2);
	close(o);
	close(e);
	close(fo);
	close(fe);
	for (int i = 0; i < 2; i++) {
		char **dst = i ? err : out;
		long n;

		f = fopen(i ? epath : opath, "r");
		assert_non_null(f);
		fseek(f, 0, SEEK_END);
		n = ftell(f);
		rewind(f);
		*dst = calloc(1, n + 1);
		assert_int_equal(fread(*dst, 1, n, f), (size_t)n);
		fclose(f);
	}
	return ret;
}

static void copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	char buf[65536];
	size_t n;

	assert_non_null(in);
	assert_non_null(out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	assert_int_equal(fclose(out), 0);
}

/* ---- tests ---- */

static void test_tables(void **state)
{
	sqlite3 *db = open_golden(NULL);
	char *out;

	(void)state;
	assert_int_equal(scalar(db, "SELECT count(*) FROM events"),
			 scalar(db,
				"SELECT sum(n) FROM (SELECT count(*) AS n FROM fork UNION ALL "
				"SELECT count(*) FROM exec UNION ALL SELECT count(*) FROM exit "
				"UNION ALL SELECT count(*) FROM open UNION ALL SELECT count(*) "
				"FROM close UNION ALL SELECT count(*) FROM read UNION ALL SELECT "
				"count(*) FROM connect UNION ALL SELECT count(*) FROM syscall)"));
	/* the first event, its wall-clock time and its decoded arguments */
	assert_int_equal(
		render(db, "SELECT ts, time, pid, comm, type, args FROM events LIMIT 1", &out),
		SQLITE_OK);
	assert_string_equal(out, "1000000000010|2023-11-14T22:13:20.000000010Z|200|sshd|connect|"
				 "{\"fd\":5,\"addr\":\"10.0.0.1:443\",\"ret\":0}\n");
	free(out);
	/* typed columns and their display text */
	assert_int_equal(render(db,
				"SELECT path, flags, flags_str, mode_str, ret, ret_str FROM open "
				"WHERE pid = 1001 ORDER BY ts",
				&out),
			 SQLITE_OK);
	assert_string_equal(out, "a.c|0|O_RDONLY|0|3|\n"
				 "/usr/include/stdio.h|0|O_RDONLY|0|4|\n"
				 "a.o|577|O_WRONLY|O_CREAT|O_TRUNC|0644|5|\n");
	free(out);
	assert_int_equal(render(db,
				"SELECT typeof(addr), length(addr), addr_str FROM connect "
				"WHERE addr_str LIKE '[%' LIMIT 1",
				&out),
			 SQLITE_OK);
	assert_string_equal(out, "blob|28|[::1]:5432\n");
	free(out);
	/* processes: snapshot plus fork/exec/exit */
	assert_int_equal(render(db,
				"SELECT pid, ppid, comm, exe, argv, exit_code FROM processes "
				"ORDER BY pid",
				&out),
			 SQLITE_OK);
	assert_string_equal(out, "1|0|systemd|/usr/lib/systemd/systemd|/sbin/init|\n"
				 "100|1|bash|/usr/bin/bash|-bash|\n"
				 "200|1|sshd|/usr/sbin/sshd|sshd -D|\n"
				 "1000|100|make|/usr/bin/make|make -j2|2\n"
				 "1001|1000|cc|/usr/bin/cc|cc -c a.c|0\n"
				 "1002|1000|cc|/usr/bin/cc|cc -c b.c|1\n");
	free(out);
	assert_int_equal(render(db, "SELECT * FROM losses", &out), SQLITE_OK);
	assert_string_equal(out, "1|1005000000000|1005003000000|42\n");
	free(out);
	assert_int_equal(render(db, "SELECT value FROM meta WHERE key = 'host.name'", &out),
			 SQLITE_OK);
	assert_string_equal(out, "golden\n");
	free(out);
	assert_int_equal(render(db,
				"SELECT field, kind, display, enum FROM types WHERE type = "
				"'open' ORDER BY pos",
				&out),
			 SQLITE_OK);
	assert_string_equal(out, "syscall|u16|enum|open_syscall\n"
				 "dfd|s32|default|\n"
				 "path|str|default|\n"
				 "flags|u32|flags|open_flags\n"
				 "mode|u32|octal|\n"
				 "ret|s32|errno|\n");
	free(out);
	/* host and file are there, hidden, with one tape */
	assert_int_equal(render(db, "SELECT DISTINCT host FROM events", &out), SQLITE_OK);
	assert_string_equal(out, "golden\n");
	free(out);
	sqlite3_close(db);
}

/* The answer with the push-down must equal the answer without it, and the
 * push-down must have read at most @max_read chunks (-1: any). */
static void check_pushdown(sqlite3 *db, struct qset *set, const char *where, int max_read)
{
	struct tape_cursor_stats st;
	char sql[512], nopush[1024], *plan;
	int64_t n, m;

	/* count(comm): count(*) alone would be answered from the index */
	snprintf(sql, sizeof(sql), "SELECT count(comm) FROM events WHERE %s", where);
	qset__take_stats(set, &st);
	n = scalar(db, sql);
	qset__take_stats(set, &st);
	if (max_read >= 0 && (int)st.chunks_read > max_read)
		fail_msg("%s: read %d chunks, want at most %d", where, (int)st.chunks_read,
			 max_read);
	if (max_read > 0)
		assert_true(st.chunks_skipped > 0);
	/* +0 hides the columns from xBestIndex: a full scan */
	snprintf(nopush, sizeof(nopush),
		 "SELECT count(comm) FROM (SELECT ts+0 AS ts, pid+0 AS pid, tid+0 AS tid, "
		 "type||'' AS type, time||'' AS time, comm FROM events) WHERE %s",
		 where);
	m = scalar(db, nopush);
	qset__take_stats(set, &st);
	assert_int_equal(st.chunks_skipped, 0);
	assert_int_equal(n, m);
	snprintf(nopush, sizeof(nopush), "EXPLAIN QUERY PLAN %s", sql);
	assert_int_equal(render(db, nopush, &plan), SQLITE_OK);
	assert_non_null(strstr(plan, "VIRTUAL TABLE INDEX"));
	free(plan);
}

static void test_pushdown(void **state)
{
	const char *paths[] = {big};
	struct qset *set;
	sqlite3 *db = open_tapes(paths, 1, &set);
	char *plan;
	size_t total = tape_reader__chunk_count(qset__reader(set, 0));

	(void)state;
	assert_true(total >= 90);
	/* one 100 ms window of one pid: one or two chunks of ~100 */
	check_pushdown(db, set, "pid = 1002 AND ts BETWEEN 1001000000000 AND 1001100000000", 2);
	check_pushdown(db, set, "ts >= 1009950000000", 2);
	check_pushdown(db, set, "ts > 1000000000000 AND ts < 1000050000000", 2);
	check_pushdown(db, set, "ts = 1004000000005", 2);
	/* pids 1000-1002 live in the story's chunks only */
	check_pushdown(db, set, "pid IN (1000, 1001, 1002)", 45);
	check_pushdown(db, set, "type = 'exit'", 3);
	check_pushdown(db, set, "type IN ('exit', 'fork')", 5);
	/* the index knows pids, not tids: the cursor filters, chunks are read */
	check_pushdown(db, set, "tid = 1001", -1);
	/* wall-clock windows are ts windows */
	check_pushdown(db, set,
		       "time BETWEEN '2023-11-14T22:13:21' AND '2023-11-14T22:13:21.099999999Z'",
		       3);
	check_pushdown(db, set, "time >= '2023-11-14T22:13:29.9'", 3);
	check_pushdown(db, set, "time < '2023-11-14 22:13:20.05'", 2);
	check_pushdown(db, set, "time > '2023-11-14T22:13:30'", 0);
	/* not a time: SQLite compares the text, everything is read */
	check_pushdown(db, set, "time > 'yesterday'", -1);
	/* a value no event has: nothing is read */
	check_pushdown(db, set, "pid = 99999999999", 0);
	check_pushdown(db, set, "ts < 0", 0);
	/* the plan names what was pushed down */
	assert_int_equal(render(db,
				"EXPLAIN QUERY PLAN SELECT * FROM events WHERE pid = 5 AND ts "
				"BETWEEN 1 AND 2 AND type = 'open'",
				&plan),
			 SQLITE_OK);
	assert_non_null(strstr(plan, "pid=?"));
	assert_non_null(strstr(plan, "ts>=?"));
	assert_non_null(strstr(plan, "ts<=?"));
	assert_non_null(strstr(plan, "type=?"));
	free(plan);
	/* per-type tables push down too and read only chunks with the type */
	struct tape_cursor_stats st;

	qset__take_stats(set, &st);
	assert_int_equal(scalar(db, "SELECT count(*) FROM exit"), 3);
	qset__take_stats(set, &st);
	assert_true(st.chunks_read <= 3);
	/* ORDER BY ts comes for free */
	assert_int_equal(render(db, "EXPLAIN QUERY PLAN SELECT * FROM events ORDER BY ts", &plan),
			 SQLITE_OK);
	assert_null(strstr(plan, "ORDER BY"));
	free(plan);
	/* odd operands stay correct: reals, text, NULL */
	assert_int_equal(scalar(db, "SELECT count(*) FROM events WHERE ts > 1004000000004.5 AND "
				    "ts < 1004000000005.5"),
			 1);
	assert_int_equal(scalar(db, "SELECT count(*) FROM events WHERE pid = '1002'"),
			 scalar(db, "SELECT count(*) FROM events WHERE pid+0 = 1002"));
	assert_int_equal(scalar(db, "SELECT count(*) FROM events WHERE ts < NULL"), 0);
	assert_int_equal(scalar(db, "SELECT count(*) FROM events WHERE pid = 1002.5"), 0);
	sqlite3_close(db);
	qset__put(set);
}

/* count(*) and GROUP BY type come from the index's type counts. */
static void test_index_only(void **state)
{
	const char *paths[] = {big, golden};
	struct tape_cursor_stats st;
	struct qset *set;
	sqlite3 *db = open_tapes(paths, 2, &set);
	char *a, *b;

	(void)state;
	qset__take_stats(set, &st);
	assert_int_equal(render(db, "SELECT type, count(*) FROM events GROUP BY type", &a),
			 SQLITE_OK);
	assert_int_equal(
		render(db, "SELECT count(*) FROM events WHERE type IN ('open', 'exit')", &b),
		SQLITE_OK);
	qset__take_stats(set, &st);
	assert_int_equal(st.chunks_read, 0);
	free(b);
	/* the same as decoding every event */
	assert_int_equal(render(db, "SELECT type, count(comm) FROM events GROUP BY type", &b),
			 SQLITE_OK);
	qset__take_stats(set, &st);
	assert_true(st.chunks_read > 100);
	assert_string_equal(a, b);
	free(a);
	free(b);
	assert_int_equal(scalar(db, "SELECT count(*) FROM events"),
			 (int64_t)qset__event_count(set));
	assert_int_equal(render(db, "SELECT host, type, count(*) FROM events GROUP BY 1, 2", &a),
			 SQLITE_OK);
	assert_int_equal(render(db, "SELECT host, type, count(cpu) FROM events GROUP BY 1, 2", &b),
			 SQLITE_OK);
	assert_string_equal(a, b);
	free(a);
	free(b);
	/* no sorter for GROUP BY type: the rows come grouped */
	assert_int_equal(render(db,
				"EXPLAIN QUERY PLAN SELECT type, count(*) FROM events GROUP "
				"BY type",
				&a),
			 SQLITE_OK);
	assert_non_null(strstr(a, "counts from the index"));
	assert_null(strstr(a, "TEMP B-TREE"));
	free(a);
	sqlite3_close(db);
	qset__put(set);
}

/* Rows of @sql, grouped or ordered by type: the same as SQLite's own sort
 * gives (the plan shows which is used). */
static void check_by_type(sqlite3 *db, const char *sql, const char *sorted_sql)
{
	char *a, *b, *plan, eqp[512];

	snprintf(eqp, sizeof(eqp), "EXPLAIN QUERY PLAN %s", sql);
	assert_int_equal(render(db, eqp, &plan), SQLITE_OK);
	if (!strstr(plan, "one pass per type") || strstr(plan, "TEMP B-TREE FOR GROUP BY") ||
	    strstr(plan, "TEMP B-TREE FOR ORDER BY"))
		fail_msg("%s: plan %s", sql, plan);
	free(plan);
	snprintf(eqp, sizeof(eqp), "EXPLAIN QUERY PLAN %s", sorted_sql);
	assert_int_equal(render(db, eqp, &plan), SQLITE_OK);
	assert_true(strstr(plan, "TEMP B-TREE FOR GROUP BY") ||
		    strstr(plan, "TEMP B-TREE FOR ORDER BY"));
	free(plan);
	assert_int_equal(render(db, sql, &a), SQLITE_OK);
	assert_int_equal(render(db, sorted_sql, &b), SQLITE_OK);
	assert_true(strlen(a) > 0);
	/* grouped by type, the first column, in order */
	for (const char *p = a, *prev = NULL; *p; p = strchr(p, '\n') + 1) {
		size_t n = strcspn(p, "|\n"), m = prev ? strcspn(prev, "|\n") : 0;
		int c = prev ? memcmp(prev, p, m < n ? m : n) : 0;

		if (c > 0 || (!c && m > n))
			fail_msg("%s: rows not in type order:\n%s", sql, a);
		prev = p;
	}
	/* the same rows (events with the same type and ts may come in
	 * another order than SQLite's sort puts them) */
	sort_lines(a);
	sort_lines(b);
	if (strcmp(a, b))
		fail_msg("%s:\n%s\nSQLite's sort:\n%s", sql, a, b);
	free(a);
	free(b);
}

/* GROUP BY / ORDER BY type: a pass per type rather than a sort. */
static void test_by_type(void **state)
{
	const char *paths[] = {big}, *two[] = {golden, golden2};
	struct tape_cursor_stats st;
	struct qset *set;
	sqlite3 *db = open_tapes(paths, 1, &set);
	size_t total = tape_reader__chunk_count(qset__reader(set, 0));

	(void)state;
	/* "type || ''" hides the column from the planner: SQLite sorts */
	check_by_type(
		db,
		"SELECT type, count(comm), sum(pid), min(ts), max(ts) FROM events GROUP BY type",
		"SELECT type, count(comm), sum(pid), min(ts), max(ts) FROM events GROUP BY type || "
		"''");
	check_by_type(db,
		      "SELECT type, count(*), max(args) FROM events WHERE pid IN (1001, 1002) "
		      "GROUP BY type",
		      "SELECT type, count(*), max(args) FROM events WHERE pid IN (1001, 1002) "
		      "GROUP BY type || ''");
	check_by_type(
		db, "SELECT type, ts, pid, args FROM events WHERE ts < 1000100000000 ORDER BY type",
		"SELECT type, ts, pid, args FROM events WHERE ts < 1000100000000 ORDER BY type || "
		"'', ts");
	/* each pass reads only the chunks that hold its type */
	qset__take_stats(set, &st);
	assert_int_equal(scalar(db, "SELECT count(*) FROM (SELECT type, count(comm) FROM events "
				    "WHERE type IN ('exit', 'fork') GROUP BY type)"),
			 2);
	qset__take_stats(set, &st);
	assert_true(st.chunks_read > 0 && st.chunks_read <= 5);
	assert_true(total > 5);
	sqlite3_close(db);
	qset__put(set);

	/* several tapes: a pass merges them */
	db = open_tapes(two, 2, NULL);
	check_by_type(
		db,
		"SELECT type, count(DISTINCT host), count(*), sum(ts) FROM events GROUP BY type",
		"SELECT type, count(DISTINCT host), count(*), sum(ts) FROM events GROUP BY type || "
		"''");
	sqlite3_close(db);
}

static void test_several_tapes(void **state)
{
	const char *paths[] = {golden, golden2};
	struct qset *set;
	sqlite3 *db = open_tapes(paths, 2, &set);
	sqlite3 *one = open_golden(NULL);
	char *out;

	(void)state;
	assert_int_equal(scalar(db, "SELECT count(*) FROM events"),
			 2 * scalar(one, "SELECT count(*) FROM events"));
	assert_int_equal(
		render(db, "SELECT host, count(*) FROM open GROUP BY host ORDER BY host", &out),
		SQLITE_OK);
	assert_string_equal(out, "golden|7\ngolden2|7\n");
	free(out);
	/* merged in timestamp order across the tapes */
	assert_int_equal(scalar(db, "SELECT count(*) FROM (SELECT ts, lag(ts) OVER () AS prev "
				    "FROM events) WHERE ts < prev"),
			 0);
	/* host and file are visible columns now */
	assert_int_equal(render(db, "SELECT * FROM meta WHERE key = 'host.name' ORDER BY 3", &out),
			 SQLITE_OK);
	assert_non_null(strstr(out, "host.name|golden|golden|"));
	assert_non_null(strstr(out, "host.name|golden2|golden2|"));
	free(out);
	assert_int_equal(scalar(db, "SELECT count(*) FROM processes"), 12);
	/* file and host choose the tapes to read */
	struct tape_cursor_stats st;
	char sql[PATH_MAX + 128];

	qset__take_stats(set, &st);
	snprintf(sql, sizeof(sql), "SELECT count(comm) FROM events WHERE file = '%s'", golden2);
	assert_int_equal(scalar(db, sql), scalar(one, "SELECT count(comm) FROM events"));
	qset__take_stats(set, &st);
	assert_int_equal(st.chunks_read, tape_reader__chunk_count(qset__reader(set, 1)));
	assert_int_equal(scalar(db, "SELECT count(comm) FROM open WHERE host = 'golden'"), 7);
	assert_int_equal(scalar(db, "SELECT count(*) FROM events WHERE host = 'nowhere'"), 0);
	sqlite3_close(db);
	sqlite3_close(one);
	qset__put(set);
}

static void test_query_verb(void **state)
{
	char *out, *err;
	char *ok[] = {"query", "--format", "csv",
		      golden,  "-c",	   "SELECT pid, path FROM open WHERE ret < 0 ORDER BY ts",
		      NULL};
	char *json[] = {"query", "--format", "json",
			golden,	 "-c",	     "SELECT pid, comm FROM processes WHERE pid = 1000",
			NULL};
	char *bad[] = {"query", golden, "-c", "SELEC * FROM events", NULL};
	char *table[] = {"query", golden, "-c", "SELECT cpu, count AS n FROM losses", NULL};
	char *missing[] = {"query", "/nonexistent.tape", "-c", "SELECT 1", NULL};
	char *nocol[] = {"query", golden, "-c", "SELECT nosuch FROM events", NULL};

	(void)state;
	assert_int_equal(run_verb(cmd_query, 6, ok, &out, &err), 0);
	assert_string_equal(out, "pid,path\n1002,/usr/include/missing.h\n"
				 "1002,/usr/local/include/missing.h\n");
	free(out);
	free(err);
	assert_int_equal(run_verb(cmd_query, 6, json, &out, &err), 0);
	assert_string_equal(out, "[{\"pid\":1000,\"comm\":\"make\"}]\n");
	free(out);
	free(err);
	assert_int_equal(run_verb(cmd_query, 4, table, &out, &err), 0);
	assert_string_equal(out, "cpu   n\n---  --\n  1  42\n");
	free(out);
	free(err);
	/* bad SQL: SQLite's message, non-zero exit */
	assert_int_not_equal(run_verb(cmd_query, 4, bad, &out, &err), 0);
	assert_non_null(strstr(err, "syntax error"));
	assert_string_equal(out, "");
	free(out);
	free(err);
	assert_int_not_equal(run_verb(cmd_query, 4, nocol, &out, &err), 0);
	assert_non_null(strstr(err, "no such column: nosuch"));
	free(out);
	free(err);
	/* statements from standard input */
	char sqlpath[PATH_MAX + 16];
	FILE *f;
	int in = dup(0), fd;
	char *stdin_argv[] = {"query", "--format", "csv", golden, NULL};

	snprintf(sqlpath, sizeof(sqlpath), "%s/in.sql", tmpdir);
	f = fopen(sqlpath, "w");
	assert_non_null(f);
	fputs("-- two statements\nSELECT count(*) AS n FROM exit;\n"
	      "SELECT value FROM meta WHERE key = 'host.name';\n",
	      f);
	fclose(f);
	fd = open(sqlpath, O_RDONLY);
	assert_true(fd >= 0);
	dup2(fd, 0);
	close(fd);
	clearerr(stdin);
	assert_int_equal(run_verb(cmd_query, 4, stdin_argv, &out, &err), 0);
	dup2(in, 0);
	close(in);
	assert_string_equal(out, "n\n3\nvalue\ngolden\n");
	free(out);
	free(err);
	assert_int_not_equal(run_verb(cmd_query, 4, missing, &out, &err), 0);
	assert_non_null(strstr(err, "/nonexistent.tape"));
	free(out);
	free(err);
}

/*
 * query reads tapes: SQL in it writes no file unless --allow-write.  Each
 * way SQLite has to create or change a file is tried, and the file system
 * is checked, not only the status.
 */
static void test_query_writes_nothing(void **state)
{
	char dbpath[PATH_MAX + 16], sql[3 * PATH_MAX + 128], *out, *err, ext[PATH_MAX + 64];
	char *argv[] = {"query", golden, "-c", sql, NULL};
	char *allow[] = {"query", "--allow-write", golden, "-c", sql, NULL};
	struct stat sb, before;
	sqlite3 *db;

	(void)state;
	snprintf(dbpath, sizeof(dbpath), "%s/made-by-sql.db", tmpdir);
	unlink(dbpath);
	/* ATTACH creates a file */
	snprintf(sql, sizeof(sql),
		 "ATTACH '%s' AS a; CREATE TABLE a.t(x); INSERT INTO a.t VALUES(1)", dbpath);
	assert_int_not_equal(run_verb(cmd_query, 4, argv, &out, &err), 0);
	assert_non_null(strstr(err, "--allow-write"));
	free(out);
	free(err);
	assert_int_not_equal(stat(dbpath, &sb), 0);
	/* VACUUM INTO copies the database into one */
	snprintf(sql, sizeof(sql), "VACUUM INTO '%s'", dbpath);
	assert_int_not_equal(run_verb(cmd_query, 4, argv, &out, &err), 0);
	free(out);
	free(err);
	assert_int_not_equal(stat(dbpath, &sb), 0);
	/* an existing database can be read, not changed */
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	assert_int_equal(
		sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES(7)", NULL, NULL, NULL),
		SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(stat(dbpath, &before), 0);
	snprintf(sql, sizeof(sql), "ATTACH '%s' AS a; SELECT x FROM a.t", dbpath);
	assert_int_equal(run_verb(cmd_query, 4, argv, &out, &err), 0);
	assert_non_null(strstr(out, "7"));
	free(out);
	free(err);
	snprintf(sql, sizeof(sql), "ATTACH '%s' AS a; INSERT INTO a.t VALUES(8)", dbpath);
	assert_int_not_equal(run_verb(cmd_query, 4, argv, &out, &err), 0);
	free(out);
	free(err);
	snprintf(sql, sizeof(sql), "ATTACH '%s' AS a; DROP TABLE a.t", dbpath);
	assert_int_not_equal(run_verb(cmd_query, 4, argv, &out, &err), 0);
	free(out);
	free(err);
	assert_int_equal(stat(dbpath, &sb), 0);
	assert_int_equal(sb.st_size, before.st_size);
	assert_int_equal(sb.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
	unlink(dbpath);
	/* no code from a file: the project's own extension is there to load */
	snprintf(ext, sizeof(ext), "%s", ext_path);
	assert_int_equal(stat(ext, &sb), 0);
	snprintf(sql, sizeof(sql), "SELECT load_extension('%s')", ext);
	assert_int_not_equal(run_verb(cmd_query, 4, argv, &out, &err), 0);
	assert_non_null(strstr(err, "not authorized"));
	free(out);
	free(err);
	/* the shell's writefile() is no function here */
	snprintf(sql, sizeof(sql), "SELECT writefile('%s', 'x')", dbpath);
	assert_int_not_equal(run_verb(cmd_query, 4, argv, &out, &err), 0);
	free(out);
	free(err);
	assert_int_not_equal(stat(dbpath, &sb), 0);
	/* in memory, anything goes */
	snprintf(sql, sizeof(sql),
		 "CREATE TEMP TABLE t AS SELECT pid FROM events; CREATE TABLE m(x); "
		 "ATTACH ':memory:' AS mm; CREATE TABLE mm.t(x); INSERT INTO m SELECT count(*) "
		 "FROM t; SELECT x FROM m");
	assert_int_equal(run_verb(cmd_query, 4, argv, &out, &err), 0);
	free(out);
	free(err);
	/* and asked, SQL writes its file */
	snprintf(sql, sizeof(sql), "VACUUM INTO '%s'", dbpath);
	assert_int_equal(run_verb(cmd_query, 5, allow, &out, &err), 0);
	free(out);
	free(err);
	assert_int_equal(stat(dbpath, &sb), 0);
	unlink(dbpath);
}

static void test_corrupt_tape(void **state)
{
	char bad[PATH_MAX + 32], *out = NULL, *err = NULL;
	struct tape_chunk_info ci;
	struct tape_reader *r;
	const char *paths[] = {bad};
	sqlite3 *db;
	uint8_t junk[64];
	int fd;

	(void)state;
	snprintf(bad, sizeof(bad), "%s/corrupt.tape", tmpdir);
	copy_file(big, bad);
	r = tape_reader__open(bad, NULL, 0);
	assert_non_null(r);
	assert_int_equal(tape_reader__chunk(r, 50, &ci), 0);
	tape_reader__free(r);
	/* scribble over the middle of chunk 50's compressed body */
	memset(junk, 0xa5, sizeof(junk));
	fd = open(bad, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, junk, sizeof(junk), ci.offset + ci.block_len / 2),
			 (ssize_t)sizeof(junk));
	close(fd);

	db = open_tapes(paths, 1, NULL);
	/* a named error, not rows */
	assert_int_equal(render(db, "SELECT count(comm) FROM events", &out), SQLITE_ERROR);
	assert_non_null(strstr(out, bad));
	assert_true(strstr(out, "chunk") || strstr(out, "CRC") || strstr(out, "crc"));
	free(out);
	/* the same from a pass per type */
	assert_int_equal(render(db, "SELECT type, count(comm) FROM events GROUP BY type", &out),
			 SQLITE_ERROR);
	assert_non_null(strstr(out, bad));
	free(out);
	/* chunks the index excludes are never read, so a narrow query works */
	assert_int_equal(
		render(db, "SELECT count(comm) FROM events WHERE ts < 1001000000000", &out),
		SQLITE_OK);
	free(out);
	/* a count from the index checks the chunks it counts: never one that a
	 * scan could not return */
	assert_int_equal(render(db, "SELECT count(*) FROM events", &out), SQLITE_ERROR);
	assert_non_null(strstr(out, "CRC mismatch"));
	free(out);
	sqlite3_close(db);

	/* the verbs read what is intact, name the bad block on stderr and exit
	 * with the partial status (docs/USAGE.md) */
	char want[64];
	uint64_t intact = 0;

	r = tape_reader__open(big, NULL, 0);
	assert_non_null(r);
	intact = tape_reader__event_count(r) - ci.count;
	tape_reader__free(r);
	snprintf(want, sizeof(want), "n\n%llu\n", (unsigned long long)intact);
	char *argv[] = {
		"query", bad, "--format", "csv", "-c", "SELECT count(comm) AS n FROM events", NULL};

	assert_int_equal(run_verb(cmd_query, 6, argv, &out, &err), 3);
	assert_string_equal(out, want);
	assert_non_null(strstr(err, bad));
	assert_non_null(strstr(err, "CRC mismatch (skipped)"));
	free(out);
	free(err);
	char *count_argv[] = {
		"query", bad, "--format", "csv", "-c", "SELECT count(*) AS n FROM events", NULL};

	assert_int_equal(run_verb(cmd_query, 6, count_argv, &out, &err), 3);
	assert_string_equal(out, want);
	free(out);
	free(err);

	/* import meets the damage in its decoding thread: the intact events
	 * are written, the bad block named */
	char dbpath[PATH_MAX + 32];
	char *imp[] = {"import", "-q", "-o", dbpath, bad, NULL};
	sqlite3 *idb;

	snprintf(dbpath, sizeof(dbpath), "%s/corrupt.db", tmpdir);
	unlink(dbpath);
	assert_int_equal(run_verb(cmd_import, 5, imp, &out, &err), 3);
	assert_non_null(strstr(err, bad));
	assert_non_null(strstr(err, "chunk"));
	free(out);
	free(err);
	assert_int_equal(sqlite3_open_v2(dbpath, &idb, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(render(idb, "SELECT count(*) FROM events", &out), SQLITE_OK);
	assert_int_equal(strtoull(out, NULL, 10), intact);
	free(out);
	sqlite3_close(idb);
	unlink(dbpath);
}

/*
 * A tape whose schema block was lost (recover keeps its chunks): a count
 * from the index walks the schema's types only, yet the chunks hold events
 * of types it lacks.  Like a scan, the count names each such chunk and
 * exits with the partial status instead of a silent 0.
 */
static void test_schema_lost(void **state)
{
	char dmg[PATH_MAX + 32], rec[PATH_MAX + 32], *out = NULL, *err = NULL;
	struct tape_recover_stats st = {0};
	char rerr[256];
	uint8_t hdr[20], junk = 0;
	uint32_t len = 0;
	uint16_t type = 0;
	off_t off = 16;
	int fd;

	(void)state;
	snprintf(dmg, sizeof(dmg), "%s/schema-lost.tape", tmpdir);
	snprintf(rec, sizeof(rec), "%s/schema-lost-rec.tape", tmpdir);
	copy_file(big, dmg);
	fd = open(dmg, O_RDWR);
	assert_true(fd >= 0);
	/* the first schema block (type 2): one byte of its body flipped */
	for (;;) {
		assert_int_equal(pread(fd, hdr, sizeof(hdr), off), (ssize_t)sizeof(hdr));
		memcpy(&type, hdr + 4, sizeof(type));
		memcpy(&len, hdr + 12, sizeof(len));
		if (type == 2)
			break;
		off += 20 + (off_t)len;
	}
	assert_int_equal(pread(fd, &junk, 1, off + 20 + len / 2), 1);
	junk ^= 0x55;
	assert_int_equal(pwrite(fd, &junk, 1, off + 20 + len / 2), 1);
	close(fd);
	unlink(rec);
	assert_int_equal(tape_recover(dmg, rec, &st, rerr, sizeof(rerr)), 0);

	char *argv[] = {"query", rec, "--format", "csv", "-c", "SELECT count(*) AS n FROM events",
			NULL};

	assert_int_equal(run_verb(cmd_query, 6, argv, &out, &err), 3);
	assert_non_null(strstr(err, rec));
	assert_non_null(strstr(err, "not in the schema"));
	free(out);
	free(err);
	char *by_type[] = {"query", rec,  "--format",
			   "csv",   "-c", "SELECT type, count(*) FROM events GROUP BY type",
			   NULL};

	assert_int_equal(run_verb(cmd_query, 6, by_type, &out, &err), 3);
	assert_non_null(strstr(err, "not in the schema"));
	free(out);
	free(err);
	unlink(dmg);
	unlink(rec);
}

/* ---- docs/QUERIES.md: every ```sql block, then its expected ``` block ---- */

struct doc_query {
	char *sql, *expect;
};

static size_t read_doc(struct doc_query **out)
{
	const char *path = getenv("BPFTAPE_QUERIES_MD") ?: "docs/QUERIES.md";
	struct doc_query *q = NULL;
	size_t n = 0, cap = 0;
	char *doc, *p, alt[PATH_MAX + 64];
	FILE *f = fopen(path, "r");
	long len;

	/* from elsewhere: the build directory is build/ or build/san/ */
	for (int up = 2; !f && up <= 3; up++) {
		snprintf(alt, sizeof(alt), "%s/%sdocs/QUERIES.md", self_dir,
			 up == 2 ? "../../" : "../../../");
		f = fopen(alt, "r");
	}
	if (!f)
		fail_msg("%s: %s (run from the source tree)", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	doc = calloc(1, len + 1);
	assert_int_equal(fread(doc, 1, len, f), (size_t)len);
	fclose(f);
	for (p = doc; (p = strstr(p, "```sql\n"));) {
		char *sql = p + 7, *end = strstr(sql, "\n```"), *exp, *eend;

		assert_non_null(end);
		exp = strstr(end + 4, "```\n");
		assert_non_null(exp);
		exp += 4;
		eend = strstr(exp, "```");
		assert_non_null(eend);
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			q = realloc(q, cap * sizeof(*q));
			assert_non_null(q);
		}
		q[n].sql = strndup(sql, end - sql + 1);
		q[n].expect = strndup(exp, eend - exp);
		n++;
		p = eend + 3;
	}
	free(doc);
	*out = q;
	return n;
}

static void check_doc(sqlite3 *db, const char *where)
{
	struct doc_query *q;
	size_t n = read_doc(&q);

	assert_true(n >= 12);
	for (size_t i = 0; i < n; i++) {
		char *out;

		if (render(db, q[i].sql, &out) != SQLITE_OK)
			fail_msg("%s: query %zu failed: %s\n%s", where, i + 1, out, q[i].sql);
		if (strcmp(out, q[i].expect))
			fail_msg("%s: query %zu:\n%s\ngave:\n%s\nwant:\n%s", where, i + 1, q[i].sql,
				 out, q[i].expect);
		free(out);
		free(q[i].sql);
		free(q[i].expect);
	}
	free(q);
}

static void test_queries_md(void **state)
{
	sqlite3 *db = open_golden(NULL);

	(void)state;
	check_doc(db, "tape");
	sqlite3_close(db);
}

static void import_golden(const char *dbpath, const char *const *paths, size_t n,
			  uint64_t early_index_events, const char *indexes)
{
	struct qimport_opts opts = {
		.sz = sizeof(opts), .early_index_events = early_index_events, .indexes = indexes};
	struct qimport_stats st;
	struct qset *set;
	char err[512];
	sqlite3 *db;

	unlink(dbpath);
	set = qset__open(paths, n, err, sizeof(err));
	assert_non_null(set);
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	if (qimport__run(db, set, &opts, &st, err, sizeof(err)))
		fail_msg("import: %s", err);
	assert_int_equal(st.events, qset__event_count(set));
	assert_int_equal(st.type_rows, st.events);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	qset__put(set);
}

/*
 * Each event is written once (issue 11): its common columns in
 * "events:rows", its fields in its type's "TYPE:fields" under the same
 * id; `events` and the type tables are views, and time and args are
 * derived, not stored, except args SQL cannot say (exec's argv array).
 */
static void check_stored_once(sqlite3 *db)
{
	sqlite3_stmt *st;
	long long events = scalar(db, "SELECT count(*) FROM \"events:rows\""), fields = 0;
	char *a;

	assert_true(events > 0);
	assert_int_equal(scalar(db, "SELECT count(*) FROM events"), events);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT name FROM sqlite_master WHERE type = 'table' "
					    "AND name LIKE '%:fields'",
					    -1, &st, NULL),
			 SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		char *sql = sqlite3_mprintf("SELECT count(*) FROM \"%w\"",
					    (const char *)sqlite3_column_text(st, 0));

		fields += scalar(db, sql);
		sqlite3_free(sql);
	}
	sqlite3_finalize(st);
	assert_int_equal(fields, events);
	assert_int_equal(render(db,
				"SELECT group_concat(name) FROM sqlite_master WHERE type = 'view' "
				"AND name IN ('events', 'open', 'syscall') ORDER BY name",
				&a),
			 SQLITE_OK);
	assert_string_equal(a, "events,open,syscall\n");
	free(a);
	assert_int_equal(scalar(db, "SELECT count(*) FROM pragma_table_info('events:rows') "
				    "WHERE name IN ('time', 'args')"),
			 0);
	/* hex and octal display text is computed, the field's value stored */
	assert_int_equal(scalar(db, "SELECT count(*) FROM pragma_table_info('syscall:fields') "
				    "WHERE name IN ('arg0', 'arg0_str')"),
			 1);
	assert_int_equal(scalar(db, "SELECT count(*) FROM pragma_table_info('open:fields') "
				    "WHERE name IN ('mode', 'mode_str')"),
			 1);
	assert_int_equal(
		scalar(db, "SELECT count(*) FROM \"open:fields\" WHERE \":args\" IS NOT NULL"), 0);
	assert_int_equal(
		scalar(db, "SELECT count(*) FROM \"exec:fields\" WHERE \":args\" IS NOT NULL"),
		scalar(db, "SELECT count(*) FROM exec"));
}

static void test_import(void **state)
{
	const char *paths[] = {golden};
	char dbpath[PATH_MAX + 32], *a, *b;
	sqlite3 *db, *tape;
	static const char *const same[] = {
		"SELECT * FROM events ORDER BY ts",
		"SELECT * FROM open ORDER BY ts",
		"SELECT * FROM connect ORDER BY ts",
		"SELECT * FROM syscall ORDER BY ts",
		"SELECT * FROM processes ORDER BY pid",
		"SELECT * FROM losses",
		"SELECT * FROM meta ORDER BY key",
		"SELECT * FROM types ORDER BY type, pos",
		"SELECT * FROM frames ORDER BY stack_id, depth",
		"SELECT * FROM exit ORDER BY ts",
	};

	(void)state;
	/* both ways of indexing: after the load (small tapes), during it
	 * (large); ts alone, as by default, and with the pid index asked for */
	for (int v = 0; v < 4; v++) {
		bool early = v & 1, pid = v & 2;

		snprintf(dbpath, sizeof(dbpath), "%s/golden%d.db", tmpdir, v);
		import_golden(dbpath, paths, 1, early ? 1 : 0, pid ? "pid,ts,pid" : NULL);
		assert_int_equal(sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL),
				 SQLITE_OK);
		tape = open_golden(NULL);
		for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
			assert_int_equal(render(db, same[i], &a), SQLITE_OK);
			assert_int_equal(render(tape, same[i], &b), SQLITE_OK);
			if (strcmp(a, b))
				fail_msg("%s differs after import", same[i]);
			assert_true(strlen(a) > 0);
			free(a);
			free(b);
		}
		check_stored_once(db);
		/* the indexes, on the rows of events: ts, and pid only when
		 * asked for; none on type (issue 11: each is a B-tree insert in
		 * the middle of the tree per event, half the import for pid,
		 * for what the ts index, a scan of the narrow rows or the
		 * type's own table answers) */
		assert_int_equal(render(db,
					"SELECT group_concat(name, ',') FROM (SELECT name FROM "
					"sqlite_master WHERE type = 'index' AND tbl_name = "
					"'events:rows' ORDER BY name)",
					&a),
				 SQLITE_OK);
		assert_string_equal(a, pid ? "events:pid,events:ts\n" : "events:ts\n");
		free(a);
		assert_int_equal(
			render(db, "EXPLAIN QUERY PLAN SELECT * FROM events WHERE pid = 5", &a),
			SQLITE_OK);
		if (pid)
			assert_non_null(strstr(a, "USING INDEX events:pid"));
		else
			assert_null(strstr(a, "events:pid"));
		free(a);
		/* the worked question by pid and time takes the ts index */
		assert_int_equal(render(db,
					"EXPLAIN QUERY PLAN SELECT * FROM events WHERE pid = 5 "
					"AND ts BETWEEN 1000 AND 2000",
					&a),
				 SQLITE_OK);
		assert_non_null(strstr(a, pid ? "USING INDEX events:" : "USING INDEX events:ts"));
		free(a);
		assert_int_equal(render(db,
					"EXPLAIN QUERY PLAN SELECT * FROM open WHERE ts BETWEEN "
					"1000 AND 2000",
					&a),
				 SQLITE_OK);
		assert_non_null(strstr(a, "USING INDEX events:ts"));
		free(a);
		check_doc(db, "imported db");
		sqlite3_close(db);
		sqlite3_close(tape);
	}

	/* two tapes at once: the host and file columns, and every row, match */
	const char *two[] = {golden, golden2};

	snprintf(dbpath, sizeof(dbpath), "%s/golden-two.db", tmpdir);
	import_golden(dbpath, two, 2, 0, NULL);
	assert_int_equal(sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	tape = open_tapes(two, 2, NULL);
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		/* both tapes tell the same story: rows tie on the ORDER BY
		 * keys, so compare the rows as sorted sets */
		assert_int_equal(render(db, same[i], &a), SQLITE_OK);
		assert_int_equal(render(tape, same[i], &b), SQLITE_OK);
		sort_lines(a);
		sort_lines(b);
		if (strcmp(a, b))
			fail_msg("%s differs after importing two tapes", same[i]);
		assert_non_null(strstr(a, golden2));
		free(a);
		free(b);
	}
	sqlite3_close(db);
	sqlite3_close(tape);
}

/* @rel (under the source tree) from the test's directory or from build/tests/ */
static void source_path(char *out, size_t len, const char *rel)
{
	snprintf(out, len, "%s", rel);
	for (int up = 2; access(out, F_OK) && up <= 3; up++)
		if (snprintf(out, len, "%s/%s%s", self_dir, up == 2 ? "../../" : "../../../",
			     rel) >= (int)len)
			fail_msg("%s: path too long", rel);
}

/*
 * `processes` is one table, whether SQLite reads it from the tape or from
 * the database import wrote: the golden tapes of every kind, including
 * those whose events name pids the snapshot and lifecycle never did, and
 * the damaged ones (what is intact).
 */
static void test_import_processes(void **state)
{
	static const char *const names[] = {
		"format-valid.tape",	 "format-badfooter.tape", "format-crc.tape",
		"format-truncated.tape", "replay-basic.tape",
	};
	static const char *const sql = "SELECT * FROM processes ORDER BY pid";
	char dir[PATH_MAX], path[PATH_MAX + 64], dbpath[PATH_MAX + 32], err[512];

	(void)state;
	source_path(dir, sizeof(dir), "tests/golden");
	snprintf(dbpath, sizeof(dbpath), "%s/processes.db", tmpdir);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct qimport_opts opts = {.sz = sizeof(opts)};
		const char *paths[] = {path};
		struct qimport_stats st;
		struct qset *set;
		sqlite3 *db, *tape;
		char *a, *b;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(dbpath);
		set = qset__open(paths, 1, err, sizeof(err));
		if (!set)
			fail_msg("%s: %s", path, err);
		qset__skip_damage(set);
		assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
		if (qimport__run(db, set, &opts, &st, err, sizeof(err)))
			fail_msg("import %s: %s", path, err);
		qset__put(set);

		set = qset__open(paths, 1, err, sizeof(err));
		assert_non_null(set);
		qset__skip_damage(set);
		tape = NULL;
		assert_int_equal(sqlite3_open(":memory:", &tape), SQLITE_OK);
		if (qsql__attach(tape, set, &a) != SQLITE_OK)
			fail_msg("attach %s: %s", path, a);

		assert_int_equal(render(db, sql, &a), SQLITE_OK);
		assert_int_equal(render(tape, sql, &b), SQLITE_OK);
		if (strcmp(a, b))
			fail_msg("%s: processes differ\nimported:\n%squeried:\n%s", names[i], a, b);
		assert_true(strlen(a) > 0);
		/* the snapshot alone, where no lifecycle event adds to it */
		if (!scalar(tape,
			    "SELECT count(*) FROM types WHERE type IN ('fork', 'exec', 'exit')"))
			assert_int_equal(scalar(tape, "SELECT count(*) FROM processes"),
					 tape_reader__proc_count(qset__reader(set, 0)));
		qset__put(set);
		free(a);
		free(b);
		sqlite3_close(db);
		sqlite3_close(tape);
	}
}

static void test_import_verb(void **state)
{
	char dbpath[PATH_MAX + 32], *out, *err;
	char *argv[] = {"import", "-o", dbpath, golden, golden2, NULL};
	char *again[] = {"import", "-o", dbpath, golden, NULL};
	char *force[] = {"import", "--force", "-o", dbpath, golden, NULL};
	char *bad[] = {"import", "-o", dbpath, "/nonexistent.tape", NULL};
	char *pid[] = {"import", "--index", "pid,tid", "-o", dbpath, golden, NULL};
	char *badcol[] = {"import", "--index", "pid,nosuch", "-o", dbpath, golden, NULL};
	char *twice[] = {"import", "--index", "pid", "--index", "tid", "-o", dbpath, golden, NULL};
	char *chidx[] = {"import", "--index", "pid", "--clickhouse", "http://127.0.0.1:1",
			 golden,   NULL};
	struct stat sb;
	sqlite3 *db;

	(void)state;
	snprintf(dbpath, sizeof(dbpath), "%s/verb.db", tmpdir);
	unlink(dbpath);
	assert_int_equal(run_verb(cmd_import, 5, argv, &out, &err), 0);
	free(out);
	assert_non_null(strstr(err, "events into"));
	free(err);
	/* two tapes: host and file are columns */
	assert_int_equal(sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(scalar(db, "SELECT count(DISTINCT host) FROM events"), 2);
	assert_int_equal(scalar(db, "SELECT count(DISTINCT file) FROM open"), 2);
	sqlite3_close(db);
	/* an existing database is replaced, as every verb's output is
	 * (docs/USAGE.md, "Outputs"); --force is no option of any verb */
	assert_int_equal(run_verb(cmd_import, 5, force, &out, &err), 2);
	free(out);
	free(err);
	assert_int_equal(run_verb(cmd_import, 4, again, &out, &err), 0);
	free(out);
	free(err);
	assert_int_equal(sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(scalar(db, "SELECT count(*) FROM events WHERE pid = 1002"), 5);
	sqlite3_close(db);
	/* a failed import leaves nothing behind */
	unlink(dbpath);
	assert_int_not_equal(run_verb(cmd_import, 4, bad, &out, &err), 0);
	assert_non_null(strstr(err, "/nonexistent.tape"));
	free(out);
	free(err);
	assert_int_not_equal(stat(dbpath, &sb), 0);
	/* --index: the columns asked for, besides ts; a column events' rows
	 * do not store is named, and no database is left */
	assert_int_equal(run_verb(cmd_import, 6, pid, &out, &err), 0);
	free(out);
	free(err);
	assert_int_equal(sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(scalar(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' "
				    "AND name IN ('events:ts', 'events:pid', 'events:tid')"),
			 3);
	assert_int_equal(scalar(db, "SELECT count(*) FROM events WHERE pid = 1002"), 5);
	sqlite3_close(db);
	unlink(dbpath);
	assert_int_not_equal(run_verb(cmd_import, 6, badcol, &out, &err), 0);
	assert_non_null(strstr(err, "'nosuch'"));
	assert_non_null(strstr(err, "(ts, cpu, pid, tid, comm, type"));
	free(out);
	free(err);
	assert_int_not_equal(stat(dbpath, &sb), 0);
	assert_int_equal(run_verb(cmd_import, 8, twice, &out, &err), 2);
	free(out);
	free(err);
	assert_int_equal(run_verb(cmd_import, 6, chidx, &out, &err), 2);
	assert_non_null(strstr(err, "--index"));
	free(out);
	free(err);
}

/* Entries of @dir whose name starts with @prefix. */
static int count_prefixed(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += !strncmp(e->d_name, prefix, strlen(prefix));
	closedir(d);
	return n;
}

/*
 * An import interrupted while it builds the database leaves neither OUT
 * nor the file it was building (SQLite needs it to have a name): SIGTERM
 * removes it.  The signal must land while the work runs; a run that ended
 * first is tried again.
 */
static void test_import_interrupted(void **state)
{
	char dir[PATH_MAX + 16], dbpath[PATH_MAX + 48];
	char *argv[] = {"import", "-q", "-o", dbpath, big, NULL};
	bool caught = false;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/interrupted", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(dbpath, sizeof(dbpath), "%s/out.db", dir);
	for (int tries = 0; tries < 20 && !caught; tries++) {
		int status, seen = 0;
		pid_t pid;

		unlink(dbpath);
		fflush(NULL);
		pid = fork();
		assert_true(pid >= 0);
		if (!pid) {
			int null = open("/dev/null", O_WRONLY);

			dup2(null, 1);
			dup2(null, 2);
			_exit(cmd_import(5, argv));
		}
		for (int i = 0; i < 20000 && !seen; i++) {
			seen = count_prefixed(dir, ".out.db.");
			if (!seen)
				usleep(100);
		}
		kill(pid, SIGTERM);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		caught = seen && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM;
		if (caught) {
			assert_int_equal(count_prefixed(dir, ".out.db."), 0);
			assert_int_equal(access(dbpath, F_OK), -1);
		}
	}
	if (!caught)
		fail_msg("no import was still running when SIGTERM came");
	unlink(dbpath);
	rmdir(dir);
}

static void test_extension(void **state)
{
	sqlite3 *db;
	char *msg = NULL, *out, sql[3 * PATH_MAX];
	struct stat sb;

	(void)state;
	if (stat(ext_path, &sb))
		fail_msg("%s: %s (built by 'make')", ext_path, strerror(errno));
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	sqlite3_enable_load_extension(db, 1);
	/* without the suffix and entry point, as `.load build/bpftape_sqlite` */
	ext_path[strlen(ext_path) - 3] = '\0';
	if (sqlite3_load_extension(db, ext_path, NULL, &msg) != SQLITE_OK)
		fail_msg("load %s: %s", ext_path, msg);
	strcat(ext_path, ".so");
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM tape_events('%s')", golden);
	assert_int_equal(scalar(db, sql), 3597);
	snprintf(sql, sizeof(sql),
		 "SELECT pid, path, ret_str FROM tape_open('%s') WHERE ret < 0 ORDER BY ts",
		 golden);
	assert_int_equal(render(db, sql, &out), SQLITE_OK);
	assert_string_equal(out, "1002|/usr/include/missing.h|ENOENT\n"
				 "1002|/usr/local/include/missing.h|ENOENT\n");
	free(out);
	snprintf(sql, sizeof(sql),
		 "SELECT p.comm, count(*) FROM tape_exec('%s') e JOIN tape_processes('%s') p "
		 "USING (pid) GROUP BY 1 ORDER BY 1",
		 golden, golden);
	assert_int_equal(render(db, sql, &out), SQLITE_OK);
	assert_string_equal(out, "cc|2\nmake|1\n");
	free(out);
	/* tables over several tapes, and of any type, with CREATE VIRTUAL TABLE */
	snprintf(sql, sizeof(sql),
		 "CREATE VIRTUAL TABLE temp.o USING bpftape('%s', '%s', table=open);"
		 "SELECT host, count(*), sum(ret < 0) FROM o GROUP BY host ORDER BY host;",
		 golden, golden2);
	assert_int_equal(render(db, sql, &out), SQLITE_OK);
	assert_string_equal(out, "golden|7|2\ngolden2|7|2\n");
	free(out);
	snprintf(sql, sizeof(sql), "CREATE VIRTUAL TABLE temp.x USING bpftape('%s', table=nosuch)",
		 golden);
	assert_int_equal(render(db, sql, &out), SQLITE_ERROR);
	assert_non_null(strstr(out, "nosuch"));
	free(out);
	/* without its argument, a function says what it wants */
	assert_int_equal(render(db, "SELECT * FROM tape_events", &out), SQLITE_ERROR);
	assert_non_null(strstr(out, "tape_events('x.tape')"));
	free(out);
	assert_int_equal(render(db, "SELECT * FROM tape_meta('/nonexistent.tape')", &out),
			 SQLITE_ERROR);
	assert_non_null(strstr(out, "/nonexistent.tape"));
	free(out);
	sqlite3_close(db);
}

/*
 * A tape may declare 65535 event types (generic probes), most without events.
 * One CREATE VIRTUAL TABLE per type made opening such a tape take time
 * quadratic in the types (minutes): the tables must come from one schema
 * change, whatever their number, and still be all there.
 */
/* A tape of @ntypes types ("probe_N", then @extra names), ten fields each;
 * ten events on each of the first 30 types, two on the last. */
static void write_many_types(const char *path, int ntypes, const char *const *extra, int nextra)
{
	static const struct tape_field fields[] = {
		{"a", TAPE_U32, TAPE_DISP_DEFAULT, NULL}, {"b", TAPE_STR, TAPE_DISP_DEFAULT, NULL},
		{"c", TAPE_U32, TAPE_DISP_DEFAULT, NULL}, {"d", TAPE_U32, TAPE_DISP_DEFAULT, NULL},
		{"e", TAPE_U32, TAPE_DISP_DEFAULT, NULL}, {"f", TAPE_U32, TAPE_DISP_DEFAULT, NULL},
		{"g", TAPE_U32, TAPE_DISP_DEFAULT, NULL}, {"h", TAPE_U32, TAPE_DISP_DEFAULT, NULL},
		{"i", TAPE_U32, TAPE_DISP_DEFAULT, NULL}, {"j", TAPE_U32, TAPE_DISP_DEFAULT, NULL}};
	struct tape_writer *w = tape_writer__open(path, NULL);
	char name[32];

	assert_non_null(w);
	for (int i = 0; i < ntypes + nextra; i++) {
		struct tape_type t = {
			.name = name, .source = "", .format = "", .nfields = 10, .fields = fields};

		if (i < ntypes)
			snprintf(name, sizeof(name), "probe_%d", i);
		else
			snprintf(name, sizeof(name), "%s", extra[i - ntypes]);
		assert_int_equal(tape_writer__add_type(w, &t), i + 1);
	}
	for (int i = 0; i < 302; i++) {
		union tape_value v[10] = {{.u = (uint64_t)i}, {.b = {"x", 1}}};
		struct tape_event ev = {.ts = 1000 + (uint64_t)i,
					.pid = 1,
					.tid = 1,
					.type = (uint16_t)(i < 300 ? 1 + i % 30 : ntypes + nextra),
					.comm = "c",
					.values = v};

		assert_int_equal(tape_writer__append(w, &ev), 0);
	}
	assert_int_equal(tape_writer__finish(w), 0);
	tape_writer__free(w);
}

static void test_many_types(void **state)
{
	/* all the tables the rule allows; the extra two are renamed
	 * events_2 and probe_7_2 */
	enum { NTYPES = QSET_TYPE_TABLES_MAX - 2, MORE = QSET_TYPE_TABLES_MAX + 500 };
	char path[PATH_MAX + 32], dbpath[PATH_MAX + 32], *out;
	const char *const paths[] = {path};
	const char *extra[] = {"events", "Probe-7"};
	sqlite3 *db;

	(void)state;
	snprintf(path, sizeof(path), "%s/types.tape", tmpdir);
	write_many_types(path, NTYPES, extra, 2);
	db = open_tapes(paths, 1, NULL);
	/* each CREATE statement would have been one schema change */
	assert_true(scalar(db, "PRAGMA schema_version") <= 1);
	assert_int_equal(scalar(db, "SELECT count(*) FROM sqlite_master"), 6 + NTYPES + 2);
	assert_int_equal(render(db,
				"SELECT type, name, tbl_name, rootpage, sql FROM sqlite_master "
				"WHERE rowid IN (1, 5, 7, 1004, 1005, 1006) ORDER BY rowid",
				&out),
			 SQLITE_OK);
	assert_string_equal(out,
			    "table|events|events|0|CREATE VIRTUAL TABLE \"events\" USING "
			    "bpftape(\"events\")\n"
			    "table|types|types|0|CREATE VIRTUAL TABLE \"types\" USING "
			    "bpftape(\"types\")\n"
			    "table|probe_0|probe_0|0|CREATE VIRTUAL TABLE \"probe_0\" USING "
			    "bpftape(\"probe_0\")\n"
			    "table|probe_997|probe_997|0|CREATE VIRTUAL TABLE \"probe_997\" "
			    "USING bpftape(\"probe_997\")\n"
			    "table|events_2|events_2|0|CREATE VIRTUAL TABLE \"events_2\" USING "
			    "bpftape(\"events_2\")\n"
			    "table|probe_7_2|probe_7_2|0|CREATE VIRTUAL TABLE \"probe_7_2\" USING "
			    "bpftape(\"probe_7_2\")\n");
	free(out);
	assert_int_equal(scalar(db, "SELECT count(*) FROM events"), 302);
	assert_int_equal(scalar(db, "SELECT count(*) FROM probe_7"), 10);
	assert_int_equal(scalar(db, "SELECT count(*) FROM probe_7_2"), 2);
	assert_int_equal(scalar(db, "SELECT count(*) FROM probe_997"), 0);
	assert_int_equal(scalar(db, "SELECT count(*) FROM events_2"), 0);
	assert_int_equal(scalar(db, "SELECT sum(a) FROM probe_29"),
			 29 + 59 + 89 + 119 + 149 + 179 + 209 + 239 + 269 + 299);
	assert_int_equal(
		render(db, "SELECT group_concat(name) FROM pragma_table_info('probe_997')", &out),
		SQLITE_OK);
	assert_string_equal(out, "ts,time,cpu,pid,tid,comm,a,b,c,d,e,f,g,h,i,j,stack_id\n");
	free(out);
	sqlite3_close(db);

	/* imported: the same tables, and the types table's 10000 rows (more
	 * than one batch) */
	snprintf(dbpath, sizeof(dbpath), "%s/types.db", tmpdir);
	import_golden(dbpath, paths, 1, 0, NULL);
	assert_int_equal(sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(scalar(db, "SELECT count(*) FROM types"), 10 * (NTYPES + 2));
	assert_int_equal(scalar(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"),
			 6 + NTYPES + 2);
	assert_int_equal(scalar(db, "SELECT count(*) FROM probe_7_2"), 2);
	sqlite3_close(db);

	/* past the rule's limit: only the types with events have a table, in
	 * the query and in the import; types lists them all */
	write_many_types(path, MORE, extra, 2);
	db = open_tapes(paths, 1, NULL);
	assert_int_equal(scalar(db, "SELECT count(*) FROM sqlite_master"), 6 + 30 + 1);
	assert_int_equal(scalar(db, "SELECT count(DISTINCT type) FROM types"), MORE + 2);
	assert_int_equal(scalar(db, "SELECT count(*) FROM probe_7_2"), 2);
	assert_int_equal(render(db, "SELECT count(*) FROM probe_999", &out), SQLITE_ERROR);
	free(out);
	sqlite3_close(db);
	import_golden(dbpath, paths, 1, 0, NULL);
	assert_int_equal(sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(scalar(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"),
			 6 + 30 + 1);
	assert_int_equal(scalar(db, "SELECT count(DISTINCT type) FROM types"), MORE + 2);
	assert_int_equal(scalar(db, "SELECT sum(a) FROM probe_29"),
			 29 + 59 + 89 + 119 + 149 + 179 + 209 + 239 + 269 + 299);
	sqlite3_close(db);

	/* a type SQLite's reserved names would catch gets a prefix */
	{
		static const struct tape_field fd[] = {{"a", TAPE_U32, TAPE_DISP_DEFAULT, NULL}};
		struct tape_type t = {.name = "sqlite_stat1",
				      .source = "",
				      .format = "",
				      .nfields = 1,
				      .fields = fd};
		union tape_value v[1] = {{.u = 7}};
		struct tape_event ev = {
			.ts = 1000, .pid = 1, .tid = 1, .type = 1, .comm = "c", .values = v};
		struct tape_writer *w = tape_writer__open(path, NULL);

		assert_non_null(w);
		assert_int_equal(tape_writer__add_type(w, &t), 1);
		assert_int_equal(tape_writer__append(w, &ev), 0);
		assert_int_equal(tape_writer__finish(w), 0);
		tape_writer__free(w);
		db = open_tapes(paths, 1, NULL);
		assert_int_equal(scalar(db, "SELECT a FROM t_sqlite_stat1"), 7);
		sqlite3_close(db);
		import_golden(dbpath, paths, 1, 0, NULL);
		assert_int_equal(sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL),
				 SQLITE_OK);
		assert_int_equal(scalar(db, "SELECT a FROM t_sqlite_stat1"), 7);
		sqlite3_close(db);
	}

	/* over a database that has tables already: one statement per table */
	{
		struct qset *set;
		char err[512], *msg = NULL;

		set = qset__open((const char *const[]){golden}, 1, err, sizeof(err));
		assert_non_null(set);
		assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, "CREATE TABLE mine(x)", NULL, NULL, NULL),
				 SQLITE_OK);
		if (qsql__attach(db, set, &msg) != SQLITE_OK)
			fail_msg("attach: %s", msg);
		qset__put(set);
		assert_int_equal(scalar(db, "SELECT count(*) FROM sqlite_master"), 1 + 6 + 8);
		assert_true(scalar(db, "SELECT count(*) FROM open") > 0);
		sqlite3_close(db);
	}
}

static int setup(void **state)
{
	char err[512];

	(void)state;
	if (query_setup("test_query"))
		return -1;
	snprintf(big, sizeof(big), "%s/big.tape", tmpdir);
	if (qg_write(big, "golden", 200000, 0, err, sizeof(err))) {
		fprintf(stderr, "writing golden tapes: %s\n", err);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return query_teardown();
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_pushdown),
		cmocka_unit_test(test_index_only),
		cmocka_unit_test(test_several_tapes),
		cmocka_unit_test(test_by_type),
		cmocka_unit_test(test_query_verb),
		cmocka_unit_test(test_query_writes_nothing),
		cmocka_unit_test(test_corrupt_tape),
		cmocka_unit_test(test_schema_lost),
		cmocka_unit_test(test_queries_md),
		cmocka_unit_test(test_import),
		cmocka_unit_test(test_import_processes),
		cmocka_unit_test(test_import_verb),
		cmocka_unit_test(test_import_interrupted),
		cmocka_unit_test(test_extension),
		cmocka_unit_test(test_many_types),
	};
	char self[PATH_MAX];

	/* --write-golden PATH [HOST [FILLER]]: the fleet tests load several
	 * hosts' tapes, each with its own number of filler events */
	if (argc >= 3 && argc <= 5 && !strcmp(argv[1], "--write-golden")) {
		char err[512];

		if (qg_write(argv[2], argc > 3 ? argv[3] : "golden",
			     argc > 4 ? strtoull(argv[4], NULL, 10) : 0, 0, err, sizeof(err))) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		return 0;
	}
	/* the extension sits in the build directory, above build/tests/ */
	snprintf(self, sizeof(self), "%s", argv[0]);
	snprintf(self_dir, sizeof(self_dir), "%s", dirname(self));
	snprintf(ext_path, sizeof(ext_path), "%s/../bpftape_sqlite.so", self_dir);
	return cmocka_run_group_tests(tests, setup, teardown);
}
