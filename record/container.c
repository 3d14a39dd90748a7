// SPDX-License-Identifier: MIT
/*
 * Containers at record time (record/container.h).
 *
 * Names come from the runtime's own state files, read directly: no
 * runtime socket, so a stopped or hung daemon costs a name, never the
 * recording.  podman and cri-o share containers/storage, whose
 * containers.json maps ids to names; docker keeps one config.v2.json per
 * container.  The sources are listed in docs/FORMAT.md.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <limits.h>
#include <mntent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <unistd.h>

#include "container.h"
#include <bpftape/tape.h>

#ifndef FILEID_KERNFS
#define FILEID_KERNFS 0xfe /* a kernfs node by its 64-bit id: a cgroup v2 id */
#endif

struct ctr_entry {
	char *cgroup;
	uint64_t cgid; /* 0: not known */
	char *id, *name, *runtime, *pod;
};

struct ctr_name {
	char id[65];
	char *name;
};

struct ctr_cache {
	struct ctr_entry *e;
	size_t n, cap;
	struct ctr_name *names; /* from containers/storage */
	size_t nnames;
	char mnt[PATH_MAX]; /* the cgroup2 mount, "" if none */
	int mnt_fd;
	bool v1; /* cgroup v1 hierarchies are mounted too: v2 paths may not tell */
};

static char *slurp(const char *path, size_t max)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	if (!f)
		return NULL;
	buf = malloc(max + 1);
	if (!buf) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, max, f);
	fclose(f);
	buf[n] = 0;
	return buf;
}

/* The JSON string that starts at @s (just past its opening quote), with
 * \" and \\ undone, into @out; false if it does not end within @cap. */
static bool json_str(const char *s, char *out, size_t cap)
{
	size_t o = 0;

	for (; *s && *s != '"'; s++) {
		if (*s == '\\' && s[1])
			s++;
		if (o + 1 >= cap)
			return false;
		out[o++] = *s;
	}
	out[o] = 0;
	return *s == '"';
}

/* storage.conf's [storage] graphroot / runroot, TOML strings */
static void conf_root(const char *conf, const char *key, char *out, size_t cap)
{
	for (const char *l = conf; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		size_t k = strlen(key);

		while (*l == ' ' || *l == '\t')
			l++;
		if (strncmp(l, key, k) || (l[k] != ' ' && l[k] != '=' && l[k] != '\t'))
			continue;
		l = strchr(l, '"');
		if (l && json_str(l + 1, out, cap))
			return;
		return;
	}
}

static void load_storage(struct ctr_cache *c, const char *pattern)
{
	glob_t g;

	if (glob(pattern, 0, NULL, &g))
		return;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		char *js = slurp(g.gl_pathv[i], 64 << 20), *p;

		for (p = js; p && (p = strstr(p, "\"id\":\""));) {
			char id[65], name[256];
			const char *names, *next;
			struct ctr_name *grown;

			p += 6;
			if (!json_str(p, id, sizeof(id)) || strlen(id) != 64)
				continue;
			names = strstr(p, "\"names\":[\"");
			next = strstr(p, "\"id\":\"");
			if (!names || (next && names > next) ||
			    !json_str(names + 10, name, sizeof(name)))
				continue;
			grown = realloc(c->names, (c->nnames + 1) * sizeof(*grown));
			if (!grown)
				break;
			c->names = grown;
			memcpy(grown[c->nnames].id, id, sizeof(id));
			grown[c->nnames].name = strdup(name);
			if (grown[c->nnames].name)
				c->nnames++;
		}
		free(js);
	}
	globfree(&g);
}

/* Re-read containers/storage's tables (containers come and go while a
 * recording runs). */
