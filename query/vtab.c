// SPDX-License-Identifier: MIT
/*
 * SQLite virtual tables over tapes (see qsql.h).  The rows come from
 * qscan; this file translates SQLite's questions: which WHERE terms can the
 * chunk index answer (xBestIndex), and which chunks to read (xFilter).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "private/names.h"
#include "qsql.h"

/* What one `query`/`import` connection shares between its tables. */
struct qsql {
	struct qset *set;
	bool multi;
	/* the fixed tables, then one per type (qset__type_tables()) */
	size_t ntables;
	char **names, **types; /* SQL and type names of the per-type tables */
	int ntypes;
	struct qtable **tables; /* described when SQLite first connects them */
	struct names by_name;	/* index + 1 of each table, by its name */
};

static const struct {
	const char *name;
	enum qtab_kind kind;
} fixed_tables[] = {{"events", QT_EVENTS}, {"processes", QT_PROCESSES}, {"losses", QT_LOSSES},
		    {"meta", QT_META},	   {"types", QT_TYPES},		{"frames", QT_FRAMES}};
#define NFIXED (sizeof(fixed_tables) / sizeof(fixed_tables[0]))

struct qvtab {
	sqlite3_vtab base;
	struct qtable *t;
	bool owns_table;  /* extension tables describe themselves */
	bool ext;	  /* table-valued function: the tape is the file argument */
	bool owns_set;	  /* CREATE VIRTUAL TABLE ... USING bpftape(FILE, ...) */
	struct qset *set; /* query: the connection's; extension: last tape opened */
	double rows;	  /* events the table holds, for the planner */
};

struct qcursor {
	sqlite3_vtab_cursor base;
	struct qscan *scan;
	bool eof;
};

/* Operators in idxStr, which names the pushed-down terms in argv order;
 * EXPLAIN QUERY PLAN shows it. */
enum qop {
	OP_TS_EQ,
	OP_TS_GT,
	OP_TS_GE,
	OP_TS_LT,
	OP_TS_LE,
	OP_PID_EQ,
	OP_PID_IN,
	OP_TID_EQ,
	OP_TID_IN,
	OP_TYPE_EQ,
	OP_TYPE_IN,
	OP_FILE_EQ,
	OP_TIME_EQ,
	OP_TIME_GT,
	OP_TIME_GE,
	OP_TIME_LT,
	OP_TIME_LE,
	OP_HOST_EQ,
	OP_STACK_EQ,
	OP_MAX,
};

static const char *const op_text[OP_MAX] = {
	[OP_TS_EQ] = "ts=?",	      [OP_TS_GT] = "ts>?",	   [OP_TS_GE] = "ts>=?",
	[OP_TS_LT] = "ts<?",	      [OP_TS_LE] = "ts<=?",	   [OP_PID_EQ] = "pid=?",
	[OP_PID_IN] = "pid IN(?)",    [OP_TID_EQ] = "tid=?",	   [OP_TID_IN] = "tid IN(?)",
	[OP_TYPE_EQ] = "type=?",      [OP_TYPE_IN] = "type IN(?)", [OP_FILE_EQ] = "file=?",
	[OP_TIME_EQ] = "time=?",      [OP_TIME_GT] = "time>?",	   [OP_TIME_GE] = "time>=?",
	[OP_HOST_EQ] = "host=?",      [OP_TIME_LT] = "time<?",	   [OP_TIME_LE] = "time<=?",
	[OP_STACK_EQ] = "stack_id=?",
};

#define MAX_TERMS 12
/* idxNum flag: rows from the index's type counts (see qfilter.index_only) */
#define IDX_INDEX_ONLY 0x10000
/* idxNum flag: one pass per type (see qfilter.by_type) */
#define IDX_BY_TYPE 0x20000
/* idxNum flag: no field of the events is used (see qfilter.no_fields) */
#define IDX_NO_FIELDS 0x40000
/*
 * Passes per type are offered for ORDER BY / GROUP BY type while they read
 * at most this many times the events of one scan.  A pass walks the
 * headers of the chunks it opens and decodes only its own type's fields,
 * some tens of nanoseconds an event; SQLite's sorter spends a microsecond
 * an event on the rows it sorts.
 */
#define TYPE_PASS_MAX 16.0

/* Whether the query needs no more of events than type, host and file. */
static bool index_only(const struct qtable *t, sqlite3_uint64 used)
{
	sqlite3_uint64 allowed = 0;

	if (t->kind != QT_EVENTS)
		return false;
	for (int i = 0; i < t->ncols && i < 63; i++)
		if (t->cols[i].src == QC_TYPE || t->cols[i].src == QC_HOST ||
		    t->cols[i].src == QC_FILE)
			allowed |= 1ull << i;
	return !(used & ~allowed);
}

static bool is_event_kind(const struct qtable *t)
{
	return t->kind == QT_EVENTS || t->kind == QT_TYPE;
}

/* Whether the query uses a column made from the events' fields. */
static bool fields_used(const struct qtable *t, sqlite3_uint64 used)
{
	for (int i = 0; i < t->ncols; i++) {
		uint8_t src = t->cols[i].src;

		if ((src == QC_ARGS || src == QC_FIELD || src == QC_FIELD_STR) &&
		    (used & (1ull << (i < 63 ? i : 63))))
			return true;
	}
	return false;
}

