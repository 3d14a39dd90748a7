/* SPDX-License-Identifier: MIT */
/*
 * What the SQL tests (test_query.c, test_query_stacks.c) share: a
 * temporary directory with the golden story's tapes (query_golden.h, which
 * the query benchmark also includes, so these cmocka helpers live apart
 * from it), rows of a statement as text, as sqlite3's list mode prints
 * them, a single value, and a connection with `bpftape query`'s tables
 * over some tapes.
 */
#ifndef BPFTAPE_TESTS_QUERY_UTIL_H
#define BPFTAPE_TESTS_QUERY_UTIL_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../query/qsql.h"
#include "query_golden.h"

static char tmpdir[PATH_MAX];
static char golden[PATH_MAX + 32];   /* the golden story, recorded on "golden" */
static char golden2[PATH_MAX + 32];  /* the same story recorded on "golden2" */
static char ext_path[PATH_MAX + 64]; /* build/bpftape_sqlite.so, set by main() */

/* For a group setup: a new temporary directory /tmp/@name.XXXXXX holding
 * golden and golden2.  0, or -1 (said on stderr). */
static inline int query_setup(const char *name)
{
	char err[512];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/%s.XXXXXX", name);
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(golden, sizeof(golden), "%s/golden.tape", tmpdir);
	snprintf(golden2, sizeof(golden2), "%s/golden2.tape", tmpdir);
	if (qg_write(golden, "golden", 0, 0, err, sizeof(err)) ||
	    qg_write(golden2, "golden2", 0, 0, err, sizeof(err))) {
		fprintf(stderr, "writing golden tapes: %s\n", err);
		return -1;
	}
	return 0;
}

/* For a group teardown: the directory goes, with all in it. */
static inline int query_teardown(void)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

struct text {
	char *p;
	size_t len, cap;
};

static inline void text_put(struct text *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		t->cap = (t->len + n + 1) * 2;
		t->p = realloc(t->p, t->cap);
		assert_non_null(t->p);
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

/*
 * Rows of @sql as sqlite3's list mode prints them: columns joined by '|',
 * NULL as empty.  Returns the SQLite result code; *@out (malloc'd) gets the
 * text, or the error message.
 */
static inline int render(sqlite3 *db, const char *sql, char **out)
{
	struct text t = {0};
	const char *tail = sql;
	int rc = SQLITE_OK;

	text_put(&t, "", 0);
	while (tail && *tail && rc == SQLITE_OK) {
		sqlite3_stmt *st = NULL;

		rc = sqlite3_prepare_v2(db, tail, -1, &st, &tail);
		if (rc != SQLITE_OK || !st)
			break;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			for (int c = 0; c < sqlite3_column_count(st); c++) {
				const char *v = (const char *)sqlite3_column_text(st, c);

				if (c)
					text_put(&t, "|", 1);
				if (v)
					text_put(&t, v, strlen(v));
			}
			text_put(&t, "\n", 1);
		}
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
		sqlite3_finalize(st);
	}
	if (rc != SQLITE_OK) {
		t.len = 0;
		text_put(&t, sqlite3_errmsg(db), strlen(sqlite3_errmsg(db)));
	}
	*out = t.p;
	return rc;
}

/* render()'s rows of @sql (malloc'd); fails the test on an SQL error. */
static inline char *rows(sqlite3 *db, const char *sql)
{
	char *out;

	if (render(db, sql, &out) != SQLITE_OK)
		fail_msg("%s: %s", sql, out);
	return out;
}

static inline int64_t scalar(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) != SQLITE_ROW)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* A connection with the tables over @paths. */
static inline sqlite3 *open_tapes(const char *const *paths, size_t n, struct qset **set_out)
{
	struct qset *set;
	char err[512], *msg = NULL;
	sqlite3 *db = NULL;

	set = qset__open(paths, n, err, sizeof(err));
	if (!set)
		fail_msg("qset__open: %s", err);
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	if (qsql__attach(db, set, &msg) != SQLITE_OK)
		fail_msg("attach: %s", msg);
	if (set_out)
		*set_out = set;
	else
		qset__put(set);
	return db;
}

#endif
