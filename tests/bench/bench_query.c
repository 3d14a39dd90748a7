// SPDX-License-Identifier: MIT
/*
 * bench_query: SQL over a large tape (issue 5's figures).
 *
 *   - a one-second window of one pid on a 100-second tape: time, and chunks
 *     read against the tape's total (only the overlapping ones should be);
 *   - a full scan with GROUP BY type: rows/s (target >= 5 M/s);
 *   - import into SQLite: events/s (target >= 1 M/s), and SQLite's own time
 *     to build the same database from rows in memory (import within 1.3x).
 *
 * Environment: OUTPUT (build dir, for the scratch files), BENCH_QUERY_EVENTS
 * (default 10000000).  Prints figures; exits non-zero only on errors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "../query_golden.h"
#include "../../query/qimport.h"
#include "../../query/qsql.h"

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* CPU seconds of this process: on a shared machine the wall clock also
 * counts other people's work. */
static double cpu(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static long max_rss_mb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss / 1024;
}

static int one_int(sqlite3 *db, const char *sql, long long *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	}
	if (rc != SQLITE_OK)
		fprintf(stderr, "bench_query: %s: %s\n", sql, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc;
}

/* Step through every row; returns rows or -1. */
static long long drain(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	long long rows = 0;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "bench_query: %s: %s\n", sql, sqlite3_errmsg(db));
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		rows++;
	if (rc != SQLITE_DONE) {
		fprintf(stderr, "bench_query: %s: %s\n", sql, sqlite3_errmsg(db));
		rows = -1;
	}
	sqlite3_finalize(st);
	return rows;
}

/*
 * Opening a tape that declares TAPE_MAX_TYPES event types (generic probes),
 * few of them with events: the tables of all of them, then a query on one
 * type table, then one on events.  0 or -1.
 */
static int startup_figure(const char *outdir)
{
	static const struct tape_field fields[] = {{"a", TAPE_U32, TAPE_DISP_DEFAULT, NULL},
						   {"b", TAPE_STR, TAPE_DISP_DEFAULT, NULL}};
	char tape[4096], name[32], err[512], *msg = NULL;
	struct tape_writer *w;
	struct qset *set = NULL;
	sqlite3 *db = NULL;
	long long n = 0, m = 0;
	double t0, t1, t2;
	int ret = -1;

	snprintf(tape, sizeof(tape), "%s/bench-query-types.tape", outdir);
	w = tape_writer__open(tape, NULL);
	if (!w) {
		fprintf(stderr, "bench_query: %s: %s\n", tape, strerror(errno));
		return -1;
	}
	for (int i = 0; i < TAPE_MAX_TYPES; i++) {
		struct tape_type t = {
			.name = name, .source = "", .format = "", .nfields = 2, .fields = fields};

		snprintf(name, sizeof(name), "probe_%d", i);
		if (tape_writer__add_type(w, &t) != i + 1)
			goto fail;
	}
	for (int i = 0; i < 1000; i++) {
		union tape_value v[2] = {{.u = (uint64_t)i}, {.b = {"x", 1}}};
		struct tape_event ev = {.ts = 1000 + (uint64_t)i * 1000,
					.pid = 1,
					.tid = 1,
					.type = (uint16_t)(1 + i % 50),
					.comm = "c",
					.values = v};

		if (tape_writer__append(w, &ev))
			goto fail;
	}
	if (tape_writer__finish(w))
		goto fail;
	tape_writer__free(w);
	w = NULL;

	t0 = now();
	set = qset__open((const char *[]){tape}, 1, err, sizeof(err));
	if (!set) {
		fprintf(stderr, "bench_query: %s\n", err);
		goto cleanup;
	}
	if (sqlite3_open(":memory:", &db) != SQLITE_OK || qsql__attach(db, set, &msg)) {
		fprintf(stderr, "bench_query: attach: %s\n", msg ? msg : "?");
		goto cleanup;
	}
	if (one_int(db, "SELECT count(*) FROM probe_7", &n))
		goto cleanup;
	t1 = now();
	if (one_int(db, "SELECT count(*) FROM events", &m))
		goto cleanup;
	t2 = now();
	printf("bench_query: query startup with %d types: %.0f ms (open, attach, "
	       "SELECT count(*) FROM probe_7: %lld rows), then SELECT count(*) FROM events: "
	       "%.0f ms (%lld rows)\n",
	       TAPE_MAX_TYPES, (t1 - t0) * 1e3, n, (t2 - t1) * 1e3, m);
	ret = 0;
	goto cleanup;
fail:
	fprintf(stderr, "bench_query: writing %s: %s\n", tape, tape_writer__errmsg(w));
cleanup:
	tape_writer__free(w);
	sqlite3_free(msg);
	sqlite3_close(db);
	qset__put(set);
	unlink(tape);
	return ret;
}

