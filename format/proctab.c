// SPDX-License-Identifier: MIT
/* The process table (see tape_proctab.h). */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <bpftape/tape_proctab.h>

enum pt_kind {
	PT_OTHER = 0,
	PT_FORK,
	PT_EXEC,
	PT_EXIT,
};

/* What an event type means to the table, resolved once per type pointer. */
struct pt_class {
	const struct tape_type *tp;
	uint8_t kind;
	int8_t f[3];  /* fork: parent_pid, child_pid; exec: filename, argv, ret; exit: code, signal
		       */
	int8_t cf[5]; /* exec: cgroup, container, container_name, runtime, pod (-1: absent) */
};

/* The cgroup and container fields, in the order of cf[] and of the exec
 * fields that set them. */
static const size_t ctr_off[5] = {
	offsetof(struct tape_proc_state, cgroup),
	offsetof(struct tape_proc_state, container),
	offsetof(struct tape_proc_state, container_name),
	offsetof(struct tape_proc_state, runtime),
	offsetof(struct tape_proc_state, pod),
};
static const char *const ctr_names[5] = {"cgroup", "container", "container_name", "runtime", "pod"};
#define CTR(p, i) (*(char **)((char *)(p) + ctr_off[i]))

#define PT_CLASS_SLOTS 64

struct tape_proctab {
	struct tape_proc_state *procs;
	size_t count, cap;
	/* open addressing: pid -> index + 1 (0 = empty) */
	uint32_t *slots;
	uint32_t *slot_pid;
	size_t nslots;
	struct pt_class cls[PT_CLASS_SLOTS];
};

static size_t pt_hash(uint32_t pid, size_t nslots)
{
	return (size_t)((pid * 2654435761u) & (nslots - 1));
}

struct tape_proctab *tape_proctab__new(void)
{
	struct tape_proctab *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->nslots = 256;
	t->slots = calloc(t->nslots, sizeof(*t->slots));
	t->slot_pid = calloc(t->nslots, sizeof(*t->slot_pid));
	if (!t->slots || !t->slot_pid) {
		tape_proctab__free(t);
		errno = ENOMEM;
		return NULL;
	}
	return t;
}

static void proc_clear(struct tape_proc_state *p)
{
	free(p->exe);
	free(p->argv);
	for (int i = 0; i < 5; i++)
		free(CTR(p, i));
	memset(p, 0, sizeof(*p));
}

void tape_proctab__free(struct tape_proctab *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->count; i++)
		proc_clear(&t->procs[i]);
	free(t->procs);
	free(t->slots);
	free(t->slot_pid);
	free(t);
}

static long pt_find(const struct tape_proctab *t, uint32_t pid)
{
	size_t h = pt_hash(pid, t->nslots);

	for (;;) {
		uint32_t s = t->slots[h];

		if (!s)
			return -1;
		if (t->slot_pid[h] == pid)
			return (long)s - 1;
		h = (h + 1) & (t->nslots - 1);
	}
}

static int pt_rehash(struct tape_proctab *t)
{
	size_t n = t->nslots * 2;
	uint32_t *slots = calloc(n, sizeof(*slots));
	uint32_t *spid = calloc(n, sizeof(*spid));

	if (!slots || !spid) {
		free(slots);
		free(spid);
		return -ENOMEM;
	}
	for (size_t i = 0; i < t->count; i++) {
		size_t h = pt_hash(t->procs[i].pid, n);

		while (slots[h])
			h = (h + 1) & (n - 1);
		slots[h] = (uint32_t)i + 1;
		spid[h] = t->procs[i].pid;
	}
	free(t->slots);
	free(t->slot_pid);
	t->slots = slots;
	t->slot_pid = spid;
	t->nslots = n;
	return 0;
}

/* The entry for @pid, created empty if missing.  A reused pid keeps its slot;
 * the caller decides whether to reset it. */
static struct tape_proc_state *pt_get_or_add(struct tape_proctab *t, uint32_t pid, bool *created)
{
	long i = pt_find(t, pid);
	size_t h;

	*created = false;
	if (i >= 0)
		return &t->procs[i];
	if ((t->count + 1) * 2 > t->nslots && pt_rehash(t))
		return NULL;
	if (t->count == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct tape_proc_state *p = realloc(t->procs, cap * sizeof(*p));

		if (!p)
			return NULL;
		t->procs = p;
		t->cap = cap;
	}
	h = pt_hash(pid, t->nslots);
	while (t->slots[h])
		h = (h + 1) & (t->nslots - 1);
	t->slots[h] = (uint32_t)t->count + 1;
	t->slot_pid[h] = pid;
	memset(&t->procs[t->count], 0, sizeof(t->procs[0]));
	t->procs[t->count].pid = pid;
	*created = true;
	return &t->procs[t->count++];
}

