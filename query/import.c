// SPDX-License-Identifier: MIT
/*
 * bpftape import: the tables of `bpftape query` as real tables in a SQLite
 * file.  One pass over the events fills `events` and the per-type tables
 * together, in one transaction with prepared statements, BATCH rows per
 * statement step.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "qimport.h"
#include "qtab_int.h"
#include "verbs.h"

/* Copies of scan-buffer values, one per column, so that every value can be
 * bound SQLITE_STATIC: no allocation per value. */
struct colbuf {
	char *p;
	size_t cap;
};

/* Rows go in BATCH at a time: one statement step per BATCH rows spares
 * SQLite most of its per-statement work. */
#define BATCH 32

/* From this many events, indexes are created before the load. */
#define EARLY_INDEX_EVENTS 3000000

struct itable {
	struct qtable *t;
	sqlite3_stmt *insert; /* one row, for the last rows */
	sqlite3_stmt *batch;  /* BATCH rows */
	int nstored;	      /* columns stored: the not hidden ones */
	int pending;	      /* rows waiting in @vals */
	struct qval *vals;    /* BATCH * nstored */
	struct colbuf *bufs;  /* BATCH * nstored: copies of their bytes */
};

struct importer {
	sqlite3 *db;
	struct qset *set;
	struct itable *tabs; /* events, fixed tables, then one per type */
	size_t ntabs;
	/* per tape: type id -> index into @tabs of its type table (0: none) */
	uint32_t **type_tab;
	char *err;
	size_t errlen;
	struct qimport_stats st;
};

static int sql_error(struct importer *im, const char *what)
{
	snprintf(im->err, im->errlen, "%s: %s", what, sqlite3_errmsg(im->db));
	return -EIO;
}

static int exec(struct importer *im, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(im->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(im->err, im->errlen, "%s: %s", sql, msg ? msg : sqlite3_errmsg(im->db));
		sqlite3_free(msg);
		return -EIO;
	}
	return 0;
}

static int add_table(struct importer *im, struct qtable *t)
{
	struct itable *nt;

	if (!t)
		return -ENOMEM;
	nt = realloc(im->tabs, (im->ntabs + 1) * sizeof(*nt));
	if (!nt) {
		qtable__free(t);
		return -ENOMEM;
	}
	im->tabs = nt;
	memset(&im->tabs[im->ntabs], 0, sizeof(im->tabs[im->ntabs]));
	im->tabs[im->ntabs].t = t;
	im->ntabs++;
	return 0;
}

/* CREATE TABLE and the INSERT statement for one table. */
static int create_table(struct importer *im, struct itable *it)
{
	char *ddl = qtable__ddl(it->t, "main", false);
	int ret;

	if (!ddl)
		return -ENOMEM;
	ret = exec(im, ddl);
	free(ddl);
	return ret;
}

/*
 * The INSERT statements and row buffers of a table, made for its first row:
 * a BATCH-row statement of a wide table costs hundreds of KiB, and a tape
 * may declare 65535 types, most of them without events.
 */
static int prepare_insert(struct importer *im, struct itable *it)
{
	const struct qtable *t = it->t;
	char *sql = NULL, *p;
	size_t cap;
	int ret = 0, n = 0;

	/* column names come from the tape: count them, do not assume a length */
	cap = strlen(t->name) + 64 + (size_t)BATCH * (2 * t->ncols + 4);
	for (int c = 0; c < t->ncols; c++)
		cap += strlen(t->cols[c].name) + 3;
	sql = malloc(cap);
	if (!sql) {
		ret = -ENOMEM;
		goto cleanup;
	}
	p = sql + sprintf(sql, "INSERT INTO main.\"%s\"", t->name);
	p += sprintf(p, "(");
	for (int c = 0; c < t->ncols; c++) {
		if (t->cols[c].hidden)
			continue;
		p += sprintf(p, "%s\"%s\"", n++ ? "," : "", t->cols[c].name);
	}
	p += sprintf(p, ") VALUES");
	it->nstored = n;
	for (int r = 0; r < BATCH; r++) {
		if (r == 1) {
			/* the one-row statement is the batch's first row */
			strcpy(p, "");
			if (sqlite3_prepare_v3(im->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
					       &it->insert, NULL) != SQLITE_OK) {
				ret = sql_error(im, t->name);
				goto cleanup;
			}
		}
		p += sprintf(p, r ? ",(" : "(");
		for (int c = 0; c < n; c++)
			p += sprintf(p, c ? ",?" : "?");
		p += sprintf(p, ")");
	}
	if (sqlite3_prepare_v3(im->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &it->batch, NULL) !=
	    SQLITE_OK) {
		ret = sql_error(im, t->name);
		goto cleanup;
	}
	it->vals = calloc((size_t)BATCH * n, sizeof(*it->vals));
	it->bufs = calloc((size_t)BATCH * n, sizeof(*it->bufs));
	if (!it->vals || !it->bufs) {
		free(it->vals);
		free(it->bufs);
		it->vals = NULL;
		it->bufs = NULL;
		ret = -ENOMEM;
	}
cleanup:
	free(sql);
	return ret;
}

