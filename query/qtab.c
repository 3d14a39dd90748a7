// SPDX-License-Identifier: MIT
/* What the SQL tables look like: names, columns, DDL (see qtab.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "private/names.h"
#include "qtab_int.h"

static const char *const fixed_tables[] = {"events", "processes", "losses",
					   "meta",   "types",	  "frames"};

/* docs/EVENTS.md, for the extension's table-valued functions, which must
 * declare their columns before they see a tape. */
struct builtin_field {
	const char *name;
	uint8_t kind, display;
};

struct builtin_type {
	const char *name;
	struct builtin_field fields[10];
};

#define F(n, k, d)                                                                                 \
	{                                                                                          \
		n, TAPE_##k, TAPE_DISP_##d                                                         \
	}
static const struct builtin_type builtins[] = {
	{"fork",
	 {F("parent_pid", U32, DEFAULT), F("child_pid", U32, DEFAULT),
	  F("child_tid", U32, DEFAULT)}},
	{"exec",
	 {F("filename", STR, DEFAULT), F("argv", BYTES, ARGV), F("ret", S32, ERRNO),
	  F("truncated", U8, FLAGS), F("cgroup", STR, DEFAULT), F("container", STR, DEFAULT),
	  F("container_name", STR, DEFAULT), F("runtime", STR, DEFAULT), F("pod", STR, DEFAULT)}},
	{"exit", {F("code", S32, DEFAULT), F("signal", S32, ENUM)}},
	{"open",
	 {F("syscall", U16, ENUM), F("dfd", S32, DEFAULT), F("path", STR, DEFAULT),
	  F("flags", U32, FLAGS), F("mode", U32, OCTAL), F("ret", S32, ERRNO)}},
	{"close", {F("fd", S32, DEFAULT), F("ret", S32, ERRNO)}},
	{"unlink",
	 {F("dfd", S32, DEFAULT), F("path", STR, DEFAULT), F("flags", U32, DEFAULT),
	  F("ret", S32, ERRNO)}},
	{"rename",
	 {F("olddfd", S32, DEFAULT), F("oldpath", STR, DEFAULT), F("newdfd", S32, DEFAULT),
	  F("newpath", STR, DEFAULT), F("flags", U32, DEFAULT), F("ret", S32, ERRNO)}},
	{"mkdir",
	 {F("dfd", S32, DEFAULT), F("path", STR, DEFAULT), F("mode", U32, OCTAL),
	  F("ret", S32, ERRNO)}},
	{"mknod",
	 {F("dfd", S32, DEFAULT), F("path", STR, DEFAULT), F("mode", U32, OCTAL),
	  F("dev", U32, HEX), F("ret", S32, ERRNO)}},
	{"link",
	 {F("olddfd", S32, DEFAULT), F("oldpath", STR, DEFAULT), F("newdfd", S32, DEFAULT),
	  F("newpath", STR, DEFAULT), F("flags", U32, FLAGS), F("ret", S32, ERRNO)}},
	{"symlink",
	 {F("target", STR, DEFAULT), F("newdfd", S32, DEFAULT), F("linkpath", STR, DEFAULT),
	  F("ret", S32, ERRNO)}},
	{"read", {F("fd", S32, DEFAULT), F("count", U64, DEFAULT), F("ret", S64, ERRNO)}},
	{"write", {F("fd", S32, DEFAULT), F("count", U64, DEFAULT), F("ret", S64, ERRNO)}},
	{"connect", {F("fd", S32, DEFAULT), F("addr", BYTES, SOCKADDR), F("ret", S32, ERRNO)}},
	{"bind", {F("fd", S32, DEFAULT), F("addr", BYTES, SOCKADDR), F("ret", S32, ERRNO)}},
	{"accept", {F("fd", S32, DEFAULT), F("addr", BYTES, SOCKADDR), F("ret", S32, ERRNO)}},
	{"tcp_state",
	 {F("oldstate", U8, ENUM), F("newstate", U8, ENUM), F("saddr", BYTES, SOCKADDR),
	  F("daddr", BYTES, SOCKADDR)}},
	{"syscall",
	 {F("nr", U32, ENUM), F("arg0", U64, HEX), F("arg1", U64, HEX), F("arg2", U64, HEX),
	  F("arg3", U64, HEX), F("arg4", U64, HEX), F("arg5", U64, HEX), F("ret", S64, ERRNO),
	  F("latency", U64, NSEC)}},
	{"sched_switch",
	 {F("prev_pid", U32, DEFAULT), F("prev_comm", STR, DEFAULT), F("prev_state", U64, DEFAULT),
	  F("next_pid", U32, DEFAULT), F("next_comm", STR, DEFAULT)}},
	{"signal",
	 {F("sig", S32, ENUM), F("target_pid", U32, DEFAULT), F("code", S32, DEFAULT),
	  F("ret", S32, ERRNO)}},
};
#undef F

