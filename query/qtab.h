/* SPDX-License-Identifier: MIT */
/*
 * Internals of query/: the tables bpftape shows to SQL, independent of how
 * SQLite reaches them.  A table (struct qtable) lists its columns; a scan
 * (struct qscan) yields its rows, each column as a struct qval.  The
 * virtual tables (vtab.c) and `import` (import.c) are two consumers of the
 * same rows, so a query over tapes and over an imported database agree.
 *
 * Nothing here includes sqlite3.h: the same code is compiled into the
 * bpftape binary and into the loadable extension.
 */
#ifndef BPFTAPE_QTAB_H
#define BPFTAPE_QTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bpftape/tape.h>

/* ---- a set of open tapes ----------------------------------------------- */

/*
 * The tapes one SQL connection (or one extension table) reads.  Shared by
 * every table over them, so it is reference counted: qset__open() returns
 * one reference, qset__put() drops one and frees the set with the last.
 */
struct qset;

/* Open @n tapes.  NULL + errno; @err receives "PATH: reason". */
struct qset *qset__open(const char *const *paths, size_t n, char *err, size_t errlen);
struct qset *qset__get(struct qset *s);
void qset__put(struct qset *s);

/*
 * Damaged tapes.  By default a chunk that cannot be read fails the
 * statement reading it (SQLite users of the extension get an error).  With
 * qset__skip_damage() (the verbs) it is skipped and named in the set's
 * damage list, each block once, and the statement goes on with what is
 * intact.  Counts taken from the index check each chunk first
 * (tape_reader__check_chunk()) either way, so they never include events a
 * scan could not return.
 */
void qset__skip_damage(struct qset *s);
/* Record that @msg (a block that could not be read) of tape @i was skipped,
 * unless it already was.  0 or -ENOMEM. */
int qset__damage_add(struct qset *s, size_t i, const char *msg);
size_t qset__damage_count(struct qset *s);
/* "PATH: what and where"; valid while @s lives. */
const char *qset__damage_at(struct qset *s, size_t i);
/* Whether chunk @c of tape @i checks (tape_reader__check_chunk()), cached;
 * a damaged one is recorded when the set skips damage.  1 yes, 0 no (@err
 * says why), or a negative errno. */
int qset__chunk_ok(struct qset *s, size_t i, size_t c, char *err, size_t errlen);

size_t qset__count(const struct qset *s);
struct tape_reader *qset__reader(const struct qset *s, size_t i);
const char *qset__path(const struct qset *s, size_t i);
/* The recorded host name ("" if the tape does not say). */
const char *qset__host(const struct qset *s, size_t i);
/* Events in all tapes (from the indexes). */
uint64_t qset__event_count(const struct qset *s);

/*
 * Events read by one pass per event type (each pass reads the chunks that
 * hold its type), over the events of one pass: 1 when every chunk holds
 * one type.  From the index.
 */
double qset__type_pass_factor(const struct qset *s);

/* The smallest and largest boottime-to-wall-clock offsets of the tapes
 * that have one; false if none has. */
bool qset__time_offsets(const struct qset *s, int64_t *min, int64_t *max);

/* Chunk statistics summed over the event scans of @s finished since the
 * last call, then reset (push-down tests and benchmarks). */
void qset__take_stats(struct qset *s, struct tape_cursor_stats *st);

/* ---- table descriptions ------------------------------------------------ */

enum qtab_kind {
	QT_EVENTS,
	QT_TYPE, /* one event type */
	QT_PROCESSES,
	QT_LOSSES,
	QT_META,
	QT_TYPES,
	QT_FRAMES, /* the frames of every stack, by (tape, stack_id) */
};