static void set_comm(struct tape_proc_state *p, const char *s, size_t len)
{
	if (len >= sizeof(p->comm))
		len = sizeof(p->comm) - 1;
	memcpy(p->comm, s, len);
	p->comm[len] = '\0';
}

/* Replace *@dst with a copy of @len bytes of @src (NUL added); @src may be NULL. */
static int set_str(char **dst, const char *src, size_t len)
{
	char *s = NULL;

	if (src) {
		s = malloc(len + 1);
		if (!s)
			return -ENOMEM;
		memcpy(s, src, len);
		s[len] = '\0';
	}
	free(*dst);
	*dst = s;
	return 0;
}

int tape_proctab__load_snapshot(struct tape_proctab *t, const struct tape_reader *r)
{
	size_t n = tape_reader__proc_count(r);

	for (size_t i = 0; i < n; i++) {
		const struct tape_proc *tp = tape_reader__proc(r, i);
		struct tape_proc_state *p;
		bool created;

		if (!tp)
			continue;
		p = pt_get_or_add(t, tp->pid, &created);
		if (!p)
			return -ENOMEM;
		if (!created) {
			uint32_t pid = p->pid;

			proc_clear(p);
			p->pid = pid;
		}
		p->ppid = tp->ppid;
		p->uid = tp->uid;
		p->start_ts = tp->start_ts;
		if (tp->comm)
			set_comm(p, tp->comm, strlen(tp->comm));
		if (set_str(&p->exe, tp->exe, tp->exe ? strlen(tp->exe) : 0) ||
		    set_str(&p->argv, tp->argv, tp->argv_len) ||
		    set_str(&p->cgroup, tp->cgroup, tp->cgroup ? strlen(tp->cgroup) : 0) ||
		    set_str(&p->container, tp->container,
			    tp->container ? strlen(tp->container) : 0) ||
		    set_str(&p->container_name, tp->container_name,
			    tp->container_name ? strlen(tp->container_name) : 0) ||
		    set_str(&p->runtime, tp->runtime, tp->runtime ? strlen(tp->runtime) : 0) ||
		    set_str(&p->pod, tp->pod, tp->pod ? strlen(tp->pod) : 0))
			return -ENOMEM;
		p->argv_len = tp->argv ? tp->argv_len : 0;
	}
	return 0;
}

static int8_t field_idx(const struct tape_type *tp, const char *name)
{
	int i = tape_type__field_index(tp, name);

	return i < 0 ? -1 : (int8_t)i;
}

static const struct pt_class *pt_classify(struct tape_proctab *t, const struct tape_type *tp)
{
	struct pt_class *c = &t->cls[((uintptr_t)tp >> 4) % PT_CLASS_SLOTS];

	if (c->tp == tp)
		return c;
	memset(c, 0, sizeof(*c));
	c->tp = tp;
	c->f[0] = c->f[1] = c->f[2] = -1;
	memset(c->cf, -1, sizeof(c->cf));
	if (!strcmp(tp->name, "fork")) {
		c->kind = PT_FORK;
		c->f[0] = field_idx(tp, "parent_pid");
		c->f[1] = field_idx(tp, "child_pid");
		if (c->f[1] < 0)
			c->kind = PT_OTHER;
	} else if (!strcmp(tp->name, "exec")) {
		c->kind = PT_EXEC;
		c->f[0] = field_idx(tp, "filename");
		c->f[1] = field_idx(tp, "argv");
		c->f[2] = field_idx(tp, "ret");
		for (int i = 0; i < 5; i++)
			c->cf[i] = field_idx(tp, ctr_names[i]);
	} else if (!strcmp(tp->name, "exit")) {
		c->kind = PT_EXIT;
		c->f[0] = field_idx(tp, "code");
		c->f[1] = field_idx(tp, "signal");
	}
	return c;
}

static bool is_str_kind(const struct tape_type *tp, int idx)
{
	return idx >= 0 && (tp->fields[idx].kind == TAPE_STR || tp->fields[idx].kind == TAPE_BYTES);
}

static int64_t ival(const struct tape_type *tp, int idx, const union tape_value *v)
{
	uint8_t k = tp->fields[idx].kind;

	return (k >= TAPE_S8 && k <= TAPE_S64) ? v[idx].s : (int64_t)v[idx].u;
}

