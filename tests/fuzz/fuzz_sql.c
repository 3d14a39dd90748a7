// SPDX-License-Identifier: MIT
/*
 * Fuzz the SQL tables over any tape: open the bytes as a tape the way
 * `bpftape query` does, then run a fixed set of statements that reach every
 * table (events with args, each per-type table, processes, losses, meta,
 * types) with and without the constraints vtab.c pushes down (ts, time,
 * pid, tid, type).  The extension's table-valued functions read the same
 * tape through their own path, and `import` copies it into a database.  Whatever the bytes: no
 * crash, no leak, and every error is an SQLite error, not an abort.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../query/qimport.h"
#include "../../query/qsql.h"
#include "../../query/qtab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A row budget per statement keeps one input from running for minutes. */
#define MAX_ROWS 5000

static const char *const fixed_sql[] = {
	"SELECT * FROM events",
	"SELECT ts, time, cpu, pid, tid, comm, type, args FROM events WHERE ts >= 1000 AND ts <= "
	"3000000000 AND pid IN (101, 200, 0) ORDER BY ts DESC",
	"SELECT type, count(*) FROM events GROUP BY type",
	"SELECT count(*) FROM events WHERE type = 'exec' OR type = 'open'",
	"SELECT json_extract(args, '$.path'), json_valid(args) FROM events WHERE tid = 101 OR tid "
	"> 5",
	"SELECT * FROM events WHERE time >= '1970-01-01' AND time < '2100-01-01'",
	"SELECT * FROM events WHERE ts > 18446744073709551615 OR ts < -1",
	"SELECT * FROM events WHERE type IN ('exec', 'exit', 'fork', 'nosuch') AND pid = 1",
	"SELECT * FROM processes",
	"SELECT pid, argv FROM processes WHERE exit_ts IS NOT NULL ORDER BY start_ts",
	"SELECT * FROM losses",
	"SELECT sum(count) FROM losses WHERE cpu = 0",
	"SELECT * FROM meta",
	"SELECT value FROM meta WHERE key = 'host.name'",
	"SELECT * FROM types",
	"SELECT type, count(*) FROM types GROUP BY type",
	"SELECT e.type, p.comm FROM events e JOIN processes p ON e.pid = p.pid LIMIT 200",
	"SELECT * FROM frames",
	"SELECT * FROM frames WHERE stack_id = 1",
	"SELECT e.type, f.depth, f.symbol FROM events e JOIN frames f ON f.stack_id = e.stack_id "
	"LIMIT 200",
};

/* ...and a budget of VM steps (thousands) keeps a sort from doing so. */
#define MAX_STEPS 20000
static int steps;

static int progress_cb(void *arg)
{
	(void)arg;
	return ++steps > MAX_STEPS;
}

static void run(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int rows = 0;

	steps = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return;
	while (rows++ < MAX_ROWS && sqlite3_step(st) == SQLITE_ROW) {
		for (int i = 0; i < sqlite3_column_count(st); i++) {
			switch (sqlite3_column_type(st, i)) {
			case SQLITE_TEXT: {
				const unsigned char *t = sqlite3_column_text(st, i);
				int n = sqlite3_column_bytes(st, i);

				/* touch every byte so ASan sees a bad length */
				for (volatile int k = 0; t && k < n; k++)
					(void)t[k];
				break;
			}
			case SQLITE_BLOB: {
				const unsigned char *b = sqlite3_column_blob(st, i);
				int n = sqlite3_column_bytes(st, i);

				for (volatile int k = 0; b && k < n; k++)
					(void)b[k];
				break;
			}
			default:
				(void)sqlite3_column_int64(st, i);
			}
		}
	}
	sqlite3_finalize(st);
}