const char *const qtab_builtin_types[] = {
	"fork",	 "exec",   "exit",	"open",	   "close",	   "unlink", "rename",
	"mkdir", "mknod",  "link",	"symlink", "read",	   "write",  "connect",
	"bind",	 "accept", "tcp_state", "syscall", "sched_switch", "signal", NULL,
};

void qtab__sql_ident(const char *name, char *buf, size_t len)
{
	size_t o = 0;

	if (!len)
		return;
	if (isdigit((unsigned char)*name) && o + 1 < len)
		buf[o++] = '_';
	for (; *name && o + 1 < len; name++) {
		unsigned char c = *name;

		buf[o++] = isalnum(c) ? tolower(c) : '_';
	}
	if (!o && o + 1 < len)
		buf[o++] = '_';
	buf[o] = '\0';
}

/* Types whose display text says more than the stored value: the rule of
 * format's renderer, shared with export's CSV. */
static bool wants_str(uint8_t kind, uint8_t display)
{
	struct tape_field f = {.kind = kind, .display = display};

	return tape_field__has_text(&f);
}

static const char *kind_decl(uint8_t kind)
{
	switch (kind) {
	case TAPE_STR:
		return "TEXT";
	case TAPE_BYTES:
		return "BLOB";
	default:
		return "INTEGER";
	}
}

void qtable__free(struct qtable *t)
{
	if (!t)
		return;
	for (int i = 0; i < t->ncols; i++)
		free(t->cols[i].name);
	for (int i = 0; i < t->nslots; i++)
		free(t->slots[i].field);
	free(t->cols);
	free(t->slots);
	free(t->name);
	free(t->type_name);
	free(t);
}

static struct qtable *table_alloc(const char *name, enum qtab_kind kind)
{
	struct qtable *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->kind = kind;
	t->col_ts = t->col_time = t->col_pid = t->col_tid = t->col_type = t->col_file = -1;
	t->col_stack = -1;
	t->name = strdup(name);
	/* a table has at most TAPE_MAX_FIELDS * 2 + 11 columns */
	t->cols = calloc(TAPE_MAX_FIELDS * 2 + 16, sizeof(*t->cols));
	if (!t->name || !t->cols) {
		qtable__free(t);
		return NULL;
	}
	return t;
}

static bool col_exists(const struct qtable *t, const char *name)
{
	for (int i = 0; i < t->ncols; i++)
		if (!strcmp(t->cols[i].name, name))
			return true;
	return false;
}

/* Whether a field would take the name of a column of every event table
 * that comes after the fields (stack_id stays last, so that the columns
 * before it keep their places). */
static bool reserved(uint8_t src, const char *name)
{
	return (src == QC_FIELD || src == QC_FIELD_STR) && !strcmp(name, "stack_id");
}