static int apply_fork(struct tape_proctab *t, const struct pt_class *c, const struct tape_event *ev)
{
	const union tape_value *v = ev->values;
	uint32_t ppid = c->f[0] >= 0 ? (uint32_t)v[c->f[0]].u : ev->pid;
	uint32_t cpid = (uint32_t)v[c->f[1]].u;
	struct tape_proc_state *child, *parent;
	bool created;
	long pi;

	if (cpid == ppid)
		return 0; /* a new thread, not a process */
	child = pt_get_or_add(t, cpid, &created);
	if (!child)
		return -ENOMEM;
	/* the parent's index is looked up after the insert: the array may move */
	pi = pt_find(t, ppid);
	parent = pi >= 0 ? &t->procs[pi] : NULL;
	proc_clear(child);
	child->pid = cpid;
	child->ppid = ppid;
	child->start_ts = ev->ts;
	if (parent) {
		child->uid = parent->uid;
		memcpy(child->comm, parent->comm, sizeof(child->comm));
		if (set_str(&child->exe, parent->exe, parent->exe ? strlen(parent->exe) : 0) ||
		    set_str(&child->argv, parent->argv, parent->argv_len))
			return -ENOMEM;
		for (int i = 0; i < 5; i++)
			if (set_str(&CTR(child, i), CTR(parent, i),
				    CTR(parent, i) ? strlen(CTR(parent, i)) : 0))
				return -ENOMEM;
		child->argv_len = parent->argv ? parent->argv_len : 0;
	} else if (ev->comm) {
		set_comm(child, ev->comm, strlen(ev->comm));
	}
	return 0;
}

static int apply_exec(struct tape_proctab *t, const struct pt_class *c, const struct tape_event *ev)
{
	const struct tape_type *tp = ev->tp;
	const union tape_value *v = ev->values;
	struct tape_proc_state *p;
	bool created;

	if (c->f[2] >= 0 && ival(tp, c->f[2], v) < 0)
		return 0; /* a failed exec changes nothing */
	p = pt_get_or_add(t, ev->pid, &created);
	if (!p)
		return -ENOMEM;
	if (created)
		p->start_ts = ev->ts;
	p->exited = false;
	if (is_str_kind(tp, c->f[0])) {
		const char *fn = v[c->f[0]].b.ptr;
		uint32_t len = v[c->f[0]].b.len;
		const char *base = fn;

		if (set_str(&p->exe, fn, len))
			return -ENOMEM;
		/* the kernel names the task after the file it executed */
		for (uint32_t i = 0; i < len; i++)
			if (fn[i] == '/' && i + 1 < len)
				base = fn + i + 1;
		set_comm(p, base, len - (size_t)(base - fn));
	} else if (ev->comm) {
		set_comm(p, ev->comm, strlen(ev->comm));
	}
	if (is_str_kind(tp, c->f[1])) {
		if (set_str(&p->argv, v[c->f[1]].b.ptr, v[c->f[1]].b.len))
			return -ENOMEM;
		p->argv_len = v[c->f[1]].b.len;
	}
	/* an exec that names its cgroup (an empty one: the recorder could not
	 * tell) moves the process there, with the container it stands for */
	if (is_str_kind(tp, c->cf[0]) && v[c->cf[0]].b.len)
		for (int i = 0; i < 5; i++)
			if (is_str_kind(tp, c->cf[i]) &&
			    set_str(&CTR(p, i), v[c->cf[i]].b.ptr, v[c->cf[i]].b.len))
				return -ENOMEM;
	return 0;
}

static int apply_exit(struct tape_proctab *t, const struct pt_class *c, const struct tape_event *ev)
{
	struct tape_proc_state *p;
	bool created;

	p = pt_get_or_add(t, ev->pid, &created);
	if (!p)
		return -ENOMEM;
	if (created && ev->comm)
		set_comm(p, ev->comm, strlen(ev->comm));
	p->exited = true;
	p->exit_ts = ev->ts;
	p->exit_code = c->f[0] >= 0 ? (int32_t)ival(ev->tp, c->f[0], ev->values) : 0;
	p->exit_signal = c->f[1] >= 0 ? (int32_t)ival(ev->tp, c->f[1], ev->values) : 0;
	return 0;
}

int tape_proctab__apply(struct tape_proctab *t, const struct tape_event *ev)
{
	const struct pt_class *c = NULL;

	if (ev->tp && ev->type != TAPE_TYPE_LOSS) {
		c = pt_classify(t, ev->tp);
		switch (c->kind) {
		case PT_FORK:
			return apply_fork(t, c, ev);
		case PT_EXEC:
			return apply_exec(t, c, ev);
		case PT_EXIT:
			return apply_exit(t, c, ev);
		default:
			break;
		}
	}
	if (ev->type == TAPE_TYPE_LOSS)
		return 0;
	if (pt_find(t, ev->pid) < 0) {
		bool created;
		struct tape_proc_state *p = pt_get_or_add(t, ev->pid, &created);

		if (!p)
			return -ENOMEM;
		if (ev->comm)
			set_comm(p, ev->comm, strlen(ev->comm));
	}
	return 0;
}

const struct tape_proc_state *tape_proctab__get(const struct tape_proctab *t, uint32_t pid)
{
	long i = pt_find(t, pid);

	return i < 0 ? NULL : &t->procs[i];
}

size_t tape_proctab__count(const struct tape_proctab *t)
{
	return t->count;
}

const struct tape_proc_state *tape_proctab__at(const struct tape_proctab *t, size_t i)
{
	return i < t->count ? &t->procs[i] : NULL;
}
