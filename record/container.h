/* SPDX-License-Identifier: MIT */
/*
 * Containers at record time: the container each cgroup stands for
 * (tape_container__parse()), named from the runtime's own state files,
 * cgroup v2 ids resolved to paths for exec records, and `--container`
 * resolved to the container's cgroup v2 directory.
 *
 * Ownership: the cache owns every string it hands out; they stay valid
 * until ctr_cache__free().
 */
#ifndef BPFTAPE_RECORD_CONTAINER_H
#define BPFTAPE_RECORD_CONTAINER_H

#include <stddef.h>
#include <stdint.h>

/* A process's container: every field "" outside a container. */
struct ctr_info {
	const char *id;
	const char *name;
	const char *runtime;
	const char *pod;
};

struct ctr_cache;

/* An empty cache.  NULL + errno (ENOMEM). */
struct ctr_cache *ctr_cache__new(void);
void ctr_cache__free(struct ctr_cache *c);

/* The container of the cgroup path @cgroup (as /proc/PID/cgroup writes it).
 * 0 or -ENOMEM. */
int ctr_cache__by_path(struct ctr_cache *c, const char *cgroup, struct ctr_info *out);

/*
 * The container that a cgroup v1 hierarchy of process @pid names, for
 * hybrid hosts whose runtime leaves the v2 hierarchy alone (the v2 path
 * then names none).  0, -ENOENT (none, or no v1 hierarchy is mounted),
 * -ESRCH (@pid is gone: the v1 hierarchies cannot tell), -ENOMEM.
 */
int ctr_cache__v1(struct ctr_cache *c, uint32_t pid, struct ctr_info *out);

/*
 * The cgroup v2 path (*@cgroup) and container of the cgroup with id
 * @cgid; when that cgroup is already gone, @pid's /proc/PID/cgroup.
 * *@cgroup is "" when neither says.  0 or -ENOMEM.
 */
int ctr_cache__by_id(struct ctr_cache *c, uint64_t cgid, uint32_t pid, const char **cgroup,
		     struct ctr_info *out);

/*
 * Resolve `--container WHAT` (a name, an id, or a unique id prefix) among
 * the containers with a cgroup v2 directory now: their path relative to
 * the cgroup2 mount into @dir, the directory's depth (the root is 0) into
 * *@level, and "runtime name id" into @desc.  0, -ENOENT (no such
 * container; @desc lists what runs), -ENOTUNIQ (@desc lists the
 * candidates), -ENOTSUP (no cgroup2 mount), or another -errno.
 */
int ctr_cache__find(struct ctr_cache *c, const char *what, char *dir, size_t dirlen,
		    uint32_t *level, char *desc, size_t desclen);

#endif