/* Keep @v for row @r, column @k: bytes the scan will reuse are copied. */
static int keep_val(struct itable *it, int r, int k, const struct qval *v)
{
	struct qval *dst = &it->vals[r * it->nstored + k];

	*dst = *v;
	if ((v->t == QV_TEXT || v->t == QV_BLOB) && !v->stable) {
		struct colbuf *b = &it->bufs[r * it->nstored + k];

		if (b->cap < (size_t)v->n + 1) {
			size_t nc = (size_t)v->n + 64;
			char *np = realloc(b->p, nc);

			if (!np)
				return -ENOMEM;
			b->p = np;
			b->cap = nc;
		}
		memcpy(b->p, v->p, v->n);
		dst->p = b->p;
	}
	return 0;
}

static int bind_val(sqlite3_stmt *st, int i, const struct qval *v)
{
	/* kept values stay put until the statement ran */
	switch (v->t) {
	case QV_INT:
		return sqlite3_bind_int64(st, i, v->i);
	case QV_TEXT:
		return sqlite3_bind_text(st, i, v->p, v->n, SQLITE_STATIC);
	case QV_BLOB:
		return sqlite3_bind_blob(st, i, v->p, v->n, SQLITE_STATIC);
	default:
		return sqlite3_bind_null(st, i);
	}
}

/* Insert the kept rows: BATCH in one step, or fewer one by one. */
static int flush_rows(struct importer *im, struct itable *it)
{
	int n = it->nstored;

	if (it->pending == BATCH) {
		for (int i = 0; i < BATCH * n; i++)
			if (bind_val(it->batch, i + 1, &it->vals[i]) != SQLITE_OK)
				return sql_error(im, it->t->name);
		if (sqlite3_step(it->batch) != SQLITE_DONE)
			return sql_error(im, it->t->name);
		sqlite3_reset(it->batch);
	} else {
		for (int r = 0; r < it->pending; r++) {
			for (int k = 0; k < n; k++)
				if (bind_val(it->insert, k + 1, &it->vals[r * n + k]) != SQLITE_OK)
					return sql_error(im, it->t->name);
			if (sqlite3_step(it->insert) != SQLITE_DONE)
				return sql_error(im, it->t->name);
			sqlite3_reset(it->insert);
		}
	}
	it->pending = 0;
	return 0;
}

/* Add the current row of @scan to @it, columns from @t's view. */
static int insert_row(struct importer *im, struct itable *it, struct qscan *scan, bool of_event)
{
	const struct qtable *t = it->t;
	struct qval v;
	int k = 0, ret;

	if (!it->vals) {
		ret = prepare_insert(im, it);
		if (ret)
			return ret;
	}
	for (int c = 0; c < t->ncols; c++) {
		if (t->cols[c].hidden)
			continue;
		ret = of_event ? qscan__column_of(scan, t, c, &v) : qscan__column(scan, c, &v);
		ret = ret ?: keep_val(it, it->pending, k++, &v);
		if (ret)
			return ret;
	}
	if (++it->pending == BATCH)
		return flush_rows(im, it);
	return 0;
}