static void load_names(struct ctr_cache *c)
{
	const char *env = getenv("CONTAINERS_STORAGE_CONF");
	char graph[PATH_MAX] = "/var/lib/containers/storage",
	     run[PATH_MAX] = "/run/containers/storage";
	char pat[PATH_MAX + 64];
	char *conf = slurp(env && *env ? env : "/etc/containers/storage.conf", 1 << 20);

	for (size_t i = 0; i < c->nnames; i++)
		free(c->names[i].name);
	c->nnames = 0;
	if (conf) {
		conf_root(conf, "graphroot", graph, sizeof(graph));
		conf_root(conf, "runroot", run, sizeof(run));
		free(conf);
	}
	snprintf(pat, sizeof(pat), "%s/*-containers/containers.json", graph);
	load_storage(c, pat);
	snprintf(pat, sizeof(pat), "%s/*-containers/volatile-containers.json", run);
	load_storage(c, pat);
}

static const char *storage_name(struct ctr_cache *c, const char *id)
{
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < c->nnames; i++)
			if (!strcmp(c->names[i].id, id))
				return c->names[i].name;
		if (!pass)
			load_names(c);
	}
	return NULL;
}

/* docker: "Name":"/NAME" at the top of config.v2.json */
static bool docker_name(const char *id, char *out, size_t cap)
{
	char path[PATH_MAX];
	char *js, *p;
	bool ok = false;

	snprintf(path, sizeof(path), "/var/lib/docker/containers/%s/config.v2.json", id);
	js = slurp(path, 16 << 20);
	p = js ? strstr(js, "\"Name\":\"/") : NULL;
	if (p)
		ok = json_str(p + 9, out, cap) && *out;
	free(js);
	return ok;
}

static struct ctr_entry *add_entry(struct ctr_cache *c, const char *cgroup, uint64_t cgid)
{
	struct tape_container tc;
	struct ctr_entry *e;
	char name[256];
	const char *nm;
	bool in;

	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 32;
		struct ctr_entry *grown = realloc(c->e, cap * sizeof(*grown));

		if (!grown)
			return NULL;
		c->e = grown;
		c->cap = cap;
	}
	in = tape_container__parse(cgroup, &tc) == 1;
	nm = in ? tc.name : "";
	if (in && strlen(tc.id) == 64) {
		const char *s = storage_name(c, tc.id);

		if (s)
			nm = s;
		else if (docker_name(tc.id, name, sizeof(name)))
			nm = name;
	}
	e = &c->e[c->n];
	*e = (struct ctr_entry){
		.cgroup = strdup(cgroup),
		.cgid = cgid,
		.id = strdup(in ? tc.id : ""),
		.name = strdup(nm),
		.runtime = strdup(in ? tc.runtime : ""),
		.pod = strdup(tc.pod),
	};
	if (!e->cgroup || !e->id || !e->name || !e->runtime || !e->pod) {
		free(e->cgroup);
		free(e->id);
		free(e->name);
		free(e->runtime);
		free(e->pod);
		return NULL;
	}
	c->n++;
	return e;
}

static void fill(const struct ctr_entry *e, struct ctr_info *out)
{
	*out = (struct ctr_info){e->id, e->name, e->runtime, e->pod};
}

struct ctr_cache *ctr_cache__new(void)
{
	struct ctr_cache *c = calloc(1, sizeof(*c));
	struct mntent *me;
	FILE *f;

	if (!c)
		return NULL;
	c->mnt_fd = -1;
	f = setmntent("/proc/self/mounts", "r");
	while (f && (me = getmntent(f))) {
		if (!strcmp(me->mnt_type, "cgroup2") && !c->mnt[0])
			snprintf(c->mnt, sizeof(c->mnt), "%s", me->mnt_dir);
		else if (!strcmp(me->mnt_type, "cgroup"))
			c->v1 = true;
	}
	if (f)
		endmntent(f);
	if (c->mnt[0])
		c->mnt_fd = open(c->mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	load_names(c);
	return c;
}

void ctr_cache__free(struct ctr_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->e[i].cgroup);
		free(c->e[i].id);
		free(c->e[i].name);
		free(c->e[i].runtime);
		free(c->e[i].pod);
	}
	for (size_t i = 0; i < c->nnames; i++)
		free(c->names[i].name);
	free(c->names);
	free(c->e);
	if (c->mnt_fd >= 0)
		close(c->mnt_fd);
	free(c);
}

