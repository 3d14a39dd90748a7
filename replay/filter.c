// SPDX-License-Identifier: MIT
/* bpftape filter: the selected events into a new tape, optionally redacted. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../cli/cli.h"
#include "filter.h"
#include "predicate.h"
#include <bpftape/tape_proctab.h>
#include "private/block.h"
#include "private/symtab.h"
#include "redact.h"
#include "tapes.h"
#include "../cli/verbs.h"

#define VERB "filter"

enum { OPT_REDACT = 1, OPT_KEY };

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: bpftape filter -o OUT [PREDICATES] [--redact WHAT[,WHAT]...] [--key FILE]\n"
		"                      FILE...\n\n"
		"Write the selected events of one or more tapes into a new, valid tape: the\n"
		"schema of the types used, the matching events, the losses that overlap the\n"
		"kept time range (whatever --type, --pid or -f say: drops stay visible),\n"
		"and the state of only the processes that appear (so replay of the new tape\n"
		"still names processes whose exec was cut away); of stacks, those its\n"
		"events use, with the binaries (build-id, symbols) and mappings they need.\n"
		"Time, pid and type predicates use the index: chunks that cannot match\n"
		"are not read.\n\n"
		"  -o, --output OUT      the new tape (must not be an input); - is standard\n"
		"                        output (not a terminal)\n"
		"  --redact WHAT,...     replace values with stable keyed tokens\n"
		"                        (\"path:3f9a1c2e5b7d9f01\": same value, same token):\n"
		"                          paths  path-like strings (path, filename, exe, ...),\n"
		"                                 the binaries of stack frames\n"
		"                          argv   each argument of exec argv and process argv\n"
		"                          env    environment strings\n"
		"                          addrs  socket addresses (family and port kept)\n"
		"                          host   host name, machine id, cgroup paths,\n"
		"                                 recorder command line\n"
		"                          all    everything above\n"
		"                        and, not in all (it names code, not data):\n"
		"                          symbols  function names of user stack frames and\n"
		"                                   binaries (build-ids stay, for symbolize)\n"
		"                        generic probe events (tracepoint:, uprobe:...):\n"
		"                        strings and byte arrays no class names become\n"
		"                        tokens under any class\n"
		"  --key FILE            derive the token key from FILE (same key, same\n"
		"                        tokens across runs); default: a random key per run\n"
		"  -q, --quiet           no progress line on a terminal\n"
		"  -h, --help            this help\n\n" PRED_HELP "\n" CLI_STDIN_HELP
		"\nExamples:\n"
		"  bpftape filter -o cut.tape --pid 4242 --since 10s --until 20s incident.tape\n"
		"  bpftape filter -o public.tape --redact paths,argv,host incident.tape\n"
		"  ssh host cat x.tape | bpftape filter -o - --type exec - | bpftape replay -\n"
		"  bpftape filter -o opens.tape -f 'type == \"open\" && ret < 0' a.tape b.tape\n");
}

/* A process captured for the new tape's snapshot. */
struct kept_proc {
	struct tape_proc p;
	bool fresh; /* state known from this range; else from before --since */
};

struct kept {
	struct kept_proc *v;
	size_t n, cap;
	uint32_t *slot; /* pid -> index + 1 */
	uint32_t *slot_pid;
	size_t nslots;
};

static long kept_find(const struct kept *k, uint32_t pid)
{
	size_t h;

	if (!k->nslots)
		return -1;
	h = (pid * 2654435761u) & (k->nslots - 1);
	while (k->slot[h]) {
		if (k->slot_pid[h] == pid)
			return (long)k->slot[h] - 1;
		h = (h + 1) & (k->nslots - 1);
	}
	return -1;
}

static int kept_rehash(struct kept *k)
{
	size_t n = k->nslots ? k->nslots * 2 : 1024;
	uint32_t *s = calloc(n, sizeof(*s)), *sp = calloc(n, sizeof(*sp));

	if (!s || !sp) {
		free(s);
		free(sp);
		return -ENOMEM;
	}
	for (size_t i = 0; i < k->n; i++) {
		size_t h = (k->v[i].p.pid * 2654435761u) & (n - 1);

		while (s[h])
			h = (h + 1) & (n - 1);
		s[h] = (uint32_t)i + 1;
		sp[h] = k->v[i].p.pid;
	}
	free(k->slot);
	free(k->slot_pid);
	k->slot = s;
	k->slot_pid = sp;
	k->nslots = n;
	return 0;
}

static void tproc_clear(struct tape_proc *p)
{
	free((char *)p->comm);
	free((char *)p->exe);
	free((char *)p->argv);
	free((char *)p->cgroup);
	free((char *)p->container);
	free((char *)p->container_name);
	free((char *)p->runtime);
	free((char *)p->pod);
	memset(p, 0, sizeof(*p));
}

/* Copy @s (or a record with only @pid and @comm if @s is NULL) into @p.
 * @comm may be @p's own comm: it is copied before @p is cleared. */
static int tproc_set(struct tape_proc *p, uint32_t pid, const struct tape_proc_state *s,
		     const char *comm)
{
	char *c = strdup(s && s->comm[0] ? s->comm : (comm ? comm : ""));

	tproc_clear(p);
	p->pid = pid;
	p->comm = c;
	if (!c)
		return -ENOMEM;
	if (s) {
		p->ppid = s->ppid;
		p->uid = s->uid;
		p->start_ts = s->start_ts;
		if (s->exe && !(p->exe = strdup(s->exe)))
			return -ENOMEM;
		if (s->argv) {
			char *a = malloc(s->argv_len ? s->argv_len : 1);

			if (!a)
				return -ENOMEM;
			memcpy(a, s->argv, s->argv_len);
			p->argv = a;
			p->argv_len = s->argv_len;
		}
		if ((s->cgroup && !(p->cgroup = strdup(s->cgroup))) ||
		    (s->container && !(p->container = strdup(s->container))) ||
		    (s->container_name && !(p->container_name = strdup(s->container_name))) ||
		    (s->runtime && !(p->runtime = strdup(s->runtime))) ||
		    (s->pod && !(p->pod = strdup(s->pod))))
			return -ENOMEM;
	}
	return 0;
}