static int map_types(struct importer *im, size_t first_type_tab, char **types, int ntypes)
{
	size_t n = qset__count(im->set);

	im->type_tab = calloc(n, sizeof(*im->type_tab));
	if (!im->type_tab)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct tape_reader *r = qset__reader(im->set, i);
		unsigned max = tape_reader__max_type(r);

		im->type_tab[i] = calloc(max + 1, sizeof(**im->type_tab));
		if (!im->type_tab[i])
			return -ENOMEM;
		for (unsigned id = 1; id <= max; id++) {
			const struct tape_type *tp = tape_reader__type(r, id);

			for (int k = 0; tp && k < ntypes; k++)
				if (!strcmp(types[k], tp->name))
					im->type_tab[i][id] = first_type_tab + k;
		}
	}
	return 0;
}

static int load_events(struct importer *im, qimport_progress_fn progress, void *ctx)
{
	struct itable *events = &im->tabs[0];
	struct qscan *scan;
	uint64_t total = qset__event_count(im->set);
	int ret;

	scan = qscan__new(im->set, events->t, NULL, im->err, im->errlen);
	if (!scan)
		return -errno;
	ret = qset__proctab_begin(im->set);
	if (ret) {
		snprintf(im->err, im->errlen, "process snapshot: %s", strerror(-ret));
		goto cleanup;
	}
	while ((ret = qscan__next(scan)) > 0) {
		const struct tape_event *ev = qscan__event(scan);
		uint32_t k = 0;

		ret = insert_row(im, events, scan, true);
		if (ret)
			goto cleanup;
		if (ev->tp && ev->source < qset__count(im->set) &&
		    ev->type <= tape_reader__max_type(qset__reader(im->set, ev->source)))
			k = im->type_tab[ev->source][ev->type];
		if (k) {
			ret = insert_row(im, &im->tabs[k], scan, true);
			if (ret)
				goto cleanup;
			im->st.type_rows++;
		}
		ret = qset__is_lifecycle(ev) ? qset__proctab_apply(im->set, ev) : 0;
		if (ret) {
			snprintf(im->err, im->errlen, "process table: %s", strerror(-ret));
			goto cleanup;
		}
		if (!(++im->st.events & 0xffff) && progress)
			progress(ctx, "events", im->st.events, total);
	}
	if (ret < 0) {
		snprintf(im->err, im->errlen, "%s", qscan__errmsg(scan));
		goto cleanup;
	}
	for (size_t i = 0; i < im->ntabs && !ret; i++)
		ret = flush_rows(im, &im->tabs[i]);
	if (ret)
		goto cleanup;
	qset__proctab_end(im->set);
	if (progress)
		progress(ctx, "events", im->st.events, total);
cleanup:
	qscan__free(scan);
	return ret;
}

static int load_table(struct importer *im, struct itable *it)
{
	struct qscan *scan = qscan__new(im->set, it->t, NULL, im->err, im->errlen);
	int ret;

	if (!scan)
		return -errno;
	while ((ret = qscan__next(scan)) > 0) {
		ret = insert_row(im, it, scan, false);
		if (ret)
			break;
		im->st.other_rows++;
	}
	if (!ret)
		ret = flush_rows(im, it);
	if (ret < 0 && !im->err[0])
		snprintf(im->err, im->errlen, "%s: %s", it->t->name, qscan__errmsg(scan));
	qscan__free(scan);
	return ret;
}

static int create_indexes(struct importer *im, size_t first_type_tab, qimport_progress_fn progress,
			  void *ctx)
{
	static const char *const cols[] = {"ts", "pid", "type"};
	uint64_t total = 3 + (im->ntabs - first_type_tab), done = 0;
	int ret = 0;

	for (size_t i = 0; i < im->ntabs && !ret; i++) {
		const struct qtable *t = im->tabs[i].t;

		if (i != 0 && i < first_type_tab)
			continue;
		for (size_t c = 0; c < 3 && !ret; c++) {
			char *sql;

			/* type tables: ts only; pid is the costly sort, and
			 * events(pid) finds a process's events of any type */
			if (c > 0 && t->kind != QT_EVENTS)
				continue;
			sql = sqlite3_mprintf("CREATE INDEX main.\"%w_%s\" ON \"%w\"(\"%s\")",
					      t->name, cols[c], t->name, cols[c]);
			if (!sql)
				return -ENOMEM;
			if (progress)
				progress(ctx, "indexes", done, total);
			ret = exec(im, sql);
			sqlite3_free(sql);
			done++;
		}
	}
	if (progress && !ret)
		progress(ctx, "indexes", done, total);
	return ret;
}