/* ---- SQLite's own time for the database import builds ---- */

/* How `bpftape import` opens its database: one thread uses the
 * connection, so it takes no mutex per call (serialized mode's
 * sqlite3_bind_*() lock and unlock one: a sixth of a bench run's CPU). */
static int open_as_import(const char *path, sqlite3 **db)
{
	return sqlite3_open_v2(
		path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
}

/* The rows of one table, read back into memory: per value a tag (enum
 * qval_type), then 8 bytes of integer or 4 of length and the bytes. */
struct memtab {
	char *name;
	int ncols;
	size_t nrows;
	unsigned char *buf;
	size_t len, cap;
	bool events;	  /* "events:rows" or a "TYPE:fields": id first */
	bool auto_id;	  /* "events:rows": SQLite numbers the rows, as import lets it */
	size_t next, off; /* the next row to insert, and its offset */
	sqlite3_stmt *batch, *one;
};

static int mem_put(struct memtab *m, const void *p, size_t n)
{
	if (m->len + n > m->cap) {
		size_t nc = m->cap ? m->cap : 1 << 20;
		unsigned char *nb;

		while (nc < m->len + n)
			nc *= 2;
		nb = realloc(m->buf, nc);
		if (!nb)
			return -1;
		m->buf = nb;
		m->cap = nc;
	}
	memcpy(m->buf + m->len, p, n);
	m->len += n;
	return 0;
}

static int mem_read(sqlite3 *db, struct memtab *m)
{
	char *sql = sqlite3_mprintf("SELECT * FROM \"%w\"", m->name);
	sqlite3_stmt *st = NULL;
	int rc = sql ? sqlite3_prepare_v2(db, sql, -1, &st, NULL) : SQLITE_NOMEM;

	sqlite3_free(sql);
	if (rc != SQLITE_OK)
		return -1;
	m->ncols = sqlite3_column_count(st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int c = 0; c < m->ncols && rc == SQLITE_ROW; c++) {
			int t = sqlite3_column_type(st, c);
			unsigned char tag = t == SQLITE_INTEGER ? 1
					    : t == SQLITE_TEXT	? 2
					    : t == SQLITE_BLOB	? 3
								: 0;
			int64_t i = sqlite3_column_int64(st, c);
			const void *p = tag == 3 ? sqlite3_column_blob(st, c)
						 : (const void *)sqlite3_column_text(st, c);
			uint32_t n = (uint32_t)sqlite3_column_bytes(st, c);

			if (mem_put(m, &tag, 1) || (tag == 1 && mem_put(m, &i, 8)) ||
			    (tag >= 2 && (mem_put(m, &n, 4) || mem_put(m, p, n))))
				rc = SQLITE_NOMEM;
		}
		m->nrows++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* The offset of the row after the one at @o. */
static size_t mem_skip(const struct memtab *m, size_t o)
{
	for (int c = 0; c < m->ncols; c++) {
		unsigned char tag = m->buf[o++];
		uint32_t n;

		if (tag == 1) {
			o += 8;
		} else if (tag >= 2) {
			memcpy(&n, m->buf + o, 4);
			o += 4 + n;
		}
	}
	return o;
}

/* Bind the next row of @m at *@off to parameters @first.. of @st. */
static int mem_bind(sqlite3_stmt *st, int first, const struct memtab *m, size_t *off)
{
	int rc = SQLITE_OK;

	for (int c = 0; c < m->ncols && rc == SQLITE_OK; c++) {
		unsigned char tag = m->buf[(*off)++];
		int64_t i;
		uint32_t n;

		if (tag == 1) {
			memcpy(&i, m->buf + *off, 8);
			*off += 8;
			/* ids are 1..N in row order: NULL gives the same one */
			rc = c == 0 && m->auto_id ? sqlite3_bind_null(st, first)
						  : sqlite3_bind_int64(st, first + c, i);
		} else if (tag >= 2) {
			memcpy(&n, m->buf + *off, 4);
			*off += 4;
			rc = tag == 2 ? sqlite3_bind_text(st, first + c, (char *)m->buf + *off,
							  (int)n, SQLITE_STATIC)
				      : sqlite3_bind_blob(st, first + c, m->buf + *off, (int)n,
							  SQLITE_STATIC);
			*off += n;
		} else {
			rc = sqlite3_bind_null(st, first + c);
		}
	}
	return rc;
}

#define OWN_BATCH 32
#define OWN_BLOCK 8192

/* INSERT INTO @m of @rows rows. */
static sqlite3_stmt *mem_insert(sqlite3 *db, const struct memtab *m, int rows)
{
	sqlite3_str *s = sqlite3_str_new(db);
	sqlite3_stmt *st = NULL;
	char *sql;

	sqlite3_str_appendf(s, "INSERT INTO \"%w\" VALUES", m->name);
	for (int r = 0; r < rows; r++) {
		sqlite3_str_appendall(s, r ? ",(" : "(");
		for (int c = 0; c < m->ncols; c++)
			sqlite3_str_appendall(s, c ? ",?" : "?");
		sqlite3_str_appendall(s, ")");
	}
	sql = sqlite3_str_finish(s);
	if (!sql || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fprintf(stderr, "bench_query: %s: %s\n", m->name, sqlite3_errmsg(db));
	sqlite3_free(sql);
	return st;
}

/*
 * Insert the rows of @m from its cursor on, up to the row whose first
 * column (the event's id, in the event tables) passes @max_id: 32 rows per
 * statement, the last ones one by one, as import does with each batch.
 */
static int mem_load(sqlite3 *db, struct memtab *m, int64_t max_id)
{
	size_t end = m->next, off = m->off, r;
	int rc = SQLITE_OK;

	if (!m->batch &&
	    (!(m->batch = mem_insert(db, m, OWN_BATCH)) || !(m->one = mem_insert(db, m, 1))))
		return -1;
	/* the rows to insert: those whose id is at most @max_id */
	if (!m->events)
		end = m->nrows;
	for (size_t o = m->off; m->events && end < m->nrows; end++) {
		int64_t id;

		if (m->buf[o] != 1)
			break;
		memcpy(&id, m->buf + o + 1, 8);
		if (id > max_id)
			break;
		o = mem_skip(m, o);
	}
	for (r = m->next; rc == SQLITE_OK && r + OWN_BATCH <= end; r += OWN_BATCH) {
		for (int j = 0; j < OWN_BATCH && rc == SQLITE_OK; j++)
			rc = mem_bind(m->batch, 1 + j * m->ncols, m, &off);
		if (rc == SQLITE_OK && sqlite3_step(m->batch) != SQLITE_DONE)
			rc = SQLITE_ERROR;
		sqlite3_reset(m->batch);
	}
	for (; rc == SQLITE_OK && r < end; r++) {
		rc = mem_bind(m->one, 1, m, &off);
		if (rc == SQLITE_OK && sqlite3_step(m->one) != SQLITE_DONE)
			rc = SQLITE_ERROR;
		sqlite3_reset(m->one);
	}
	if (rc != SQLITE_OK)
		fprintf(stderr, "bench_query: own load of %s: %s\n", m->name, sqlite3_errmsg(db));
	m->next = end;
	m->off = off;
	return rc == SQLITE_OK ? 0 : -1;
}

/* Run the statements @st lists in column @col; with @line, append "what N.NN s"
 * of each to it. */
static int exec_all(sqlite3 *db, sqlite3_stmt *st, int col, char *line, size_t len)
{
	int rc;

	sqlite3_reset(st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *sql = (const char *)sqlite3_column_text(st, col);
		double c0 = cpu();

		if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
			fprintf(stderr, "bench_query: %.200s: %s\n", sql, sqlite3_errmsg(db));
			return -1;
		}
		if (line) {
			const char *on = strstr(sql, " ON ");

			snprintf(line + strlen(line), len - strlen(line), ", %s %.2f s",
				 on ? on + 4 : sql, cpu() - c0);
		}
	}
	return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * SQLite's own time to build the database import built at @dbpath: the
 * same tables, views and indexes (its schema, read back), the same rows
 * (read back into memory first, untimed), inserted with prepared
 * statements of 32 rows in one transaction, import's settings, the
 * indexes before the load if import made them so (@early).  Nothing of
 * bpftape runs while it is timed: the floor import is measured against.
 */
static int sqlite_own(const char *dbpath, const char *outdir, bool early, double *secs,
		      double *cpus, char *line, size_t len)
{
	char path[4096];
	sqlite3 *src = NULL, *db = NULL;
	sqlite3_stmt *tabs = NULL, *views = NULL, *idx = NULL;
	struct memtab *m = NULL;
	size_t nm = 0;
	double t0, c0;
	int ret = -1;

	snprintf(path, sizeof(path), "%s/bench-query-own.db", outdir);
	unlink(path);
	if (sqlite3_open_v2(dbpath, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(src,
			       "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
			       "ORDER BY rowid",
			       -1, &tabs, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(src,
			       "SELECT sql FROM sqlite_master WHERE type = 'view' ORDER BY rowid",
			       -1, &views, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(src,
			       "SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT "
			       "NULL ORDER BY rowid",
			       -1, &idx, NULL) != SQLITE_OK) {
		fprintf(stderr, "bench_query: %s: %s\n", dbpath, sqlite3_errmsg(src));
		goto cleanup;
	}
	while (sqlite3_step(tabs) == SQLITE_ROW) {
		struct memtab *nmt = realloc(m, (nm + 1) * sizeof(*m));

		if (!nmt)
			goto cleanup;
		m = nmt;
		memset(&m[nm], 0, sizeof(m[nm]));
		m[nm].name = strdup((const char *)sqlite3_column_text(tabs, 0));
		m[nm].events = m[nm].name && (!strcmp(m[nm].name, "events:rows") ||
					      strstr(m[nm].name, ":fields"));
		m[nm].auto_id = m[nm].name && !strcmp(m[nm].name, "events:rows");
		if (!m[nm].name || mem_read(src, &m[nm++])) {
			fprintf(stderr, "bench_query: reading back %s: %s\n", dbpath,
				sqlite3_errmsg(src));
			goto cleanup;
		}
	}
	if (open_as_import(path, &db) != SQLITE_OK)
		goto cleanup;
	qimport__tune(db);
	t0 = now();
	c0 = cpu();
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    exec_all(db, tabs, 1, NULL, 0) || exec_all(db, views, 0, NULL, 0) ||
	    (early && exec_all(db, idx, 0, NULL, 0)))
		goto cleanup;
	/* the events in import's order: each block of 8192 events, its rows
	 * of events:rows then those of each type table; then the others */
	for (int64_t upto = OWN_BLOCK;; upto += OWN_BLOCK) {
		bool more = false;

		for (size_t i = 0; i < nm; i++) {
			if (!m[i].events)
				continue;
			if (mem_load(db, &m[i], upto))
				goto cleanup;
			more |= m[i].next < m[i].nrows;
		}
		if (!more)
			break;
	}
	for (size_t i = 0; i < nm; i++)
		if (!m[i].events && mem_load(db, &m[i], INT64_MAX))
			goto cleanup;
	snprintf(line + strlen(line), len - strlen(line), ", rows %.2f s", cpu() - c0);
	if ((!early && exec_all(db, idx, 0, line, len)) ||
	    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto cleanup;
	*secs = now() - t0;
	*cpus = cpu() - c0;
	ret = 0;
cleanup:
	if (ret)
		fprintf(stderr, "bench_query: SQLite's own build: %s\n",
			db ? sqlite3_errmsg(db) : "cannot start");
	for (size_t i = 0; i < nm; i++) {
		sqlite3_finalize(m[i].batch);
		sqlite3_finalize(m[i].one);
		free(m[i].name);
		free(m[i].buf);
	}
	free(m);
	sqlite3_finalize(tabs);
	sqlite3_finalize(views);
	sqlite3_finalize(idx);
	sqlite3_close(src);
	sqlite3_close(db);
	unlink(path);
	return ret;
}

int main(void)
{
	const char *outdir = getenv("OUTPUT") ?: "build";
	const char *nev = getenv("BENCH_QUERY_EVENTS");
	uint64_t filler = nev ? strtoull(nev, NULL, 10) : 10000000;
	char tape[4096], dbpath[4096], err[512], sql[512], *msg = NULL;
	struct tape_cursor_stats st;
	struct qimport_stats is;
	struct qset *set = NULL;
	sqlite3 *db = NULL, *out = NULL;
	long long n = 0, total;
	double t0, t, c0, c;
	int ret = 1;

	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(tape, sizeof(tape), "%s/bench-query.tape", outdir);
	snprintf(dbpath, sizeof(dbpath), "%s/bench-query.db", outdir);

	t0 = now();
	if (qg_write_long(tape, "bench", filler, 0, 100, false, err, sizeof(err))) {
		fprintf(stderr, "bench_query: writing %s: %s\n", tape, err);
		goto cleanup;
	}
	t = now() - t0;
	set = qset__open((const char *[]){tape}, 1, err, sizeof(err));
	if (!set) {
		fprintf(stderr, "bench_query: %s\n", err);
		goto cleanup;
	}
	total = (long long)qset__event_count(set);
	printf("bench_query: tape %lld events, %zu chunks, %.1f MB (%.2f B/event), written in "
	       "%.2f s\n",
	       total, tape_reader__chunk_count(qset__reader(set, 0)),
	       tape_reader__file_size(qset__reader(set, 0)) / 1e6,
	       (double)tape_reader__file_size(qset__reader(set, 0)) / total, t);
	if (sqlite3_open(":memory:", &db) != SQLITE_OK || qsql__attach(db, set, &msg)) {
		fprintf(stderr, "bench_query: attach: %s\n", msg ? msg : "?");
		goto cleanup;
	}

	/* one second in the middle of the tape, one filler pid */
	uint64_t a = QG_BOOT_TS + 50 * QG_SEC, b = a + QG_SEC - 1;

	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM events WHERE pid = 3005 AND ts BETWEEN %llu AND %llu",
		 (unsigned long long)a, (unsigned long long)b);
	qset__take_stats(set, &st);
	t0 = now();
	if (one_int(db, sql, &n))
		goto cleanup;
	t = now() - t0;
	qset__take_stats(set, &st);
	printf("bench_query: pid + 1 s window: %lld rows in %.2f ms, chunks read %llu of %zu "
	       "(skipped %llu), %.1f KB read\n",
	       n, t * 1e3, (unsigned long long)st.chunks_read,
	       tape_reader__chunk_count(qset__reader(set, 0)),
	       (unsigned long long)st.chunks_skipped, st.bytes_read / 1e3);

	/* full scans: the wall clock and this process's CPU time (the machine
	 * may be shared) */
	static const struct {
		const char *what, *sql;
	} scans[] = {
		{"full scan GROUP BY type (counts from the index, target >= 5 M/s)",
		 "SELECT type, count(*) FROM events GROUP BY type"},
		{"full scan GROUP BY type decoding every event (count(comm))",
		 "SELECT type, count(comm) FROM events GROUP BY type"},
		{"full scan sum(pid), no sort", "SELECT sum(pid) FROM events"},
		{"full scan over the args JSON",
		 "SELECT count(*) FROM events WHERE args LIKE '%EACCES%'"},
	};
	for (size_t i = 0; i < sizeof(scans) / sizeof(scans[0]); i++) {
		t0 = now();
		c0 = cpu();
		if (drain(db, scans[i].sql) < 0)
			goto cleanup;
		t = now() - t0;
		c = cpu() - c0;
		printf("bench_query: %s: %.2f s = %.2f M rows/s (CPU %.2f s = %.2f M rows/s), "
		       "max RSS %ld MB\n",
		       scans[i].what, t, total / t / 1e6, c, total / c / 1e6, max_rss_mb());
	}

	unlink(dbpath);
	if (open_as_import(dbpath, &out) != SQLITE_OK) {
		fprintf(stderr, "bench_query: %s: %s\n", dbpath, sqlite3_errmsg(out));
		goto cleanup;
	}
	qimport__tune(out);
	t0 = now();
	c0 = cpu();
	if (qimport__run(out, set, NULL, &is, err, sizeof(err))) {
		fprintf(stderr, "bench_query: import: %s\n", err);
		goto cleanup;
	}
	t = now() - t0;
	c = cpu() - c0;
	sqlite3_close(out);
	out = NULL;
	printf("bench_query: import: %llu events (+%llu type-table rows, indexes) in %.2f s = "
	       "%.2f M events/s (CPU %.2f s = %.2f M events/s; target >= 1)\n",
	       (unsigned long long)is.events, (unsigned long long)is.type_rows, t,
	       is.events / t / 1e6, c, is.events / c / 1e6);

	/* the database answers like the tape (its indexes were built during
	 * the load at this size) */
	long long in_db, in_tape;

	if (sqlite3_open_v2(dbpath, &out, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    one_int(out, sql, &in_db) || one_int(db, sql, &in_tape))
		goto cleanup;
	if (in_db != in_tape) {
		fprintf(stderr, "bench_query: %s: %lld rows in the database, %lld in the tape\n",
			sql, in_db, in_tape);
		goto cleanup;
	}
	sqlite3_close(out);
	out = NULL;
	double own, own_cpu;
	char phases[1024] = "";

	if (sqlite_own(dbpath, outdir, is.early_indexes, &own, &own_cpu, phases, sizeof(phases)))
		goto cleanup;
	printf("bench_query: SQLite's own build of the same database (same schema, rows from "
	       "memory, 32-row prepared inserts, one transaction, same pragmas, indexes %s the "
	       "load): %.2f s = %.2f M events/s (CPU %.2f s); import/SQLite: %.2fx wall, %.2fx "
	       "CPU (target <= 1.3); CPU by step%s\n",
	       is.early_indexes ? "before" : "after", own, is.events / own / 1e6, own_cpu, t / own,
	       c / own_cpu, phases);
	if (startup_figure(outdir))
		goto cleanup;
	ret = 0;
cleanup:
	sqlite3_free(msg);
	sqlite3_close(out);
	sqlite3_close(db);
	qset__put(set);
	if (!getenv("BENCH_KEEP"))
		unlink(tape);
	unlink(dbpath);
	return ret;
}