static void vtab_set_error(struct qvtab *vt, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void vtab_set_error(struct qvtab *vt, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sqlite3_free(vt->base.zErrMsg);
	vt->base.zErrMsg = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
}

/* Events of the table's type over the whole set, from the chunk index. */
static double count_rows(const struct qtable *t, const struct qset *set)
{
	double rows = 0;

	if (t->kind == QT_EVENTS)
		return (double)qset__event_count(set);
	if (t->kind != QT_TYPE) {
		/* small tables in memory: roughly their size */
		for (size_t i = 0; i < qset__count(set); i++) {
			const struct tape_reader *r = qset__reader(set, i);
			const struct tape_type *fork = tape_reader__type_by_name(r, "fork");

			if (t->kind == QT_PROCESSES)
				rows += tape_reader__proc_count(r);
			else if (t->kind == QT_LOSSES)
				rows += tape_reader__loss_count(r);
			else if (t->kind == QT_META)
				rows += tape_reader__meta_count(r);
			else if (t->kind == QT_FRAMES)
				rows += 16.0 * tape_reader__stack_count(r);
			else
				rows += 8.0 * tape_reader__max_type(r);
			for (size_t c = 0;
			     fork && t->kind == QT_PROCESSES && c < tape_reader__chunk_count(r);
			     c++)
				rows += tape_reader__chunk_type_count(r, c, fork->id);
		}
		return rows < 1 ? 1 : rows;
	}
	for (size_t i = 0; i < qset__count(set); i++) {
		const struct tape_reader *r = qset__reader(set, i);
		const struct tape_type *tp = tape_reader__type_by_name(r, t->type_name);

		for (size_t c = 0; tp && c < tape_reader__chunk_count(r); c++)
			rows += tape_reader__chunk_type_count(r, c, tp->id);
	}
	return rows;
}

static int declare(sqlite3 *db, struct qvtab *vt, char **errmsg)
{
	char *ddl = qtable__ddl(vt->t, NULL, true);
	int rc;

	if (!ddl)
		return SQLITE_NOMEM;
	rc = sqlite3_declare_vtab(db, ddl);
	if (rc != SQLITE_OK)
		*errmsg = sqlite3_mprintf("%s: cannot declare table: %s", vt->t->name,
					  sqlite3_errmsg(db));
	free(ddl);
	return rc;
}

/* ---- query/import: tables of one connection ---- */

static const char *qsql_name(const struct qsql *q, size_t i)
{
	return i < NFIXED ? fixed_tables[i].name : q->names[i - NFIXED];
}

/* The index of the table called @name, or -1: a tape may bring 65535. */
static ssize_t qsql_find(const struct qsql *q, const char *name)
{
	return (ssize_t)tape__names_find(&q->by_name, name) - 1;
}

/* Table @i, described on first use.  NULL + errno. */
static struct qtable *qsql_table(struct qsql *q, size_t i)
{
	if (q->tables[i])
		return q->tables[i];
	if (i < NFIXED)
		q->tables[i] = qtable__new(fixed_tables[i].kind, QL_QUERY, q->multi);
	else
		q->tables[i] = qtable__new_type(q->set, q->names[i - NFIXED], q->types[i - NFIXED],
						QL_QUERY, q->multi);
	return q->tables[i];
}

static int q_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out,
		     char **errmsg)
{
	struct qsql *q = aux;
	struct qvtab *vt;
	const char *arg = argc > 3 ? argv[3] : "";
	size_t len = strlen(arg);
	char name[256];
	ssize_t i;
	int rc;

	/* the argument arrives as written: "name" */
	if (len >= 2 && arg[0] == '"' && arg[len - 1] == '"') {
		arg++;
		len -= 2;
	}
	snprintf(name, sizeof(name), "%.*s", (int)len, arg);

	i = qsql_find(q, name);
	if (i < 0) {
		*errmsg = sqlite3_mprintf("bpftape: no table '%s' over these tapes", name);
		return SQLITE_ERROR;
	}
	vt = sqlite3_malloc(sizeof(*vt));
	if (!vt)
		return SQLITE_NOMEM;
	memset(vt, 0, sizeof(*vt));
	vt->t = qsql_table(q, (size_t)i);
	if (!vt->t) {
		int e = errno;

		*errmsg = sqlite3_mprintf("bpftape: cannot describe table '%s': %s", name,
					  strerror(e));
		sqlite3_free(vt);
		return e == ENOMEM ? SQLITE_NOMEM : SQLITE_ERROR;
	}
	vt->set = q->set;
	vt->rows = count_rows(vt->t, q->set);
	rc = declare(db, vt, errmsg);
	if (rc != SQLITE_OK) {
		sqlite3_free(vt);
		return rc;
	}
	*out = &vt->base;
	return SQLITE_OK;
}

static int q_disconnect(sqlite3_vtab *base)
{
	struct qvtab *vt = (struct qvtab *)base;

	if (vt->owns_table)
		qtable__free(vt->t);
	if (vt->ext || vt->owns_set)
		qset__put(vt->set);
	sqlite3_free(vt);
	return SQLITE_OK;
}

/* ---- planning ---- */

static int ts_op(unsigned char op)
{
	switch (op) {
	case SQLITE_INDEX_CONSTRAINT_EQ:
		return OP_TS_EQ;
	case SQLITE_INDEX_CONSTRAINT_GT:
		return OP_TS_GT;
	case SQLITE_INDEX_CONSTRAINT_GE:
		return OP_TS_GE;
	case SQLITE_INDEX_CONSTRAINT_LT:
		return OP_TS_LT;
	case SQLITE_INDEX_CONSTRAINT_LE:
		return OP_TS_LE;
	default:
		return -1;
	}
}

/*
 * Push down what the chunk index can use.  SQLite still checks every term
 * (omit stays 0) except the extension's file argument: the cursor yields a
 * superset, never less, which keeps odd operands (text, reals, NULL)
 * correct without mirroring SQLite's comparison rules here.
 */
/* idxStr: the pushed-down terms @idx and how the rows come, for EXPLAIN
 * QUERY PLAN (xFilter reads the terms only).  0 or -ENOMEM. */
static int plan_note(sqlite3_index_info *info, const char *idx, const char *how)
{
	char *s = sqlite3_mprintf("%s%s%s", idx, *idx ? " AND " : "", how);

	if (!s)
		return -ENOMEM;
	if (info->needToFreeIdxStr)
		sqlite3_free(info->idxStr);
	info->idxStr = s;
	info->needToFreeIdxStr = 1;
	return 0;
}

