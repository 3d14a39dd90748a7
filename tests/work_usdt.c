// SPDX-License-Identifier: MIT
/*
 * USDT target for tests/test_probes.c, built with <sys/sdt.h>: fires
 * bpftape_test:step(i, "step-i", -7 * i) for i in [0, N), N from argv[1]
 * (default 3), then bpftape_test:done(N).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/sdt.h>

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 3;
	char name[32];

	for (int i = 0; i < n; i++) {
		long v = -7L * i;

		snprintf(name, sizeof(name), "step-%d", i);
		DTRACE_PROBE3(bpftape_test, step, i, name, v);
	}
	DTRACE_PROBE1(bpftape_test, done, n);
	return 0;
}
