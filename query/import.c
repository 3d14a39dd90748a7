// SPDX-License-Identifier: MIT
/*
 * bpftape import: the tables of `bpftape query` in a plain SQLite file.
 *
 * Each event is written once: its common columns as a row of
 * "events:rows", its typed fields as a row of "TYPE:fields" under the same
 * id.  `events` and the type tables are views joining them, and derive what
 * the rows imply rather than store it: `time` from ts and the tape's clock
 * offset, `args` from the typed fields (json_object()), `host` and `file`
 * from the tape's number.  SQLite's cost is its bytes and B-tree entries
 * per event (docs/QUERIES.md, "The imported database").  One pass over the
 * events, one transaction, prepared statements of BATCH rows.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../cli/cli.h"
#include "private/grow.h"
#include "private/names.h"
#include "chimport.h"
#include "qimport.h"
#include "qtab_int.h"
#include "../cli/verbs.h"

/* Rows go in BATCH at a time: one statement step per BATCH rows spares
 * SQLite most of its per-statement work. */
#define BATCH 32

/* From this many events, indexes are created before the load. */
#define EARLY_INDEX_EVENTS 500000

/*
 * The events are decoded by a second thread, which hands the rows over in
 * batches of PIPE_EVENTS events (or PIPE_BYTES of copied text), two batches
 * in flight: decoding and SQLite's inserts overlap, and memory stays bounded.
 */
#define PIPE_EVENTS 8192
#define PIPE_BYTES  (4u << 20)

/* json_object() takes at most SQLITE_MAX_FUNCTION_ARG (127) arguments */
#define JSON_MAX_FIELDS 63

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

/*
 * How events.args shows a field (qscan.c's j_value()), so that the view
 * can say the same with json_object() over the stored columns.
 */
enum jrule {
	J_SINT, /* a number: the column */
	J_UINT, /* a number: the column, while it fits in an int64 */
	J_STR,	/* a string: the column */
	J_HEX,	/* bytes: lower-case hex of the column */
	J_DISP, /* the display text: the FIELD_str column */
	J_NONE, /* nothing SQL derives (argv's array) */
	J_UNSET = 0xff,
};

/* A FIELD_str column the view computes from the field's value, as format's
 * put_radix() writes it, instead of storing it. */
enum dstr {
	D_STORED,
	D_HEX,	 /* "0x1f", "0" */
	D_OCTAL, /* "0644", "0" */
};

static uint8_t dstr_of(const struct tape_field *f)
{
	if (f->kind == TAPE_STR || f->kind == TAPE_BYTES)
		return D_STORED;
	return f->display == TAPE_DISP_HEX     ? D_HEX
	       : f->display == TAPE_DISP_OCTAL ? D_OCTAL
					       : D_STORED;
}

/* What a stored value must be for the view's args to match the tape's. */
enum jcheck {
	CK_NONE,
	CK_UINT, /* a non-negative integer */
	CK_TEXT, /* text that JSON and format's escaping write alike */
	CK_BLOB, /* bytes, at least one */
};

/* Where a stored column's values come from. */
enum isrc {
	IS_COL,	 /* column @col of the query's table */
	IS_ID,	 /* the event's number: the rows of one event share it */
	IS_TAPE, /* the tape's index, with several tapes */
	IS_ARGS, /* events.args, where the view cannot derive it; else NULL */
};

struct icol {
	uint8_t src;   /* enum isrc */
	uint8_t check; /* enum jcheck */
	int col;
};

/*
 * What a parameter of a prepared statement holds since it was last bound:
 * sqlite3_reset() keeps bindings, so a value equal to it (an integer, NULL,
 * or bytes at the same address that live as long as the set: interned
 * comms, type names) is not bound again.  Bytes copied into a batch are
 * always bound, the buffer being reused.
 */
struct bound {
	int64_t i;
	const void *p;
	int n;
	uint8_t t; /* enum qval_type, or B_UNKNOWN */
};

#define B_UNKNOWN 0xff

struct itable {
	struct qtable *t; /* the table of `bpftape query`: the view's columns */
	char *stored;	  /* the table written ("events:rows", "open:fields", "meta") */
	struct icol *cols;
	int ncols;
	uint8_t *rule;	      /* type tables: per slot, enum jrule */
	uint8_t *derived;     /* type tables: per slot, the FIELD_str the view computes */
	bool derive;	      /* type tables: the view derives args */
	sqlite3_stmt *insert; /* one row, for the last rows */
	sqlite3_stmt *batch;  /* BATCH rows */
	struct bound *bound_insert, *bound_batch; /* per parameter of each */
	/* "events:rows": ids 1, 2, ... in insert order, left to SQLite */
	bool auto_id;
};