static int q_best_index(sqlite3_vtab *base, sqlite3_index_info *info)
{
	struct qvtab *vt = (struct qvtab *)base;
	const struct qtable *t = vt->t;
	char idx[MAX_TERMS * 16] = "";
	bool have_pid = false, have_tid = false, have_type = false, have_file = false;
	bool have_host = false, have_stack = false;
	bool ts_lo = false, ts_hi = false, ts_eq = false;
	double rows = vt->ext ? 1e6 : vt->rows;
	int nargs = 0;

	for (int i = 0; i < info->nConstraint; i++) {
		const struct sqlite3_index_constraint *c = &info->aConstraint[i];
		int op = -1;

		if (!c->usable || nargs >= MAX_TERMS)
			continue;
		if (c->iColumn == t->col_file && c->iColumn >= 0 && !have_file &&
		    c->op == SQLITE_INDEX_CONSTRAINT_EQ) {
			/* the extension's argument; with several tapes, which to read */
			op = OP_FILE_EQ;
			have_file = true;
			info->aConstraintUsage[i].omit = vt->ext;
		} else if (c->iColumn >= 0 && c->iColumn < t->ncols &&
			   t->cols[c->iColumn].src == QC_HOST && !have_host &&
			   c->op == SQLITE_INDEX_CONSTRAINT_EQ && !vt->ext) {
			op = OP_HOST_EQ;
			have_host = true;
		} else if (c->iColumn == t->col_time && c->iColumn >= 0) {
			/* the wall-clock text sorts like ts: a window of time is
			 * a window of ts */
			op = ts_op(c->op);
			if (op >= 0)
				op += OP_TIME_EQ - OP_TS_EQ;
			if (op == OP_TIME_EQ)
				ts_eq = true;
			else if (op == OP_TIME_GT || op == OP_TIME_GE)
				ts_lo = true;
			else if (op >= 0)
				ts_hi = true;
		} else if (c->iColumn == t->col_ts && c->iColumn >= 0) {
			op = ts_op(c->op);
			if (op == OP_TS_EQ)
				ts_eq = true;
			else if (op == OP_TS_GT || op == OP_TS_GE)
				ts_lo = true;
			else if (op >= 0)
				ts_hi = true;
		} else if (c->op != SQLITE_INDEX_CONSTRAINT_EQ || c->iColumn < 0) {
			continue;
		} else if (c->iColumn == t->col_pid && !have_pid) {
			have_pid = true;
			op = sqlite3_vtab_in(info, i, -1) ? OP_PID_IN : OP_PID_EQ;
		} else if (c->iColumn == t->col_tid && !have_tid) {
			have_tid = true;
			op = sqlite3_vtab_in(info, i, -1) ? OP_TID_IN : OP_TID_EQ;
		} else if (c->iColumn == t->col_type && !have_type) {
			have_type = true;
			op = sqlite3_vtab_in(info, i, -1) ? OP_TYPE_IN : OP_TYPE_EQ;
		} else if (c->iColumn == t->col_stack && !have_stack) {
			/* a join of events with frames looks up each stack */
			have_stack = true;
			op = OP_STACK_EQ;
		}
		if (op < 0)
			continue;
		if (op == OP_PID_IN || op == OP_TID_IN || op == OP_TYPE_IN)
			sqlite3_vtab_in(info, i, 1);
		info->aConstraintUsage[i].argvIndex = ++nargs;
		if (*idx)
			strcat(idx, " AND ");
		strcat(idx, op_text[op]);
	}
	if (vt->ext && !have_file) {
		/* a plan without the file argument fails in xFilter with a
		 * message that says so, better than "no query solution" */
		info->estimatedCost = 1e300;
		info->estimatedRows = INT64_MAX;
		return SQLITE_OK;
	}

	/*
	 * Guesses: the planner needs an order, not exact counts.  The cost is
	 * the events decoded, a chunk at a time: a ts window skips chunks
	 * precisely, a pid only where the chunk's pid range and bloom filter
	 * exclude it, a tid never.  So a pid lookup in an inner loop is
	 * dearer than the rows it returns, and a join prefers one scan.
	 */
	double cost = rows;

	if (ts_eq) {
		rows *= 1e-6;
		cost *= 1e-3;
	} else if (ts_lo && ts_hi) {
		rows *= 0.01;
		cost *= 0.01;
	} else if (ts_lo || ts_hi) {
		rows *= 0.5;
		cost *= 0.5;
	}
	if (have_pid) {
		rows *= 0.02;
		cost *= 0.25;
	}
	if (have_tid)
		rows *= 0.02;
	if (have_type) {
		rows *= 0.1;
		cost *= 0.3;
	}
	if (have_stack) {
		rows = 16;
		cost = 16;
	}
	if (rows < 1)
		rows = 1;
	/* rows of the other tables are in memory: nothing to decode */
	if (t->kind != QT_EVENTS && t->kind != QT_TYPE)
		cost *= 0.01;
	info->estimatedRows = (sqlite3_int64)rows;
	info->estimatedCost = cost + 1;
	if (*idx) {
		info->idxStr = sqlite3_mprintf("%s", idx);
		info->needToFreeIdxStr = 1;
		if (!info->idxStr)
			return SQLITE_NOMEM;
	}
	info->idxNum = nargs;
	if (is_event_kind(t) && !fields_used(t, info->colUsed))
		info->idxNum |= IDX_NO_FIELDS;
	/* Events come out in timestamp order, across tapes too. */
	if (t->col_ts >= 0 && info->nOrderBy == 1 && info->aOrderBy[0].iColumn == t->col_ts &&
	    !info->aOrderBy[0].desc)
		info->orderByConsumed = 1;
	/* ...or by type, a pass per type, where the index says it is cheap */
	if (!vt->ext && t->kind == QT_EVENTS && info->nOrderBy == 1 &&
	    info->aOrderBy[0].iColumn == t->col_type && !info->aOrderBy[0].desc) {
		double passes = qset__type_pass_factor(vt->set);

		if (passes <= TYPE_PASS_MAX) {
			if (plan_note(info, idx, "one pass per type"))
				return SQLITE_NOMEM;
			info->idxNum |= IDX_BY_TYPE;
			info->orderByConsumed = 1;
			info->estimatedCost = cost * (1 + 0.05 * passes) + 1;
		}
	}
	/*
	 * count(*) and GROUP BY type need no chunk: the index counts each
	 * type per chunk.  Those rows come grouped by type in name order, so
	 * SQLite needs no sorter either.  (colUsed covers the WHERE terms.)
	 */
	if (!vt->ext && index_only(t, info->colUsed)) {
		if (plan_note(info, idx, "counts from the index"))
			return SQLITE_NOMEM;
		info->idxNum = (info->idxNum & ~IDX_BY_TYPE) | IDX_INDEX_ONLY;
		info->estimatedCost = 1 + rows / 100;
		if (info->nOrderBy == 1 && info->aOrderBy[0].iColumn == t->col_type &&
		    !info->aOrderBy[0].desc)
			info->orderByConsumed = 1;
	}
	return SQLITE_OK;
}