int qimport__run(sqlite3 *db, struct qset *set, const struct qimport_opts *opts,
		 struct qimport_stats *st, char *err, size_t errlen)
{
	qimport_progress_fn progress = opts ? opts->progress : NULL;
	void *ctx = opts ? opts->ctx : NULL;
	uint64_t early_from =
		opts && opts->early_index_events ? opts->early_index_events : EARLY_INDEX_EVENTS;
	static const enum qtab_kind fixed[] = {QT_PROCESSES, QT_LOSSES, QT_META, QT_TYPES};
	struct importer im = {.db = db, .set = set, .err = err, .errlen = errlen};
	bool multi = qset__count(set) > 1;
	char **names = NULL, **types = NULL;
	int ntypes = 0, ret;
	size_t first_type_tab;

	err[0] = '\0';
	ret = add_table(&im, qtable__new(QT_EVENTS, QL_QUERY, multi));
	for (size_t i = 0; i < 4 && !ret; i++)
		ret = add_table(&im, qtable__new(fixed[i], QL_QUERY, multi));
	if (ret)
		goto cleanup;
	first_type_tab = im.ntabs;
	ntypes = qset__type_tables(set, &names, &types);
	if (ntypes < 0) {
		ret = ntypes;
		ntypes = 0;
		goto cleanup;
	}
	for (int i = 0; i < ntypes && !ret; i++)
		ret = add_table(&im, qtable__new_type(set, names[i], types[i], QL_QUERY, multi));
	ret = ret ?: map_types(&im, first_type_tab, types, ntypes);
	if (ret)
		goto cleanup;
	ret = exec(&im, "BEGIN");
	for (size_t i = 0; i < im.ntabs && !ret; i++)
		ret = create_table(&im, &im.tabs[i]);
	/*
	 * CREATE INDEX after the load sorts: n log n, and for pid the
	 * comparisons fall through to the rowid.  Rows come in ts order, so
	 * an index that exists during the load only appends to a few hot
	 * pages per key: linear.  Measured here, the sort wins below a few
	 * million events and loses above.
	 */
	bool early = qset__event_count(set) >= early_from;

	if (early)
		ret = ret ?: create_indexes(&im, first_type_tab, NULL, NULL);
	ret = ret ?: load_events(&im, progress, ctx);
	for (size_t i = 1; i < first_type_tab && !ret; i++)
		ret = load_table(&im, &im.tabs[i]);
	if (!early)
		ret = ret ?: create_indexes(&im, first_type_tab, progress, ctx);
	ret = ret ?: exec(&im, "COMMIT");
	im.st.tables = im.ntabs;
	if (st)
		*st = im.st;
cleanup:
	if (ret == -ENOMEM && !err[0])
		snprintf(err, errlen, "out of memory");
	for (size_t i = 0; i < im.ntabs; i++) {
		struct itable *it = &im.tabs[i];

		sqlite3_finalize(it->insert);
		sqlite3_finalize(it->batch);
		for (int c = 0; it->bufs && c < BATCH * it->nstored; c++)
			free(it->bufs[c].p);
		free(it->bufs);
		free(it->vals);
		qtable__free(it->t);
	}
	for (size_t i = 0; im.type_tab && i < qset__count(set); i++)
		free(im.type_tab[i]);
	free(im.type_tab);
	free(im.tabs);
	qnames__free(names, ntypes);
	qnames__free(types, ntypes);
	if (ret && sqlite3_get_autocommit(db) == 0)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return ret;
}

void qimport__tune(sqlite3 *db)
{
	/* nothing to protect until the file is complete: no journal, no syncs */
	sqlite3_exec(db,
		     "PRAGMA page_size=65536; PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
		     "PRAGMA locking_mode=EXCLUSIVE; PRAGMA cache_size=-131072;"
		     "PRAGMA temp_store=MEMORY; PRAGMA mmap_size=2147418112;",
		     NULL, NULL, NULL);
}

/* ---- the verb ---- */

