/* SPDX-License-Identifier: MIT */
/*
 * Ids by name, hashed (names.c): a tape may define 65535 types, and a list
 * searched per name is quadratic.  Shared by the format library (type ids)
 * and the tools built on it (SQL table names).  The names are not copied
 * and must outlive the set.
 */
#ifndef BPFTAPE_NAMES_H
#define BPFTAPE_NAMES_H

#include <stdint.h>

struct name_slot {
	const char *name;
	uint32_t id; /* 0: empty */
};

struct names {
	struct name_slot *slots;
	uint32_t nslots, n;
};

/* The id stored under @name, or 0. */
uint32_t tape__names_find(const struct names *ns, const char *name);
/* Store @id (> 0) under @name, which is not in @ns yet.  0 or -ENOMEM. */
int tape__names_add(struct names *ns, const char *name, uint32_t id);
void tape__names_free(struct names *ns);

#endif