/* ---- scanning ---- */

static int q_open(sqlite3_vtab *base, sqlite3_vtab_cursor **out)
{
	struct qcursor *c = sqlite3_malloc(sizeof(*c));

	(void)base;
	if (!c)
		return SQLITE_NOMEM;
	memset(c, 0, sizeof(*c));
	c->eof = true;
	*out = &c->base;
	return SQLITE_OK;
}

static int q_close(sqlite3_vtab_cursor *base)
{
	struct qcursor *c = (struct qcursor *)base;

	qscan__free(c->scan);
	sqlite3_free(c);
	return SQLITE_OK;
}

/* An integer bound from a real one, saturated to the int64 range. */
static sqlite3_int64 clamp_i64(double d)
{
	if (d >= 9223372036854775807.0)
		return INT64_MAX;
	if (d <= -9223372036854775808.0)
		return INT64_MIN;
	return (sqlite3_int64)d;
}

/* Narrow the ts window of @f to [@lo, @hi] where given. */
static void apply_bounds(struct qfilter *f, bool has_lo, sqlite3_int64 lo, bool has_hi,
			 sqlite3_int64 hi)
{
	if (has_lo && lo > 0 && (uint64_t)lo > f->since)
		f->since = (uint64_t)lo;
	if (has_hi && hi < 0)
		f->empty = true;
	else if (has_hi && hi > 0 && (!f->until || (uint64_t)hi < f->until))
		f->until = (uint64_t)hi;
	if (f->since && f->until && f->since > f->until)
		f->empty = true;
}

/* Bounds for `ts OP v`, widened to integers so they never exclude a match. */
static void ts_bound(struct qfilter *f, int op, sqlite3_value *v)
{
	int nt = sqlite3_value_numeric_type(v);
	bool has_lo = false, has_hi = false;
	sqlite3_int64 lo = 0, hi = 0;

	if (nt == SQLITE_NULL) {
		f->empty = true; /* a comparison with NULL is never true */
		return;
	}
	if (nt == SQLITE_INTEGER) {
		sqlite3_int64 i = sqlite3_value_int64(v);

		has_lo = op == OP_TS_EQ || op == OP_TS_GE || op == OP_TS_GT;
		has_hi = op == OP_TS_EQ || op == OP_TS_LE || op == OP_TS_LT;
		lo = op == OP_TS_GT ? (i == INT64_MAX ? i : i + 1) : i;
		hi = op == OP_TS_LT ? (i == INT64_MIN ? i : i - 1) : i;
		if ((op == OP_TS_GT && i == INT64_MAX) || (op == OP_TS_LT && i == INT64_MIN)) {
			f->empty = true;
			return;
		}
	} else if (nt == SQLITE_FLOAT) {
		double d = sqlite3_value_double(v);

		if (isnan(d))
			return;
		switch (op) {
		case OP_TS_EQ:
			if (d != floor(d)) {
				f->empty = true;
				return;
			}
			has_lo = has_hi = true;
			lo = hi = clamp_i64(d);
			break;
		case OP_TS_GT:
			has_lo = true;
			lo = clamp_i64(floor(d) + 1);
			break;
		case OP_TS_GE:
			has_lo = true;
			lo = clamp_i64(ceil(d));
			break;
		case OP_TS_LT:
			has_hi = true;
			hi = clamp_i64(ceil(d) - 1);
			break;
		default:
			has_hi = true;
			hi = clamp_i64(floor(d));
			break;
		}
	} else {
		return; /* text or blob: SQLite's rules decide; scan everything */
	}
	apply_bounds(f, has_lo, lo, has_hi, hi);
}

/*
 * Wall-clock text as the time column writes it ("2023-11-14T22:13:21.5Z",
 * any prefix from the date on, 'T' or ' ') to ns since the epoch; *@slack
 * gets how many ns the unwritten digits may add.  False if it is not one.
 */
static bool parse_time(const char *s, int64_t *ns, int64_t *slack)
{
	struct tm tm = {0};
	int64_t frac = 0, unit = 1000000000;
	const char *p;
	time_t sec;

	if (!s)
		return false;
	p = strptime(s, "%Y-%m-%d", &tm);
	if (!p)
		return false;
	*slack = 86400ll * 1000000000;
	if (*p == 'T' || *p == ' ') {
		const char *q = strptime(p + 1, "%H:%M", &tm);

		if (!q)
			return false;
		p = q;
		*slack = 60ll * 1000000000;
		if (*p == ':') {
			q = strptime(p + 1, "%S", &tm);
			if (!q)
				return false;
			p = q;
			*slack = 1000000000;
		}
		if (*p == '.') {
			for (p++; *p >= '0' && *p <= '9'; p++) {
				unit /= 10;
				frac += (*p - '0') * unit;
				if (!unit)
					return false;
			}
			*slack = unit;
		}
	}
	if (*p == 'Z')
		p++;
	if (*p)
		return false;
	sec = timegm(&tm);
	if (sec == (time_t)-1)
		return false;
	*ns = (int64_t)sec * 1000000000 + frac;
	return true;
}

/* Bounds of ts for `time OP v` over tapes whose wall-clock offsets lie in
 * [@min_off, @max_off]; a superset, SQLite compares the text. */
static void time_bound(struct qfilter *f, int op, sqlite3_value *v, int64_t min_off,
		       int64_t max_off)
{
	int64_t wall, slack;

	if (sqlite3_value_type(v) == SQLITE_NULL) {
		f->empty = true;
		return;
	}
	if (sqlite3_value_type(v) != SQLITE_TEXT ||
	    !parse_time((const char *)sqlite3_value_text(v), &wall, &slack))
		return;
	op -= OP_TIME_EQ - OP_TS_EQ;
	apply_bounds(f, op == OP_TS_EQ || op == OP_TS_GT || op == OP_TS_GE, wall - max_off,
		     op == OP_TS_EQ || op == OP_TS_LT || op == OP_TS_LE, wall + slack - min_off);
}