struct importer {
	sqlite3 *db;
	struct qset *set;
	struct itable *tabs; /* events, fixed tables, then one per type */
	size_t ntabs;
	bool multi;
	bool stacks;  /* some tape has stacks: "events:rows" stores stack_id */
	int args_col; /* events.args in tabs[0].t */
	/* per tape, per type id: the index into @tabs of its type table (0:
	 * none), and whether the view derives the args of its events */
	uint32_t **type_tab;
	uint8_t **type_plain;
	const char **indexes; /* the columns of "events:rows" indexed */
	size_t nindexes;
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
		snprintf(im->err, im->errlen, "%.200s: %s", sql,
			 msg ? msg : sqlite3_errmsg(im->db));
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

static int add_icol(struct itable *it, uint8_t src, int col, uint8_t check)
{
	struct icol *nc = realloc(it->cols, (it->ncols + 1) * sizeof(*nc));

	if (!nc)
		return -ENOMEM;
	it->cols = nc;
	it->cols[it->ncols++] = (struct icol){.src = src, .check = check, .col = col};
	return 0;
}

static int find_col(const struct qtable *t, uint8_t src)
{
	for (int c = 0; c < t->ncols; c++)
		if (t->cols[c].src == src)
			return c;
	return -1;
}

/* "events:rows": the common columns of every event; the colon keeps the
 * name apart from any type table's. */
static int setup_events(struct importer *im, struct itable *it)
{
	static const uint8_t srcs[] = {QC_TS,	QC_CPU,	 QC_PID,     QC_TID,
				       QC_COMM, QC_TYPE, QC_STACK_ID};
	int ret;

	for (size_t i = 0; i < qset__count(im->set); i++)
		im->stacks |= tape_reader__stack_count(qset__reader(im->set, i)) > 0;
	it->stored = sqlite3_mprintf("events:rows");
	/* the id, the first column, is the event's number: SQLite's next
	 * rowid of the table, which it appends at the end of the B-tree
	 * without seeking (batch_insert() checks it is the event's) */
	it->auto_id = true;
	ret = it->stored ? add_icol(it, IS_ID, -1, CK_NONE) : -ENOMEM;
	/* without stacks, every stack_id is NULL: the views say so */
	for (size_t i = 0; i < sizeof(srcs) && !ret; i++)
		if (srcs[i] != QC_STACK_ID || im->stacks)
			ret = add_icol(it, IS_COL, find_col(it->t, srcs[i]), CK_NONE);
	if (!ret && im->multi)
		ret = add_icol(it, IS_TAPE, -1, CK_NONE);
	im->args_col = find_col(it->t, QC_ARGS);
	return ret;
}

/* processes, losses, meta, types: stored as `bpftape query` shows them. */
static int setup_fixed(struct itable *it)
{
	int ret;

	it->stored = sqlite3_mprintf("%s", it->t->name);
	ret = it->stored ? 0 : -ENOMEM;
	for (int c = 0; c < it->t->ncols && !ret; c++)
		if (!it->t->cols[c].hidden)
			ret = add_icol(it, IS_COL, c, CK_NONE);
	return ret;
}

static uint8_t jrule_of(const struct tape_field *f)
{
	switch (f->kind) {
	case TAPE_STR:
		return J_STR;
	case TAPE_BYTES:
		if (f->display == TAPE_DISP_ARGV)
			return J_NONE;
		if (f->display == TAPE_DISP_DEFAULT)
			return J_HEX;
		return tape_field__has_text(f) ? J_DISP : J_NONE;
	default:
		break;
	}
	switch (f->display) {
	case TAPE_DISP_ENUM:
	case TAPE_DISP_FLAGS:
	case TAPE_DISP_IPV4:
	case TAPE_DISP_SOCKADDR:
		return J_DISP;
	default:
		return f->kind >= TAPE_S8 && f->kind <= TAPE_S64 ? J_SINT : J_UINT;
	}
}

/* Bytes that json_object() writes as format's JSON escaping does. */
static bool plain_text(const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '\\')
			return false;
	return true;
}

static int slot_of(const struct qtable *t, const char *field)
{
	for (int i = 0; i < t->nslots; i++)
		if (!strcmp(t->slots[i].field, field))
			return i;
	return -1;
}

/*
 * "TYPE:fields": the typed columns of one type's events, keyed by the
 * event's id.  The view derives args when every field has a rule SQL can
 * follow, taken from the first tape that declares the field (as the
 * table's columns are); events whose values leave the rule (text JSON and
 * format escape differently, a u64 past int64) keep their args in ":args".
 */
static int setup_type(struct importer *im, struct itable *it)
{
	struct qtable *t = it->t;
	int ret;

	it->stored = sqlite3_mprintf("%s:fields", t->name);
	it->rule = malloc(t->nslots + 1);
	if (!it->stored || !it->rule)
		return -ENOMEM;
	it->derived = calloc(t->nslots + 1, 1);
	if (!it->derived)
		return -ENOMEM;
	memset(it->rule, J_UNSET, t->nslots + 1);
	for (size_t i = 0; i < qset__count(im->set); i++) {
		const struct tape_type *tp =
			tape_reader__type_by_name(qset__reader(im->set, i), t->type_name);

		for (unsigned f = 0; tp && f < tp->nfields; f++) {
			int s = slot_of(t, tp->fields[f].name);

			if (s < 0)
				continue;
			/* a display text every tape writes alike, or stored */
			if (it->rule[s] == J_UNSET)
				it->derived[s] = dstr_of(&tp->fields[f]);
			else if (it->derived[s] != dstr_of(&tp->fields[f]))
				it->derived[s] = D_STORED;
			if (it->rule[s] == J_UNSET)
				it->rule[s] = jrule_of(&tp->fields[f]);
		}
	}
	it->derive = t->nslots <= JSON_MAX_FIELDS;
	for (int s = 0; s < t->nslots; s++) {
		bool has_str = false;

		for (int c = 0; c < t->ncols; c++)
			has_str |= t->cols[c].src == QC_FIELD_STR && t->cols[c].slot == s;
		if (it->rule[s] == J_NONE || it->rule[s] == J_UNSET ||
		    (it->rule[s] == J_DISP && !has_str) ||
		    !plain_text(t->slots[s].field, strlen(t->slots[s].field)) ||
		    strchr(t->slots[s].field, '"'))
			it->derive = false;
	}
	ret = add_icol(it, IS_ID, -1, CK_NONE);
	for (int c = 0; c < t->ncols && !ret; c++) {
		const struct qcol *qc = &t->cols[c];
		uint8_t check = CK_NONE, r;

		if ((qc->src != QC_FIELD && qc->src != QC_FIELD_STR) ||
		    (qc->src == QC_FIELD_STR && it->derived[qc->slot]))
			continue;
		r = it->rule[qc->slot];
		if (qc->src == QC_FIELD)
			check = r == J_UINT  ? CK_UINT
				: r == J_STR ? CK_TEXT
				: r == J_HEX ? CK_BLOB
					     : CK_NONE;
		else if (r == J_DISP)
			check = CK_TEXT;
		ret = add_icol(it, IS_COL, c, it->derive ? check : CK_NONE);
	}
	return ret ?: add_icol(it, IS_ARGS, -1, CK_NONE);
}

