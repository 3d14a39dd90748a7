// SPDX-License-Identifier: MIT
/*
 * bpftape import: the tables of `bpftape query` as real tables in a SQLite
 * file.  One pass over the events fills `events` and the per-type tables
 * together, in one transaction with prepared statements, BATCH rows per
 * statement step.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "grow.h"
#include "names.h"
#include "qimport.h"
#include "qtab_int.h"
#include "verbs.h"

/* Rows go in BATCH at a time: one statement step per BATCH rows spares
 * SQLite most of its per-statement work. */
#define BATCH 32

/* From this many events, indexes are created before the load. */
#define EARLY_INDEX_EVENTS 3000000

/*
 * The events are decoded by a second thread, which hands the rows over in
 * batches of PIPE_EVENTS events (or PIPE_BYTES of copied text), two batches
 * in flight: decoding and SQLite's inserts overlap, and memory stays bounded.
 */
#define PIPE_EVENTS 8192
#define PIPE_BYTES  (4u << 20)

/* One value of a row in a batch. */
struct pval {
	int64_t i;     /* QV_INT; for bytes with @p NULL, their offset in the batch */
	const void *p; /* bytes that live as long as the set, or NULL */
	int n;
	uint8_t t; /* enum qval_type */
};

/* The rows of one table in a batch: where each row's values start. */
struct rowlist {
	size_t *first;
	size_t n, cap;
};

struct rowbatch {
	struct pval *vals;
	size_t nvals, capvals;
	char *bytes;
	size_t nbytes, capbytes;
	struct rowlist *rows; /* one per table */
	uint64_t events, type_rows;
};

