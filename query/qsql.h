/* SPDX-License-Identifier: MIT */
/*
 * The SQLite side of query/: virtual-table modules over tapes.
 *
 * The same sources are compiled twice: into bpftape, linked with libsqlite3,
 * and with -DBPFTAPE_SQLITE_EXTENSION into the loadable extension, where
 * every sqlite3_* call goes through the routines SQLite hands the extension
 * (sqlite3ext.h).  Include this header instead of sqlite3.h.
 */
#ifndef BPFTAPE_QSQL_H
#define BPFTAPE_QSQL_H

#ifdef BPFTAPE_SQLITE_EXTENSION
#include <sqlite3ext.h>
extern const sqlite3_api_routines *sqlite3_api;
#else
#include <sqlite3.h>
#endif

#include "qtab.h"

/*
 * Create the tables over @set in the main schema of @db, which should be a
 * private in-memory database (so that PRAGMA temp_store, ATTACH and the
 * like leave them alone): events, one per
 * event type, processes, losses, meta, types.  The connection takes a
 * reference to @set.  SQLITE_OK or an SQLite error code; *@errmsg
 * (sqlite3_free()) says why.
 */
int qsql__attach(sqlite3 *db, struct qset *set, char **errmsg);

/*
 * Register the table-valued functions of the extension: tape_events(FILE),
 * tape_processes, tape_losses, tape_meta, tape_types, and tape_<type> for
 * the built-in types of docs/EVENTS.md; and the module bpftape for
 * CREATE VIRTUAL TABLE t USING bpftape('a.tape' [, 'b.tape'...] [, table=NAME]).
 * SQLITE_OK or an error code.
 */
int qsql__register_functions(sqlite3 *db, char **errmsg);

#endif