static const char *icol_name(const struct itable *it, const struct icol *c)
{
	switch (c->src) {
	case IS_ID:
		return it->t->kind == QT_EVENTS ? "id" : ":id";
	case IS_TAPE:
		return "tape";
	case IS_ARGS:
		return ":args";
	default:
		return it->t->cols[c->col].name;
	}
}

/* CREATE TABLE of what is stored. */
static int create_table(struct importer *im, struct itable *it)
{
	sqlite3_str *s = sqlite3_str_new(im->db);
	char *sql;
	int ret;

	sqlite3_str_appendf(s, "CREATE TABLE main.\"%w\"(", it->stored);
	for (int c = 0; c < it->ncols; c++) {
		const struct icol *ic = &it->cols[c];

		sqlite3_str_appendf(s, "%s\"%w\"", c ? ", " : "", icol_name(it, ic));
		if (ic->src == IS_ID)
			sqlite3_str_appendall(s, " INTEGER PRIMARY KEY");
		else if (ic->src == IS_TAPE)
			sqlite3_str_appendall(s, " INTEGER");
		else if (ic->src == IS_ARGS)
			sqlite3_str_appendall(s, " TEXT");
		else if (it->t->cols[ic->col].decl[0])
			sqlite3_str_appendf(s, " %s", it->t->cols[ic->col].decl);
	}
	sqlite3_str_appendall(s, ")");
	sql = sqlite3_str_finish(s);
	if (!sql)
		return -ENOMEM;
	ret = exec(im, sql);
	sqlite3_free(sql);
	return ret;
}

/* ---- the views ---- */

/* CASE e.tape WHEN 0 THEN ... END, or the one tape's value. */
static void per_tape(sqlite3_str *s, struct importer *im, int what)
{
	size_t n = qset__count(im->set);

	if (n > 1)
		sqlite3_str_appendall(s, "CASE e.tape");
	for (size_t i = 0; i < n; i++) {
		const struct qtape *tp = &im->set->tapes[i];

		if (n > 1)
			sqlite3_str_appendf(s, " WHEN %d THEN ", (int)i);
		if (what == QC_HOST)
			sqlite3_str_appendf(s, "%Q", qset__host(im->set, i));
		else if (what == QC_FILE)
			sqlite3_str_appendf(s, "%Q", qset__path(im->set, i));
		else if (tp->has_rt)
			sqlite3_str_appendf(s, "%lld", (long long)tp->rt_off);
		else
			sqlite3_str_appendall(s, "NULL");
	}
	if (n > 1)
		sqlite3_str_appendall(s, " END");
}

/*
 * `time` as qscan.c's set_time() writes it: the wall clock (ts plus the
 * tape's offset) in UTC to the nanosecond, NULL for ts 0 or a tape that
 * recorded no offset.  The remainder is taken non-negative, as C's
 * division of a negative wall clock would not.
 */
static int time_expr(sqlite3_str *s, struct importer *im)
{
	char *w, *r;
	sqlite3_str *ws = sqlite3_str_new(NULL);

	sqlite3_str_appendall(ws, "(e.ts + ");
	per_tape(ws, im, QC_TIME);
	sqlite3_str_appendall(ws, ")");
	w = sqlite3_str_finish(ws);
	r = w ? sqlite3_mprintf("((%s %% 1000000000 + 1000000000) %% 1000000000)", w) : NULL;
	if (!r) {
		sqlite3_free(w);
		return -ENOMEM;
	}
	sqlite3_str_appendf(s,
			    "CASE WHEN e.ts THEN strftime('%%Y-%%m-%%dT%%H:%%M:%%S', (%s - %s) / "
			    "1000000000, 'unixepoch') || printf('.%%09dZ', %s) END",
			    w, r, r);
	sqlite3_free(w);
	sqlite3_free(r);
	return 0;
}