static int kept_add(struct kept *k, uint32_t pid, const struct tape_proc_state *s, const char *comm,
		    bool fresh)
{
	struct kept_proc *kp;
	size_t h;

	if ((k->n + 1) * 2 > k->nslots && kept_rehash(k))
		return -ENOMEM;
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 256;
		struct kept_proc *v = realloc(k->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		k->v = v;
		k->cap = cap;
	}
	kp = &k->v[k->n];
	memset(kp, 0, sizeof(*kp));
	kp->fresh = fresh;
	h = (pid * 2654435761u) & (k->nslots - 1);
	while (k->slot[h])
		h = (h + 1) & (k->nslots - 1);
	k->slot[h] = (uint32_t)k->n + 1;
	k->slot_pid[h] = pid;
	k->n++;
	return tproc_set(&kp->p, pid, s, comm);
}

static void kept_free(struct kept *k)
{
	for (size_t i = 0; i < k->n; i++)
		tproc_clear(&k->v[i].p);
	free(k->v);
	free(k->slot);
	free(k->slot_pid);
}

enum lc_kind {
	LC_NONE = 0,
	LC_FORK,
	LC_EXEC,
	LC_EXIT,
};

/* Per source and input type: the output type id and how to redact it. */
struct tmap {
	int out_id; /* 0: not yet added */
	uint8_t lc;
	int child_idx; /* fork: child_pid field */
	unsigned *cls; /* per field: REDACT_* or 0; NULL if nothing to redact */
};

struct filter {
	struct tape_writer *w;
	struct tape_reader **readers;
	size_t n;
	struct tmap **maps;
	unsigned *ntypes;
	unsigned what;	   /* REDACT_* classes of values, without REDACT_SYMBOLS */
	bool drop_symbols; /* --redact symbols */
	uint8_t key[SIPHASH_KEY_LEN];
	/* per source: input stack id -> output stack id (0: not yet written) */
	uint32_t **stk;
	size_t *nstk;
	uint32_t last_stack; /* output ids given so far */
	/* per source: input binary id -> output binary id (0: not kept) */
	uint32_t **bin;
	size_t *nbin;
	struct kbin *kbins; /* the binaries kept, in output id order (id = index + 1) */
	size_t nkbins;
	/* per source: the pids of kept events, sorted */
	uint32_t **pids;
	size_t *npids, *cappids;
	/* scratch for a redacted event */
	union tape_value vals[TAPE_MAX_FIELDS];
	char *scratch;
	size_t scratch_cap;
};

/* A binary a kept stack names: its source and id there. */
struct kbin {
	unsigned src;
	uint32_t in;
	char *path; /* as the source's frames name it */
};

/* Room for a "path:" token and its NUL. */
#define REDACT_TOKEN_MAX 32

/*
 * A user frame's binary is a path like any other (the token of an exe or an
 * opened file of the same path); a kernel frame's is a module name, the
 * kernel's own code, kept like the kernel version.  Symbols name code, not
 * the user's data: kept, unless --redact symbols (then the frame is its
 * binary and file offset, [unknown] to whoever lacks the binary).
 */
static void redact_frame(const struct filter *f, struct tape_frame *fr, char *tok)
{
	if (fr->kernel)
		return;
	if ((f->what & REDACT_PATHS) && fr->binary && fr->binary[0]) {
		redact_token(f->key, "path", fr->binary, strlen(fr->binary), tok);
		fr->binary = tok;
	}
	if (f->drop_symbols) {
		fr->symbol = NULL;
		fr->offset = 0;
	}
	fr->build_id_hex = NULL;
}

/* Grow the per-source id map *@m (of *@n entries) to hold index @i. */
static int idmap_grow(uint32_t **m, size_t *n, size_t i)
{
	size_t cap = i * 2 + 16;
	uint32_t *p;

	if (i < *n)
		return 0;
	p = realloc(*m, cap * sizeof(*p));
	if (!p)
		return -ENOMEM;
	memset(p + *n, 0, (cap - *n) * sizeof(*p));
	*m = p;
	*n = cap;
	return 0;
}

/*
 * Give user frame @fr (of source @src) its binary's output id, keeping
 * that binary for the blocks written at the end.  A name the kept binary
 * block gives the frame anyway is not written inline: the block names it,
 * and a richer block that `symbolize` appends later then names it too.
 */
static int keep_frame_binary(struct filter *f, unsigned src, struct tape_frame *fr, bool innermost)
{
	uint32_t in = fr->binary_id;
	const struct binary *b;
	const char *name;
	uint64_t off;

	fr->binary_id = 0;
	/* (1u << 24): the format's bound on binary ids */
	if (!in || !fr->binary || !fr->binary[0] || in > (1u << 24))
		return 0;
	if (!f->bin) {
		f->bin = calloc(f->n, sizeof(*f->bin));
		f->nbin = calloc(f->n, sizeof(*f->nbin));
		if (!f->bin || !f->nbin)
			return -ENOMEM;
	}
	if (idmap_grow(&f->bin[src], &f->nbin[src], in))
		return -ENOMEM;
	if (!f->bin[src][in]) {
		struct kbin *k = realloc(f->kbins, (f->nkbins + 1) * sizeof(*k));

		if (!k)
			return -ENOMEM;
		f->kbins = k;
		k += f->nkbins;
		k->src = src;
		k->in = in;
		k->path = strdup(fr->binary);
		if (!k->path)
			return -ENOMEM;
		f->bin[src][in] = (uint32_t)++f->nkbins;
	}
	fr->binary_id = f->bin[src][in];
	b = tape__reader_binary(f->readers[src], in);
	if (b && fr->symbol && (innermost || fr->address) &&
	    !tape__binary_lookup(b, innermost ? fr->address : fr->address - 1, &name, &off) &&
	    !strcmp(name, fr->symbol) && fr->offset == (innermost ? off : off + 1)) {
		fr->symbol = NULL;
		fr->offset = 0;
	}
	return 0;
}