struct itable {
	struct qtable *t;
	sqlite3_stmt *insert; /* one row, for the last rows */
	sqlite3_stmt *batch;  /* BATCH rows */
	int nstored;	      /* columns stored: the not hidden ones */
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

static bool stored(const struct qcol *c)
{
	return !c->hidden;
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
 * The INSERT statements of a table, made for its first row: a BATCH-row
 * statement of a wide table costs hundreds of KiB, and a tape may declare
 * 65535 types, most of them without events.
 */
static int prepare_insert(struct importer *im, struct itable *it)
{
	const struct qtable *t = it->t;
	char *sql = NULL, *p;
	size_t cap;
	int ret = 0, n = 0;

	/* column names come from the tape: count them, do not assume a length */
	cap = 2 * strlen(t->name) + 64 + (size_t)BATCH * (2 * t->ncols + 4);
	for (int c = 0; c < t->ncols; c++)
		cap += 2 * strlen(t->cols[c].name) + 3;
	sql = malloc(cap);
	if (!sql)
		return -ENOMEM;
	p = sql + sprintf(sql, "INSERT INTO main.\"%s\"", t->name);
	p += sprintf(p, "(");
	for (int c = 0; c < t->ncols; c++) {
		if (stored(&t->cols[c]))
			p += sprintf(p, "%s\"%s\"", n++ ? "," : "", t->cols[c].name);
	}
	p += sprintf(p, ") VALUES");
	it->nstored = n;
	for (int r = 0; r < BATCH; r++) {
		if (r == 1 && sqlite3_prepare_v3(im->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
						 &it->insert, NULL) != SQLITE_OK) {
			/* the one-row statement is the batch's first row */
			ret = sql_error(im, t->name);
			goto cleanup;
		}
		p += sprintf(p, r ? ",(" : "(");
		for (int c = 0; c < n; c++)
			p += sprintf(p, c ? ",?" : "?");
		p += sprintf(p, ")");
	}
	if (sqlite3_prepare_v3(im->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &it->batch, NULL) !=
	    SQLITE_OK)
		ret = sql_error(im, t->name);
cleanup:
	free(sql);
	return ret;
}

/* ---- batches of rows ---- */

static void batch_clear(struct rowbatch *b, size_t ntabs)
{
	b->nvals = b->nbytes = 0;
	b->events = b->type_rows = 0;
	for (size_t i = 0; i < ntabs; i++)
		b->rows[i].n = 0;
}

static void batch_free(struct rowbatch *b, size_t ntabs)
{
	for (size_t i = 0; b->rows && i < ntabs; i++)
		free(b->rows[i].first);
	free(b->rows);
	free(b->vals);
	free(b->bytes);
	memset(b, 0, sizeof(*b));
}

static int batch_init(struct rowbatch *b, size_t ntabs)
{
	memset(b, 0, sizeof(*b));
	b->rows = calloc(ntabs, sizeof(*b->rows));
	return b->rows ? 0 : -ENOMEM;
}

/* Add the current row of @scan as a row of table @k, columns from @t's view. */
static int batch_add(struct rowbatch *b, size_t k, const struct qtable *t, struct qscan *scan,
		     bool of_event)
{
	struct rowlist *rl = &b->rows[k];
	struct qval v;
	int ret;

	if (array_grow(&rl->first, &rl->cap, rl->n, sizeof(*rl->first), 256) ||
	    array_grow(&b->vals, &b->capvals, b->nvals + t->ncols, sizeof(*b->vals), 4096))
		return -ENOMEM;
	rl->first[rl->n++] = b->nvals;
	for (int c = 0; c < t->ncols; c++) {
		struct pval *dst;

		if (!stored(&t->cols[c]))
			continue;
		ret = of_event ? qscan__column_of(scan, t, c, &v) : qscan__column(scan, c, &v);
		if (ret)
			return ret;
		dst = &b->vals[b->nvals++];
		*dst = (struct pval){.t = v.t};
		if (v.t == QV_INT)
			dst->i = v.i;
		if (v.t != QV_TEXT && v.t != QV_BLOB)
			continue;
		dst->n = v.n;
		dst->p = v.p;
		if (!v.stable) {
			/* bytes the scan will reuse: copied, found by offset
			 * since the buffer may move */
			if (array_grow(&b->bytes, &b->capbytes, b->nbytes + v.n, 1, 65536))
				return -ENOMEM;
			memcpy(b->bytes + b->nbytes, v.p, v.n);
			dst->i = (int64_t)b->nbytes;
			dst->p = NULL;
			b->nbytes += v.n;
		}
	}
	return 0;
}

static int bind_val(sqlite3_stmt *st, int i, const struct pval *v, const char *bytes)
{
	/* the batch stays put until the statement ran */
	switch (v->t) {
	case QV_INT:
		return sqlite3_bind_int64(st, i, v->i);
	case QV_TEXT:
		return sqlite3_bind_text(st, i, v->p ? v->p : bytes + v->i, v->n, SQLITE_STATIC);
	case QV_BLOB:
		return sqlite3_bind_blob(st, i, v->p ? v->p : bytes + v->i, v->n, SQLITE_STATIC);
	default:
		return sqlite3_bind_null(st, i);
	}
}

/* Insert the rows of @b: BATCH per step, the last ones one by one. */
static int batch_insert(struct importer *im, const struct rowbatch *b)
{
	for (size_t k = 0; k < im->ntabs; k++) {
		const struct rowlist *rl = &b->rows[k];
		struct itable *it = &im->tabs[k];
		size_t r = 0;
		int n, ret;

		if (!rl->n)
			continue;
		if (!it->batch && (ret = prepare_insert(im, it)))
			return ret;
		n = it->nstored;
		for (; r + BATCH <= rl->n; r += BATCH) {
			for (int j = 0; j < BATCH; j++)
				for (int c = 0; c < n; c++)
					if (bind_val(it->batch, j * n + c + 1,
						     &b->vals[rl->first[r + j] + c],
						     b->bytes) != SQLITE_OK)
						return sql_error(im, it->t->name);
			if (sqlite3_step(it->batch) != SQLITE_DONE)
				return sql_error(im, it->t->name);
			sqlite3_reset(it->batch);
		}
		for (; r < rl->n; r++) {
			for (int c = 0; c < n; c++)
				if (bind_val(it->insert, c + 1, &b->vals[rl->first[r] + c],
					     b->bytes) != SQLITE_OK)
					return sql_error(im, it->t->name);
			if (sqlite3_step(it->insert) != SQLITE_DONE)
				return sql_error(im, it->t->name);
			sqlite3_reset(it->insert);
		}
	}
	return 0;
}

/* Per tape, type id -> the index in im->tabs of its table (0: none), from
 * @tab_of: the tables' indexes by type name. */
static int map_types(struct importer *im, const struct names *tab_of)
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

			if (tp)
				im->type_tab[i][id] = tape__names_find(tab_of, tp->name);
		}
	}
	return 0;
}