/* A pid or tid, if @v can equal an integer column value in u32 range. */
static bool id_value(sqlite3_value *v, uint32_t *id)
{
	sqlite3_int64 i;

	if (sqlite3_value_numeric_type(v) != SQLITE_INTEGER)
		return false;
	i = sqlite3_value_int64(v);
	if (i < 0 || i > UINT32_MAX)
		return false;
	*id = (uint32_t)i;
	return true;
}

/* frames.stack_id = @v: as SQLite compares an INTEGER column, 2.0 and
 * '2' are stack 2; NULL, 0, 2.5 and 'x' are no stack. */
static void stack_bound(struct qfilter *f, sqlite3_value *v)
{
	int nt = sqlite3_value_numeric_type(v);
	double d = nt == SQLITE_FLOAT ? sqlite3_value_double(v) : 0;
	sqlite3_int64 i = nt == SQLITE_INTEGER ? sqlite3_value_int64(v) : (sqlite3_int64)d;

	if ((nt != SQLITE_INTEGER && (nt != SQLITE_FLOAT || d != floor(d))) || i <= 0 ||
	    i > UINT32_MAX || (f->stack_id && f->stack_id != (uint32_t)i)) {
		f->empty = true;
		return;
	}
	f->stack_id = (uint32_t)i;
}

static int add_ids(struct qfilter *f, int op, sqlite3_value *v, bool tid)
{
	sqlite3_value *x = NULL;
	size_t before = tid ? f->ntids : f->npids;
	uint32_t id;
	int rc;

	if (op == OP_PID_EQ || op == OP_TID_EQ) {
		if (id_value(v, &id) && (tid ? qfilter__add_tid(f, id) : qfilter__add_pid(f, id)))
			return SQLITE_NOMEM;
	} else {
		for (rc = sqlite3_vtab_in_first(v, &x); rc == SQLITE_OK && x;
		     rc = sqlite3_vtab_in_next(v, &x)) {
			if (id_value(x, &id) &&
			    (tid ? qfilter__add_tid(f, id) : qfilter__add_pid(f, id)))
				return SQLITE_NOMEM;
		}
		if (rc != SQLITE_OK && rc != SQLITE_DONE)
			return rc;
	}
	if ((tid ? f->ntids : f->npids) == before)
		f->empty = true; /* no value can match */
	return SQLITE_OK;
}

static int add_types(struct qfilter *f, int op, sqlite3_value *v)
{
	sqlite3_value *x = NULL;
	size_t before = f->ntypes;
	int rc;

	if (op == OP_TYPE_EQ) {
		if (sqlite3_value_type(v) == SQLITE_TEXT &&
		    qfilter__add_type(f, (const char *)sqlite3_value_text(v)))
			return SQLITE_NOMEM;
	} else {
		for (rc = sqlite3_vtab_in_first(v, &x); rc == SQLITE_OK && x;
		     rc = sqlite3_vtab_in_next(v, &x)) {
			if (sqlite3_value_type(x) == SQLITE_TEXT &&
			    qfilter__add_type(f, (const char *)sqlite3_value_text(x)))
				return SQLITE_NOMEM;
		}
		if (rc != SQLITE_OK && rc != SQLITE_DONE)
			return rc;
	}
	if (f->ntypes == before)
		f->empty = true;
	return SQLITE_OK;
}

static int op_from_text(const char *s, size_t n)
{
	for (int op = 0; op < OP_MAX; op++)
		if (strlen(op_text[op]) == n && !strncmp(op_text[op], s, n))
			return op;
	return -1;
}

/* The extension opens the tape named by the file argument, reusing the
 * last one when the same file is asked for again. */
static int ext_set(struct qvtab *vt, sqlite3_value *v)
{
	const char *path = (const char *)sqlite3_value_text(v);
	char err[512];
	struct qset *s;

	if (!path || !*path) {
		vtab_set_error(vt, "%s: the argument must be a tape file name", vt->t->name);
		return SQLITE_ERROR;
	}
	if (vt->set && !strcmp(qset__path(vt->set, 0), path))
		return SQLITE_OK;
	s = qset__open(&path, 1, err, sizeof(err));
	if (!s) {
		vtab_set_error(vt, "%s", err);
		return SQLITE_ERROR;
	}
	qset__put(vt->set);
	vt->set = s;
	return SQLITE_OK;
}

static int q_next(sqlite3_vtab_cursor *base)
{
	struct qcursor *c = (struct qcursor *)base;
	int ret = qscan__next(c->scan);

	if (ret < 0) {
		c->eof = true;
		vtab_set_error((struct qvtab *)base->pVtab, "%s", qscan__errmsg(c->scan));
		return ret == -ENOMEM ? SQLITE_NOMEM : SQLITE_ERROR;
	}
	c->eof = ret == 0;
	return SQLITE_OK;
}