/*
 * The output's id for stack @in of source @src, the stack written to the
 * output the first time: a filtered tape keeps the stacks its events use
 * and no others, renumbered as the tapes merged may use the same ids.
 * An id the tape does not define (a damaged stack block) becomes 0.
 */
static int keep_stack(struct filter *f, unsigned src, uint32_t in, uint32_t *out)
{
	const struct tape_frame *frames;
	size_t n;
	int err;

	*out = 0;
	if (!in || in > (1u << 24))
		return 0;
	if (!f->stk) {
		f->stk = calloc(f->n, sizeof(*f->stk));
		f->nstk = calloc(f->n, sizeof(*f->nstk));
		if (!f->stk || !f->nstk)
			return -ENOMEM;
	}
	if (in >= f->nstk[src]) {
		size_t cap = (size_t)in * 2;
		uint32_t *m = realloc(f->stk[src], cap * sizeof(*m));

		if (!m)
			return -ENOMEM;
		memset(m + f->nstk[src], 0, (cap - f->nstk[src]) * sizeof(*m));
		f->stk[src] = m;
		f->nstk[src] = cap;
	}
	if (!f->stk[src][in]) {
		struct tape_frame *copy;
		char *tok;

		if (tape_reader__stack(f->readers[src], in, &frames, &n))
			return 0;
		/* binary ids are each input's own: renumbered, with the
		 * binary and mapping blocks written at the end */
		copy = malloc((n ? n : 1) * sizeof(*copy));
		tok = malloc((n ? n : 1) * REDACT_TOKEN_MAX);
		if (!copy || !tok) {
			free(copy);
			free(tok);
			return -ENOMEM;
		}
		memcpy(copy, frames, n * sizeof(*copy));
		err = 0;
		for (size_t i = 0, user = 0; i < n && !err; i++) {
			if (!copy[i].kernel && user++ == 0)
				err = keep_frame_binary(f, src, &copy[i], true);
			else if (!copy[i].kernel)
				err = keep_frame_binary(f, src, &copy[i], false);
			redact_frame(f, &copy[i], tok + i * REDACT_TOKEN_MAX);
		}
		if (err) {
			free(copy);
			free(tok);
			return err;
		}
		err = tape_writer__add_stack(f->w, f->last_stack + 1, copy, n);
		free(copy);
		free(tok);
		if (err)
			return err;
		f->stk[src][in] = ++f->last_stack;
	}
	*out = f->stk[src][in];
	return 0;
}

/* Can events of @b be written under the definition of @a? */
static bool same_layout(const struct tape_type *a, const struct tape_type *b)
{
	if (a->nfields != b->nfields)
		return false;
	for (unsigned i = 0; i < a->nfields; i++)
		if (a->fields[i].kind != b->fields[i].kind ||
		    strcmp(a->fields[i].name, b->fields[i].name))
			return false;
	return true;
}

static int tmap_get(struct filter *f, const struct tape_event *ev, struct tmap **out)
{
	struct tmap *m;
	const struct tape_type *tp = ev->tp;
	int id;

	if (ev->source >= f->n || ev->type >= f->ntypes[ev->source])
		return -EINVAL;
	m = &f->maps[ev->source][ev->type];
	*out = m;
	if (m->out_id)
		return 0;
	/*
	 * A tracepoint type arrives here as the reader presents it: with the
	 * fields of its kernel format, decoded from the raw record.  It is
	 * written that way too (an ordinary typed event, same name, the format
	 * text kept for reference), so redaction works field by field as for
	 * built-in types.  Rewriting strings inside the raw record instead would
	 * mean re-encoding __data_loc offsets and lengths for every token.  A
	 * type the reader could not decode is still raw bytes: its values
	 * cannot be told apart, so redaction refuses it rather than copy it.
	 */
	if (f->what && redact_type_raw(tp))
		return -EMEDIUMTYPE;
	if ((f->what & REDACT_PATHS) && tp->source && tp->source[0]) {
		/* a uprobe's or usdt's spec names the binary it probed */
		struct tape_type copy = *tp;
		char *src = redact_spec_paths(f->key, tp->source);

		if (!src)
			return -ENOMEM;
		copy.source = src;
		id = tape_writer__add_type(f->w, &copy);
		free(src);
	} else {
		id = tape_writer__add_type(f->w, tp);
	}
	if (id == -EEXIST) {
		/* the same type from another tape: reuse the first definition */
		for (size_t s = 0; s < f->n && id < 0; s++)
			for (unsigned t = 1; t < f->ntypes[s]; t++) {
				const struct tape_type *o = tape_reader__type(f->readers[s], t);

				if (f->maps[s][t].out_id > 0 && o && !strcmp(o->name, tp->name)) {
					if (!same_layout(o, tp))
						return -EPROTO;
					id = f->maps[s][t].out_id;
					break;
				}
			}
	}
	if (id < 0)
		return id;
	m->out_id = id;
	if (f->what) {
		for (unsigned i = 0; i < tp->nfields; i++) {
			unsigned c = redact_field_class(tp, i, f->what);

			if (!c)
				continue;
			if (!m->cls) {
				m->cls = calloc(tp->nfields, sizeof(*m->cls));
				if (!m->cls)
					return -ENOMEM;
			}
			m->cls[i] = c;
		}
	}
	return 0;
}

static void tmap_classify(struct filter *f)
{
	for (size_t s = 0; s < f->n; s++)
		for (unsigned t = 1; t < f->ntypes[s]; t++) {
			const struct tape_type *tp = tape_reader__type(f->readers[s], t);
			struct tmap *m = &f->maps[s][t];

			m->child_idx = -1;
			if (!tp)
				continue;
			if (!strcmp(tp->name, "fork")) {
				m->lc = LC_FORK;
				m->child_idx = tape_type__field_index(tp, "child_pid");
			} else if (!strcmp(tp->name, "exec")) {
				m->lc = LC_EXEC;
			} else if (!strcmp(tp->name, "exit")) {
				m->lc = LC_EXIT;
			}
		}
}