int ctr_cache__by_path(struct ctr_cache *c, const char *cgroup, struct ctr_info *out)
{
	struct ctr_entry *e;

	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->e[i].cgroup, cgroup)) {
			fill(&c->e[i], out);
			return 0;
		}
	e = add_entry(c, cgroup, 0);
	if (!e)
		return -ENOMEM;
	fill(e, out);
	return 0;
}

/* The path of cgroup @cgid below the cgroup2 mount, by file handle: the
 * cgroup outlives the process that exec'd in it until its runtime
 * removes it, so this names the cgroups of short-lived processes too. */
static bool path_of_id(struct ctr_cache *c, uint64_t cgid, char *out, size_t cap)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h = {.fh = {.handle_bytes = sizeof(uint64_t), .handle_type = FILEID_KERNFS}, .id = cgid};
	char link[64], path[PATH_MAX];
	size_t ml = strlen(c->mnt);
	ssize_t n;
	int fd;

	if (c->mnt_fd < 0)
		return false;
	memcpy(h.fh.f_handle, &cgid, sizeof(cgid));
	fd = open_by_handle_at(c->mnt_fd, &h.fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return false;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	close(fd);
	if (n <= 0)
		return false;
	path[n] = 0;
	if (strncmp(path, c->mnt, ml) || (path[ml] && path[ml] != '/'))
		return false;
	snprintf(out, cap, "%s", path[ml] ? path + ml : "/");
	return true;
}

/*
 * @pid exists and is not exiting: not a zombie, not dead, and not between
 * the two either (do_exit() takes the task out of its cgroups well before
 * it becomes a zombie, with PF_EXITING set from the start).
 */
static bool alive(uint32_t pid)
{
	char path[64], *st = NULL, *rp;
	unsigned long flags = 0;
	bool ok;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	st = slurp(path, 4096);
	rp = st ? strrchr(st, ')') : NULL;
	/* ") STATE PPID PGRP SESSION TTY_NR TPGID FLAGS ..." */
	ok = rp && rp[1] == ' ' && rp[2] != 'Z' && rp[2] != 'X' && rp[2] != 'x' &&
	     sscanf(rp + 2, "%*c %*d %*d %*d %*d %*d %lu", &flags) == 1 &&
	     !(flags & 0x4 /* PF_EXITING */);
	free(st);
	return ok;
}

int ctr_cache__v1(struct ctr_cache *c, uint32_t pid, struct ctr_info *out)
{
	char path[64], *cg, *line, *save = NULL;
	int err = -ENOENT;

	if (!c->v1)
		return -ENOENT;
	snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
	cg = slurp(path, 64 << 10);
	/* an exiting task has left its cgroups (they read "/"): only a
	 * process still alive after the read was read right */
	if (!cg || !alive(pid)) {
		free(cg);
		return -ESRCH;
	}
	for (line = cg ? strtok_r(cg, "\n", &save) : NULL; line && err == -ENOENT;
	     line = strtok_r(NULL, "\n", &save)) {
		/* "ID:CONTROLLERS:PATH"; the v2 line ("0::") was asked already */
		char *p = strchr(line, ':');
		struct tape_container tc;

		p = p ? strchr(p + 1, ':') : NULL;
		if (!p || !strncmp(line, "0::", 3) || tape_container__parse(p + 1, &tc) != 1)
			continue;
		err = ctr_cache__by_path(c, p + 1, out);
	}
	free(cg);
	return err;
}

/* the unified hierarchy's line ("0::/path") of /proc/PID/cgroup */
static bool path_of_pid(uint32_t pid, char *out, size_t cap)
{
	char path[64], *cg, *p, *nl;
	bool ok = false;

	snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
	cg = slurp(path, 64 << 10);
	p = cg ? strstr(cg, "0::") : NULL;
	if (p && (p == cg || p[-1] == '\n')) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = 0;
		snprintf(out, cap, "%s", p + 3);
		ok = true;
	}
	free(cg);
	return ok;
}

