// SPDX-License-Identifier: MIT
/*
 * Write the golden replay tapes (tests/golden/replay-*.tape).  Run it after
 * changing the tape format or the golden content, then regenerate the
 * expected outputs and review the diff:
 *   build/tests/gen_golden tests/golden
 */
#include <stdio.h>
#include <string.h>

#include "golden_gen.h"

int main(int argc, char **argv)
{
	struct golden_mem m;
	char path[4096];
	FILE *f;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: gen_golden DIR\n");
		return 2;
	}
	rc = golden_basic_mem(&m);
	if (rc) {
		fprintf(stderr, "gen_golden: writing the basic tape: %s\n", strerror(-rc));
		return 1;
	}
	snprintf(path, sizeof(path), "%s/replay-basic.tape", argv[1]);
	f = fopen(path, "wb");
	if (!f || fwrite(m.data, 1, m.len, f) != m.len || fclose(f)) {
		fprintf(stderr, "gen_golden: %s: cannot write\n", path);
		return 1;
	}
	printf("%s: %zu bytes\n", path, m.len);
	free(m.data);
	return 0;
}