static char *scratch_get(struct filter *f, size_t need)
{
	if (need > f->scratch_cap) {
		char *s = realloc(f->scratch, need);

		if (!s)
			return NULL;
		f->scratch = s;
		f->scratch_cap = need;
	}
	return f->scratch;
}

static const char *cls_name(unsigned c)
{
	switch (c) {
	case REDACT_PATHS:
		return "path";
	case REDACT_ARGV:
		return "argv";
	case REDACT_ENV:
		return "env";
	case REDACT_HOST:
		return "host";
	case REDACT_OPAQUE:
		return "str";
	default:
		return "addr";
	}
}

/* The values of @ev with redacted fields replaced (in f->vals/f->scratch). */
static const union tape_value *redact_event(struct filter *f, const struct tmap *m,
					    const struct tape_event *ev)
{
	const struct tape_type *tp = ev->tp;
	size_t need = 0, off = 0;
	char *sc;

	for (unsigned i = 0; i < tp->nfields; i++)
		if (m->cls[i])
			need += redact_list_size(ev->values[i].b.len) + 160;
	sc = scratch_get(f, need);
	if (!sc)
		return NULL;
	memcpy(f->vals, ev->values, tp->nfields * sizeof(f->vals[0]));
	for (unsigned i = 0; i < tp->nfields; i++) {
		const struct tape_field *fd = &tp->fields[i];
		const union tape_value *v = &ev->values[i];
		char *o = sc + off;
		size_t n;

		if (!m->cls[i])
			continue;
		if (fd->kind != TAPE_STR && fd->kind != TAPE_BYTES) {
			/* an IPv4 address in an integer: keyed bits */
			uint32_t a = (uint32_t)v->u;

			f->vals[i].u = (uint32_t)tape__siphash24(f->key, &a, sizeof(a));
			continue;
		}
		if (m->cls[i] == REDACT_OPAQUE && fd->kind == TAPE_BYTES) {
			/* bytes of unknown meaning: keyed bytes, same length */
			redact_bytes(f->key, v->b.ptr, v->b.len, (uint8_t *)o);
			n = v->b.len;
		} else if (m->cls[i] == REDACT_ADDRS && fd->display == TAPE_DISP_SOCKADDR)
			n = redact_sockaddr(f->key, v->b.ptr, v->b.len, (uint8_t *)o);
		else if (m->cls[i] == REDACT_ADDRS) {
			uint64_t h[2];

			h[0] = tape__siphash24(f->key, v->b.ptr, v->b.len);
			h[1] = tape__siphash24(f->key, h, 8);
			n = v->b.len < 16 ? v->b.len : 16;
			memcpy(o, h, n);
		} else if (fd->kind == TAPE_BYTES &&
			   (m->cls[i] == REDACT_ARGV || m->cls[i] == REDACT_ENV))
			n = redact_list(f->key, cls_name(m->cls[i]), v->b.ptr, v->b.len, o);
		else if (!v->b.len)
			continue; /* nothing to hide */
		else
			n = redact_token(f->key, cls_name(m->cls[i]), v->b.ptr, v->b.len, o);
		f->vals[i].b.ptr = o;
		f->vals[i].b.len = (uint32_t)n;
		off += n + 1;
	}
	return f->vals;
}

static int redact_proc(struct filter *f, struct tape_proc *p)
{
	char buf[64];
	char *s;

	if ((f->what & REDACT_PATHS) && p->exe && p->exe[0]) {
		redact_token(f->key, "path", p->exe, strlen(p->exe), buf);
		if (!(s = strdup(buf)))
			return -ENOMEM;
		free((char *)p->exe);
		p->exe = s;
	}
	if ((f->what & REDACT_ARGV) && p->argv && p->argv_len) {
		s = malloc(redact_list_size(p->argv_len));
		if (!s)
			return -ENOMEM;
		p->argv_len = (uint32_t)redact_list(f->key, "argv", p->argv, p->argv_len, s);
		free((char *)p->argv);
		p->argv = s;
	}
	if (f->what & REDACT_HOST) {
		/* the container's id, name and pod name the host as its cgroup does */
		const char **host[] = {&p->cgroup, &p->container, &p->container_name, &p->pod};

		for (size_t i = 0; i < sizeof(host) / sizeof(host[0]); i++) {
			if (!*host[i] || !(*host[i])[0])
				continue;
			redact_token(f->key, "host", *host[i], strlen(*host[i]), buf);
			if (!(s = strdup(buf)))
				return -ENOMEM;
			free((char *)*host[i]);
			*host[i] = s;
		}
	}
	return 0;
}

/* Metadata of the first tape; under --redact, host identity, the command line
 * and every key not known harmless (redact_meta_class()) become tokens. */
static int copy_meta(struct filter *f)
{
	struct tape_reader *r = f->readers[0];
	char tok[64];
	int rc;

	for (size_t i = 0; i < tape_reader__meta_count(r); i++) {
		const char *k, *v;

		if (tape_reader__meta_at(r, i, &k, &v))
			continue;
		unsigned c = redact_meta_class(k, v, f->what);

		if (c) {
			redact_token(f->key, cls_name(c), v, strlen(v), tok);
			v = tok;
		} else if (!strcmp(k, "record.filter") && f->what) {
			/* cmd= is the command run (argv[0], often a path), cgroup= a
			 * cgroup path */
			char *red = redact_record_filter(f->key, v, f->what);

			if (!red)
				return -ENOMEM;
			rc = tape_writer__set_meta(f->w, k, red);
			free(red);
			if (rc)
				return rc;
			continue;
		}
		if ((rc = tape_writer__set_meta(f->w, k, v)))
			return rc;
	}
	return 0;
}

static void progress(struct cli_progress *p, uint64_t read, uint64_t kept, uint64_t bytes)
{
	cli_progress__show(p, "%llu events read, %llu kept, %.1f MB written",
			   (unsigned long long)read, (unsigned long long)kept, (double)bytes / 1e6);
}

/* The state of processes seen only before the range, as of the range start:
 * replay the lifecycle events before --since for just those pids. */