/* The decoding thread and the inserting one, and the two batches between. */
struct pipe {
	struct importer *im;
	struct qscan *scan;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct rowbatch b[2];
	bool full[2];
	bool done; /* the decoder has handed over its last batch */
	bool stop; /* the inserter failed: the decoder stops */
	int ret;   /* the decoder's: 0 or -errno, with @err */
	char err[512];
};

/* Decode events into @b until it is full: 1, 0 at the end, or -errno. */
static int fill_events(struct pipe *pp, struct rowbatch *b)
{
	struct importer *im = pp->im;
	struct itable *events = &im->tabs[0];
	int ret;

	while (b->events < PIPE_EVENTS && b->nbytes < PIPE_BYTES) {
		const struct tape_event *ev;
		uint32_t k = 0;

		ret = qscan__next(pp->scan);
		if (ret < 0)
			snprintf(pp->err, sizeof(pp->err), "%s", qscan__errmsg(pp->scan));
		if (ret <= 0)
			return ret;
		ev = qscan__event(pp->scan);
		ret = batch_add(b, 0, events->t, pp->scan, true);
		if (ret)
			return ret;
		b->events++;
		if (ev->tp && ev->source < qset__count(im->set) &&
		    ev->type <= tape_reader__max_type(qset__reader(im->set, ev->source)))
			k = im->type_tab[ev->source][ev->type];
		if (k) {
			ret = batch_add(b, k, im->tabs[k].t, pp->scan, true);
			if (ret)
				return ret;
			b->type_rows++;
		}
		ret = qset__proctab_apply(im->set, ev);
		if (ret) {
			snprintf(pp->err, sizeof(pp->err), "process table: %s", strerror(-ret));
			return ret;
		}
	}
	return 1;
}

static void *decode_events(void *arg)
{
	struct pipe *pp = arg;
	int slot = 0, ret;

	for (;;) {
		struct rowbatch *b = &pp->b[slot];
		bool stop;

		pthread_mutex_lock(&pp->mu);
		while (pp->full[slot] && !pp->stop)
			pthread_cond_wait(&pp->cv, &pp->mu);
		stop = pp->stop;
		pthread_mutex_unlock(&pp->mu);
		if (stop) {
			ret = 0;
			break;
		}
		batch_clear(b, pp->im->ntabs);
		ret = fill_events(pp, b);
		pthread_mutex_lock(&pp->mu);
		pp->full[slot] = b->events > 0 && ret >= 0;
		pthread_cond_broadcast(&pp->cv);
		pthread_mutex_unlock(&pp->mu);
		if (ret <= 0)
			break;
		slot ^= 1;
	}
	pthread_mutex_lock(&pp->mu);
	pp->ret = ret < 0 ? ret : 0;
	pp->done = true;
	pthread_cond_broadcast(&pp->cv);
	pthread_mutex_unlock(&pp->mu);
	return NULL;
}

