/* SPDX-License-Identifier: MIT */
/*
 * The argument lists around the recorder's 1024-byte argv limit, shared by
 * the workload that execs them (tests/work_exec.c, `work_exec argv`) and
 * the test that checks what the tape holds of them (tests/test_record.c).
 */
#ifndef BPFTAPE_TESTS_EXEC_CASES_H
#define BPFTAPE_TESTS_EXEC_CASES_H

#include <string.h>

#define EXEC_CASES 4

/* Fill @v with case @n ("true" first, NULL last), its strings in @store. */
static inline void exec_case(int n, char **v, char *store)
{
	static const int nargs[EXEC_CASES] = {40, 1, 1, 64};
	static const int len[EXEC_CASES] = {49, 1019, 1020, 1};

	v[0] = "true";
	for (int i = 1; i <= nargs[n]; i++) {
		v[i] = store;
		memset(store, 'a' + i % 26, len[n]);
		store[len[n]] = 0;
		store += len[n] + 1;
	}
	v[nargs[n] + 1] = NULL;
}

#endif