static int prefix_states(struct filter *f, struct predicate *pred, struct kept *k,
			 struct tape_proctab *base)
{
	static const char *const lc[] = {"fork", "exec", "exit"};
	struct tape_select sel = {.sz = sizeof(sel)};
	struct tapes_merge *cur = NULL;
	uint32_t *pids = NULL;
	uint64_t *until = NULL;
	size_t npids = 0;
	int rc = -ENOMEM;

	until = calloc(f->n ? f->n : 1, sizeof(*until));
	pids = malloc((k->n ? k->n : 1) * sizeof(*pids));
	if (!until || !pids)
		goto cleanup;
	rc = 0;
	for (size_t s = 0; s < f->n; s++) {
		uint64_t a, b;

		predicate__range(pred, (unsigned)s, &a, &b);
		/* the range starts at the start: the snapshot is the state */
		if (a <= 1)
			goto cleanup;
		until[s] = a - 1;
	}
	for (size_t i = 0; i < k->n; i++)
		if (!k->v[i].fresh)
			pids[npids++] = k->v[i].p.pid;
	if (!npids)
		goto cleanup;
	sel.pids = pids;
	sel.npids = npids;
	sel.types = lc;
	sel.ntypes = 3;
	sel.no_losses = true;
	cur = tapes_merge__new(f->readers, f->n, &sel, NULL, until);
	if (!cur) {
		rc = -errno;
		goto cleanup;
	}
	for (;;) {
		const struct tape_event *ev;
		int r = tapes_merge__next(cur, &ev);

		if (r < 0)
			continue; /* a bad chunk only costs its own state changes */
		if (!r)
			break;
		if ((rc = tape_proctab__apply(base, ev)))
			goto cleanup;
	}
	for (size_t i = 0; i < k->n; i++) {
		const struct tape_proc_state *s;

		if (k->v[i].fresh)
			continue;
		s = tape_proctab__get(base, k->v[i].p.pid);
		if (s && (rc = tproc_set(&k->v[i].p, k->v[i].p.pid, s, k->v[i].p.comm)))
			goto cleanup;
	}
cleanup:
	tapes_merge__free(cur);
	free(pids);
	free(until);
	return rc;
}

/* Parents of kept processes born during the recording whose fork the pid or
 * type selection cut away: forks are the parent's events, so look at every
 * fork up to the end of the range (the index skips chunks without one). */
static int parent_pass(struct filter *f, struct predicate *pred, struct kept *k)
{
	static const char *const forks[] = {"fork"};
	struct tape_select sel = {.sz = sizeof(sel)};
	struct tapes_merge *cur;
	uint64_t *until;
	size_t need = 0;

	for (size_t i = 0; i < k->n; i++)
		need += k->v[i].p.ppid == 0 && k->v[i].p.pid > 1 && k->v[i].p.comm &&
			k->v[i].p.comm[0];
	if (!need)
		return 0;
	until = calloc(f->n ? f->n : 1, sizeof(*until));
	if (!until)
		return -ENOMEM;
	for (size_t s = 0; s < f->n; s++) {
		uint64_t a;

		predicate__range(pred, (unsigned)s, &a, &until[s]);
	}
	sel.types = forks;
	sel.ntypes = 1;
	sel.no_losses = true;
	cur = tapes_merge__new(f->readers, f->n, &sel, NULL, until);
	free(until);
	if (!cur)
		return -errno;
	for (;;) {
		const struct tape_event *ev;
		const struct tmap *m;
		int r = tapes_merge__next(cur, &ev);
		long ki;

		if (r < 0)
			continue;
		if (!r)
			break;
		if (ev->source >= f->n || ev->type >= f->ntypes[ev->source])
			continue;
		m = &f->maps[ev->source][ev->type];
		if (m->lc != LC_FORK || m->child_idx < 0)
			continue;
		ki = kept_find(k, (uint32_t)ev->values[m->child_idx].u);
		if (ki < 0 || k->v[ki].p.ppid || (uint32_t)ev->values[m->child_idx].u == ev->pid)
			continue;
		k->v[ki].p.ppid = ev->pid;
		if (!k->v[ki].p.start_ts)
			k->v[ki].p.start_ts = ev->ts +
					      (uint64_t)tapes_merge__offset(cur, ev->source) -
					      (uint64_t)tapes_merge__offset(cur, 0);
	}
	tapes_merge__free(cur);
	return 0;
}

/* Tapes of several hosts go into the new tape on the first tape's clock (its
 * metadata is the one copied). */
static int64_t shift(const struct tapes_merge *m, unsigned src)
{
	return tapes_merge__offset(m, src) - tapes_merge__offset(m, 0);
}

