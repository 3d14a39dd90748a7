// SPDX-License-Identifier: MIT
/* Fuzz the -f expression compiler, binder and evaluator. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../replay/expr.h"
#include "../golden_gen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tape_type types[G_NTYPES];
	static const char argv[] = "cat\0/etc/x";
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = 0x5000};
	union tape_value vals[G_NTYPES][9] = {
		[G_FORK] = {GV_U(1), GV_U(2), GV_U(2)},
		[G_EXEC] = {GV_B("/bin/cat", 8), GV_B(argv, sizeof(argv)), GV_S(-2)},
		[G_EXIT] = {GV_S(1), GV_S(9)},
		[G_OPEN] = {GV_U(257), GV_S(-100), GV_B("/etc/passwd", 11), GV_U(0101), GV_U(0644),
			    GV_S(-13)},
		[G_CLOSE] = {GV_S(3), GV_S(0)},
		[G_READ] = {GV_S(3), GV_U(4096), GV_S(-4)},
		[G_CONNECT] = {GV_S(3), GV_B(&sin, sizeof(sin)), GV_S(0)},
		[G_SYSCALL] = {GV_U(257), GV_U(1), GV_U(2), GV_U(3), GV_U(4), GV_U(5), GV_U(6),
			       GV_S(-1), GV_U(100)},
	};
	char err[256];
	char *text = malloc(size + 1);
	struct expr *e;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	e = expr__compile(text, err, sizeof(err));
	if (e) {
		for (int t = 0; t < G_NTYPES; t++) {
			types[t] = golden_types[t];
			types[t].id = (uint16_t)(t + 1);
			if (expr__bind_type(e, 0, &types[t], err, sizeof(err)))
				abort();
		}
		for (int t = 0; t < G_NTYPES; t++) {
			struct tape_event ev = {
				.ts = 123,
				.pid = 7,
				.tid = 8,
				.cpu = 1,
				.type = (uint16_t)(t + 1),
				.comm = "fuzz",
				.values = vals[t],
				.tp = &types[t],
			};
			bool m = expr__eval(e, &ev);

			/* constant folding must agree with evaluation */
			if (m && !expr__may_match(e, 0, (unsigned)t + 1))
				abort();
		}
		expr__free(e);
	} else if (strncmp(err, "column ", 7)) {
		abort(); /* every syntax error names its column */
	}
	free(text);
	return 0;
}
