// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the tape reader: any bytes are opened, every block
 * type parsed, every event decoded and formatted, and the tape verified.
 * Seeds: tests/fuzz/corpus/fuzz_reader/ (the golden tapes).
 */
#include <stdint.h>
#include <stdlib.h>

#include <bpftape/tape.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tape_reader *r;
	struct tape_cursor *c;
	const struct tape_event *ev;
	char err[256], buf[256];
	const char *type = NULL;
	uint32_t pid = 0;
	int ret, budget = 100000;

	r = tape_reader__open_mem(data, size, err, sizeof(err));
	if (!r)
		return 0;
	for (size_t i = 0; i < tape_reader__meta_count(r); i++)
		tape_reader__meta_at(r, i, NULL, NULL);
	for (size_t i = 0; i < tape_reader__proc_count(r); i++)
		(void)tape_reader__proc(r, i)->argv_len;
	c = tape_cursor__new(&r, 1, NULL);
	while (c && budget-- > 0 && (ret = tape_cursor__next(c, &ev)) != 0) {
		if (ret < 0)
			continue;
		if (!type && ev->type != TAPE_TYPE_LOSS) {
			type = ev->tp->name;
			pid = ev->pid;
		}
		for (unsigned f = 0; f < ev->tp->nfields; f++)
			tape_format_value(ev->tp, f, &ev->values[f], TAPE_ESC_TEXT, buf,
					  sizeof(buf));
	}
	tape_cursor__free(c);
	/* the selection's skipping paths: the first event's type, maybe its
	 * pid, fields decoded or not */
	if (type) {
		struct tape_select sel = {.sz = sizeof(sel),
					  .types = &type,
					  .ntypes = 1,
					  .pids = &pid,
					  .npids = size & 1,
					  .no_fields = size & 2};

		budget = 100000;
		c = tape_cursor__new(&r, 1, &sel);
		while (c && budget-- > 0 && (ret = tape_cursor__next(c, &ev)) != 0) {
			for (unsigned f = 0; ret > 0 && !sel.no_fields && f < ev->tp->nfields; f++)
				tape_format_value(ev->tp, f, &ev->values[f], TAPE_ESC_TEXT, buf,
						  sizeof(buf));
		}
		tape_cursor__free(c);
	}
	tape_reader__verify(r, NULL, NULL);
	tape_reader__free(r);
	return 0;
}
