/* SPDX-License-Identifier: MIT */
/*
 * The -f expression language of replay, filter and export.
 *
 *   type == "open" && path =~ "/etc/[a-z]*" && ret < 0
 *   (pid == 42 || comm =~ "nginx*") && !(ret == ENOENT)
 *   flags & O_CREAT
 *
 * Operands are fields, integers (decimal, 0x hex, 0 octal), strings ("..."
 * or '...', C escapes) and symbolic names.  A field is one of the common
 * fields (ts, pid, tid, cpu, comm, type), the process's container
 * (container: its id, container_name, runtime, pod: a Kubernetes pod uid;
 * "" outside one) or a field of the event's type, looked up by name.  Operators: || && ! (lowest to
 * highest), then
 * == != < <= > >= (= is ==), =~ !~ (glob, fnmatch(3)), & (any bit set).
 * A bare field is true when non-zero / non-empty.
 *
 * Semantics: a comparison with a field the event's type does not have is
 * false.  A string compared with an integer or bytes field compares with the
 * field's displayed text (tape_format_value()), so `addr =~ "10.*"` works.
 * A name next to an enum/flags/errno field is that field's symbolic value
 * (`signal == SIGKILL`, `ret == ENOENT` means -2, as does `-ENOENT`;
 * `flags & O_CREAT|O_EXCL`).
 *
 * Life cycle: compile once (syntax), bind to the tapes (resolves each
 * referenced name per event type, checks unknown names), then evaluate per
 * event; evaluation never allocates.
 */
#ifndef BPFTAPE_EXPR_H
#define BPFTAPE_EXPR_H

#include <stdbool.h>
#include <stddef.h>

#include <bpftape/tape.h>

struct expr;

/*
 * Parse @text.  NULL + errno (EINVAL for a syntax error, ENOMEM) on failure;
 * @err receives "column N: what" (1-based byte column).
 */
struct expr *expr__compile(const char *text, char *err, size_t errlen);
void expr__free(struct expr *e);

/*
 * Resolve @e for every type of @n readers, which are the sources of a cursor
 * (ev->source indexes them).  Fails with -EINVAL and "column N: unknown field
 * or name 'x'" when a name is neither a field nor a symbolic value of any
 * type; -ENOMEM.  Binding again replaces the previous binding.
 */
int expr__bind(struct expr *e, struct tape_reader *const *readers, size_t n, char *err,
	       size_t errlen);

/*
 * Resolve @e for one type @tp of source @source (what expr__bind() does per
 * type; lets tests and fuzzers bind without a reader).  Names nothing in @tp
 * defines make their comparisons false; unknown names are only reported by
 * expr__bind().  0, or -ENOMEM with @err set.
 */
int expr__bind_type(struct expr *e, unsigned source, const struct tape_type *tp, char *err,
		    size_t errlen);

struct tape_proctab;

/* The process tables the container fields read: @pt[ev->source], not
 * owned, current when expr__eval() runs.  Without them they are "". */
void expr__set_procs(struct expr *e, struct tape_proctab *const *pt, size_t n);

/* Does @ev match?  False for an event whose type was not bound. */
bool expr__eval(struct expr *e, const struct tape_event *ev);

/* False if no event of type @type of source @source can match (the expression
 * is constant false for it, e.g. `type == "open"` for other types). */
bool expr__may_match(const struct expr *e, unsigned source, unsigned type);

#endif