/* Add a column; a name already taken (a field called "pid") gets a prefix. */
static int add_col(struct qtable *t, const char *name, const char *decl, uint8_t src, bool hidden,
		   int slot)
{
	struct qcol *c = &t->cols[t->ncols];
	char buf[160];

	qtab__sql_ident(name, buf, sizeof(buf) - 2);
	while (col_exists(t, buf) || reserved(src, buf)) {
		memmove(buf + 2, buf, strlen(buf) + 1);
		memcpy(buf, "f_", 2);
		if (strlen(buf) > 120)
			return -EINVAL;
	}
	c->name = strdup(buf);
	if (!c->name)
		return -ENOMEM;
	c->decl = decl;
	c->src = src;
	c->hidden = hidden;
	c->slot = slot;
	switch (src) {
	case QC_TS:
		t->col_ts = t->ncols;
		break;
	case QC_TIME:
		t->col_time = t->ncols;
		break;
	case QC_PID:
		t->col_pid = t->ncols;
		break;
	case QC_TID:
		t->col_tid = t->ncols;
		break;
	case QC_TYPE:
		t->col_type = t->ncols;
		break;
	case QC_FILE:
		t->col_file = t->ncols;
		break;
	case QC_F_STACK_ID:
		t->col_stack = t->ncols;
		break;
	}
	t->ncols++;
	return 0;
}

static int add_common(struct qtable *t)
{
	int err = 0;

	err = err ?: add_col(t, "ts", "INTEGER", QC_TS, false, -1);
	err = err ?: add_col(t, "time", "TEXT", QC_TIME, false, -1);
	err = err ?: add_col(t, "cpu", "INTEGER", QC_CPU, false, -1);
	err = err ?: add_col(t, "pid", "INTEGER", QC_PID, false, -1);
	err = err ?: add_col(t, "tid", "INTEGER", QC_TID, false, -1);
	err = err ?: add_col(t, "comm", "TEXT", QC_COMM, false, -1);
	return err;
}

/* host and file: visible with several tapes; in the extension, file is the
 * table-valued function's argument. */
static int add_origin(struct qtable *t, enum qlayout layout, bool multi)
{
	bool hide = layout == QL_EXTENSION || !multi;
	int err;

	/* a table-valued function's arguments are its hidden columns in order */
	if (layout == QL_EXTENSION) {
		err = add_col(t, "file", "TEXT", QC_FILE, true, -1);
		return err ?: add_col(t, "host", "TEXT", QC_HOST, true, -1);
	}
	err = add_col(t, "host", "TEXT", QC_HOST, hide, -1);
	return err ?: add_col(t, "file", "TEXT", QC_FILE, hide, -1);
}

struct qtable *qtable__new(enum qtab_kind kind, enum qlayout layout, bool multi)
{
	struct qtable *t;
	int err = 0;