/* Insert the batches of the decoding thread as they come. */
static int insert_events(struct importer *im, struct pipe *pp, qimport_progress_fn progress,
			 void *ctx)
{
	uint64_t total = qset__event_count(im->set);
	int slot = 0, ret = 0;

	for (;;) {
		uint64_t before;
		bool have;

		pthread_mutex_lock(&pp->mu);
		while (!pp->full[slot] && !pp->done)
			pthread_cond_wait(&pp->cv, &pp->mu);
		have = pp->full[slot];
		pthread_mutex_unlock(&pp->mu);
		if (!have)
			break;
		ret = batch_insert(im, &pp->b[slot]);
		before = im->st.events;
		im->st.events += pp->b[slot].events;
		im->st.type_rows += pp->b[slot].type_rows;
		pthread_mutex_lock(&pp->mu);
		pp->full[slot] = false;
		pp->stop = ret != 0;
		pthread_cond_broadcast(&pp->cv);
		pthread_mutex_unlock(&pp->mu);
		if (ret)
			break;
		/* a line every 65536 events is enough */
		if (progress && im->st.events >> 16 != before >> 16)
			progress(ctx, "events", im->st.events, total);
		slot ^= 1;
	}
	if (!ret && progress)
		progress(ctx, "events", im->st.events, total);
	return ret;
}

static int load_events(struct importer *im, qimport_progress_fn progress, void *ctx)
{
	struct pipe pp = {.im = im};
	pthread_t tid;
	int ret, err;

	ret = batch_init(&pp.b[0], im->ntabs) ?: batch_init(&pp.b[1], im->ntabs);
	if (ret)
		goto cleanup;
	pp.scan = qscan__new(im->set, im->tabs[0].t, NULL, im->err, im->errlen);
	if (!pp.scan) {
		ret = -errno;
		goto cleanup;
	}
	ret = qset__proctab_begin(im->set);
	if (ret) {
		snprintf(im->err, im->errlen, "process snapshot: %s", strerror(-ret));
		goto cleanup;
	}
	pthread_mutex_init(&pp.mu, NULL);
	pthread_cond_init(&pp.cv, NULL);
	err = pthread_create(&tid, NULL, decode_events, &pp);
	if (err) {
		snprintf(im->err, im->errlen, "cannot start the decoding thread: %s",
			 strerror(err));
		ret = -err;
	} else {
		ret = insert_events(im, &pp, progress, ctx);
		pthread_join(tid, NULL);
		if (!ret && pp.ret) {
			ret = pp.ret;
			snprintf(im->err, im->errlen, "%s", pp.err);
		}
	}
	pthread_cond_destroy(&pp.cv);
	pthread_mutex_destroy(&pp.mu);
	if (!ret)
		qset__proctab_end(im->set);
cleanup:
	qscan__free(pp.scan);
	batch_free(&pp.b[0], im->ntabs);
	batch_free(&pp.b[1], im->ntabs);
	return ret;
}

