// SPDX-License-Identifier: MIT
/*
 * Fuzz `bpftape filter` on any tape: every predicate, the process-state
 * passes and redaction write a new tape (into memory files).  Whatever the
 * input, the verb must not crash; whatever it writes must read back.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpftape/tape.h>
#include "../../cli/verbs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int memfile(const char *name, const void *data, size_t size, char *path, size_t len)
{
	int fd = memfd_create(name, 0);

	if (fd < 0)
		return -1;
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return -1;
	}
	snprintf(path, len, "/proc/self/fd/%d", fd);
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[64], out[64], key[64], err[256];
	int fi, fo, fk;

	fi = memfile("in", data, size, in, sizeof(in));
	fo = memfile("out", NULL, 0, out, sizeof(out));
	fk = memfile("key", "0123456789abcdef-fuzz", 21, key, sizeof(key));
	if (fi >= 0 && fo >= 0 && fk >= 0) {
		char *a1[] = {"filter", "-q", "-o", out, "--redact", "all", "--key", key, in, NULL};
		char *a2[] = {"filter",	 "-q",	    "-o",      out,
			      "--since", "1ms",	    "--until", "3s",
			      "--pid",	 "101,200", "-f",      "ret < 0 || type == \"exec\"",
			      in,	 NULL};

		for (int k = 0; k < 2; k++) {
			char **argv = k ? a2 : a1;
			int argc = 0;

			while (argv[argc])
				argc++;
			if (cmd_filter(argc, argv) == 0) {
				/* what filter wrote must be a tape */
				struct tape_reader *r = tape_reader__open(out, err, sizeof(err));

				if (!r || tape_reader__recovered(r))
					abort();
				tape_reader__free(r);
			}
			ftruncate(fo, 0);
		}
	}
	if (fi >= 0)
		close(fi);
	if (fo >= 0)
		close(fo);
	if (fk >= 0)
		close(fk);
	return 0;
}