	if (kind == QT_TYPE) {
		errno = EINVAL;
		return NULL;
	}
	t = table_alloc(fixed_tables[kind == QT_EVENTS ? 0 : kind - 1], kind);
	if (!t)
		return NULL;
	switch (kind) {
	case QT_EVENTS:
		err = add_common(t);
		err = err ?: add_col(t, "type", "TEXT", QC_TYPE, false, -1);
		err = err ?: add_col(t, "args", "TEXT", QC_ARGS, false, -1);
		err = err ?: add_col(t, "stack_id", "INTEGER", QC_STACK_ID, false, -1);
		break;
	case QT_PROCESSES:
		err = err ?: add_col(t, "pid", "INTEGER", QC_P_PID, false, -1);
		err = err ?: add_col(t, "ppid", "INTEGER", QC_P_PPID, false, -1);
		err = err ?: add_col(t, "uid", "INTEGER", QC_P_UID, false, -1);
		err = err ?: add_col(t, "comm", "TEXT", QC_P_COMM, false, -1);
		err = err ?: add_col(t, "exe", "TEXT", QC_P_EXE, false, -1);
		err = err ?: add_col(t, "argv", "TEXT", QC_P_ARGV, false, -1);
		err = err ?: add_col(t, "cgroup", "TEXT", QC_P_CGROUP, false, -1);
		err = err ?: add_col(t, "start_ts", "INTEGER", QC_P_START_TS, false, -1);
		err = err ?: add_col(t, "start_time", "TEXT", QC_P_START_TIME, false, -1);
		err = err ?: add_col(t, "exit_ts", "INTEGER", QC_P_EXIT_TS, false, -1);
		err = err ?: add_col(t, "exit_time", "TEXT", QC_P_EXIT_TIME, false, -1);
		err = err ?: add_col(t, "exit_code", "INTEGER", QC_P_EXIT_CODE, false, -1);
		err = err ?: add_col(t, "exit_signal", "INTEGER", QC_P_EXIT_SIGNAL, false, -1);
		/* last, so that positional reads of the older columns stay right */
		err = err ?: add_col(t, "container", "TEXT", QC_P_CONTAINER, false, -1);
		err = err ?: add_col(t, "container_name", "TEXT", QC_P_CONTAINER_NAME, false, -1);
		err = err ?: add_col(t, "runtime", "TEXT", QC_P_RUNTIME, false, -1);
		err = err ?: add_col(t, "pod", "TEXT", QC_P_POD, false, -1);
		break;
	case QT_LOSSES:
		err = err ?: add_col(t, "cpu", "INTEGER", QC_L_CPU, false, -1);
		err = err ?: add_col(t, "first_ts", "INTEGER", QC_L_FIRST_TS, false, -1);
		err = err ?: add_col(t, "last_ts", "INTEGER", QC_L_LAST_TS, false, -1);
		err = err ?: add_col(t, "count", "INTEGER", QC_L_COUNT, false, -1);
		break;
	case QT_META:
		err = err ?: add_col(t, "key", "TEXT", QC_M_KEY, false, -1);
		err = err ?: add_col(t, "value", "TEXT", QC_M_VALUE, false, -1);
		break;
	case QT_TYPES:
		err = err ?: add_col(t, "type", "TEXT", QC_T_TYPE, false, -1);
		err = err ?: add_col(t, "id", "INTEGER", QC_T_ID, false, -1);
		err = err ?: add_col(t, "source", "TEXT", QC_T_SOURCE, false, -1);
		err = err ?: add_col(t, "field", "TEXT", QC_T_FIELD, false, -1);
		err = err ?: add_col(t, "pos", "INTEGER", QC_T_POS, false, -1);
		err = err ?: add_col(t, "kind", "TEXT", QC_T_KIND, false, -1);
		err = err ?: add_col(t, "display", "TEXT", QC_T_DISPLAY, false, -1);
		err = err ?: add_col(t, "enum", "TEXT", QC_T_ENUM, false, -1);
		break;
	case QT_FRAMES:
		err = err ?: add_col(t, "stack_id", "INTEGER", QC_F_STACK_ID, false, -1);
		err = err ?: add_col(t, "depth", "INTEGER", QC_F_DEPTH, false, -1);
		err = err ?: add_col(t, "kernel", "INTEGER", QC_F_KERNEL, false, -1);
		err = err ?: add_col(t, "address", "INTEGER", QC_F_ADDRESS, false, -1);
		err = err ?: add_col(t, "symbol", "TEXT", QC_F_SYMBOL, false, -1);
		err = err ?: add_col(t, "offset", "INTEGER", QC_F_OFFSET, false, -1);
		err = err ?: add_col(t, "binary", "TEXT", QC_F_BINARY, false, -1);
		err = err ?: add_col(t, "build_id", "TEXT", QC_F_BUILD_ID, false, -1);
		err = err ?: add_col(t, "gap", "INTEGER", QC_F_GAP, false, -1);
		break;
	default:
		break;
	}
	err = err ?: add_origin(t, layout, multi);
	if (err) {
		qtable__free(t);
		errno = -err;
		return NULL;
	}
	return t;
}

static int add_slot(struct qtable *t, const char *field, uint8_t kind, uint8_t display)
{
	struct qslot *s;
	int err;

	for (int i = 0; i < t->nslots; i++)
		if (!strcmp(t->slots[i].field, field))
			return 0;
	if (t->nslots >= TAPE_MAX_FIELDS)
		return 0; /* the columns are full; the field stays in events.args */
	s = &t->slots[t->nslots];
	s->field = strdup(field);
	if (!s->field)
		return -ENOMEM;
	s->kind = kind;
	err = add_col(t, field, kind_decl(kind), QC_FIELD, false, t->nslots);
	if (!err && wants_str(kind, display)) {
		char name[160];

		snprintf(name, sizeof(name), "%s_str", field);
		err = add_col(t, name, "TEXT", QC_FIELD_STR, false, t->nslots);
	}
	t->nslots++;
	return err;
}