/* A type table's args over its "TYPE:fields" row f. */
static void args_expr(sqlite3_str *s, const struct itable *it)
{
	const struct qtable *t = it->t;

	if (!it->derive) {
		sqlite3_str_appendall(s, "f.\":args\"");
		return;
	}
	sqlite3_str_appendall(s, "coalesce(f.\":args\", json_object(");
	for (int sl = 0; sl < t->nslots; sl++) {
		int col = -1;

		for (int c = 0; c < t->ncols; c++)
			if (t->cols[c].slot == sl &&
			    t->cols[c].src == (it->rule[sl] == J_DISP ? QC_FIELD_STR : QC_FIELD))
				col = c;
		sqlite3_str_appendf(s, "%s'%s', ", sl ? ", " : "", t->slots[sl].field);
		if (it->rule[sl] == J_HEX)
			sqlite3_str_appendf(s, "lower(hex(f.\"%w\"))", t->cols[col].name);
		else
			sqlite3_str_appendf(s, "f.\"%w\"", t->cols[col].name);
	}
	sqlite3_str_appendall(s, "))");
}

/* FIELD_str of slot @sl computed from the field's column: put_radix()'s
 * text, NULL where the event's tape has no such field. */
static void derived_expr(sqlite3_str *s, const struct qtable *t, int sl, uint8_t how)
{
	const char *v = NULL;

	for (int c = 0; c < t->ncols; c++)
		if (t->cols[c].src == QC_FIELD && t->cols[c].slot == sl)
			v = t->cols[c].name;
	sqlite3_str_appendf(s,
			    "CASE WHEN f.\"%w\" IS NULL THEN NULL WHEN f.\"%w\" = 0 THEN '0' "
			    "ELSE printf('%s', f.\"%w\") END",
			    v, v, how == D_HEX ? "0x%x" : "0%o", v);
}

/* The view of `bpftape query`'s table @it->t over the stored rows. */
static int create_view(struct importer *im, size_t k, size_t first_type_tab)
{
	const struct itable *it = &im->tabs[k];
	const struct qtable *t = it->t;
	sqlite3_str *s = sqlite3_str_new(im->db);
	char *sql;
	int n = 0, ret = 0;

	sqlite3_str_appendf(s, "CREATE VIEW main.\"%w\" AS SELECT ", t->name);
	for (int c = 0; c < t->ncols; c++) {
		const struct qcol *qc = &t->cols[c];

		if (qc->hidden)
			continue;
		if (n++)
			sqlite3_str_appendall(s, ", ");
		switch (qc->src) {
		case QC_TIME:
			ret = ret ?: time_expr(s, im);
			break;
		case QC_HOST:
		case QC_FILE:
			per_tape(s, im, qc->src);
			break;
		case QC_ARGS:
			sqlite3_str_appendall(s, "CASE e.type");
			for (size_t j = first_type_tab; j < im->ntabs; j++) {
				sqlite3_str_appendf(s, " WHEN %Q THEN (SELECT ",
						    im->tabs[j].t->type_name);
				args_expr(s, &im->tabs[j]);
				sqlite3_str_appendf(s, " FROM \"%w\" f WHERE f.\":id\" = e.id)",
						    im->tabs[j].stored);
			}
			sqlite3_str_appendall(s, " ELSE '{}' END");
			break;
		case QC_FIELD_STR:
			if (it->derived && it->derived[qc->slot]) {
				derived_expr(s, t, qc->slot, it->derived[qc->slot]);
				break;
			}
			/* fall through */
		case QC_FIELD:
			sqlite3_str_appendf(s, "f.\"%w\"", qc->name);
			break;
		case QC_STACK_ID:
			sqlite3_str_appendall(s, im->stacks ? "e.\"stack_id\""
							    : "CAST(NULL AS INTEGER)");
			break;
		default:
			/* the common columns keep their names in events:rows */
			sqlite3_str_appendf(s, "e.\"%w\"", qc->name);
			break;
		}
		sqlite3_str_appendf(s, " AS \"%w\"", qc->name);
	}
	if (t->kind == QT_EVENTS)
		sqlite3_str_appendall(s, " FROM \"events:rows\" e");
	else
		sqlite3_str_appendf(s, " FROM \"%w\" f JOIN \"events:rows\" e ON e.id = f.\":id\"",
				    it->stored);
	sql = sqlite3_str_finish(s);
	if (!sql || ret) {
		sqlite3_free(sql);
		return -ENOMEM;
	}
	ret = exec(im, sql);
	sqlite3_free(sql);
	return ret;
}

/*
 * The INSERT statements of a table, made for its first row: a BATCH-row
 * statement of a wide table costs hundreds of KiB, and a tape may declare
 * 65535 types, most of them without events.
 */