int ctr_cache__by_id(struct ctr_cache *c, uint64_t cgid, uint32_t pid, const char **cgroup,
		     struct ctr_info *out)
{
	char path[PATH_MAX] = "";
	struct ctr_entry *e;

	for (size_t i = 0; i < c->n; i++)
		if (cgid && c->e[i].cgid == cgid) {
			*cgroup = c->e[i].cgroup;
			fill(&c->e[i], out);
			return 0;
		}
	if (!path_of_id(c, cgid, path, sizeof(path)))
		path_of_pid(pid, path, sizeof(path));
	/* a path seen before under another id (the snapshot's) */
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->e[i].cgroup, path)) {
			if (!c->e[i].cgid && path[0])
				c->e[i].cgid = cgid;
			*cgroup = c->e[i].cgroup;
			fill(&c->e[i], out);
			return 0;
		}
	e = add_entry(c, path, path[0] ? cgid : 0);
	if (!e)
		return -ENOMEM;
	*cgroup = e->cgroup;
	fill(e, out);
	return 0;
}

/* ---- --container ------------------------------------------------------------ */

struct walk {
	struct ctr_cache *c;
	const char *what;
	size_t mntlen;
	bool exact; /* a candidate matched by name or whole id */
	size_t n;   /* candidates */
	char dir[PATH_MAX];
	char desc[1024];
	char all[1024]; /* every container seen, for the error */
};

static struct walk *walk_state; /* nftw passes no context */

static int walk_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	struct walk *w = walk_state;
	const char *rel = path + w->mntlen;
	struct tape_container tc;
	struct ctr_info ci;
	bool exact, prefix;
	size_t l;

	(void)st;
	(void)ftw;
	if (flag != FTW_D)
		return 0;
	if (!*rel)
		rel = "/";
	if (tape_container__parse(rel, &tc) != 1 || tc.cgroup_len != strlen(rel))
		return 0;
	if (ctr_cache__by_path(w->c, rel, &ci))
		return -1;
	l = strlen(w->all);
	snprintf(w->all + l, sizeof(w->all) - l, "%s%s (%s %.12s)", l ? ", " : "", ci.name,
		 ci.runtime, ci.id);
	exact = !strcmp(ci.name, w->what) || !strcmp(ci.id, w->what);
	prefix = !strncmp(ci.id, w->what, strlen(w->what));
	if (!exact && !prefix)
		return 0;
	if (exact && !w->exact) {
		/* a name or a whole id beats prefixes */
		w->exact = true;
		w->n = 0;
		w->desc[0] = 0;
	} else if (!exact && w->exact) {
		return 0;
	}
	l = strlen(w->desc);
	snprintf(w->desc + l, sizeof(w->desc) - l, "%s%s %s %s", l ? ", " : "", ci.runtime, ci.name,
		 ci.id);
	snprintf(w->dir, sizeof(w->dir), "%s", rel);
	w->n++;
	return 0;
}

int ctr_cache__find(struct ctr_cache *c, const char *what, char *dir, size_t dirlen,
		    uint32_t *level, char *desc, size_t desclen)
{
	struct walk w = {.c = c, .what = what, .mntlen = strlen(c->mnt)};
	int err;

	if (!c->mnt[0])
		return -ENOTSUP;
	if (!*what)
		return -EINVAL;
	walk_state = &w;
	err = nftw(c->mnt, walk_one, 32, FTW_PHYS | FTW_MOUNT);
	walk_state = NULL;
	if (err)
		return errno ? -errno : -EIO;
	if (w.n != 1) {
		snprintf(desc, desclen, "%s", w.n ? w.desc : (w.all[0] ? w.all : "none"));
		return w.n ? -ENOTUNIQ : -ENOENT;
	}
	snprintf(dir, dirlen, "%s", w.dir);
	snprintf(desc, desclen, "%s", w.desc);
	*level = 0;
	for (const char *p = w.dir; *p; p++)
		if (*p == '/' && p[1] && p[1] != '/')
			(*level)++;
	return 0;
}
