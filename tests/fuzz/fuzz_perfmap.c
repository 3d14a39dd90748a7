// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the /tmp/perf-PID.map reader (record/perfmap.c):
 * any file content gives lookups that are either unknown or inside the
 * line that names them; never a crash, never a read past the file.  The
 * first 8 bytes pick the address looked up.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Built in: the recorder's objects are not part of fuzz builds. */
#include "../../record/perfmap.c"
#include "../../record/strpool.c"

static char dir[] = "/tmp/bpftape-fuzz-perfmap-XXXXXX";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool made;
	char path[128];
	struct perfmaps *pm;
	struct perfmap_hit h;
	uint64_t addr = 0;
	FILE *f;

	if (!made && !mkdtemp(dir))
		abort();
	made = true;
	if (size >= 8) {
		memcpy(&addr, data, 8);
		data += 8;
		size -= 8;
	}
	snprintf(path, sizeof(path), "%s/perf-1.map", dir);
	f = fopen(path, "w");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f))
		abort();
	pm = perfmaps__new(dir);
	if (!pm)
		return 0;
	for (int i = 0; i < 4; i++) {
		uint64_t a = addr + (uint64_t)i * 0x1000;

		if (!perfmaps__resolve(pm, 1, a, i & 1, &h)) {
			uint64_t look = (i & 1) ? a - 1 : a;

			if (look < h.start || look >= h.end || h.offset != a - h.start ||
			    !h.name[0] || strlen(h.name) > PERFMAP_MAX_NAME)
				abort();
		}
	}
	perfmaps__free(pm);
	return 0;
}
