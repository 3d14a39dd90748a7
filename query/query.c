// SPDX-License-Identifier: MIT
/* bpftape query: SQL over tapes, printed as an aligned table, CSV or JSON. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../cli/cli.h"
#include "qimport.h"
#include "qsql.h"
#include "../cli/verbs.h"

enum out_format {
	OUT_TABLE,
	OUT_CSV,
	OUT_JSON,
};

struct query_opts {
	enum out_format format;
	const char *sql;
	bool stats;
	bool allow_write;
};

/* Rows a table keeps to size its columns before it streams the rest. */
#define TABLE_SAMPLE_ROWS 1000
/* Widest a column grows for alignment; longer values overflow it. */
#define TABLE_MAX_WIDTH 60

struct table_out {
	int ncols;
	size_t *width;
	bool *numeric;
	char **cells; /* sampled rows, ncols per row; NULL cell = SQL NULL */
	size_t nrows, cap;
	bool flushed;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: bpftape query [--format table|csv|json] [--stats] FILE... [-c SQL]\n"
		"\n"
		"Run SQL over one or more tapes.  Without -c, statements are read from\n"
		"standard input.  Tables: events (ts, time, cpu, pid, tid, comm, type,\n"
		"args, stack_id), one per event type with a typed column per field (open,\n"
		"exec, exit, connect, ...), processes, losses, meta, types, frames (the\n"
		"stacks' frames, by stack_id).  With several tapes, rows also carry host\n"
		"and file.  WHERE terms on ts, pid, tid and type are answered from the\n"
		"chunk index: only chunks that can match are read.\n"
		"\n"
		"Options:\n"
		"  -c, --command SQL     run SQL (several statements separated by ';')\n"
		"      --format FMT      table (default), csv or json\n"
		"  -s, --stats           print chunks read and skipped to stderr\n"
		"      --allow-write     let SQL create and write files (ATTACH, VACUUM\n"
		"                        INTO); without it every file SQL opens is\n"
		"                        opened read-only\n"
		"  -h, --help            this help\n"
		"\n" CLI_STDIN_HELP "With -, give the SQL with -c.\n\n"
		"Examples:\n"
		"  bpftape query incident.tape -c 'SELECT type, count(*) FROM events GROUP BY "
		"type'\n"
		"  bpftape query incident.tape -c \"SELECT comm, path, ret_str FROM open WHERE "
		"ret < 0\"\n"
		"  bpftape query --format csv a.tape b.tape -c 'SELECT host, count(*) FROM events "
		"GROUP BY 1'\n"
		"  echo 'SELECT * FROM processes;' | bpftape query --format json incident.tape\n"
		"  bpftape query x.tape -c 'EXPLAIN QUERY PLAN SELECT * FROM events WHERE pid = "
		"42'\n"
		"\n"
		"See docs/QUERIES.md for worked questions.\n");
}

/* ---- value rendering ---- */

static char *blob_hex(const unsigned char *p, int n)
{
	static const char hex[] = "0123456789abcdef";
	char *s = malloc((size_t)n * 2 + 1);

	if (!s)
		return NULL;
	for (int i = 0; i < n; i++) {
		s[2 * i] = hex[p[i] >> 4];
		s[2 * i + 1] = hex[p[i] & 15];
	}
	s[2 * n] = '\0';
	return s;
}

/* @n bytes escaped by format's renderer (tape.h, enum tape_esc), malloc'd. */
static char *escaped(const void *p, size_t n, enum tape_esc esc)
{
	ssize_t w = tape_escape(p, n, esc, NULL, 0);
	char *s = w >= 0 ? malloc((size_t)w + 1) : NULL;

	if (s)
		tape_escape(p, n, esc, s, (size_t)w + 1);
	return s;
}

/* The text of a cell, escaped as @esc says (a value can hold any bytes: the
 * tape's strings are SQL text as recorded), malloc'd; NULL for SQL NULL.
 * *@err on ENOMEM. */