static int q_filter(sqlite3_vtab_cursor *base, int idxnum, const char *idxstr, int argc,
		    sqlite3_value **argv)
{
	struct qcursor *c = (struct qcursor *)base;
	struct qvtab *vt = (struct qvtab *)base->pVtab;
	struct qfilter f = {0};
	const char *p = idxstr;
	sqlite3_value *time_vals[MAX_TERMS];
	int time_ops[MAX_TERMS], ntimes = 0;
	int64_t min_off = 0, max_off = 0;
	char err[512];
	int rc = SQLITE_OK;

	f.index_only = idxnum & IDX_INDEX_ONLY;
	f.by_type = idxnum & IDX_BY_TYPE;
	f.no_fields = idxnum & IDX_NO_FIELDS;
	qscan__free(c->scan);
	c->scan = NULL;
	c->eof = true;
	for (int i = 0; i < argc && p && *p && rc == SQLITE_OK; i++) {
		const char *end = strstr(p, " AND ");
		size_t n = end ? (size_t)(end - p) : strlen(p);
		int op = op_from_text(p, n);

		p = end ? end + 5 : NULL;
		switch (op) {
		case OP_TS_EQ:
		case OP_TS_GT:
		case OP_TS_GE:
		case OP_TS_LT:
		case OP_TS_LE:
			ts_bound(&f, op, argv[i]);
			break;
		case OP_PID_EQ:
		case OP_PID_IN:
			rc = add_ids(&f, op, argv[i], false);
			break;
		case OP_TID_EQ:
		case OP_TID_IN:
			rc = add_ids(&f, op, argv[i], true);
			break;
		case OP_TYPE_EQ:
		case OP_TYPE_IN:
			rc = add_types(&f, op, argv[i]);
			break;
		case OP_FILE_EQ:
			if (vt->ext)
				rc = ext_set(vt, argv[i]);
			else if (sqlite3_value_type(argv[i]) != SQLITE_TEXT)
				f.empty = true;
			else if (qfilter__add_file(&f, (const char *)sqlite3_value_text(argv[i])))
				rc = SQLITE_NOMEM;
			break;
		case OP_STACK_EQ:
			stack_bound(&f, argv[i]);
			break;
		case OP_HOST_EQ:
			if (sqlite3_value_type(argv[i]) != SQLITE_TEXT)
				f.empty = true;
			else if (qfilter__add_host(&f, (const char *)sqlite3_value_text(argv[i])))
				rc = SQLITE_NOMEM;
			break;
		case OP_TIME_EQ:
		case OP_TIME_GT:
		case OP_TIME_GE:
		case OP_TIME_LT:
		case OP_TIME_LE:
			/* needs the tapes' clocks: after the file argument */
			if (ntimes < MAX_TERMS) {
				time_ops[ntimes] = op;
				time_vals[ntimes++] = argv[i];
			}
			break;
		default:
			break;
		}
	}
	if (rc != SQLITE_OK)
		goto cleanup;
	if (ntimes && vt->set && qset__time_offsets(vt->set, &min_off, &max_off))
		for (int i = 0; i < ntimes; i++)
			time_bound(&f, time_ops[i], time_vals[i], min_off, max_off);
	if (!vt->set || (vt->ext && !strstr(idxstr ? idxstr : "", op_text[OP_FILE_EQ]))) {
		vtab_set_error(vt, "%s: name the tape: SELECT * FROM %s('x.tape')", vt->t->name,
			       vt->t->name);
		rc = SQLITE_ERROR;
		goto cleanup;
	}
	c->scan = qscan__new(vt->set, vt->t, &f, err, sizeof(err));
	if (!c->scan) {
		vtab_set_error(vt, "%s", err);
		rc = errno == ENOMEM ? SQLITE_NOMEM : SQLITE_ERROR;
		goto cleanup;
	}
	rc = q_next(base);
cleanup:
	qfilter__reset(&f);
	return rc;
}

static int q_eof(sqlite3_vtab_cursor *base)
{
	return ((struct qcursor *)base)->eof;
}

static int q_column(sqlite3_vtab_cursor *base, sqlite3_context *ctx, int col)
{
	struct qcursor *c = (struct qcursor *)base;
	struct qval v;
	int ret = qscan__column(c->scan, col, &v);

	if (ret) {
		if (ret == -ENOMEM)
			sqlite3_result_error_nomem(ctx);
		else
			sqlite3_result_error(ctx, "bpftape: cannot read column", -1);
		return SQLITE_OK;
	}
	switch (v.t) {
	case QV_INT:
		sqlite3_result_int64(ctx, v.i);
		break;
	case QV_TEXT:
		/* a query connection's set lives as long as its tables; an
		 * extension table swaps tapes between statements */
		sqlite3_result_text(ctx, v.p, v.n,
				    v.stable && !((struct qvtab *)base->pVtab)->ext
					    ? SQLITE_STATIC
					    : SQLITE_TRANSIENT);
		break;
	case QV_BLOB:
		sqlite3_result_blob(ctx, v.p, v.n, SQLITE_TRANSIENT);
		break;
	default:
		sqlite3_result_null(ctx);
		break;
	}
	return SQLITE_OK;
}

static int q_rowid(sqlite3_vtab_cursor *base, sqlite3_int64 *rowid)
{
	*rowid = qscan__rowid(((struct qcursor *)base)->scan);
	return SQLITE_OK;
}

static const sqlite3_module query_module = {
	.iVersion = 1,
	.xCreate = q_connect,
	.xConnect = q_connect,
	.xBestIndex = q_best_index,
	.xDisconnect = q_disconnect,
	.xDestroy = q_disconnect,
	.xOpen = q_open,
	.xClose = q_close,
	.xFilter = q_filter,
	.xNext = q_next,
	.xEof = q_eof,
	.xColumn = q_column,
	.xRowid = q_rowid,
};

static void qsql_free(void *p)
{
	struct qsql *q = p;

	if (!q)
		return;
	for (size_t i = 0; q->tables && i < q->ntables; i++)
		qtable__free(q->tables[i]);
	free(q->tables);
	tape__names_free(&q->by_name);
	qnames__free(q->names, q->ntypes);
	qnames__free(q->types, q->ntypes);
	qset__put(q->set);
	free(q);
}

/* Index the tables by name.  0 or -ENOMEM. */
static int qsql_index(struct qsql *q)
{
	for (size_t i = 0; i < q->ntables; i++)
		if (tape__names_add(&q->by_name, qsql_name(q, i), (uint32_t)i + 1))
			return -ENOMEM;
	return 0;
}

/* One CREATE VIRTUAL TABLE statement per table. */
static int create_one_by_one(sqlite3 *db, const char *const *names, size_t n, char **errmsg)
{
	int rc = SQLITE_OK;

	for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
		char *sql =
			sqlite3_mprintf("CREATE VIRTUAL TABLE main.\"%w\" USING bpftape(\"%w\")",
					names[i], names[i]);

		if (!sql)
			return SQLITE_NOMEM;
		rc = sqlite3_exec(db, sql, NULL, NULL, errmsg);
		sqlite3_free(sql);
	}
	return rc;
}

/*
 * Write the rows that CREATE VIRTUAL TABLE main."x" USING bpftape("x") leaves
 * in sqlite_schema, for all tables in one transaction, then have SQLite load
 * the schema once (PRAGMA writable_schema=RESET).  The tables are the same;
 * SQLite connects each when a statement first uses it.
 *
 * One statement per table costs time quadratic in the number of tables: each
 * schema change makes SQLite scan sqlite_schema for the new rows and walk
 * every table it knows, so a tape with 65535 event types took minutes to
 * open.  (Loading the schema is not quite linear either: SQLite's hash of
 * table names stops growing at a few dozen buckets in common builds.)
 */
