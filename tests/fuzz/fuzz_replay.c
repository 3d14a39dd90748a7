// SPDX-License-Identifier: MIT
/*
 * Fuzz what replay does with any tape: read it, keep the process table,
 * evaluate an expression, render every event as text, JSON and CSV-like
 * values, and summarize them (bpftape summary, text and JSON).  Whatever the bytes, nothing may
 * crash or read out of bounds.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../replay/expr.h"
#include "../../replay/output.h"
#include "../../replay/predicate.h"
#include "../../replay/summary.h"
#include <bpftape/tape_proctab.h>
#include <bpftape/tape.h>
#include "../../replay/tapes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int null_fd = -1;
	struct tape_reader *r;
	struct tape_cursor *c = NULL;
	struct tape_proctab *pt = NULL;
	struct predicate *pred = NULL;
	struct pred_opts po = {0};
	struct render rd = {0};
	struct out o = {0};
	struct summary_opts so = {.sz = sizeof(so), .top = 3, .whole = true};
	struct tapes t = {0};
	struct summary *s = NULL;
	const struct tape_event *ev;
	char err[256], val[512];
	int rc, guard = 0;

	if (null_fd < 0)
		null_fd = open("/dev/null", O_WRONLY);
	r = tape_reader__open_mem(data, size, err, sizeof(err));
	if (!r)
		return 0;
	pt = tape_proctab__new();
	if (!pt || tape_proctab__load_snapshot(pt, r) || render__init(&rd, &r, 1, TIME_REL, pt) ||
	    out__init(&o, null_fd))
		goto out;
	po.expr = "ret < 0 || path =~ \"/etc/*\" || comm == \"x\" || flags & 1 || argv =~ \"*a*\"";
	pred = predicate__new(&po, &r, 1, err, sizeof(err));
	c = tape_cursor__new(&r, 1, pred ? predicate__select_lifecycle(pred) : NULL);
	t.readers = &r;
	t.n = 1;
	t.src_pt = &pt;
	s = summary__new(&t, &so);
	if (!c || !s)
		goto out;
	while ((rc = tape_cursor__next(c, &ev)) != 0 && guard++ < 100000) {
		if (rc < 0)
			continue;
		tape_proctab__apply(pt, ev);
		if (pred)
			predicate__match(pred, ev);
		render__text(&o, &rd, ev);
		render__json(&o, &rd, ev);
		summary__add(s, ev);
		for (unsigned i = 0; ev->type && ev->tp && i < ev->tp->nfields; i++)
			for (int m = TAPE_ESC_RAW; m <= TAPE_ESC_LAST; m++)
				tape_format_value(ev->tp, i, &ev->values[i], (enum tape_esc)m, val,
						  sizeof(val));
	}
	summary__text(s, &o);
	summary__json(s, &o);
out:
	summary__free(s);
	out__close(&o);
	render__fini(&rd);
	tape_cursor__free(c);
	predicate__free(pred);
	tape_proctab__free(pt);
	tape_reader__free(r);
	return 0;
}
