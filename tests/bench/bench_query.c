// SPDX-License-Identifier: MIT
/*
 * bench_query: SQL over a large tape (issue 5's figures).
 *
 *   - a one-second window of one pid on a 100-second tape: time, and chunks
 *     read against the tape's total (only the overlapping ones should be);
 *   - a full scan with GROUP BY type: rows/s (target >= 5 M/s);
 *   - import into SQLite: events/s into `events` (target >= 1 M/s).
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
#include "qimport.h"
#include "qsql.h"

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

/*
 * What SQLite alone needs for the `events` part of an import: the rows
 * already decoded, in a temporary table in memory, copied into a fresh
 * database with import's settings, then its three indexes.  No decoding,
 * binding or type tables: a ceiling for import's events/s on this machine.
 */
static int sqlite_ceiling(sqlite3 *db, const char *outdir)
{
	static const char *const steps[] = {
		"INSERT INTO c.events SELECT * FROM temp.src",
		"CREATE INDEX c.events_ts ON events(ts)",
		"CREATE INDEX c.events_pid ON events(pid)",
		"CREATE INDEX c.events_type ON events(type)",
	};
	double secs[4], t0, c0, total = 0, cpu_total = 0;
	char path[4096], *sql;
	long long rows = 0;
	int rc;

	snprintf(path, sizeof(path), "%s/bench-query-ceiling.db", outdir);
	unlink(path);
	sql = sqlite3_mprintf(
		"ATTACH %Q AS c; PRAGMA c.page_size=65536; PRAGMA c.journal_mode=OFF;"
		"PRAGMA c.synchronous=OFF; PRAGMA c.cache_size=-131072;"
		"PRAGMA temp_store=MEMORY;"
		"CREATE TEMP TABLE src AS SELECT ts, time, cpu, pid, tid, comm, type, "
		"args FROM events;"
		"CREATE TABLE c.events AS SELECT * FROM temp.src WHERE 0; BEGIN",
		path);
	rc = sql ? sqlite3_exec(db, sql, NULL, NULL, NULL) : SQLITE_NOMEM;
	sqlite3_free(sql);
	if (rc != SQLITE_OK || one_int(db, "SELECT count(*) FROM temp.src", &rows)) {
		fprintf(stderr, "bench_query: ceiling: %s\n", sqlite3_errmsg(db));
		return -1;
	}
	for (size_t i = 0; i < 4; i++) {
		t0 = now();
		c0 = cpu();
		if (sqlite3_exec(db, steps[i], NULL, NULL, NULL) != SQLITE_OK) {
			fprintf(stderr, "bench_query: %s: %s\n", steps[i], sqlite3_errmsg(db));
			return -1;
		}
		secs[i] = now() - t0;
		total += secs[i];
		cpu_total += cpu() - c0;
	}
	sqlite3_exec(db, "COMMIT; DETACH c; DROP TABLE temp.src", NULL, NULL, NULL);
	unlink(path);
	printf("bench_query: SQLite alone, %lld events already decoded into `events` with its "
	       "3 indexes (no type tables): %.2f s = %.2f M events/s (CPU %.2f s); rows %.2f s, "
	       "ts %.2f s, pid %.2f s, type %.2f s\n",
	       rows, total, rows / total / 1e6, cpu_total, secs[0], secs[1], secs[2], secs[3]);
	return 0;
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
	if (qg_write_long(tape, "bench", filler, 0, 100, err, sizeof(err))) {
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
	if (sqlite3_open(dbpath, &out) != SQLITE_OK) {
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
	if (sqlite_ceiling(db, outdir) || startup_figure(outdir))
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