static int create_at_once(sqlite3 *db, const char *const *names, size_t n, char **errmsg)
{
	sqlite3_stmt *st = NULL;
	int defensive = 0, rc;

	/* a defensive connection keeps sqlite_schema read-only */
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, -1, &defensive);
	if (defensive)
		sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 0, NULL);
	rc = sqlite3_exec(db, "PRAGMA writable_schema=ON; BEGIN", NULL, NULL, errmsg);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db,
					"INSERT INTO main.sqlite_master(type, name, tbl_name, "
					"rootpage, sql) VALUES('table', ?1, ?1, 0, ?2)",
					-1, &st, NULL);
	for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
		char *sql = sqlite3_mprintf("CREATE VIRTUAL TABLE \"%w\" USING bpftape(\"%w\")",
					    names[i], names[i]);

		if (!sql) {
			rc = SQLITE_NOMEM;
			break;
		}
		sqlite3_bind_text(st, 1, names[i], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, sql, -1, sqlite3_free);
		rc = sqlite3_step(st);
		rc = rc == SQLITE_DONE ? sqlite3_reset(st) : rc;
	}
	if (rc != SQLITE_OK && !*errmsg)
		*errmsg = sqlite3_mprintf("cannot write the schema of the tables: %s",
					  sqlite3_errmsg(db));
	sqlite3_finalize(st);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "COMMIT", NULL, NULL, errmsg);
	if (rc != SQLITE_OK)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	if (sqlite3_exec(db, "PRAGMA writable_schema=RESET", NULL, NULL, NULL) != SQLITE_OK &&
	    rc == SQLITE_OK) {
		rc = sqlite3_errcode(db);
		*errmsg = sqlite3_mprintf("cannot reload the schema: %s", sqlite3_errmsg(db));
	}
	if (defensive)
		sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	return rc;
}

int qsql__attach(sqlite3 *db, struct qset *set, char **errmsg)
{
	struct qsql *q = calloc(1, sizeof(*q));
	const char **all = NULL;
	int rc = SQLITE_NOMEM;
	sqlite3_stmt *st = NULL;
	size_t n = 0;
	bool empty = false;

	*errmsg = NULL;
	if (!q)
		return SQLITE_NOMEM;
	q->set = qset__get(set);
	q->multi = qset__count(set) > 1;
	q->ntypes = qset__type_tables(set, &q->names, &q->types);
	if (q->ntypes > 0)
		q->ntypes = qset__keep_types_with_events(set, q->names, q->types, q->ntypes);
	if (q->ntypes < 0) {
		q->ntypes = 0;
		goto cleanup;
	}
	q->ntables = NFIXED + q->ntypes;
	q->tables = calloc(q->ntables, sizeof(*q->tables));
	all = malloc(q->ntables * sizeof(*all));
	if (!q->tables || !all || qsql_index(q))
		goto cleanup;
	for (n = 0; n < q->ntables; n++)
		all[n] = qsql_name(q, n);
	/* the module owns @q from here, also when registering fails */
	rc = sqlite3_create_module_v2(db, "bpftape", &query_module, q, qsql_free);
	q = NULL;
	if (rc != SQLITE_OK) {
		*errmsg = sqlite3_mprintf("cannot register the bpftape module: %s",
					  sqlite3_errmsg(db));
		goto cleanup;
	}
	/* rows written by hand must not meet tables of the same name, nor go
	 * into the caller's transaction */
	rc = sqlite3_prepare_v2(db, "SELECT 1 FROM main.sqlite_master", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		empty = rc == SQLITE_DONE;
		rc = rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_OK)
		*errmsg = sqlite3_mprintf("cannot read the schema: %s", sqlite3_errmsg(db));
	else if (empty && sqlite3_get_autocommit(db))
		rc = create_at_once(db, all, n, errmsg);
	else
		rc = create_one_by_one(db, all, n, errmsg);
	if (rc != SQLITE_OK)
		goto cleanup;
	/* the schema loads, and a table connects, before the caller's first query */
	rc = sqlite3_prepare_v2(db, "SELECT * FROM main.events", -1, &st, NULL);
	if (rc != SQLITE_OK)
		*errmsg = sqlite3_mprintf("cannot create the tables: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
cleanup:
	qsql_free(q);
	free(all);
	return rc;
}

/* ---- the extension's table-valued functions ---- */

static int f_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out,
		     char **errmsg)
{
	const char *spec = aux; /* "events", "processes", ... or a type name */
	struct qvtab *vt;
	int rc;
	vt = sqlite3_malloc(sizeof(*vt));
	if (!vt)
		return SQLITE_NOMEM;
	memset(vt, 0, sizeof(*vt));
	vt->ext = true;
	vt->owns_table = true;
	if (!strcmp(spec, "events"))
		vt->t = qtable__new(QT_EVENTS, QL_EXTENSION, false);
	else if (!strcmp(spec, "processes"))
		vt->t = qtable__new(QT_PROCESSES, QL_EXTENSION, false);
	else if (!strcmp(spec, "losses"))
		vt->t = qtable__new(QT_LOSSES, QL_EXTENSION, false);
	else if (!strcmp(spec, "meta"))
		vt->t = qtable__new(QT_META, QL_EXTENSION, false);
	else if (!strcmp(spec, "types"))
		vt->t = qtable__new(QT_TYPES, QL_EXTENSION, false);
	else if (!strcmp(spec, "frames"))
		vt->t = qtable__new(QT_FRAMES, QL_EXTENSION, false);
	else
		vt->t = qtable__new_builtin(spec, QL_EXTENSION);
	if (vt->t && argc > 0) {
		/* messages name the function as the user wrote it */
		char *name = strdup(argv[0]);

		if (name) {
			free(vt->t->name);
			vt->t->name = name;
		}
	}
	if (!vt->t) {
		sqlite3_free(vt);
		return SQLITE_NOMEM;
	}
	rc = declare(db, vt, errmsg);
	if (rc != SQLITE_OK) {
		qtable__free(vt->t);
		sqlite3_free(vt);
		return rc;
	}
	sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
	*out = &vt->base;
	return SQLITE_OK;
}

static const sqlite3_module function_module = {
	.iVersion = 1,
	.xCreate = NULL, /* eponymous only: tape_events('x.tape') */
	.xConnect = f_connect,
	.xBestIndex = q_best_index,
	.xDisconnect = q_disconnect,
	.xDestroy = q_disconnect,
	.xOpen = q_open,
	.xClose = q_close,
	.xFilter = q_filter,
	.xNext = q_next,
	.xEof = q_eof,
	.xColumn = q_column,
	.xRowid = q_rowid,
};

