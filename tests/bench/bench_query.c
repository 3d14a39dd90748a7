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
