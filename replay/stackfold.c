// SPDX-License-Identifier: MIT
/* Folded stacks and Chrome stackFrames for bpftape export (stackfold.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stackfold.h"

/* A growing string; @oom once an allocation failed. */
struct sb {
	char *p;
	size_t len, cap;
	bool oom;
};

static void sb_put(struct sb *s, const char *p, size_t n)
{
	if (s->oom)
		return;
	if (s->len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 256;
		char *q;

		while (cap < s->len + n + 1)
			cap *= 2;
		q = realloc(s->p, cap);
		if (!q) {
			s->oom = true;
			return;
		}
		s->p = q;
		s->cap = cap;
	}
	memcpy(s->p + s->len, p, n);
	s->len += n;
	s->p[s->len] = 0;
}

static void sb_puts(struct sb *s, const char *p)
{
	sb_put(s, p, strlen(p));
}

static const char *basename_of(const char *path)
{
	const char *b = strrchr(path, '/');

	return b && b[1] ? b + 1 : path;
}

size_t stackfold__frame_name(const struct tape_frame *f, bool kernel_suffix, char *buf, size_t cap)
{
	const char *bin = f->binary && f->binary[0] ? basename_of(f->binary) : NULL;
	size_t n;

	if (f->symbol && f->symbol[0])
		n = (size_t)snprintf(buf, cap, "%s", f->symbol);
	else if (f->kernel)
		/* perf's module name of an unnamed kernel frame */
		n = (size_t)snprintf(buf, cap, "[%s]", bin ? bin : "kernel.kallsyms");
	else if (bin)
		n = (size_t)snprintf(buf, cap, "[%s]", bin);
	else
		n = (size_t)snprintf(buf, cap, "[unknown]");
	if (f->kernel && kernel_suffix)
		n += (size_t)snprintf(buf + (n < cap ? n : cap), n < cap ? cap - n : 0, "_[k]");
	return n;
}

/* The name of @f whole (a Rust or C++ symbol runs to hundreds of bytes):
 * in @tmp when it fits, else malloc'ed; NULL on ENOMEM. */
static char *frame_name(const struct tape_frame *f, bool kernel_suffix, char *tmp, size_t cap,
			size_t *len)
{
	char *p;

	*len = stackfold__frame_name(f, kernel_suffix, tmp, cap);
	if (*len < cap)
		return tmp;
	p = malloc(*len + 1);
	if (p)
		stackfold__frame_name(f, kernel_suffix, p, *len + 1);
	return p;
}

/* The frame's name as a folded line may hold it: ';' separates frames and a
 * line ends the record, so those (and other control bytes) become '_'.
 * Spaces stay: the count is the last word of the line. */