/* Where a column's value comes from. */
enum qcol_src {
	/* event tables */
	QC_TS,
	QC_TIME,
	QC_CPU,
	QC_PID,
	QC_TID,
	QC_COMM,
	QC_TYPE,
	QC_ARGS,
	QC_FIELD,     /* typed value of field @slot */
	QC_FIELD_STR, /* display text of field @slot */
	/* any table */
	QC_HOST,
	QC_FILE,
	/* processes */
	QC_P_PID,
	QC_P_PPID,
	QC_P_UID,
	QC_P_COMM,
	QC_P_EXE,
	QC_P_ARGV,
	QC_P_CGROUP,
	QC_P_START_TS,
	QC_P_START_TIME,
	QC_P_EXIT_TS,
	QC_P_EXIT_TIME,
	QC_P_EXIT_CODE,
	QC_P_EXIT_SIGNAL,
	QC_P_CONTAINER,
	QC_P_CONTAINER_NAME,
	QC_P_RUNTIME,
	QC_P_POD,
	/* losses */
	QC_L_CPU,
	QC_L_FIRST_TS,
	QC_L_LAST_TS,
	QC_L_COUNT,
	/* meta */
	QC_M_KEY,
	QC_M_VALUE,
	/* types */
	QC_T_TYPE,
	QC_T_ID,
	QC_T_SOURCE,
	QC_T_FIELD,
	QC_T_POS,
	QC_T_KIND,
	QC_T_DISPLAY,
	QC_T_ENUM,
	/* event tables: the event's stack, NULL for none */
	QC_STACK_ID,
	/* frames */
	QC_F_STACK_ID,
	QC_F_DEPTH,
	QC_F_KERNEL,
	QC_F_ADDRESS,
	QC_F_SYMBOL,
	QC_F_OFFSET,
	QC_F_BINARY,
	QC_F_BUILD_ID,
	QC_F_GAP,
};

struct qcol {
	char *name;	  /* SQL identifier */
	const char *decl; /* "INTEGER", "TEXT", "BLOB" or "" */
	uint8_t src;	  /* enum qcol_src */
	bool hidden;
	int slot; /* QC_FIELD, QC_FIELD_STR: index into qtable.slots */
};

/* A field of an event-type table; tapes are matched by field name. */
struct qslot {
	char *field;
	uint8_t kind; /* enum tape_kind */
};

struct qtable {
	char *name;	 /* SQL name, e.g. "open" or "events" */
	char *type_name; /* QT_TYPE: the tape type name */
	enum qtab_kind kind;
	int ncols;
	struct qcol *cols;
	int nslots;
	struct qslot *slots;
	/* columns that vtab.c pushes down, -1 if absent */
	int col_ts, col_time, col_pid, col_tid, col_type, col_file;
	int col_stack; /* frames.stack_id */
};

/* How tables are laid out. */
enum qlayout {
	QL_QUERY,     /* `query`/`import`: host, file hidden unless @multi */
	QL_EXTENSION, /* table-valued functions: file is the hidden argument */
};

/* The fixed tables (events, processes, losses, meta, types, frames).
 * NULL + errno. */
struct qtable *qtable__new(enum qtab_kind kind, enum qlayout layout, bool multi);
/* The table @sql_name of event type @type_name, with the union of the
 * type's fields over the tapes of @set (see qset__type_tables()). */
struct qtable *qtable__new_type(const struct qset *set, const char *sql_name, const char *type_name,
				enum qlayout layout, bool multi);
/* A table for a built-in type of docs/EVENTS.md, without a tape (extension). */
struct qtable *qtable__new_builtin(const char *type_name, enum qlayout layout);
void qtable__free(struct qtable *t);

/* The CREATE TABLE statement declaring @t (for sqlite3_declare_vtab() and
 * import).  @schema_name may be NULL.  malloc'd; NULL + errno. */
char *qtable__ddl(const struct qtable *t, const char *schema_name, bool with_hidden);

/*
 * The SQL names of the per-type tables for @set, in schema order:
 * tape type names made SQL identifiers, renamed when they would collide
 * with a fixed table.  Fills @names/@types (malloc'd arrays of malloc'd
 * strings; free with qnames__free()).  Returns the count or -errno.
 */
int qset__type_tables(const struct qset *set, char ***names, char ***types);
void qnames__free(char **names, size_t n);

/* Up to this many event types, every type has a table. */
#define QSET_TYPE_TABLES_MAX 1000

