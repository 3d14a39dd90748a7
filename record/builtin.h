/* SPDX-License-Identifier: MIT */
/*
 * The built-in events: their names, families, tape schema, and the
 * translation of kernel records (bpf/events.h) into tape events.
 * docs/EVENTS.md is the contract this implements.
 */
#ifndef BPFTAPE_RECORD_BUILTIN_H
#define BPFTAPE_RECORD_BUILTIN_H

#include <stddef.h>
#include <stdint.h>

#include "container.h"
#include <bpftape/tape.h>

enum record_family {
	FAMILY_PROC = 0,
	FAMILY_FILE,
	FAMILY_NET,
	FAMILY_SYSCALL,
	FAMILY_SCHED, /* sched_switch and signal share one skeleton */
	FAMILY_MAX,
};

struct record_builtin {
	const char *name;  /* the tape type name and the -e name, e.g. "open" */
	const char *group; /* the -e group that includes it, e.g. "file" */
	enum record_family family;
	uint32_t want;		      /* WANT_* bit in the family's rodata */
	uint16_t kind;		      /* REC_* it comes from */
	const struct tape_type *type; /* schema, id unset */
};

/* The table of built-in events, @n set to its length. */
const struct record_builtin *builtin__table(size_t *n);

/* Family name of @f ("proc", ...). */
const char *record_family__name(enum record_family f);

/*
 * Resolve one -e word (a group like "file", or an event like "open", or
 * "all") into WANT_* bits per family, ORed into @want[FAMILY_MAX].
 * 0, or -ENOENT if the word names nothing.
 */
int builtin__select(const char *word, uint32_t want[FAMILY_MAX]);

/* Type ids of the built-in types in one writer, by REC_* kind. */
struct builtin_ids {
	uint16_t id[32]; /* 0: not in this tape */
	/* names the cgroup and container of exec records (NULL: left empty);
	 * not owned */
	struct ctr_cache *ctr;
};

/*
 * Define the selected built-in types on @w and fill @ids.  0 or -errno
 * (from tape_writer__add_type).
 */
int builtin__add_types(struct tape_writer *w, const uint32_t want[FAMILY_MAX],
		       struct builtin_ids *ids);

/*
 * Translate the record at @data (@size bytes, a struct rec_hdr first, its
 * kind maybe flagged REC_F_STACK) into one tape_writer__append() of an
 * event with @stack_id (0: none).  Records of a kind not in @ids are skipped
 * (returns 0).  -EBADMSG for a malformed record; writer errors as they are.
 */
int builtin__emit(const struct builtin_ids *ids, struct tape_writer *w, const void *data,
		  size_t size, uint32_t stack_id);

#endif /* BPFTAPE_RECORD_BUILTIN_H */