/* A small table (processes, losses, meta, types), in this thread. */
static int load_table(struct importer *im, size_t k)
{
	struct qscan *scan = qscan__new(im->set, im->tabs[k].t, NULL, im->err, im->errlen);
	struct rowbatch b;
	int ret;

	if (!scan)
		return -errno;
	ret = batch_init(&b, im->ntabs);
	for (bool more = !ret; more;) {
		batch_clear(&b, im->ntabs);
		while (more && b.rows[k].n < PIPE_EVENTS && b.nbytes < PIPE_BYTES) {
			ret = qscan__next(scan);
			more = ret > 0;
			if (more)
				ret = batch_add(&b, k, im->tabs[k].t, scan, false);
			more = more && !ret;
		}
		if (ret >= 0 && b.rows[k].n) {
			im->st.other_rows += b.rows[k].n;
			ret = batch_insert(im, &b);
			more = more && !ret;
		}
	}
	if (ret < 0 && !im->err[0])
		snprintf(im->err, im->errlen, "%s: %s", im->tabs[k].t->name, qscan__errmsg(scan));
	batch_free(&b, im->ntabs);
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
	struct names tab_of = {0}; /* type tables by type name */
	size_t first_type_tab;
	int ntypes = 0, n, ret;

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
	/* the tables of `bpftape query`: past QSET_TYPE_TABLES_MAX types,
	 * those of types with events only */
	n = qset__keep_types_with_events(set, names, types, ntypes);
	im.st.types_without_table = ntypes - n;
	ntypes = n;
	for (int i = 0; i < ntypes && !ret; i++) {
		ret = add_table(&im, qtable__new_type(set, names[i], types[i], QL_QUERY, multi));
		ret = ret ?: tape__names_add(&tab_of, types[i], (uint32_t)im.ntabs - 1);
	}
	ret = ret ?: map_types(&im, &tab_of);
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
		ret = load_table(&im, i);
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
		qtable__free(it->t);
	}
	for (size_t i = 0; im.type_tab && i < qset__count(set); i++)
		free(im.type_tab[i]);
	free(im.type_tab);
	free(im.tabs);
	qnames__free(names, ntypes);
	qnames__free(types, ntypes);
	tape__names_free(&tab_of);
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
	fprintf(f, "Usage: bpftape import -o OUT.db FILE...\n"
		   "\n"
		   "Write the tables of 'bpftape query' (events, one per event type,\n"
		   "processes, losses, meta, types) into a plain SQLite database, with\n"
		   "indexes on ts, pid and type, for sqlite3, Python or a notebook.\n"
		   "\n"
		   "Options:\n"
		   "  -o, --output OUT.db   the database to write; an existing OUT.db is\n"
		   "                        replaced once the new one is complete\n"
		   "  -q, --quiet           no progress line\n"
		   "  -h, --help            this help\n"
		   "\n" CLI_STDIN_HELP "\n"
		   "Examples:\n"
		   "  bpftape import -o incident.db incident.tape\n"
		   "  bpftape import -o fleet.db web1.tape web2.tape\n"
		   "  sqlite3 incident.db 'SELECT comm, count(*) FROM open GROUP BY comm'\n");
}

struct progress {
	struct cli_progress line;
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

	cli_progress__show(&p->line, "%s %llu/%llu (%.0f%%), %.1f s", phase,
			   (unsigned long long)done, (unsigned long long)total,
			   total ? 100.0 * done / total : 100.0, since(&p->start));
}

/*
 * SQLite opens its database by name, so import's output has one from the
 * start (tape_out's TAPE_OUT_NAMED) and would outlive an interrupted run:
 * SIGINT, SIGTERM and SIGHUP remove it first.  Only SIGKILL leaves it.
 */
static char *volatile interrupted_tmp;