static char *cell_text(sqlite3_stmt *st, int col, enum tape_esc esc, int *err)
{
	char *s;

	switch (sqlite3_column_type(st, col)) {
	case SQLITE_NULL:
		return NULL;
	case SQLITE_BLOB:
		s = blob_hex(sqlite3_column_blob(st, col), sqlite3_column_bytes(st, col));
		break;
	default: {
		const unsigned char *t = sqlite3_column_text(st, col);

		s = escaped(t ? t : (const unsigned char *)"",
			    t ? (size_t)sqlite3_column_bytes(st, col) : 0, esc);
		break;
	}
	}
	if (!s)
		*err = -ENOMEM;
	return s;
}

static void json_string(FILE *f, const char *s, size_t n)
{
	char *e = escaped(s, n, TAPE_ESC_JSON);

	fputc('"', f);
	fputs(e ? e : "", f);
	fputc('"', f);
	free(e);
}

/* A cell escaped already (TAPE_ESC_PLAIN), quoted as CSV needs. */
static void csv_field(FILE *f, const char *s)
{
	if (!s)
		return;
	if (!s[strcspn(s, ",\"\r\n")] && *s != ' ' && (!*s || s[strlen(s) - 1] != ' ')) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* ---- table output ---- */

static void table_free(struct table_out *t)
{
	for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->width);
	free(t->numeric);
	memset(t, 0, sizeof(*t));
}

