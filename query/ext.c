// SPDX-License-Identifier: MIT
/*
 * The loadable extension: `.load build/bpftape_sqlite` in sqlite3, then
 * SELECT * FROM tape_events('x.tape').  SQLite derives the entry point from
 * the file name (bpftape_sqlite -> sqlite3_bpftapesqlite_init).
 */
/* this file only makes sense in the extension build */
#ifndef BPFTAPE_SQLITE_EXTENSION
#define BPFTAPE_SQLITE_EXTENSION 1
#endif

#include "qsql.h"

SQLITE_EXTENSION_INIT1

__attribute__((visibility("default"))) int
sqlite3_bpftapesqlite_init(sqlite3 *db, char **errmsg, const sqlite3_api_routines *api)
{
	SQLITE_EXTENSION_INIT2(api);
	return qsql__register_functions(db, errmsg);
}
