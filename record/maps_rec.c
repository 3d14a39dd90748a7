// SPDX-License-Identifier: MIT
/* The mapping probes and their records (maps_rec.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include <bpf/libbpf.h>

#include "../bpf/events.h"
#include "maps_rec.h"
#include "maps.skel.h"

/*
 * A process that exited keeps its mappings this long in event time: a
 * record it made before exiting may still wait in the ring (another CPU's
 * backlog) and name its addresses.
 */
#define DEAD_GRACE_NS (5 * 1000000000ull)

struct maps_rec {
	struct maps_bpf *skel;
	struct maps *maps;
	struct tape_writer *w;
	int err; /* first failed write into the mapping block */
	uint64_t last_ts, last_reap;
};

static void to_tape(void *ctx, const struct tape_mapping *rec, const char *path)
{
	struct maps_rec *mr = ctx;
	int e;

	if (mr->err || !mr->w)
		return;
	e = tape_writer__add_mapping(mr->w, rec, path);
	if (e)
		mr->err = e;
}

struct maps_rec *maps_rec__attach(struct record_session *s, bool sys_exit, char *err, size_t errlen)
{
	struct maps_rec *mr = calloc(1, sizeof(*mr));
	const char *step = "opening";
	int e = -ENOMEM;

	if (!mr)
		return NULL;
	mr->maps = maps__new();
	if (!mr->maps)
		goto fail;
	mr->skel = maps_bpf__open();
	if (!mr->skel) {
		e = -errno;
		goto fail;
	}
	RECORD_SESSION_SET_RODATA(s, mr->skel);
	/* another sys_exit program follows the mappings syscalls */
	if (!sys_exit)
		bpf_program__set_autoload(mr->skel->progs.maps_sys_exit, false);
	step = "sharing maps with";
	e = record_session__reuse_maps(s, mr->skel->obj);
	if (!e) {
		step = "loading";
		e = maps_bpf__load(mr->skel);
	}
	if (!e) {
		step = "attaching";
		e = maps_bpf__attach(mr->skel);
	}
	if (e)
		goto fail;
	return mr;
fail:
	snprintf(err, errlen,
		 "%s the BPF programs of the mappings (for user stacks): %s (run with -v for "
		 "libbpf's log)",
		 step, strerror(e < 0 ? -e : ENOMEM));
	maps_rec__free(mr);
	errno = e < 0 ? -e : ENOMEM;
	return NULL;
}

struct maps *maps_rec__maps(struct maps_rec *mr)
{
	return mr->maps;
}

int maps_rec__start(struct maps_rec *mr, struct tape_writer *w, const uint32_t *pids, size_t n,
		    uint64_t ts)
{
	/* the tape starts from the state, not from the changes that built it */
	maps__set_observer(mr->maps, NULL, NULL);
	maps__set_snapshot_ts(mr->maps, ts);
	for (size_t i = 0; i < n; i++)
		maps__snapshot(mr->maps, pids[i]);
	mr->w = w;
	mr->err = 0;
	maps__for_each(mr->maps, ts, to_tape, mr);
	maps__set_observer(mr->maps, to_tape, mr);
	return mr->err;
}

int maps_rec__handle(struct maps_rec *mr, const void *data, size_t size)
{
	const struct rec_hdr *h = data;
	int ret = 0;

	if (size < sizeof(*h))
		return -EBADMSG;
	switch (h->kind) {
	case REC_MMAP: {
		const struct rec_mmap *r = data;
		char path[REC_PATH_MAX + 1];

		if (size < offsetof(struct rec_mmap, path) || r->path_len > REC_PATH_MAX ||
		    offsetof(struct rec_mmap, path) + r->path_len > size)
			return -EBADMSG;
		memcpy(path, r->path, r->path_len);
		path[r->path_len] = 0;
		/* the kernel's dev_t is major << 20 | minor */
		maps__mmap2(mr->maps, h->pid, r->start, r->end, r->pgoff,
			    makedev(r->dev >> 20, r->dev & 0xfffff), r->ino, path, h->ts);
		ret = 1;
		break;
	}
	case REC_MUNMAP: {
		const struct rec_munmap *r = data;

		if (size < sizeof(*r))
			return -EBADMSG;
		if (r->flags & REC_MUNMAP_EXEC)
			maps__exec(mr->maps, h->pid, h->ts);
		else
			maps__munmap(mr->maps, h->pid, r->start, r->end, h->ts);
		ret = 1;
		break;
	}
	case REC_FORK: {
		const struct rec_fork *r = data;

		if (size >= sizeof(*r))
			maps__fork(mr->maps, r->parent_pid, r->child_pid, h->ts);
		break;
	}
	case REC_EXIT:
		maps__exit(mr->maps, h->pid, h->ts);
		break;
	}
	if (h->ts > mr->last_ts)
		mr->last_ts = h->ts;
	if (mr->last_ts > mr->last_reap + DEAD_GRACE_NS) {
		maps__reap(mr->maps, mr->last_ts - DEAD_GRACE_NS);
		mr->last_reap = mr->last_ts;
	}
	return mr->err ? mr->err : ret;
}

void maps_rec__detach(struct maps_rec *mr)
{
	if (mr)
		maps_bpf__detach(mr->skel);
}

void maps_rec__free(struct maps_rec *mr)
{
	if (!mr)
		return;
	maps_bpf__destroy(mr->skel);
	maps__free(mr->maps);
	free(mr);
}
