// SPDX-License-Identifier: MIT
/*
 * Uprobe target for tests/test_probes.c: calls work_add(i, 1000 + i,
 * "item-i") and getpriority(PRIO_USER, 4242 + i) for i in [0, N), N from
 * argv[1] (default 3).  work_add returns a + b + strlen(s) - 7 * a, so every
 * argument and return value is known to the test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

/* noipa: no inlining, cloning or constant propagation, so the symbol the
 * probe names is the function that runs, with these arguments. */
__attribute__((noipa)) int work_add(int a, long b, const char *s)
{
	return a + (int)b + (int)strlen(s) - 7 * a;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 3;
	long sum = 0;
	char buf[32];

	for (int i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "item-%d", i);
		sum += work_add(i, 1000 + i, buf);
		/* a syscall whose tracepoint arguments the test knows */
		getpriority(PRIO_USER, 4242 + i);
	}
	return sum == 0; /* keeps the calls; exit 0 */
}