static size_t text_width(const char *s)
{
	size_t w = 0;

	/* count UTF-8 code points, not bytes, so accented names line up */
	for (; s && *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

static void table_cell(FILE *f, const char *s, size_t width, bool right, bool last)
{
	size_t w = text_width(s), pad = w < width ? width - w : 0;

	if (right)
		fprintf(f, "%*s", (int)pad, "");
	fputs(s ? s : "", f);
	if (!right && !last)
		fprintf(f, "%*s", (int)pad, "");
	if (!last)
		fputs("  ", f);
}

static void table_row(FILE *f, struct table_out *t, char **cells)
{
	for (int c = 0; c < t->ncols; c++)
		table_cell(f, cells[c], t->width[c], t->numeric[c], c == t->ncols - 1);
	fputc('\n', f);
}

static void table_flush(FILE *f, struct table_out *t, sqlite3_stmt *st)
{
	for (int c = 0; c < t->ncols; c++) {
		size_t w = text_width(sqlite3_column_name(st, c));

		if (w > t->width[c])
			t->width[c] = w;
		if (t->width[c] > TABLE_MAX_WIDTH)
			t->width[c] = TABLE_MAX_WIDTH;
	}
	for (int c = 0; c < t->ncols; c++)
		table_cell(f, sqlite3_column_name(st, c), t->width[c], t->numeric[c],
			   c == t->ncols - 1);
	fputc('\n', f);
	for (int c = 0; c < t->ncols; c++) {
		for (size_t i = 0; i < t->width[c]; i++)
			fputc('-', f);
		fputs(c == t->ncols - 1 ? "\n" : "  ", f);
	}
	for (size_t r = 0; r < t->nrows; r++)
		table_row(f, t, &t->cells[r * t->ncols]);
	for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++)
		free(t->cells[i]);
	t->nrows = 0;
	t->flushed = true;
}

static int table_add(FILE *f, struct table_out *t, sqlite3_stmt *st)
{
	char *row[t->ncols];
	int err = 0;

	for (int c = 0; c < t->ncols; c++) {
		int type = sqlite3_column_type(st, c);

		row[c] = cell_text(st, c, TAPE_ESC_TEXT, &err);
		/* a column is right-aligned while all its values are numbers */
		if (type == SQLITE_TEXT || type == SQLITE_BLOB)
			t->numeric[c] = false;
		if (!t->flushed && text_width(row[c]) > t->width[c])
			t->width[c] = text_width(row[c]);
	}
	if (err) {
		for (int c = 0; c < t->ncols; c++)
			free(row[c]);
		return err;
	}
	if (t->flushed) {
		table_row(f, t, row);
		for (int c = 0; c < t->ncols; c++)
			free(row[c]);
		return 0;
	}
	if (t->nrows == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 64;
		char **cells = realloc(t->cells, nc * t->ncols * sizeof(*cells));

		if (!cells) {
			for (int c = 0; c < t->ncols; c++)
				free(row[c]);
			return -ENOMEM;
		}
		t->cells = cells;
		t->cap = nc;
	}
	memcpy(&t->cells[t->nrows * t->ncols], row, sizeof(row));
	t->nrows++;
	if (t->nrows == TABLE_SAMPLE_ROWS)
		table_flush(f, t, st);
	return 0;
}

/* ---- statements ---- */

static void json_row(FILE *f, sqlite3_stmt *st, int ncols, bool first)
{
	fputs(first ? "[{" : ",\n{", f);
	for (int c = 0; c < ncols; c++) {
		const char *name = sqlite3_column_name(st, c);

		if (c)
			fputc(',', f);
		json_string(f, name, strlen(name));
		fputc(':', f);
		switch (sqlite3_column_type(st, c)) {
		case SQLITE_NULL:
			fputs("null", f);
			break;
		case SQLITE_INTEGER:
			fprintf(f, "%lld", (long long)sqlite3_column_int64(st, c));
			break;
		case SQLITE_FLOAT:
			fprintf(f, "%.17g", sqlite3_column_double(st, c));
			break;
		case SQLITE_BLOB: {
			char *hex =
				blob_hex(sqlite3_column_blob(st, c), sqlite3_column_bytes(st, c));

			json_string(f, hex ? hex : "", hex ? strlen(hex) : 0);
			free(hex);
			break;
		}
		default:
			json_string(f, (const char *)sqlite3_column_text(st, c),
				    sqlite3_column_bytes(st, c));
		}
	}
	fputc('}', f);
}

/* Step @st to the end, printing its rows.  0, or an SQLite error code. */
static int run_stmt(sqlite3_stmt *st, const struct query_opts *o, FILE *f)
{
	int ncols = sqlite3_column_count(st), rc, err = 0;
	struct table_out t = {.ncols = ncols};
	uint64_t rows = 0;

	if (ncols && o->format == OUT_TABLE) {
		t.width = calloc(ncols, sizeof(*t.width));
		t.numeric = calloc(ncols, sizeof(*t.numeric));
		if (!t.width || !t.numeric) {
			table_free(&t);
			return SQLITE_NOMEM;
		}
		for (int c = 0; c < ncols; c++)
			t.numeric[c] = true;
	}
	if (ncols && o->format == OUT_CSV) {
		for (int c = 0; c < ncols; c++) {
			if (c)
				fputc(',', f);
			{
				const char *name = sqlite3_column_name(st, c);
				char *e = escaped(name, strlen(name), TAPE_ESC_PLAIN);

				csv_field(f, e ? e : "");
				free(e);
			}
		}
		fputc('\n', f);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && !err) {
		if (!ncols)
			continue;
		switch (o->format) {
		case OUT_TABLE:
			err = table_add(f, &t, st);
			break;
		case OUT_CSV:
			for (int c = 0; c < ncols && !err; c++) {
				char *s = cell_text(st, c, TAPE_ESC_PLAIN, &err);

				if (c)
					fputc(',', f);
				csv_field(f, s);
				free(s);
			}
			fputc('\n', f);
			break;
		case OUT_JSON:
			json_row(f, st, ncols, rows == 0);
			break;
		}
		rows++;
	}
	if (ncols && o->format == OUT_TABLE && !t.flushed && rc == SQLITE_DONE && !err)
		table_flush(f, &t, st);
	if (ncols && o->format == OUT_JSON && rc == SQLITE_DONE)
		fputs(rows ? "]\n" : "[]\n", f);
	table_free(&t);
	if (err)
		return SQLITE_NOMEM;
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static char *read_all(FILE *in)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);

	while (buf) {
		size_t n = fread(buf + len, 1, cap - len - 1, in);

		len += n;
		if (len + 1 < cap) {
			if (ferror(in)) {
				free(buf);
				return NULL;
			}
			buf[len] = '\0';
			return buf;
		}
		cap *= 2;
		char *nb = realloc(buf, cap);

		if (!nb)
			free(buf);
		buf = nb;
	}
	return NULL;
}

/* ---- no file written unless asked ---- */