/* Every per-type table, whole and with the constraints pushed down. */
static void run_type_tables(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	char *names[64];
	int n = 0;

	if (sqlite3_prepare_v2(
		    db,
		    "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT IN "
		    "('events', 'processes', 'losses', 'meta', 'types', 'frames') ORDER BY name",
		    -1, &st, NULL) != SQLITE_OK)
		return;
	while (n < 64 && sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);

		if (name && !(names[n] = strdup(name)))
			break;
		n += !!name;
	}
	sqlite3_finalize(st);
	for (int i = 0; i < n; i++) {
		char *sql = sqlite3_mprintf("SELECT * FROM \"%w\"", names[i]);

		if (sql)
			run(db, sql);
		sqlite3_free(sql);
		sql = sqlite3_mprintf("SELECT * FROM \"%w\" WHERE ts BETWEEN 1 AND 2000000000 AND "
				      "pid = 101 AND tid >= 0 ORDER BY ts DESC",
				      names[i]);
		if (sql)
			run(db, sql);
		sqlite3_free(sql);
		free(names[i]);
	}
}

static void run_attached(const char *path)
{
	const char *paths[] = {path, path};
	struct qset *set;
	sqlite3 *db = NULL;
	char err[512], *errmsg = NULL;

	/* one tape, then the same tape twice (the multi-tape layout) */
	for (size_t ntapes = 1; ntapes <= 2; ntapes++) {
		set = qset__open(paths, ntapes, err, sizeof(err));
		if (!set)
			return;
		if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
				    NULL) != SQLITE_OK)
			goto next;
		sqlite3_progress_handler(db, 1000, progress_cb, NULL);
		if (qsql__attach(db, set, &errmsg) != SQLITE_OK)
			goto next;
		if (ntapes == 1) {
			for (size_t i = 0; i < sizeof(fixed_sql) / sizeof(fixed_sql[0]); i++)
				run(db, fixed_sql[i]);
			run_type_tables(db);
		} else {
			run(db, "SELECT file, host, count(*) FROM events GROUP BY file, host");
			run(db, "SELECT * FROM events WHERE file = 'nosuch' OR host = ''");
			run(db, "SELECT * FROM processes WHERE file IS NOT NULL LIMIT 100");
		}
next:
		sqlite3_free(errmsg);
		errmsg = NULL;
		sqlite3_close(db);
		db = NULL;
		qset__put(set);
	}
}

static void run_functions(const char *path)
{
	static const char *const fn_sql[] = {
		"SELECT * FROM tape_events(%Q) WHERE ts > 10 AND pid = 101",
		"SELECT * FROM tape_processes(%Q)",
		"SELECT * FROM tape_losses(%Q)",
		"SELECT * FROM tape_meta(%Q)",
		"SELECT * FROM tape_types(%Q)",
		"SELECT * FROM tape_frames(%Q)",
		"SELECT * FROM tape_exec(%Q)",
		"SELECT * FROM tape_open(%Q) WHERE ts >= 0",
	};
	sqlite3 *db = NULL;
	char *errmsg = NULL;

	if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK)
		goto cleanup;
	sqlite3_progress_handler(db, 1000, progress_cb, NULL);
	if (qsql__register_functions(db, &errmsg) != SQLITE_OK)
		goto cleanup;
	for (size_t i = 0; i < sizeof(fn_sql) / sizeof(fn_sql[0]); i++) {
		char *sql = sqlite3_mprintf(fn_sql[i], path);

		if (sql)
			run(db, sql);
		sqlite3_free(sql);
	}
	{
		char *sql = sqlite3_mprintf("CREATE VIRTUAL TABLE t USING bpftape(%Q, table=exec)",
					    path);

		if (sql && sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK)
			run(db, "SELECT * FROM t");
		sqlite3_free(sql);
	}
cleanup:
	sqlite3_free(errmsg);
	sqlite3_close(db);
}

/* `bpftape import` into memory, then the imported tables read back. */
static void run_import(const char *path)
{
	struct qimport_stats st;
	struct qset *set;
	sqlite3 *db = NULL;
	char err[512];

	set = qset__open(&path, 1, err, sizeof(err));
	if (!set)
		return;
	if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) ==
		    SQLITE_OK &&
	    qimport__run(db, set, NULL, &st, err, sizeof(err)) == 0) {
		run(db, "SELECT * FROM events");
		run(db, "SELECT * FROM processes");
		run_type_tables(db);
	}
	sqlite3_close(db);
	qset__put(set);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd = memfd_create("tape", 0);

	if (fd < 0)
		return 0;
	if (size && write(fd, data, size) != (ssize_t)size)
		goto cleanup;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	run_attached(path);
	run_functions(path);
	run_import(path);
cleanup:
	close(fd);
	return 0;
}