static struct qtable *type_table_alloc(const char *sql_name, const char *type_name)
{
	struct qtable *t = table_alloc(sql_name, QT_TYPE);

	if (!t)
		return NULL;
	t->type_name = strdup(type_name);
	t->slots = calloc(TAPE_MAX_FIELDS, sizeof(*t->slots));
	if (!t->type_name || !t->slots || add_common(t)) {
		qtable__free(t);
		errno = ENOMEM;
		return NULL;
	}
	return t;
}

struct qtable *qtable__new_type(const struct qset *set, const char *sql_name, const char *type_name,
				enum qlayout layout, bool multi)
{
	struct qtable *t;
	int err = 0;

	t = type_table_alloc(sql_name, type_name);
	if (!t)
		return NULL;
	for (size_t i = 0; i < qset__count(set) && !err; i++) {
		const struct tape_type *tp =
			tape_reader__type_by_name(qset__reader(set, i), type_name);

		for (unsigned f = 0; tp && f < tp->nfields && !err; f++)
			err = add_slot(t, tp->fields[f].name, tp->fields[f].kind,
				       tp->fields[f].display);
	}
	err = err ?: add_col(t, "stack_id", "INTEGER", QC_STACK_ID, false, -1);
	err = err ?: add_origin(t, layout, multi);
	if (err) {
		qtable__free(t);
		errno = -err;
		return NULL;
	}
	return t;
}

struct qtable *qtable__new_builtin(const char *type_name, enum qlayout layout)
{
	const struct builtin_type *b = NULL;
	char sql_name[160];
	struct qtable *t;
	int err = 0;

	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
		if (!strcmp(builtins[i].name, type_name))
			b = &builtins[i];
	if (!b) {
		errno = ENOENT;
		return NULL;
	}
	snprintf(sql_name, sizeof(sql_name), "tape_%s", type_name);
	t = type_table_alloc(sql_name, type_name);
	if (!t)
		return NULL;
	for (int f = 0; f < 10 && b->fields[f].name && !err; f++)
		err = add_slot(t, b->fields[f].name, b->fields[f].kind, b->fields[f].display);
	err = err ?: add_col(t, "stack_id", "INTEGER", QC_STACK_ID, false, -1);
	err = err ?: add_origin(t, layout, false);
	if (err) {
		qtable__free(t);
		errno = -err;
		return NULL;
	}
	return t;
}

/* Append "name" quoted as an SQL identifier. */
static int put_ident(char **p, size_t *left, const char *name)
{
	int n = 0;

	if (*left < strlen(name) * 2 + 3)
		return -ENOSPC;
	(*p)[n++] = '"';
	for (; *name; name++) {
		if (*name == '"')
			(*p)[n++] = '"';
		(*p)[n++] = *name;
	}
	(*p)[n++] = '"';
	(*p)[n] = '\0';
	*p += n;
	*left -= n;
	return 0;
}

static int put_str(char **p, size_t *left, const char *s)
{
	size_t n = strlen(s);

	if (*left <= n)
		return -ENOSPC;
	memcpy(*p, s, n + 1);
	*p += n;
	*left -= n;
	return 0;
}

char *qtable__ddl(const struct qtable *t, const char *schema_name, bool with_hidden)
{
	size_t cap = 256 + 2 * strlen(t->name), left;
	bool first = true;
	char *sql, *p;
	int err;

	if (schema_name)
		cap += 2 * strlen(schema_name) + 3;
	for (int i = 0; i < t->ncols; i++)
		cap += 2 * strlen(t->cols[i].name) + 64;
	left = cap;
	sql = p = malloc(cap);
	if (!sql)
		return NULL;
	err = put_str(&p, &left, "CREATE TABLE ");
	if (!err && schema_name) {
		err = put_ident(&p, &left, schema_name);
		err = err ?: put_str(&p, &left, ".");
	}
	err = err ?: put_ident(&p, &left, t->name);
	err = err ?: put_str(&p, &left, "(");
	for (int i = 0; i < t->ncols && !err; i++) {
		const struct qcol *c = &t->cols[i];

		if (c->hidden && !with_hidden)
			continue;
		if (!first)
			err = put_str(&p, &left, ", ");
		first = false;
		err = err ?: put_ident(&p, &left, c->name);
		if (*c->decl) {
			err = err ?: put_str(&p, &left, " ");
			err = err ?: put_str(&p, &left, c->decl);
		}
		if (c->hidden)
			err = err ?: put_str(&p, &left, " HIDDEN");
	}
	err = err ?: put_str(&p, &left, ")");
	if (err) {
		free(sql);
		errno = -err;
		return NULL;
	}
	return sql;
}