/*
 * Past QSET_TYPE_TABLES_MAX types (generic probes by the thousand), keep
 * only the entries of qset__type_tables() whose type has events in some
 * tape: SQLite scans its whole schema for each table it creates, so tens
 * of thousands of tables take minutes.  Frees the dropped entries and
 * returns the new count (all of them, should memory run out).
 */
int qset__keep_types_with_events(const struct qset *set, char **names, char **types, int n);

/* The built-in type names known without a tape (NULL-terminated). */
extern const char *const qtab_builtin_types[];

/* Turn @name into a lower-case SQL identifier in @buf. */
void qtab__sql_ident(const char *name, char *buf, size_t len);

/* ---- rows -------------------------------------------------------------- */

enum qval_type {
	QV_NULL,
	QV_INT,
	QV_TEXT,
	QV_BLOB,
};

/*
 * One column value.  @p stays valid until the scan moves to the next row,
 * except when @tmp: then it lives in the scan's buffer, which the next
 * column value overwrites; or when @stable: then it lives with the set.
 */
struct qval {
	enum qval_type t;
	bool tmp;
	bool stable; /* @p lives as long as the set (type names, paths) */
	int64_t i;
	const void *p;
	int n;
};

/* What a scan of an event table may skip, all bounds inclusive. */
struct qfilter {
	uint64_t since, until; /* 0: unbounded */
	uint32_t *pids;
	size_t npids;
	uint32_t *tids;
	size_t ntids;
	char **types;
	size_t ntypes;
	char **files; /* only the tapes with these paths (none: any) */
	size_t nfiles;
	char **hosts; /* ...and recorded on these hosts (none: any) */
	size_t nhosts;
	bool empty; /* nothing can match */
	/* frames: only the stack with this id (0: any) */
	uint32_t stack_id;
	/*
	 * Only type, host and file are wanted (count(*), GROUP BY type): the
	 * rows come from the index's per-chunk type counts, grouped by type
	 * in name order, without reading a chunk.  Only with @types, no
	 * bounds, pids or tids.
	 */
	bool index_only;
	/*
	 * Rows grouped by type in name order (ORDER BY or GROUP BY type): one
	 * pass over the tapes per type, each decoding only its own type's
	 * fields, instead of a sort of every row by SQLite.
	 */
	bool by_type;
	/* No column of the query needs the events' fields (args, typed
	 * columns): the cursor decodes the headers only. */
	bool no_fields;
};

void qfilter__reset(struct qfilter *f);
int qfilter__add_pid(struct qfilter *f, uint32_t pid);
int qfilter__add_tid(struct qfilter *f, uint32_t tid);
int qfilter__add_type(struct qfilter *f, const char *type);
int qfilter__add_file(struct qfilter *f, const char *path);
int qfilter__add_host(struct qfilter *f, const char *host);

struct qscan;

/* Scan the rows of @t over @set that @f (may be NULL) selects.  NULL + errno;
 * @err receives the reason. */
struct qscan *qscan__new(struct qset *set, const struct qtable *t, const struct qfilter *f,
			 char *err, size_t errlen);
void qscan__free(struct qscan *s);
/* 1: a row, 0: end, -errno: error (qscan__errmsg() says what and where). */
int qscan__next(struct qscan *s);
const char *qscan__errmsg(const struct qscan *s);
int64_t qscan__rowid(const struct qscan *s);
/* Column @col of the current row. */
int qscan__column(struct qscan *s, int col, struct qval *v);
/*
 * Column @col of table @t computed from the current event of an events
 * scan; @t is the events table or the type table of the current event.
 * Lets import fill the events table and a type table in one pass.
 */
int qscan__column_of(struct qscan *s, const struct qtable *t, int col, struct qval *v);
/* The current event of an event-table scan, NULL otherwise. */
const struct tape_event *qscan__event(const struct qscan *s);

/* The process table (format/include/bpftape/tape_proctab.h) of tape @i, built on first use. */
struct tape_proctab;
int qset__proctab(struct qset *s, size_t i, const struct tape_proctab **out, char *err,
		  size_t errlen);

#endif