/*
 * The tapes are read by the virtual tables, and the database is in memory:
 * nothing a query does needs to write a file, yet SQL can (ATTACH creates
 * one, VACUUM INTO copies the tables, as root into any path, 0644).  So the
 * connection runs on a VFS that opens every file with a name read-only and
 * deletes none; SQLite's own temporary files (no name: sorter spills, temp
 * tables) are unlinked files it needs.  A VFS rather than an authorizer:
 * it holds for every statement that opens a file, whatever its syntax.
 */
static sqlite3_vfs *real_vfs;
static sqlite3_vfs ro_vfs;

static int ro_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *f, int flags, int *out)
{
	(void)vfs;
	if (name) {
		flags &= ~(SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_DELETEONCLOSE |
			   SQLITE_OPEN_EXCLUSIVE);
		flags |= SQLITE_OPEN_READONLY;
	}
	return real_vfs->xOpen(real_vfs, name, f, flags, out);
}

static int ro_delete(sqlite3_vfs *vfs, const char *name, int sync)
{
	(void)vfs;
	(void)name;
	(void)sync;
	return SQLITE_IOERR_DELETE;
}

/* The read-only VFS's name, registered once; NULL if SQLite has no VFS. */
static const char *ro_vfs_name(void)
{
	if (!real_vfs) {
		real_vfs = sqlite3_vfs_find(NULL);
		if (!real_vfs)
			return NULL;
		/* pAppData stays the real one's: its methods read it */
		ro_vfs = *real_vfs;
		ro_vfs.pNext = NULL;
		ro_vfs.zName = "bpftape-readonly";
		ro_vfs.xOpen = ro_open;
		ro_vfs.xDelete = ro_delete;
		if (sqlite3_vfs_register(&ro_vfs, 0) != SQLITE_OK) {
			real_vfs = NULL;
			return NULL;
		}
	}
	return ro_vfs.zName;
}

/* Say why a statement that wanted to write a file failed. */
static void sql_error(sqlite3 *db, const struct query_opts *o)
{
	int code = sqlite3_errcode(db) & 0xff;

	cli__eprintf("bpftape query: %s%s\n", sqlite3_errmsg(db),
		     !o->allow_write && (code == SQLITE_CANTOPEN || code == SQLITE_READONLY ||
					 code == SQLITE_IOERR)
			     ? " (SQL opens files read-only here; --allow-write lets it write them)"
			     : "");
}

/* Run every statement of @sql; stop at the first error. */
static int run_sql(sqlite3 *db, const char *sql, const struct query_opts *o)
{
	const char *tail = sql;

	while (tail && *tail) {
		sqlite3_stmt *st = NULL;
		const char *start = tail;
		int rc = sqlite3_prepare_v2(db, start, -1, &st, &tail);

		if (rc != SQLITE_OK) {
			sql_error(db, o);
			return 1;
		}
		if (!st)
			continue; /* whitespace or a comment */
		rc = run_stmt(st, o, stdout);
		if (rc != SQLITE_OK) {
			fflush(stdout);
			sql_error(db, o);
			sqlite3_finalize(st);
			return 1;
		}
		sqlite3_finalize(st);
	}
	return 0;
}

/* Name the blocks of damaged tapes the statements did without (import's
 * too): those found opening the tapes and those skipped while reading.
 * How many. */
size_t query__report_damage(const char *verb, struct qset *set)
{
	size_t n = 0;

	for (size_t i = 0; i < qset__count(set); i++)
		n += cli__report_damage(verb, qset__path(set, i), qset__reader(set, i), 0);
	for (size_t i = 0; i < qset__damage_count(set); i++, n++)
		cli__eprintf("bpftape %s: %s (skipped)\n", verb, qset__damage_at(set, i));
	if (n)
		cli__partial(verb, n);
	return n;
}

/* Past QSET_TYPE_TABLES_MAX types, say how many have no table. */
static void note_types_without_table(const struct qset *set)
{
	char **names, **types;
	int n = qset__type_tables(set, &names, &types), kept;

	if (n < 0)
		return;
	kept = qset__keep_types_with_events(set, names, types, n);
	if (kept < n)
		cli__eprintf(
			"bpftape query: %d event types without events have no table (the tapes "
			"define %d types, more than %d; 'SELECT * FROM types' lists them all)\n",
			n - kept, n, QSET_TYPE_TABLES_MAX);
	qnames__free(names, kept);
	qnames__free(types, kept);
}

