// SPDX-License-Identifier: MIT
/* Ids by name, hashed (names.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "private/names.h"

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

static void put(struct name_slot *slots, uint32_t nslots, const char *name, uint32_t id)
{
	uint32_t s = name_hash(name) & (nslots - 1);

	while (slots[s].id)
		s = (s + 1) & (nslots - 1);
	slots[s] = (struct name_slot){name, id};
}

uint32_t tape__names_find(const struct names *ns, const char *name)
{
	if (!ns->nslots)
		return 0;
	for (uint32_t s = name_hash(name) & (ns->nslots - 1); ns->slots[s].id;
	     s = (s + 1) & (ns->nslots - 1))
		if (!strcmp(ns->slots[s].name, name))
			return ns->slots[s].id;
	return 0;
}

int tape__names_add(struct names *ns, const char *name, uint32_t id)
{
	/* at most half full: probes stay short */
	if ((ns->n + 1) * 2 > ns->nslots) {
		uint32_t n = ns->nslots ? ns->nslots * 2 : 64;
		struct name_slot *slots = calloc(n, sizeof(*slots));

		if (!slots)
			return -ENOMEM;
		for (uint32_t i = 0; i < ns->nslots; i++)
			if (ns->slots[i].id)
				put(slots, n, ns->slots[i].name, ns->slots[i].id);
		free(ns->slots);
		ns->slots = slots;
		ns->nslots = n;
	}
	put(ns->slots, ns->nslots, name, id);
	ns->n++;
	return 0;
}

void tape__names_free(struct names *ns)
{
	free(ns->slots);
	*ns = (struct names){0};
}