static void sb_frame(struct sb *s, const struct tape_frame *f)
{
	char tmp[256], *name;
	size_t n;

	name = frame_name(f, true, tmp, sizeof(tmp), &n);
	if (!name) {
		s->oom = true;
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (name[i] == ';' || (unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			name[i] = '_';
	sb_put(s, name, n);
	if (name != tmp)
		free(name);
}

/*
 * The frames of @ev's stack, outermost first as folded lines and Chrome's
 * parents want them, through @fn.  A gap frame is the last one unwinding
 * proved: a "[gap]" frame stands between it and the frames the walk found
 * beyond, so that they are not drawn as its proven callers.  0 frames for an
 * event without a stack, or whose stack the tape lost (a damaged block).
 */
static const struct tape_frame gap_frame = {.symbol = "[gap]"};

static size_t stack_of(struct tape_reader *const *readers, size_t nr, const struct tape_event *ev,
		       const struct tape_frame **f)
{
	size_t n = 0;

	if (!ev->stack_id || ev->source >= nr ||
	    tape_reader__stack(readers[ev->source], ev->stack_id, f, &n))
		return 0;
	return n;
}

/* Calls @fn(ctx, frame) outermost first, with the "[gap]" marks. */
static int walk(const struct tape_frame *f, size_t n,
		int (*fn)(void *ctx, const struct tape_frame *f), void *ctx)
{
	int rc;

	for (size_t i = n; i-- > 0;) {
		if (f[i].gap && i + 1 < n && (rc = fn(ctx, &gap_frame)))
			return rc;
		if ((rc = fn(ctx, &f[i])))
			return rc;
	}
	return 0;
}

/* ---- folded lines ---------------------------------------------------------- */

/* One (tape, stack, comm): its events and their latency. */
struct fentry {
	uint32_t src, stack_id;
	char comm[TAPE_COMM_LEN];
	uint64_t count, latency;
	bool used;
};

struct folded {
	struct tape_reader *const *readers;
	size_t nr;
	enum folded_weight weight;
	struct fentry *e;
	size_t n, cap;	 /* cap: power of two */
	bool no_latency; /* an event counted had no latency */
};

struct folded *folded__new(struct tape_reader *const *readers, size_t n, enum folded_weight w)
{
	struct folded *fo = calloc(1, sizeof(*fo));

	if (!fo)
		return NULL;
	fo->readers = readers;
	fo->nr = n;
	fo->weight = w;
	return fo;
}

static size_t fhash(uint32_t src, uint32_t stack_id, const char *comm, size_t cap)
{
	uint64_t h = 14695981039346656037ull ^ ((uint64_t)src << 32 | stack_id);

	h *= 1099511628211ull;
	for (size_t i = 0; i < TAPE_COMM_LEN && comm[i]; i++)
		h = (h ^ (unsigned char)comm[i]) * 1099511628211ull;
	return (size_t)(h ^ h >> 29) & (cap - 1);
}

static struct fentry *fslot(struct fentry *e, size_t cap, uint32_t src, uint32_t stack_id,
			    const char *comm)
{
	size_t h = fhash(src, stack_id, comm, cap);

	while (e[h].used && (e[h].src != src || e[h].stack_id != stack_id ||
			     strncmp(e[h].comm, comm, TAPE_COMM_LEN)))
		h = (h + 1) & (cap - 1);
	return &e[h];
}

/* The event's latency in ns, if its type has one: the `syscall` events'
 * `latency`, which Chrome and Perfetto draw as the slice's length. */
static bool latency_of(const struct tape_event *ev, uint64_t *ns)
{
	int i;

	if (!ev->tp || strcmp(ev->tp->name, "syscall"))
		return false;
	i = tape_type__field_index(ev->tp, "latency");
	if (i < 0 || ev->tp->fields[i].kind > TAPE_S64)
		return false;
	*ns = ev->tp->fields[i].kind >= TAPE_S8 && ev->values[i].s < 0 ? 0 : ev->values[i].u;
	return true;
}

int folded__event(struct folded *fo, const struct tape_event *ev)
{
	char comm[TAPE_COMM_LEN] = {0};
	struct fentry *e;
	uint64_t lat = 0;
	bool has_lat;

	if (ev->type == TAPE_TYPE_LOSS || !ev->tp)
		return 0;
	has_lat = latency_of(ev, &lat);
	if (fo->weight == FOLDED_LATENCY && !has_lat)
		return 0;
	if ((fo->n + 1) * 2 > fo->cap) {
		size_t cap = fo->cap ? fo->cap * 2 : 1024;
		struct fentry *ne = calloc(cap, sizeof(*ne));

		if (!ne)
			return -ENOMEM;
		for (size_t i = 0; i < fo->cap; i++)
			if (fo->e[i].used)
				*fslot(ne, cap, fo->e[i].src, fo->e[i].stack_id, fo->e[i].comm) =
					fo->e[i];
		free(fo->e);
		fo->e = ne;
		fo->cap = cap;
	}
	if (ev->comm)
		strncpy(comm, ev->comm, TAPE_COMM_LEN - 1);
	e = fslot(fo->e, fo->cap, ev->source, ev->stack_id, comm);
	if (!e->used) {
		e->used = true;
		e->src = ev->source;
		e->stack_id = ev->stack_id;
		memcpy(e->comm, comm, sizeof(comm));
		fo->n++;
	}
	e->count++;
	e->latency += lat;
	fo->no_latency |= !has_lat;
	return 1;
}

struct fline {
	char *text;
	uint64_t weight;
};

static int fline_cmp(const void *a, const void *b)
{
	return strcmp(((const struct fline *)a)->text, ((const struct fline *)b)->text);
}

static int fold_frame(void *ctx, const struct tape_frame *f)
{
	struct sb *s = ctx;

	sb_puts(s, ";");
	sb_frame(s, f);
	return s->oom ? -ENOMEM : 0;
}

int folded__write(struct folded *fo, struct out *o)
{
	bool latency =
		fo->weight == FOLDED_LATENCY || (fo->weight == FOLDED_AUTO && !fo->no_latency);
	struct fline *l = calloc(fo->n ? fo->n : 1, sizeof(*l));
	size_t n = 0;
	int rc = 0;

	if (!l)
		return -ENOMEM;
	for (size_t i = 0; i < fo->cap; i++) {
		const struct fentry *e = &fo->e[i];
		const struct tape_frame *f = NULL;
		struct sb s = {0};
		size_t nf;

		if (!e->used)
			continue;
		/* stackcollapse-perf's process name: spaces become '_' */
		for (size_t k = 0; k < TAPE_COMM_LEN && e->comm[k]; k++) {
			char c = e->comm[k];

			if (c == ' ' || c == ';' || (unsigned char)c < 0x20 || c == 0x7f)
				c = '_';
			sb_put(&s, &c, 1);
		}
		if (!s.len)
			sb_puts(&s, "[unknown]");
		nf = stack_of(fo->readers, fo->nr,
			      &(struct tape_event){.source = e->src, .stack_id = e->stack_id}, &f);
		if (s.oom || walk(f, nf, fold_frame, &s)) {
			free(s.p);
			rc = -ENOMEM;
			goto out;
		}
		l[n].text = s.p;
		l[n++].weight = latency ? e->latency : e->count;
	}
	/* stacks that differ only by offsets or ids fold into one line */
	qsort(l, n, sizeof(*l), fline_cmp);
	for (size_t i = 0; i < n;) {
		uint64_t w = 0;
		size_t j = i;

		for (; j < n && !strcmp(l[j].text, l[i].text); j++)
			w += l[j].weight;
		if (w) {
			out__puts(o, l[i].text);
			out__putc(o, ' ');
			out__u64(o, w);
			out__putc(o, '\n');
		}
		i = j;
	}
out:
	for (size_t i = 0; i < n; i++)
		free(l[i].text);
	free(l);
	return rc;
}

void folded__free(struct folded *fo)
{
	if (!fo)
		return;
	free(fo->e);
	free(fo);
}

/* ---- Chrome's stackFrames ---------------------------------------------------- */

/* A node of the frame tree: a name and category under a parent (0: root).
 * Its id is its index + 1. */
struct snode {
	uint32_t parent;
	char *name, *cat;
};

/* (tape, stack id) -> its innermost node, so that a stack is walked once. */
struct sleaf {
	uint64_t key; /* source << 32 | stack id; 0 is empty */
	uint32_t node;
};

struct sframes {
	struct tape_reader *const *readers;
	size_t nr;
	struct snode *nodes;
	size_t n, ncap;
	uint32_t *slots; /* node index + 1 by (parent, name, cat); 0 empty */
	size_t scap;
	struct sleaf *leaves;
	size_t nleaves, lcap;
	uint32_t cur; /* the walk's current node */
};

struct sframes *sframes__new(struct tape_reader *const *readers, size_t n)
{
	struct sframes *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->readers = readers;
	t->nr = n;
	return t;
}

static size_t shash(uint32_t parent, const char *name, const char *cat, size_t cap)
{
	uint64_t h = 14695981039346656037ull ^ parent;

	for (const char *s = name; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	h = (h ^ 0xff) * 1099511628211ull;
	for (const char *s = cat; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (size_t)(h ^ h >> 31) & (cap - 1);
}

static uint32_t *sslot(const struct sframes *t, uint32_t *slots, size_t cap, uint32_t parent,
		       const char *name, const char *cat)
{
	size_t h = shash(parent, name, cat, cap);

	while (slots[h]) {
		const struct snode *s = &t->nodes[slots[h] - 1];

		if (s->parent == parent && !strcmp(s->name, name) && !strcmp(s->cat, cat))
			break;
		h = (h + 1) & (cap - 1);
	}
	return &slots[h];
}

/* Chrome's category of a frame: its binary's name, as Chrome's own traces
 * have the library; "kernel" for the kernel image. */
static const char *category_of(const struct tape_frame *f)
{
	if (f == &gap_frame)
		return "gap";
	if (f->binary && f->binary[0])
		return basename_of(f->binary);
	return f->kernel ? "kernel" : "unknown";
}

static int chrome_frame(void *ctx, const struct tape_frame *f)
{
	struct sframes *t = ctx;
	const char *cat = category_of(f);
	char tmp[256], *name;
	uint32_t *slot;
	size_t len;
	int rc = -ENOMEM;

	name = frame_name(f, false, tmp, sizeof(tmp), &len);
	if (!name)
		return -ENOMEM;
	if ((t->n + 1) * 2 > t->scap) {
		size_t cap = t->scap ? t->scap * 2 : 1024;
		uint32_t *s = calloc(cap, sizeof(*s));

		if (!s)
			goto out;
		for (size_t i = 0; i < t->n; i++)
			*sslot(t, s, cap, t->nodes[i].parent, t->nodes[i].name, t->nodes[i].cat) =
				(uint32_t)i + 1;
		free(t->slots);
		t->slots = s;
		t->scap = cap;
	}
	slot = sslot(t, t->slots, t->scap, t->cur, name, cat);
	if (!*slot) {
		struct snode *nn;

		if (t->n == t->ncap) {
			size_t cap = t->ncap ? t->ncap * 2 : 256;

			nn = realloc(t->nodes, cap * sizeof(*nn));
			if (!nn)
				goto out;
			t->nodes = nn;
			t->ncap = cap;
		}
		nn = &t->nodes[t->n];
		nn->parent = t->cur;
		nn->name = strdup(name);
		nn->cat = strdup(cat);
		if (!nn->name || !nn->cat) {
			free(nn->name);
			free(nn->cat);
			goto out;
		}
		*slot = (uint32_t)++t->n;
	}
	t->cur = *slot;
	rc = 0;
out:
	if (name != tmp)
		free(name);
	return rc;
}

static size_t lhash(uint64_t key, size_t cap)
{
	return (size_t)((key * 0x9e3779b97f4a7c15ull) >> 17) & (cap - 1);
}

int64_t sframes__leaf(struct sframes *t, const struct tape_event *ev)
{
	uint64_t key = (uint64_t)ev->source << 32 | ev->stack_id;
	const struct tape_frame *f = NULL;
	size_t h, n;

	if (!ev->stack_id || ev->type == TAPE_TYPE_LOSS)
		return 0;
	if ((t->nleaves + 1) * 2 > t->lcap) {
		size_t cap = t->lcap ? t->lcap * 2 : 256;
		struct sleaf *l = calloc(cap, sizeof(*l));

		if (!l)
			return -ENOMEM;
		for (size_t i = 0; i < t->lcap; i++) {
			if (!t->leaves[i].key)
				continue;
			h = lhash(t->leaves[i].key, cap);
			while (l[h].key)
				h = (h + 1) & (cap - 1);
			l[h] = t->leaves[i];
		}
		free(t->leaves);
		t->leaves = l;
		t->lcap = cap;
	}
	h = lhash(key, t->lcap);
	while (t->leaves[h].key && t->leaves[h].key != key)
		h = (h + 1) & (t->lcap - 1);
	if (t->leaves[h].key)
		return t->leaves[h].node;
	n = stack_of(t->readers, t->nr, ev, &f);
	t->cur = 0;
	if (walk(f, n, chrome_frame, t))
		return -ENOMEM;
	t->leaves[h] = (struct sleaf){key, t->cur};
	t->nleaves++;
	return t->cur;
}

void sframes__write(const struct sframes *t, struct out *o)
{
	if (!t || !t->n)
		return;
	out__puts(o, ",\"stackFrames\":{");
	for (size_t i = 0; i < t->n; i++) {
		const struct snode *s = &t->nodes[i];

		out__puts(o, i ? ",\n\"" : "\n\"");
		out__u64(o, i + 1);
		out__puts(o, "\":{\"name\":");
		out__json_str(o, s->name, strlen(s->name));
		out__puts(o, ",\"category\":");
		out__json_str(o, s->cat, strlen(s->cat));
		if (s->parent) {
			out__puts(o, ",\"parent\":\"");
			out__u64(o, s->parent);
			out__putc(o, '"');
		}
		out__putc(o, '}');
	}
	out__puts(o, "\n}");
}

void sframes__free(struct sframes *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->nodes[i].name);
		free(t->nodes[i].cat);
	}
	free(t->nodes);
	free(t->slots);
	free(t->leaves);
	free(t);
}