void qnames__free(char **names, size_t n)
{
	if (!names)
		return;
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int qset__type_tables(const struct qset *set, char ***names_out, char ***types_out)
{
	struct names taken = {0}, listed = {0};
	char **names = NULL, **types = NULL;
	size_t n = 0, cap = 0;
	int err = 0;

	for (size_t i = 0; i < sizeof(fixed_tables) / sizeof(fixed_tables[0]) && !err; i++)
		err = tape__names_add(&taken, fixed_tables[i], 1);
	for (size_t i = 0; i < qset__count(set) && !err; i++) {
		const struct tape_reader *r = qset__reader(set, i);
		unsigned max = tape_reader__max_type(r);

		for (unsigned id = 1; id <= max; id++) {
			const struct tape_type *tp = tape_reader__type(r, id);
			char name[160];
			int k = 2;

			if (!tp || tape__names_find(&listed, tp->name))
				continue;
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 16;
				char **nn = realloc(names, nc * sizeof(*nn));

				if (!nn) {
					err = -ENOMEM;
					goto cleanup;
				}
				names = nn;
				nn = realloc(types, nc * sizeof(*nn));
				if (!nn) {
					err = -ENOMEM;
					goto cleanup;
				}
				types = nn;
				cap = nc;
			}
			qtab__sql_ident(tp->name, name, sizeof(name) - 18);
			/* SQLite keeps names that begin with sqlite_ for itself */
			if (!strncmp(name, "sqlite_", 7)) {
				memmove(name + 2, name, strlen(name) + 1);
				memcpy(name, "t_", 2);
			}
			if (tape__names_find(&taken, name)) {
				size_t l = strlen(name);

				do
					snprintf(name + l, 16, "_%d", k++);
				while (tape__names_find(&taken, name));
			}
			names[n] = strdup(name);
			types[n] = strdup(tp->name);
			n++;
			if (!names[n - 1] || !types[n - 1]) {
				err = -ENOMEM;
				goto cleanup;
			}
			err = tape__names_add(&taken, names[n - 1], 1);
			err = err ?: tape__names_add(&listed, types[n - 1], 1);
			if (err)
				goto cleanup;
		}
	}
cleanup:
	tape__names_free(&taken);
	tape__names_free(&listed);
	if (err) {
		qnames__free(names, n);
		qnames__free(types, n);
		return err;
	}
	*names_out = names;
	*types_out = types;
	return (int)n;
}

int qset__keep_types_with_events(const struct qset *set, char **names, char **types, int n)
{
	struct names active = {0};
	int kept = 0, err = 0;

	if (n <= QSET_TYPE_TABLES_MAX)
		return n;
	for (size_t i = 0; i < qset__count(set) && !err; i++) {
		const struct tape_reader *r = qset__reader(set, i);
		unsigned max = tape_reader__max_type(r);
		uint64_t *counts = malloc((max + 1) * sizeof(*counts));

		if (!counts) {
			err = -ENOMEM;
			break;
		}
		tape_reader__type_counts(r, counts);
		for (unsigned id = 1; id <= max && !err; id++) {
			const struct tape_type *tp = tape_reader__type(r, id);

			if (tp && counts[id] && !tape__names_find(&active, tp->name))
				err = tape__names_add(&active, tp->name, 1);
		}
		free(counts);
	}
	for (int k = 0; k < n && !err; k++) {
		if (tape__names_find(&active, types[k])) {
			names[kept] = names[k];
			types[kept++] = types[k];
		} else {
			free(names[k]);
			free(types[k]);
		}
	}
	tape__names_free(&active);
	return err ? n : kept;
}