int cmd_query(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"command", required_argument, NULL, 'c'}, {"format", required_argument, NULL, 'f'},
		{"stats", no_argument, NULL, 's'},	   {"allow-write", no_argument, NULL, 1},
		{"help", no_argument, NULL, 'h'},	   {NULL, 0, NULL, 0},
	};
	struct query_opts o = {.format = OUT_TABLE};
	const char *vfs = NULL;
	struct qset *set = NULL;
	sqlite3 *db = NULL;
	char *input = NULL, *errmsg = NULL, err[512];
	int opt, ret = 1;

	cli__getopt_init();
	while ((opt = getopt_long(argc, argv, ":c:sh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			o.sql = optarg;
			break;
		case 'f':
			if (!strcmp(optarg, "table")) {
				o.format = OUT_TABLE;
			} else if (!strcmp(optarg, "csv")) {
				o.format = OUT_CSV;
			} else if (!strcmp(optarg, "json")) {
				o.format = OUT_JSON;
			} else {
				return cli__usage("query",
						  "--format: '%s' is not table, csv or json",
						  optarg);
			}
			break;
		case 's':
			o.stats = true;
			break;
		case 1:
			o.allow_write = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return cli__bad_option("query", opt, argv, longopts);
		}
	}
	if (optind >= argc)
		return cli__usage("query", "no tape given (FILE...)");
	if ((ret = cli__check_inputs(
		     "query", argv + optind, (size_t)(argc - optind),
		     o.sql ? NULL : "without -c, standard input holds the SQL; give -c SQL")))
		return ret;
	ret = 1;
	/* one thread: SQLite need not count allocations under a mutex */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	set = qset__open((const char *const *)argv + optind, argc - optind, err, sizeof(err));
	if (!set) {
		cli__eprintf("bpftape query: %s\n", err);
		goto cleanup;
	}
	if (!o.allow_write && !(vfs = ro_vfs_name())) {
		cli__eprintf("bpftape query: SQLite has no file system layer to restrict\n");
		goto cleanup;
	}
	qset__skip_damage(set);
	if (sqlite3_open_v2(":memory:", &db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    vfs) != SQLITE_OK) {
		cli__eprintf("bpftape query: cannot open SQLite: %s\n",
			     db ? sqlite3_errmsg(db) : "out of memory");
		goto cleanup;
	}
	/* no code from a file, asked or not; no schema tricks in attached files */
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	if (!o.allow_write)
		sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	/* room for SQLite's sorter before it spills to temporary files */
	sqlite3_exec(db, "PRAGMA cache_size=-65536", NULL, NULL, NULL);
	if (qsql__attach(db, set, &errmsg) != SQLITE_OK) {
		cli__eprintf("bpftape query: %s\n", errmsg ? errmsg : sqlite3_errmsg(db));
		goto cleanup;
	}
	note_types_without_table(set);
	if (!o.sql) {
		if (isatty(STDIN_FILENO))
			cli__eprintf("bpftape query: reading SQL until end of input (Ctrl-D)\n");
		input = read_all(stdin);
		if (!input) {
			cli__eprintf("bpftape query: reading SQL from stdin: %s\n",
				     strerror(errno ? errno : EIO));
			goto cleanup;
		}
	}
	ret = run_sql(db, o.sql ? o.sql : input, &o);
	if (o.stats) {
		struct tape_cursor_stats st;

		qset__take_stats(set, &st);
		cli__eprintf("bpftape query: chunks read %llu, skipped %llu, bytes read %llu\n",
			     (unsigned long long)st.chunks_read,
			     (unsigned long long)st.chunks_skipped,
			     (unsigned long long)st.bytes_read);
	}
	if (fflush(stdout) || ferror(stdout)) {
		cli__eprintf("bpftape query: writing output: %s\n", strerror(errno));
		ret = 1;
	}
	if (query__report_damage("query", set) && !ret)
		ret = CLI_EXIT_PARTIAL;
cleanup:
	sqlite3_free(errmsg);
	sqlite3_close(db);
	qset__put(set);
	free(input);
	return ret;
}