static int prepare_insert(struct importer *im, struct itable *it)
{
	sqlite3_str *s = sqlite3_str_new(im->db);
	size_t one = 0;
	const int c0 = it->auto_id; /* the id, left to SQLite */
	char *sql;
	int ret = 0;

	sqlite3_str_appendf(s, "INSERT INTO main.\"%w\"(", it->stored);
	for (int c = c0; c < it->ncols; c++)
		sqlite3_str_appendf(s, "%s\"%w\"", c > c0 ? "," : "", icol_name(it, &it->cols[c]));
	sqlite3_str_appendall(s, ") VALUES");
	for (int r = 0; r < BATCH; r++) {
		if (r == 1)
			one = (size_t)sqlite3_str_length(s);
		sqlite3_str_appendall(s, r ? ",(" : "(");
		for (int c = c0; c < it->ncols; c++)
			sqlite3_str_appendall(s, c > c0 ? ",?" : "?");
		sqlite3_str_appendall(s, ")");
	}
	sql = sqlite3_str_finish(s);
	if (!sql)
		return -ENOMEM;
	free(it->bound_insert);
	free(it->bound_batch);
	it->bound_insert = malloc(it->ncols * sizeof(*it->bound_insert));
	it->bound_batch = malloc((size_t)BATCH * it->ncols * sizeof(*it->bound_batch));
	if (!it->bound_insert || !it->bound_batch) {
		sqlite3_free(sql);
		return -ENOMEM;
	}
	/* a new statement holds no value yet */
	for (int c = 0; c < it->ncols; c++)
		it->bound_insert[c].t = B_UNKNOWN;
	for (int c = 0; c < BATCH * it->ncols; c++)
		it->bound_batch[c].t = B_UNKNOWN;
	/* the one-row statement is the batch's first row */
	if (sqlite3_prepare_v3(im->db, sql, (int)one, SQLITE_PREPARE_PERSISTENT, &it->insert,
			       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(im->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &it->batch, NULL) !=
		    SQLITE_OK)
		ret = sql_error(im, it->stored);
	sqlite3_free(sql);
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

static bool check_ok(uint8_t check, const struct qval *v)
{
	switch (check) {
	case CK_UINT:
		return v->t == QV_INT && v->i >= 0;
	case CK_TEXT:
		return v->t == QV_TEXT && plain_text(v->p, (size_t)v->n);
	case CK_BLOB:
		return v->t == QV_BLOB && v->n > 0;
	default:
		return true;
	}
}

static int batch_put(struct rowbatch *b, const struct qval *v)
{
	struct pval *dst = &b->vals[b->nvals++];

	*dst = (struct pval){.t = v->t};
	if (v->t == QV_INT)
		dst->i = v->i;
	if (v->t != QV_TEXT && v->t != QV_BLOB)
		return 0;
	dst->n = v->n;
	dst->p = v->p;
	if (!v->stable) {
		/* bytes the scan will reuse: copied, found by offset since the
		 * buffer may move */
		if (array_grow(&b->bytes, &b->capbytes, b->nbytes + v->n, 1, 65536))
			return -ENOMEM;
		memcpy(b->bytes + b->nbytes, v->p, v->n);
		dst->i = (int64_t)b->nbytes;
		dst->p = NULL;
		b->nbytes += v->n;
	}
	return 0;
}

/*
 * Add the current row of @scan as a row of table @k: of the event scan
 * (@of_event), with the event's @id and @tape, and @plain if the view
 * derives its args unless a value says otherwise; or of a fixed table.
 */
static int batch_add(struct importer *im, struct rowbatch *b, size_t k, struct qscan *scan,
		     bool of_event, uint64_t id, size_t tape, bool plain)
{
	const struct itable *it = &im->tabs[k];
	struct rowlist *rl = &b->rows[k];
	struct qval v;
	int ret;

	if (array_grow(&rl->first, &rl->cap, rl->n, sizeof(*rl->first), 256) ||
	    array_grow(&b->vals, &b->capvals, b->nvals + it->ncols, sizeof(*b->vals), 4096))
		return -ENOMEM;
	rl->first[rl->n++] = b->nvals;
	for (int c = 0; c < it->ncols; c++) {
		const struct icol *ic = &it->cols[c];

		switch (ic->src) {
		case IS_ID:
			v = (struct qval){.t = QV_INT, .i = (int64_t)id};
			break;
		case IS_TAPE:
			v = (struct qval){.t = QV_INT, .i = (int64_t)tape};
			break;
		case IS_ARGS:
			/* the last column: every check has been made */
			if (plain || im->args_col < 0)
				v = (struct qval){.t = QV_NULL};
			else if ((ret = qscan__column_of(scan, im->tabs[0].t, im->args_col, &v)))
				return ret;
			break;
		default:
			ret = of_event ? qscan__column_of(scan, it->t, ic->col, &v)
				       : qscan__column(scan, ic->col, &v);
			if (ret)
				return ret;
			if (plain && ic->check && !check_ok(ic->check, &v))
				plain = false;
			break;
		}
		ret = batch_put(b, &v);
		if (ret)
			return ret;
	}
	return 0;
}

/* Whether parameter @was holds @v already. */
static inline bool is_bound(const struct bound *was, const struct pval *v)
{
	return was->t == v->t &&
	       (v->t == QV_INT ? was->i == v->i
			       : v->t == QV_NULL || (was->p == v->p && was->n == v->n));
}

static int bind_val(sqlite3_stmt *st, int i, const struct pval *v, const char *bytes,
		    struct bound *was)
{
	*was = (struct bound){.t = v->t, .i = v->i, .p = v->p, .n = v->n};
	/* the batch stays put until the statement ran */
	switch (v->t) {
	case QV_INT:
		return sqlite3_bind_int64(st, i, v->i);
	case QV_TEXT:
		if (!v->p)
			was->t = B_UNKNOWN;
		return sqlite3_bind_text(st, i, v->p ? v->p : bytes + v->i, v->n, SQLITE_STATIC);
	case QV_BLOB:
		if (!v->p)
			was->t = B_UNKNOWN;
		return sqlite3_bind_blob(st, i, v->p ? v->p : bytes + v->i, v->n, SQLITE_STATIC);
	default:
		return sqlite3_bind_null(st, i);
	}
}

/* With the id left to SQLite, whether the last row inserted got the id
 * of the event, @want: never a silent shift of every id after it. */
static int check_id(struct importer *im, const struct itable *it, int64_t want)
{
	sqlite3_int64 got;

	if (!it->auto_id || (got = sqlite3_last_insert_rowid(im->db)) == want)
		return 0;
	snprintf(im->err, im->errlen, "%s: row id %lld given to event %lld", it->stored,
		 (long long)got, (long long)want);
	return -EIO;
}

/* Insert the rows of @b: BATCH per step, the last ones one by one. */
static int batch_insert(struct importer *im, const struct rowbatch *b)
{
	for (size_t k = 0; k < im->ntabs; k++) {
		const struct rowlist *rl = &b->rows[k];
		struct itable *it = &im->tabs[k];
		size_t r = 0;
		int n, c0, np, ret;

		if (!rl->n)
			continue;
		if (!it->batch && (ret = prepare_insert(im, it)))
			return ret;
		n = it->ncols;
		c0 = it->auto_id;
		np = n - c0; /* parameters per row */
		for (; r + BATCH <= rl->n; r += BATCH) {
			for (int j = 0; j < BATCH; j++) {
				const struct pval *row = &b->vals[rl->first[r + j]];
				struct bound *was = &it->bound_batch[j * n];

				for (int c = c0; c < n; c++)
					if (!is_bound(&was[c], &row[c]) &&
					    bind_val(it->batch, j * np + c - c0 + 1, &row[c],
						     b->bytes, &was[c]) != SQLITE_OK)
						return sql_error(im, it->stored);
			}
			if (sqlite3_step(it->batch) != SQLITE_DONE)
				return sql_error(im, it->stored);
			sqlite3_reset(it->batch);
			if ((ret = check_id(im, it, b->vals[rl->first[r + BATCH - 1]].i)))
				return ret;
		}
		for (; r < rl->n; r++) {
			for (int c = c0; c < n; c++)
				if (!is_bound(&it->bound_insert[c], &b->vals[rl->first[r] + c]) &&
				    bind_val(it->insert, c - c0 + 1, &b->vals[rl->first[r] + c],
					     b->bytes, &it->bound_insert[c]) != SQLITE_OK)
					return sql_error(im, it->stored);
			if (sqlite3_step(it->insert) != SQLITE_DONE)
				return sql_error(im, it->stored);
			sqlite3_reset(it->insert);
			if ((ret = check_id(im, it, b->vals[rl->first[r]].i)))
				return ret;
		}
	}
	return 0;
}

/* Whether the view of @it derives the args of tape @tp's events: the
 * type's fields are the table's slots, in order, with the same rules. */
static bool derives(const struct itable *it, const struct tape_type *tp)
{
	if (!it->derive || tp->nfields != (unsigned)it->t->nslots)
		return false;
	for (unsigned f = 0; f < tp->nfields; f++)
		if (strcmp(tp->fields[f].name, it->t->slots[f].field) ||
		    jrule_of(&tp->fields[f]) != it->rule[f])
			return false;
	return true;
}

/* Per tape, type id -> the index in im->tabs of its table (0: none), from
 * @tab_of: the tables' indexes by type name. */
static int map_types(struct importer *im, const struct names *tab_of)
{
	size_t n = qset__count(im->set);

	im->type_tab = calloc(n, sizeof(*im->type_tab));
	im->type_plain = calloc(n, sizeof(*im->type_plain));
	if (!im->type_tab || !im->type_plain)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct tape_reader *r = qset__reader(im->set, i);
		unsigned max = tape_reader__max_type(r);

		im->type_tab[i] = calloc(max + 1, sizeof(**im->type_tab));
		im->type_plain[i] = calloc(max + 1, 1);
		if (!im->type_tab[i] || !im->type_plain[i])
			return -ENOMEM;
		for (unsigned id = 1; id <= max; id++) {
			const struct tape_type *tp = tape_reader__type(r, id);
			uint32_t k = tp ? tape__names_find(tab_of, tp->name) : 0;

			im->type_tab[i][id] = k;
			im->type_plain[i][id] = k && derives(&im->tabs[k], tp);
		}
	}
	return 0;
}

/* The decoding thread and the inserting one, and the two batches between. */
struct pipe {
	struct importer *im;
	struct qscan *scan;
	uint64_t id; /* the last event's */
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
	int ret;

	while (b->events < PIPE_EVENTS && b->nbytes < PIPE_BYTES) {
		const struct tape_event *ev;
		uint32_t k = 0;
		bool plain = false;

		ret = qscan__next(pp->scan);
		if (ret < 0)
			snprintf(pp->err, sizeof(pp->err), "%s", qscan__errmsg(pp->scan));
		if (ret <= 0)
			return ret;
		ev = qscan__event(pp->scan);
		pp->id++;
		ret = batch_add(im, b, 0, pp->scan, true, pp->id, ev->source, false);
		if (ret)
			return ret;
		b->events++;
		if (ev->tp && ev->source < qset__count(im->set) &&
		    ev->type <= tape_reader__max_type(qset__reader(im->set, ev->source))) {
			k = im->type_tab[ev->source][ev->type];
			plain = im->type_plain[ev->source][ev->type];
		}
		if (k) {
			ret = batch_add(im, b, k, pp->scan, true, pp->id, ev->source, plain);
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
				ret = batch_add(im, &b, k, scan, false, 0, 0, false);
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

/*
 * The indexes, on "events:rows" alone: a type table's rows are found
 * through their event's id (its primary key), so `open WHERE ts ...`
 * reads events:ts and then the open rows by id.  Rows arrive in ts order:
 * SQLite appends to the ts index, a few hot pages.
 *
 * Any other column's index takes an insert in the middle of its B-tree
 * per event (each pid's run grows at its own place): the pid index was
 * half of a 10 M-event import (docs/QUERIES.md), and no worked question
 * needs it (`pid = ... AND ts BETWEEN` is served by ts).  So those are
 * the user's choice (@opts->indexes, `import --index`).  No index on type
 * either: the type tables are the way to one type's events, and on
 * `events` a `WHERE type = ...` scans the narrow rows of "events:rows" at
 * some 30 M rows/s of CPU, `GROUP BY type` at 4 M.
 */
static int create_indexes(struct importer *im, qimport_progress_fn progress, void *ctx)
{
	int ret = 0;

	for (size_t c = 0; c < im->nindexes && !ret; c++) {
		char *sql = sqlite3_mprintf(
			"CREATE INDEX main.\"events:%w\" ON \"events:rows\"(\"%w\")",
			im->indexes[c], im->indexes[c]);

		if (!sql)
			return -ENOMEM;
		if (progress)
			progress(ctx, "indexes", c, im->nindexes);
		ret = exec(im, sql);
		sqlite3_free(sql);
	}
	if (progress && !ret)
		progress(ctx, "indexes", im->nindexes, im->nindexes);
	return ret;
}

/*
 * The columns to index: ts, then each of @spec ("pid,tid") once, each a
 * column "events:rows" stores (not its id, the primary key already).
 */
static int choose_indexes(struct importer *im, const char *spec)
{
	const struct itable *it = &im->tabs[0];
	const char *p = spec;
	size_t len;

	im->indexes = calloc(it->ncols, sizeof(*im->indexes));
	if (!im->indexes)
		return -ENOMEM;
	im->indexes[im->nindexes++] = "ts";
	while (p && *p) {
		const char *name = NULL;
		bool dup = false;

		len = strcspn(p, ",");
		for (int c = 0; c < it->ncols; c++) {
			const char *n = icol_name(it, &it->cols[c]);

			if (it->cols[c].src != IS_ID && strlen(n) == len && !memcmp(n, p, len))
				name = n;
		}
		if (!name) {
			sqlite3_str *s = sqlite3_str_new(NULL);
			char *cols;

			for (int c = 0; c < it->ncols; c++)
				if (it->cols[c].src != IS_ID)
					sqlite3_str_appendf(s, "%s%s",
							    sqlite3_str_length(s) ? ", " : "",
							    icol_name(it, &it->cols[c]));
			cols = sqlite3_str_finish(s);
			snprintf(im->err, im->errlen,
				 "index on '%.*s': not a column of events' rows (%s)", (int)len, p,
				 cols ? cols : "?");
			sqlite3_free(cols);
			return -EINVAL;
		}
		for (size_t i = 0; i < im->nindexes; i++)
			dup |= !strcmp(im->indexes[i], name);
		if (!dup)
			im->indexes[im->nindexes++] = name;
		p += len + (p[len] == ',');
	}
	return 0;
}

int qimport__run(sqlite3 *db, struct qset *set, const struct qimport_opts *opts,
		 struct qimport_stats *st, char *err, size_t errlen)
{
	qimport_progress_fn progress = opts ? opts->progress : NULL;
	void *ctx = opts ? opts->ctx : NULL;
	uint64_t early_from =
		opts && opts->early_index_events ? opts->early_index_events : EARLY_INDEX_EVENTS;
	static const enum qtab_kind fixed[] = {QT_PROCESSES, QT_LOSSES, QT_META, QT_TYPES,
					       QT_FRAMES};
	struct importer im = {.db = db, .set = set, .err = err, .errlen = errlen};
	char **names = NULL, **types = NULL;
	struct names tab_of = {0}; /* type tables by type name */
	size_t first_type_tab = 0;
	int ntypes = 0, n, ret;

	err[0] = '\0';
	im.multi = qset__count(set) > 1;
	ret = add_table(&im, qtable__new(QT_EVENTS, QL_QUERY, im.multi));
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]) && !ret; i++)
		ret = add_table(&im, qtable__new(fixed[i], QL_QUERY, im.multi));
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
		ret = add_table(&im, qtable__new_type(set, names[i], types[i], QL_QUERY, im.multi));
		ret = ret ?: tape__names_add(&tab_of, types[i], (uint32_t)im.ntabs - 1);
	}
	for (size_t i = 0; i < im.ntabs && !ret; i++)
		ret = i == 0		   ? setup_events(&im, &im.tabs[i])
		      : i < first_type_tab ? setup_fixed(&im.tabs[i])
					   : setup_type(&im, &im.tabs[i]);
	ret = ret ?: map_types(&im, &tab_of);
	ret = ret
		      ?: choose_indexes(&im,
					opts && opts->sz > offsetof(struct qimport_opts, indexes)
						? opts->indexes
						: NULL);
	if (ret)
		goto cleanup;
	ret = exec(&im, "BEGIN");
	for (size_t i = 0; i < im.ntabs && !ret; i++)
		ret = create_table(&im, &im.tabs[i]);
	for (size_t i = 0; i < im.ntabs && !ret; i++)
		if (i == 0 || i >= first_type_tab)
			ret = create_view(&im, i, first_type_tab);
	/*
	 * CREATE INDEX after the load sorts: n log n.  Rows come in ts
	 * order, so an index that exists during the load only appends to a
	 * few hot pages per key: linear.  Measured here, the sort wins below
	 * a few million events and loses above.
	 */
	bool early = qset__event_count(set) >= early_from;

	if (early)
		ret = ret ?: create_indexes(&im, NULL, NULL);
	ret = ret ?: load_events(&im, progress, ctx);
	for (size_t i = 1; i < first_type_tab && !ret; i++)
		ret = load_table(&im, i);
	if (!early)
		ret = ret ?: create_indexes(&im, progress, ctx);
	ret = ret ?: exec(&im, "COMMIT");
	im.st.tables = im.ntabs;
	im.st.early_indexes = early;
	if (st)
		*st = im.st;
cleanup:
	if (ret == -ENOMEM && !err[0])
		snprintf(err, errlen, "out of memory");
	for (size_t i = 0; i < im.ntabs; i++) {
		struct itable *it = &im.tabs[i];

		sqlite3_finalize(it->insert);
		sqlite3_finalize(it->batch);
		free(it->bound_insert);
		free(it->bound_batch);
		qtable__free(it->t);
		sqlite3_free(it->stored);
		free(it->cols);
		free(it->rule);
		free(it->derived);
	}
	for (size_t i = 0; i < qset__count(set); i++) {
		if (im.type_tab)
			free(im.type_tab[i]);
		if (im.type_plain)
			free(im.type_plain[i]);
	}
	free(im.type_tab);
	free(im.type_plain);
	free(im.indexes);
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
	fprintf(f, "Usage: bpftape import -o OUT.db [--index COLUMN[,COLUMN...]] FILE...\n"
		   "       bpftape import --clickhouse URL [--cluster NAME] [--database DB]\n"
		   "                      [--replace] FILE...\n"
		   "\n"
		   "Write the tables of 'bpftape query' (events, one per event type,\n"
		   "processes, losses, meta, types, frames) into a plain SQLite database,\n"
		   "with an index on ts, for sqlite3, Python or a notebook;\n"
		   "or load them into ClickHouse, with host and tape on every row, one\n"
		   "host's tapes beside the others' (docs/FLEET.md).\n"
		   "\n"
		   "Options:\n"
		   "  -o, --output OUT.db   the database to write; an existing OUT.db is\n"
		   "                        replaced once the new one is complete\n"
		   "      --index COLUMN[,COLUMN...]\n"
		   "                        also index these columns of events (pid, tid,\n"
		   "                        comm, type, cpu): for lookups by process in a\n"
		   "                        large database; each costs the import about as\n"
		   "                        much again as all the rest (only ts by default)\n"
		   "      --clickhouse URL  load into the ClickHouse server at URL\n"
		   "                        (http://[USER[:PASSWORD]@]HOST:PORT, its HTTP port)\n"
		   "      --cluster NAME    shard by host over the servers of cluster NAME\n"
		   "                        (its system.clusters): a local table on each\n"
		   "                        shard, a Distributed table over them\n"
		   "      --database DB     the ClickHouse database (default: bpftape)\n"
		   "      --replace         load a tape that is loaded already again (by\n"
		   "                        default it is skipped, and said so)\n"
		   "  -q, --quiet           no progress line\n"
		   "  -h, --help            this help\n"
		   "\n" CLI_STDIN_HELP "\n"
		   "Examples:\n"
		   "  bpftape import -o incident.db incident.tape\n"
		   "  bpftape import -o fleet.db web1.tape web2.tape\n"
		   "  bpftape import -o big.db --index pid big.tape\n"
		   "  bpftape import --clickhouse http://ch1:8123 --cluster fleet web*.tape\n"
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
		{"clickhouse", required_argument, NULL, 'C'},
		{"cluster", required_argument, NULL, 'K'},
		{"database", required_argument, NULL, 'D'},
		{"replace", no_argument, NULL, 'R'},
		{"index", required_argument, NULL, 'I'},
		{NULL, 0, NULL, 0},
	};
	struct chimport_opts co = {0};
	struct progress prog = {0};
	struct qimport_stats st = {0};
	const char *out = NULL;
	const char *tmp = NULL;
	struct tape_out *of = NULL;
	char err[1024], *tmpcopy = NULL;
	const char *indexes = NULL;
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
		case 'C':
			co.url = optarg;
			break;
		case 'K':
			co.cluster = optarg;
			break;
		case 'D':
			co.database = optarg;
			break;
		case 'R':
			co.replace = true;
			break;
		case 'I':
			if (indexes)
				return cli__usage("import", "--index given twice: list the columns "
							    "in one (--index pid,tid)");
			indexes = optarg;
			break;
		default:
			return cli__bad_option("import", opt, argv, longopts);
		}
	}
	if (co.url && out)
		return cli__usage("import", "-o and --clickhouse: give one");
	if (co.url && indexes)
		return cli__usage("import", "--index is for a SQLite database (-o); ClickHouse "
					    "tables are ordered by their key");
	if (!co.url && (co.cluster || co.database || co.replace))
		return cli__usage("import",
				  "--cluster, --database and --replace need --clickhouse");
	if (co.url) {
		if (optind >= argc)
			return cli__usage("import", "no tape given (FILE...)");
		if ((ret = cli__check_inputs("import", argv + optind, (size_t)(argc - optind),
					     NULL)))
			return ret;
		co.quiet = quiet;
		return chimport__run(&co, (const char *const *)argv + optind,
				     (size_t)(argc - optind), NULL);
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
	struct qimport_opts io = {
		.sz = sizeof(io), .progress = show_progress, .ctx = &prog, .indexes = indexes};

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