/* Note pid @pid of source @src as a process whose events are kept. */
static int keep_pid(struct filter *f, unsigned src, uint32_t pid)
{
	size_t lo = 0, hi;
	uint32_t *v;

	if (!f->pids) {
		f->pids = calloc(f->n, sizeof(*f->pids));
		f->npids = calloc(f->n, sizeof(*f->npids));
		f->cappids = calloc(f->n, sizeof(*f->cappids));
		if (!f->pids || !f->npids || !f->cappids)
			return -ENOMEM;
	}
	v = f->pids[src];
	hi = f->npids[src];
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (v[mid] == pid)
			return 0;
		if (v[mid] < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (f->npids[src] == f->cappids[src]) {
		size_t cap = f->cappids[src] * 2 + 16;

		v = realloc(v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		f->pids[src] = v;
		f->cappids[src] = cap;
	}
	memmove(v + lo + 1, v + lo, (f->npids[src] - lo) * sizeof(*v));
	v[lo] = pid;
	f->npids[src]++;
	return 0;
}

static bool pid_kept(const struct filter *f, unsigned src, uint32_t pid)
{
	const uint32_t *v = f->pids ? f->pids[src] : NULL;
	size_t lo = 0, hi = f->pids ? f->npids[src] : 0;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (v[mid] == pid)
			return true;
		if (v[mid] < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* @path as the output names it: the "path:" token under --redact paths. */
static const char *out_path(const struct filter *f, const char *path, char *tok)
{
	if (!(f->what & REDACT_PATHS) || !path || !path[0])
		return path;
	redact_token(f->key, "path", path, strlen(path), tok);
	return tok;
}

/*
 * The binary block of each binary a kept stack names, under its output id:
 * the last block of its id in the source (the one readers name frames
 * from), its path tokenized like every other path under --redact paths.
 * Under --redact symbols the symbols go and the build-id and segments
 * stay, with no source of symbols claimed, so `symbolize` can still name
 * the frames from debug files.
 */
static int write_binaries(struct filter *f)
{
	for (size_t i = 0; i < f->nkbins; i++) {
		const struct kbin *k = &f->kbins[i];
		const struct binary *b = tape__reader_binary(f->readers[k->src], k->in);
		size_t n = b && !f->drop_symbols ? tape__symtab_count(b->syms) : 0;
		struct symtab_sym *syms;
		char tok[REDACT_TOKEN_MAX];
		struct buf out = {0};
		int err;

		if (!b)
			continue;
		syms = malloc((n ? n : 1) * sizeof(*syms));
		if (!syms)
			return -ENOMEM;
		for (size_t j = 0; j < n; j++) {
			syms[j].bind = SYMTAB_GLOBAL;
			tape__symtab_get(b->syms, j, &syms[j].start, &syms[j].size, &syms[j].name);
		}
		{
			struct binary_desc d = {
				.id = i + 1,
				.path = out_path(f, b->path ? b->path : k->path, tok),
				.build_id = b->build_id,
				.build_id_len = b->build_id_len,
				.segs = b->segs,
				.nsegs = b->nsegs,
				.sources = f->drop_symbols ? 0 : b->sources,
			};

			err = tape__binary_encode(&out, &d, syms, n);
		}
		err = err ?: tape__writer_add_binary(f->w, out.data, out.len);
		tape__buf_free(&out);
		free(syms);
		if (err)
			return err;
	}
	return 0;
}

/*
 * The mapping records of the processes whose events are kept, and of the
 * parents they forked from (a child resolves through its parent's
 * mappings): their exec, fork and unmap records, and their mappings of
 * the binaries kept; no mapping of a binary no kept stack names.
 */
static int write_mappings(struct filter *f, const struct tapes_merge *cur)
{
	for (unsigned src = 0; f->pids && src < f->n; src++) {
		struct tape_reader *r = f->readers[src];
		size_t n = tape_reader__mapping_count(r);
		bool more = true;

		/* the fork chains up to the kept processes, a pass per generation */
		for (size_t pass = 0; more && pass <= n; pass++) {
			more = false;
			for (size_t i = 0; i < n; i++) {
				const struct tape_mapping *m = tape_reader__mapping(r, i);
				int err;

				if (m->kind != TAPE_MAPPING_FORK || !pid_kept(f, src, m->pid) ||
				    pid_kept(f, src, m->ppid))
					continue;
				if ((err = keep_pid(f, src, m->ppid)))
					return err;
				more = true;
			}
		}
		for (size_t i = 0; i < n; i++) {
			struct tape_mapping m = *tape_reader__mapping(r, i);
			const char *path = NULL;
			char tok[REDACT_TOKEN_MAX];
			int err;

			if (!pid_kept(f, src, m.pid))
				continue;
			if (m.kind == TAPE_MAPPING_MAP) {
				uint32_t out = f->bin && m.binary < f->nbin[src]
						       ? f->bin[src][m.binary]
						       : 0;
				const struct tape_binary *b;

				if (!out)
					continue;
				b = tape_reader__binary_by_id(r, m.binary);
				path = out_path(f, b ? b->path : f->kbins[out - 1].path, tok);
				m.binary = out;
			}
			m.ts += (uint64_t)shift(cur, src);
			if ((err = tape_writer__add_mapping(f->w, &m, path)))
				return err;
		}
	}
	return 0;
}

static const struct option filter_longopts[] = {
	PRED_LONG_OPTIONS,
	{"output", required_argument, NULL, 'o'},
	{"redact", required_argument, NULL, OPT_REDACT},
	{"key", required_argument, NULL, OPT_KEY},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

int filter__parse(int argc, char **argv, struct filter_opts *o)
{
	int c, ret = 1;

	memset(o, 0, sizeof(*o));
	cli__getopt_init();
	while ((c = pred_opts__getopt(&o->pred, argc, argv, ":hqf:o:", filter_longopts, VERB,
				      &ret)) >= 0) {
		switch (c) {
		case 'o':
			o->output = optarg;
			break;
		case OPT_REDACT:
			if (redact_parse(optarg, &o->redact))
				return cli__usage(VERB,
						  "--redact: '%s': expected a list of paths, argv, "
						  "env, addrs, host, all, symbols",
						  optarg);
			break;
		case OPT_KEY:
			o->keyfile = optarg;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			o->help = true;
			return 0;
		default:
			return cli__bad_option(VERB, c, argv, filter_longopts);
		}
	}
	if (c == PRED_GETOPT_FAIL)
		return ret;
	if (!o->output || optind >= argc)
		return cli__usage(VERB, "%s",
				  !o->output ? "-o OUT is required"
					     : "no input tape given (FILE...)");
	o->inputs = argv + optind;
	o->ninputs = (size_t)(argc - optind);
	return cli__check_inputs(VERB, o->inputs, o->ninputs, NULL);
}

void filter_opts__free(struct filter_opts *o)
{
	pred_opts__free(&o->pred);
}

/* Is @out one of the inputs?  Standard output is never standard input:
 * tape_out compares them. */
static bool output_is_input(const struct filter_opts *o)
{
	struct stat so, si;

	if (!strcmp(o->output, "-"))
		return false;
	for (size_t i = 0; i < o->ninputs; i++)
		if (!strcmp(o->inputs[i], o->output) ||
		    (!stat(o->output, &so) && !stat(o->inputs[i], &si) && so.st_dev == si.st_dev &&
		     so.st_ino == si.st_ino))
			return true;
	return false;
}

#define fail(res, ...) snprintf((res)->err, sizeof((res)->err), __VA_ARGS__)

int filter__run(const struct filter_opts *o, struct filter_result *res)
{
	struct pred_opts po = o->pred;
	struct filter f = {0};
	struct tapes t = {0};
	struct tape_proctab *base = NULL;
	struct kept k = {0};
	struct tape_proc *procs = NULL;
	char err[512];
	int rc;

	memset(res, 0, sizeof(*res));
	f.what = o->redact & ~REDACT_SYMBOLS;
	f.drop_symbols = o->redact & REDACT_SYMBOLS;
	if (output_is_input(o)) {
		res->usage = true;
		fail(res, "-o %s is also an input; write the new tape elsewhere", o->output);
		return -EINVAL;
	}
	if (f.what && (rc = redact_key(o->keyfile, f.key))) {
		fail(res, "--key %s: %s", o->keyfile ? o->keyfile : "(random)",
		     rc == -EINVAL ? "fewer than 16 bytes; a key file needs at least 16"
				   : strerror(-rc));
		return rc;
	}
	po.all_losses = true;
	if ((rc = tapes__setup(&t, o->inputs, o->ninputs, &po, err, sizeof(err)))) {
		res->usage = t.bad_selection;
		fail(res, "%s", err);
		goto cleanup;
	}
	for (size_t i = 0; i < t.n; i++)
		res->bad_chunks += tapes__damage(t.readers[i], o->inputs[i], 0, o->damage, o->ctx);
	f.readers = t.readers;
	f.n = t.n;
	f.maps = calloc(f.n, sizeof(*f.maps));
	f.ntypes = calloc(f.n, sizeof(*f.ntypes));
	if (!f.maps || !f.ntypes)
		goto nomem;
	for (size_t s = 0; s < f.n; s++) {
		f.ntypes[s] = tape_reader__max_type(f.readers[s]) + 1;
		f.maps[s] = calloc(f.ntypes[s], sizeof(*f.maps[s]));
		if (!f.maps[s])
			goto nomem;
	}
	tmap_classify(&f);
	base = tape_proctab__new();
	if (!base || tapes__load_snapshots(f.readers, f.n, base))
		goto nomem;
	{
		struct tape_out_opts oo = {.sz = sizeof(oo),
					   .flags = TAPE_OUT_BINARY,
					   .inputs = (const char *const *)o->inputs,
					   .ninputs = o->ninputs};
		struct tape_out *out = tape_out__open(o->output, &oo, err, sizeof(err));

		/* the new tape gets its name at tape_writer__finish() */
		f.w = out ? tape_writer__open_out(out, NULL) : NULL;
		if (!f.w) {
			rc = errno ? -errno : -EIO;
			if (out || !err[0])
				fail(res, "%s: %s", o->output, strerror(-rc));
			else
				fail(res, "%s", err);
			goto cleanup;
		}
	}
	if ((rc = copy_meta(&f))) {
		fail(res, "%s: %s", o->output,
		     tape_writer__errmsg(f.w)[0] ? tape_writer__errmsg(f.w) : strerror(-rc));
		goto cleanup;
	}
	if (o->redact) {
		char list[64] = "";

		snprintf(list, sizeof(list), "%s%s%s%s%s%s", f.what & REDACT_PATHS ? "paths," : "",
			 f.what & REDACT_ARGV ? "argv," : "", f.what & REDACT_ENV ? "env," : "",
			 f.what & REDACT_ADDRS ? "addrs," : "", f.what & REDACT_HOST ? "host," : "",
			 f.drop_symbols ? "symbols," : "");
		list[strlen(list) - 1] = '\0';
		tape_writer__set_meta(f.w, "filter.redacted", list);
	}
	for (;;) {
		const struct tape_event *ev;
		struct tmap *m = NULL;
		const union tape_value *vals;
		struct tape_event out;

		rc = tapes_merge__next(t.cur, &ev);
		if (rc < 0) {
			if (o->damage)
				o->damage(o->ctx, o->inputs[tapes_merge__errsrc(t.cur)],
					  tapes_merge__errmsg(t.cur));
			res->bad_chunks++;
			continue;
		}
		if (!rc)
			break;
		res->read++;
		if (!(res->read & 0xfffff) && o->progress)
			o->progress(o->ctx, res->read, res->kept, tape_writer__bytes(f.w));
		if (ev->type == TAPE_TYPE_LOSS) {
			struct tape_loss l = {
				.cpu = (uint32_t)ev->values[TAPE_LOSS_CPU].u,
				.count = ev->values[TAPE_LOSS_COUNT].u,
				.first_ts = ev->values[TAPE_LOSS_FIRST_TS].u,
				.last_ts = ev->values[TAPE_LOSS_LAST_TS].u,
			};

			if (!predicate__match(t.pred, ev))
				continue;
			l.first_ts += (uint64_t)shift(t.cur, ev->source);
			l.last_ts += (uint64_t)shift(t.cur, ev->source);
			if ((rc = tape_writer__add_loss(f.w, &l)))
				goto write_fail;
			res->losses++;
			continue;
		}
		if (tape_proctab__apply(t.pt, ev))
			goto nomem;
		if (ev->source < f.n && ev->type < f.ntypes[ev->source]) {
			struct tmap *lm = &f.maps[ev->source][ev->type];
			uint32_t touched = lm->lc == LC_FORK && lm->child_idx >= 0
						   ? (uint32_t)ev->values[lm->child_idx].u
						   : ev->pid;

			/* state made in the range: the process needs nothing from before */
			if (lm->lc != LC_NONE && kept_find(&k, touched) < 0 &&
			    kept_add(&k, touched, NULL, NULL, true))
				goto nomem;
		}
		if (!predicate__match(t.pred, ev))
			continue;
		if ((rc = tmap_get(&f, ev, &m))) {
			if (rc == -ENOMEM)
				goto nomem;
			if (rc == -EMEDIUMTYPE) {
				fail(res,
				     "type '%s' (%s) of %s holds raw tracepoint records whose "
				     "format description does not parse, so --redact cannot tell "
				     "their fields apart; leave the type out (-f 'type != \"%s\"') "
				     "or filter without --redact",
				     ev->tp->name, ev->tp->source ? ev->tp->source : "",
				     o->inputs[ev->source], ev->tp->name);
				goto cleanup;
			}
			if (rc == -EPROTO) {
				fail(res,
				     "type '%s' of %s has other fields than in an earlier tape; "
				     "filter those tapes separately",
				     ev->tp->name, o->inputs[ev->source]);
				goto cleanup;
			}
			goto write_fail;
		}
		{
			long ki = kept_find(&k, ev->pid);

			if (ki < 0) {
				if (kept_add(&k, ev->pid, tape_proctab__get(t.pt, ev->pid),
					     ev->comm, false))
					goto nomem;
			} else if (!k.v[ki].p.comm[0] && !k.v[ki].p.exe && !k.v[ki].p.ppid) {
				/* first seen as a lifecycle target: take its state now */
				const struct tape_proc_state *s = tape_proctab__get(t.pt, ev->pid);

				if (tproc_set(&k.v[ki].p, ev->pid, s, ev->comm))
					goto nomem;
			}
		}
		vals = ev->values;
		if (m->cls && !(vals = redact_event(&f, m, ev)))
			goto nomem;
		out = *ev;
		if ((rc = keep_stack(&f, ev->source, ev->stack_id, &out.stack_id)) ||
		    (rc = keep_pid(&f, ev->source, ev->pid)))
			goto write_fail;
		out.ts += (uint64_t)shift(t.cur, ev->source);
		out.type = (uint16_t)m->out_id;
		out.values = vals;
		out.comm_len = 0;
		if ((rc = tape_writer__append(f.w, &out)))
			goto write_fail;
		res->kept++;
	}
	if ((rc = prefix_states(&f, t.pred, &k, base))) {
		fail(res, "reading process state before --since: %s", strerror(-rc));
		goto cleanup;
	}
	if ((rc = parent_pass(&f, t.pred, &k))) {
		fail(res, "reading the parents of processes: %s", strerror(-rc));
		goto cleanup;
	}
	if ((rc = write_binaries(&f)) || (rc = write_mappings(&f, t.cur)))
		goto write_fail;
	/* processes touched by lifecycle events but never kept are not written */
	procs = calloc(k.n ? k.n : 1, sizeof(*procs));
	if (!procs)
		goto nomem;
	{
		size_t np = 0;

		for (size_t i = 0; i < k.n; i++) {
			struct tape_proc *p = &k.v[i].p;

			if (!p->comm || (!p->comm[0] && !p->exe && !p->ppid))
				continue;
			if (f.what && redact_proc(&f, p))
				goto nomem;
			procs[np++] = *p;
		}
		if (np && (rc = tape_writer__add_procs(f.w, procs, np)))
			goto write_fail;
	}
	if ((rc = tape_writer__finish(f.w)))
		goto write_fail;
	tapes_merge__stats(t.cur, &res->stats);
	res->bytes = tape_writer__bytes(f.w);
	rc = 0;
	goto cleanup;
write_fail:
	fail(res, "writing %s: %s", o->output,
	     tape_writer__errmsg(f.w)[0] ? tape_writer__errmsg(f.w) : strerror(-rc));
	goto cleanup;
nomem:
	rc = -ENOMEM;
	fail(res, "out of memory");
cleanup:
	free(procs);
	kept_free(&k);
	tape_writer__free(f.w);
	for (size_t s = 0; f.maps && s < f.n; s++) {
		for (unsigned ty = 0; f.maps[s] && ty < f.ntypes[s]; ty++)
			free(f.maps[s][ty].cls);
		free(f.maps[s]);
	}
	free(f.maps);
	free(f.ntypes);
	for (size_t s = 0; f.stk && s < f.n; s++)
		free(f.stk[s]);
	free(f.stk);
	free(f.nstk);
	for (size_t s = 0; f.bin && s < f.n; s++)
		free(f.bin[s]);
	free(f.bin);
	free(f.nbin);
	for (size_t i = 0; i < f.nkbins; i++)
		free(f.kbins[i].path);
	free(f.kbins);
	for (size_t s = 0; f.pids && s < f.n; s++)
		free(f.pids[s]);
	free(f.pids);
	free(f.npids);
	free(f.cappids);
	free(f.scratch);
	tape_proctab__free(base);
	tapes__teardown(&t);
	/* every failure has said why; a negative errno for the caller */
	return rc < 0 ? rc : rc ? -EIO : 0;
}

int filter__report(const struct filter_opts *o, const struct filter_result *res, int rc,
		   struct cli_progress *prog)
{
	if (rc)
		return cli__outcome(VERB, rc, res->usage, res->err, false, 0);
	if (prog && prog->on) {
		progress(prog, res->read, res->kept, res->bytes);
		cli_progress__end(prog);
		cli__eprintf(
			"bpftape filter: %s: %llu of %llu events kept, %llu loss record(s); read "
			"%llu of "
			"%llu chunk(s), %.1f MB\n",
			o->output, (unsigned long long)res->kept, (unsigned long long)res->read,
			(unsigned long long)res->losses, (unsigned long long)res->stats.chunks_read,
			(unsigned long long)(res->stats.chunks_read + res->stats.chunks_skipped),
			(double)res->stats.bytes_read / 1e6);
	}
	return cli__outcome(VERB, 0, false, NULL, false, res->bad_chunks);
}

static void filter_progress(void *ctx, uint64_t read, uint64_t kept, uint64_t bytes)
{
	progress(((struct cli_damage *)ctx)->prog, read, kept, bytes);
}

int cmd_filter(int argc, char **argv)
{
	struct filter_opts o;
	struct filter_result res;
	struct cli_progress prog;
	struct cli_damage dmg = {VERB, &prog};
	int ret;

	if ((ret = filter__parse(argc, argv, &o)) || o.help) {
		if (o.help)
			usage(stdout);
		filter_opts__free(&o);
		return ret;
	}
	cli_progress__init(&prog, VERB, o.quiet);
	o.damage = cli__damage;
	o.progress = filter_progress;
	o.ctx = &dmg;
	ret = filter__report(&o, &res, filter__run(&o, &res), &prog);
	filter_opts__free(&o);
	return ret;
}
