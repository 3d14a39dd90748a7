// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the probe spec parser: any text either parses into a
 * spec whose parts are consistent, or fails with a message; never a crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Built in: the recorder's objects are not part of fuzz builds. */
#include "../../record/probespec.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	char err[256], name[96];
	struct probe_spec *ps;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	ps = probe_spec__parse(text, err, sizeof(err));
	if (ps) {
		if (ps->nargs > PROBE_MAX_ARGS || strcmp(ps->text, text))
			abort();
		for (unsigned i = 0; i < ps->nargs; i++)
			if (!probe_arg_type__name(ps->args[i].type) || !ps->args[i].name[0])
				abort();
		probe_spec__type_name(ps, name, sizeof(name));
		if (!name[0])
			abort();
		probe_spec__type_name(ps, name, 3);
	} else if (!err[0]) {
		abort(); /* every rejection explains itself */
	}
	probe_spec__free(ps);
	free(text);
	return 0;
}