/* ---- the extension's bpftape module: tables over named tapes ---- */

/* An argument as written, without its quotes.  malloc'd. */
static char *unquote(const char *arg)
{
	size_t len = strlen(arg);

	while (len && (*arg == ' ' || *arg == '\t')) {
		arg++;
		len--;
	}
	while (len && (arg[len - 1] == ' ' || arg[len - 1] == '\t'))
		len--;
	if (len >= 2 && (arg[0] == '\'' || arg[0] == '"') && arg[len - 1] == arg[0]) {
		arg++;
		len -= 2;
	}
	return strndup(arg, len);
}

static struct qtable *named_table(struct qset *set, const char *name, bool multi)
{
	static const struct {
		const char *name;
		enum qtab_kind kind;
	} fixed[] = {{"events", QT_EVENTS}, {"processes", QT_PROCESSES}, {"losses", QT_LOSSES},
		     {"meta", QT_META},	    {"types", QT_TYPES},	 {"frames", QT_FRAMES}};
	struct qtable *t = NULL;
	char **names = NULL, **types = NULL;
	int n;

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (!strcmp(fixed[i].name, name))
			return qtable__new(fixed[i].kind, QL_QUERY, multi);
	n = qset__type_tables(set, &names, &types);
	if (n < 0) {
		errno = -n;
		return NULL;
	}
	errno = ENOENT;
	for (int i = 0; i < n && !t; i++)
		if (!strcmp(names[i], name) || !strcmp(types[i], name))
			t = qtable__new_type(set, names[i], types[i], QL_QUERY, multi);
	qnames__free(names, n);
	qnames__free(types, n);
	return t;
}

/*
 * CREATE VIRTUAL TABLE x USING bpftape('a.tape' [, 'b.tape'...] [, table=NAME]):
 * the table NAME (events by default, or any type of the tapes, generic
 * probes included) over those tapes, as `bpftape query` shows it.
 */
static int m_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out,
		     char **errmsg)
{
	const char **paths = NULL;
	char **args = NULL, *table = NULL, err[512];
	struct qvtab *vt = NULL;
	struct qset *set = NULL;
	int npaths = 0, rc = SQLITE_NOMEM;

	(void)aux;
	args = calloc(argc > 3 ? argc - 3 : 1, sizeof(*args));
	paths = calloc(argc > 3 ? argc - 3 : 1, sizeof(*paths));
	if (!args || !paths)
		goto cleanup;
	for (int i = 3; i < argc; i++) {
		char *a = unquote(argv[i]);

		if (!a)
			goto cleanup;
		args[i - 3] = a;
		if (!strncmp(a, "table=", 6)) {
			free(table);
			table = unquote(a + 6);
			if (!table)
				goto cleanup;
		} else {
			paths[npaths++] = a;
		}
	}
	if (!npaths) {
		*errmsg = sqlite3_mprintf("bpftape: name the tapes: CREATE VIRTUAL TABLE t USING "
					  "bpftape('x.tape' [, table=open])");
		rc = SQLITE_ERROR;
		goto cleanup;
	}
	set = qset__open(paths, npaths, err, sizeof(err));
	if (!set) {
		*errmsg = sqlite3_mprintf("bpftape: %s", err);
		rc = SQLITE_ERROR;
		goto cleanup;
	}
	vt = sqlite3_malloc(sizeof(*vt));
	if (!vt)
		goto cleanup;
	memset(vt, 0, sizeof(*vt));
	vt->t = named_table(set, table ? table : "events", npaths > 1);
	if (!vt->t) {
		rc = errno == ENOMEM ? SQLITE_NOMEM : SQLITE_ERROR;
		if (rc == SQLITE_ERROR)
			*errmsg = sqlite3_mprintf("bpftape: no table or event type '%s' in %s",
						  table, paths[0]);
		goto cleanup;
	}
	vt->owns_table = true;
	vt->owns_set = true;
	vt->set = set;
	set = NULL;
	vt->rows = count_rows(vt->t, vt->set);
	rc = declare(db, vt, errmsg);
	if (rc == SQLITE_OK) {
		sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
		*out = &vt->base;
		vt = NULL;
	}
cleanup:
	if (vt) {
		qtable__free(vt->t);
		qset__put(vt->set);
		sqlite3_free(vt);
	}
	qset__put(set);
	for (int i = 0; args && i < argc - 3; i++)
		free(args[i]);
	free(args);
	free(paths);
	free(table);
	return rc;
}

static const sqlite3_module tape_module = {
	.iVersion = 1,
	.xCreate = m_connect,
	.xConnect = m_connect,
	.xBestIndex = q_best_index,
	.xDisconnect = q_disconnect,
	.xDestroy = q_disconnect,
	.xOpen = q_open,
	.xClose = q_close,
	.xFilter = q_filter,
	.xNext = q_next,
	.xEof = q_eof,
	.xColumn = q_column,
	.xRowid = q_rowid,
};

int qsql__register_functions(sqlite3 *db, char **errmsg)
{
	static const char *const fixed[] = {"events", "processes", "losses",
					    "meta",   "types",	   "frames"};
	char name[64];
	int rc = SQLITE_OK;

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]) && rc == SQLITE_OK; i++) {
		snprintf(name, sizeof(name), "tape_%s", fixed[i]);
		rc = sqlite3_create_module_v2(db, name, &function_module, (void *)fixed[i], NULL);
	}
	for (size_t i = 0; qtab_builtin_types[i] && rc == SQLITE_OK; i++) {
		snprintf(name, sizeof(name), "tape_%s", qtab_builtin_types[i]);
		rc = sqlite3_create_module_v2(db, name, &function_module,
					      (void *)qtab_builtin_types[i], NULL);
	}
	if (rc == SQLITE_OK) {
		snprintf(name, sizeof(name), "bpftape");
		rc = sqlite3_create_module_v2(db, name, &tape_module, NULL, NULL);
	}
	if (rc != SQLITE_OK && errmsg)
		*errmsg = sqlite3_mprintf("bpftape: cannot register %s: %s", name,
					  sqlite3_errmsg(db));
	return rc;
}