static void remove_tmp(int sig)
{
	char *p = interrupted_tmp;

	if (p)
		unlink(p);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void on_interrupt(char *tmp)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	struct sigaction sa = {.sa_handler = tmp ? remove_tmp : SIG_DFL};

	interrupted_tmp = tmp;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

int cmd_import(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct progress prog = {0};
	struct qimport_stats st = {0};
	const char *out = NULL;
	const char *tmp = NULL;
	struct tape_out *of = NULL;
	char err[1024], *tmpcopy = NULL;
	struct qset *set = NULL;
	sqlite3 *db = NULL;
	bool quiet = false;
	int opt, ret = 1;

	cli__getopt_init();
	while ((opt = getopt_long(argc, argv, ":o:qh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			out = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return cli__bad_option("import", opt, argv, longopts);
		}
	}
	if (!out)
		return cli__usage("import", "no database given (-o OUT.db)");
	if (optind >= argc)
		return cli__usage("import", "no tape given (FILE...)");
	if ((ret = cli__check_inputs("import", argv + optind, (size_t)(argc - optind), NULL)))
		return ret;
	ret = 1;
	/* SQLite is used by this thread alone (the decoding one never calls
	 * it): it need not count allocations under a mutex */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	cli_progress__init(&prog.line, "import", quiet);
	clock_gettime(CLOCK_MONOTONIC, &prog.start);
	set = qset__open((const char *const *)argv + optind, argc - optind, err, sizeof(err));
	if (!set) {
		cli__eprintf("bpftape import: %s\n", err);
		goto cleanup;
	}
	qset__skip_damage(set);
	/* built beside OUT under a random name and renamed over it once
	 * complete: a failed import leaves no half-written database behind, and
	 * an existing OUT stays until then, as every verb's output does.  0600, as tapes: the
	 * database holds the same paths, argv and addresses; SQLite opens the empty file as a new
	 * database. */
	struct tape_out_opts oo = {.sz = sizeof(oo),
				   .flags = TAPE_OUT_NAMED,
				   .inputs = (const char *const *)argv + optind,
				   .ninputs = (size_t)(argc - optind)};

	sigset_t block, unblocked;
	int saved;

	/* no signal between creating the file and knowing its name */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &unblocked);
	of = tape_out__open(out, &oo, err, sizeof(err));
	saved = errno;
	if (of && tape_out__tmpname(of) && (tmpcopy = strdup(tape_out__tmpname(of))))
		on_interrupt(tmpcopy);
	pthread_sigmask(SIG_SETMASK, &unblocked, NULL);
	errno = saved;
	if (!of) {
		cli__eprintf("bpftape import: %s\n", err[0] ? err : strerror(errno));
		goto cleanup;
	}
	tmp = tape_out__tmpname(of);
	if (!tmp) {
		cli__eprintf("bpftape import: %s: not a file a database can be built in\n", out);
		goto cleanup;
	}
	if (!tmpcopy) {
		cli__eprintf("bpftape import: out of memory\n");
		goto cleanup;
	}
	if (sqlite3_open_v2(tmp, &db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		cli__eprintf("bpftape import: %s: %s\n", tmp,
			     db ? sqlite3_errmsg(db) : "out of memory");
		goto cleanup;
	}
	qimport__tune(db);
	struct qimport_opts io = {.sz = sizeof(io), .progress = show_progress, .ctx = &prog};

	if (qimport__run(db, set, &io, &st, err, sizeof(err))) {
		cli_progress__end(&prog.line);
		cli__eprintf("bpftape import: %s\n", err);
		goto cleanup;
	}
	if (sqlite3_close(db) != SQLITE_OK) {
		cli__eprintf("bpftape import: %s: %s\n", tmp, sqlite3_errmsg(db));
		goto cleanup;
	}
	db = NULL;
	/* from here the name is OUT's */
	on_interrupt(NULL);
	if (tape_out__commit(of, err, sizeof(err))) {
		cli__eprintf("bpftape import: %s\n", err);
		goto cleanup;
	}
	cli_progress__end(&prog.line);
	double s = since(&prog.start);
	cli__eprintf("bpftape import: %llu events into %s (%zu tables, %llu type rows) in %.2f s, "
		     "%.2f M events/s\n",
		     (unsigned long long)st.events, out, st.tables,
		     (unsigned long long)st.type_rows, s, s > 0 ? st.events / s / 1e6 : 0.0);
	if (st.types_without_table)
		cli__eprintf(
			"bpftape import: %zu event types without events got no table (the schema "
			"has "
			"more than %d types; 'SELECT * FROM types' lists them all)\n",
			st.types_without_table, QSET_TYPE_TABLES_MAX);
	ret = query__report_damage("import", set) ? CLI_EXIT_PARTIAL : 0;
cleanup:
	sqlite3_close(db);
	/* after SQLite: closing our descriptor of the file would drop the
	 * POSIX locks SQLite holds on it */
	on_interrupt(NULL);
	tape_out__free(of);
	free(tmpcopy);
	qset__put(set);
	return ret;
}
