// SPDX-License-Identifier: MIT
/*
 * Write the golden tapes (tests/golden/replay-basic.tape,
 * summary-basic.tape).  Run it after changing the tape format or the
 * golden content, then regenerate the expected outputs and review the diff:
 *   build/tests/gen_golden tests/golden
 */
#include <stdio.h>
#include <string.h>

#include "golden_summary.h"

static int write_tape(const char *dir, const char *name, int (*gen)(struct golden_mem *))
{
	struct golden_mem m;
	char path[4096];
	FILE *f;
	int rc = gen(&m);

	if (rc) {
		fprintf(stderr, "gen_golden: writing %s: %s\n", name, strerror(-rc));
		return 1;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(m.data, 1, m.len, f) != m.len || fclose(f)) {
		fprintf(stderr, "gen_golden: %s: cannot write\n", path);
		free(m.data);
		return 1;
	}
	printf("%s: %zu bytes\n", path, m.len);
	free(m.data);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen_golden DIR\n");
		return 2;
	}
	return write_tape(argv[1], "replay-basic.tape", golden_basic_mem) ||
	       write_tape(argv[1], "summary-basic.tape", golden_summary_mem);
}