static void usage(FILE *f)
{
	fprintf(f, "Usage: bpftape import [--force] -o OUT.db FILE...\n"
		   "\n"
		   "Write the tables of 'bpftape query' (events, one per event type,\n"
		   "processes, losses, meta, types) into a plain SQLite database, with\n"
		   "indexes on ts, pid and type, for sqlite3, Python or a notebook.\n"
		   "\n"
		   "Options:\n"
		   "  -o, --output OUT.db   the database to write\n"
		   "  -f, --force           replace OUT.db if it exists\n"
		   "  -q, --quiet           no progress line\n"
		   "  -h, --help            this help\n"
		   "\n"
		   "EXAMPLES:\n"
		   "  bpftape import -o incident.db incident.tape\n"
		   "  bpftape import --force -o fleet.db web1.tape web2.tape\n"
		   "  sqlite3 incident.db 'SELECT comm, count(*) FROM open GROUP BY comm'\n");
}

struct progress {
	bool tty;
	struct timespec start;
};

static double since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void show_progress(void *ctx, const char *phase, uint64_t done, uint64_t total)
{
	struct progress *p = ctx;
	double s = since(&p->start);

	if (!p->tty)
		return;
	fprintf(stderr, "\rbpftape import: %s %llu/%llu (%.0f%%), %.1f s   ", phase,
		(unsigned long long)done, (unsigned long long)total,
		total ? 100.0 * done / total : 100.0, s);
}

int cmd_import(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'},
		{"force", no_argument, NULL, 'f'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct progress prog = {.tty = isatty(STDERR_FILENO)};
	struct qimport_stats st = {0};
	const char *out = NULL;
	char *tmp = NULL, err[1024];
	struct qset *set = NULL;
	sqlite3 *db = NULL;
	bool force = false;
	struct stat sb;
	int opt, ret = 1;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "o:fqh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			out = optarg;
			break;
		case 'f':
			force = true;
			break;
		case 'q':
			prog.tty = false;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!out || optind >= argc) {
		fprintf(stderr, "bpftape import: %s\n",
			out ? "no tape given" : "no -o OUT.db given");
		usage(stderr);
		return 2;
	}
	if (!force && stat(out, &sb) == 0) {
		fprintf(stderr, "bpftape import: %s exists; use --force to replace it\n", out);
		return 1;
	}
	/* one thread: SQLite need not count allocations under a mutex */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	clock_gettime(CLOCK_MONOTONIC, &prog.start);
	set = qset__open((const char *const *)argv + optind, argc - optind, err, sizeof(err));
	if (!set) {
		fprintf(stderr, "bpftape import: %s\n", err);
		goto cleanup;
	}
	/* build next to OUT and rename at the end: a failed import leaves no
	 * half-written database behind, and --force keeps the old one until then */
	if (asprintf(&tmp, "%s.tmp-%d", out, (int)getpid()) < 0) {
		tmp = NULL;
		fprintf(stderr, "bpftape import: out of memory\n");
		goto cleanup;
	}
	unlink(tmp);
	if (sqlite3_open_v2(tmp, &db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		fprintf(stderr, "bpftape import: %s: %s\n", tmp,
			db ? sqlite3_errmsg(db) : "out of memory");
		goto cleanup;
	}
	qimport__tune(db);
	struct qimport_opts io = {.sz = sizeof(io), .progress = show_progress, .ctx = &prog};

	if (qimport__run(db, set, &io, &st, err, sizeof(err))) {
		if (prog.tty)
			fputc('\n', stderr);
		fprintf(stderr, "bpftape import: %s\n", err);
		goto cleanup;
	}
	if (sqlite3_close(db) != SQLITE_OK) {
		fprintf(stderr, "bpftape import: %s: %s\n", tmp, sqlite3_errmsg(db));
		goto cleanup;
	}
	db = NULL;
	if (rename(tmp, out)) {
		fprintf(stderr, "bpftape import: rename %s to %s: %s\n", tmp, out, strerror(errno));
		goto cleanup;
	}
	if (prog.tty)
		fputc('\n', stderr);
	double s = since(&prog.start);
	fprintf(stderr,
		"bpftape import: %llu events into %s (%zu tables, %llu type rows) in %.2f s, "
		"%.2f M events/s\n",
		(unsigned long long)st.events, out, st.tables, (unsigned long long)st.type_rows, s,
		s > 0 ? st.events / s / 1e6 : 0.0);
	ret = 0;
cleanup:
	sqlite3_close(db);
	if (ret && tmp)
		unlink(tmp);
	free(tmp);
	qset__put(set);
	return ret;
}
