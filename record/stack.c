// SPDX-License-Identifier: MIT
/* Stacks in the recorder: stack.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfsym.h"
#include "private/block.h"
#include "ksyms.h"
#include "maps.h"
#include "perfmap.h"
#include "stack.h"
#include "stackres.h"
#include "unwind.h"
#include <bpftape/tape.h>

/*
 * Stacks waiting for their event, by CPU: a program puts both into the
 * ring from one CPU, one right after the other (a BPF program is not
 * migrated), while the event's header may name another task than the
 * stack's (a TCP state change names the socket's owner).
 */
#define NHELD 256

struct held {
	uint32_t key; /* cpu + 1; 0: free */
	uint16_t kind;
	uint32_t pid;
	uint32_t n;
	uint16_t nkernel;
	int32_t gap; /* index in ips of a gap frame (its value unused), or -1 */
	uint64_t ips[2 * REC_STACK_MAX + 16];
};

/*
 * CFI handles of the binaries frameless frames lie in, by the tracker's
 * binary id, the least recently used replaced when all are taken: a few
 * binaries (libc, ld.so, the program) hold nearly every such frame, and
 * each handle keeps its file open and a few KiB of rows.  A binary
 * without CFI keeps its slot too (u NULL), so it is not reopened per
 * event.
 */
#define NUNWIND 32

struct uslot {
	uint32_t binary; /* 0: free */
	uint64_t used;
	struct unwind *u;
};

/* One distinct stack: its resolved frames, as the key of the table. */
struct sentry {
	uint64_t hash;
	uint32_t id;
	uint32_t tape; /* the tape generation it was last defined in */
	uint32_t n;
	struct tape_frame *frames; /* strings owned by ksyms / stackres */
};

/* A binary user frames name, by the tracker's id: where to read it, and
 * its binary block once read (kept for the tapes after a rotation). */
struct sbin {
	uint32_t pid; /* a process that mapped it, for /proc/PID/map_files */
	uint64_t start, end, ino;
	struct buf body; /* the binary block body; len 0: not read yet */
	uint32_t tape;	 /* the tape generation it was last written to */
};

/* The frames of a stack the kernel refers to by hash (kept_add()). */
struct kept {
	uint64_t hash;
	uint64_t *ips; /* NULL: free */
	uint32_t n;
	uint16_t nkernel;
};

struct stacks {
	struct held held[NHELD];
	struct kept *kept; /* open addressing, by hash */
	size_t nkept, nkept_used;
	uint64_t referred;   /* stacks that came as a hash */
	uint64_t unknown;    /* ... whose frames had not come */
	uint64_t collisions; /* hashes sent for two different stacks */
	struct ksyms *ks;
	int ks_err; /* loading failed: kernel frames unknown */
	struct stackres *sr;
	struct perfmaps *pm; /* JIT'd code: /tmp/perf-PID.map */
	struct maps *maps;   /* the mapping tracker's (not owned), or NULL */
	struct sbin *bins;   /* by binary id */
	size_t nbins;
	struct uslot uw[NUNWIND];
	uint64_t uw_clock;
	uint64_t unwound, gaps; /* stacks with a copy, and those that ended in a gap */
	struct sentry *tab;	/* open addressing */
	size_t nslots, n;
	uint32_t tape;
	unsigned depth; /* kernel frames kept once BPF's own are cut */
	uint64_t lost;
	stacks_catch_up_fn catch_up;
	void *catch_up_ctx;
	bool missed;	    /* a user frame of this resolve() lay in no mapping */
	uint64_t caught_up; /* stacks resolved again after a catch-up */
	struct tape_frame frames[2 * REC_STACK_MAX + 16];
};

struct stacks *stacks__new(unsigned depth)
{
	struct stacks *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->depth = depth;
	st->sr = stackres__new(NULL);
	st->pm = perfmaps__new(NULL);
	st->nslots = 1024;
	st->tab = calloc(st->nslots, sizeof(*st->tab));
	if (!st->sr || !st->pm || !st->tab) {
		stacks__free(st);
		errno = ENOMEM;
		return NULL;
	}
	st->tape = 1;
	return st;
}

void stacks__free(struct stacks *st)
{
	if (!st)
		return;
	for (size_t i = 0; st->tab && i < st->nslots; i++)
		free(st->tab[i].frames);
	free(st->tab);
	for (size_t i = 0; i < st->nkept; i++)
		free(st->kept[i].ips);
	free(st->kept);
	for (size_t i = 0; i < st->nbins; i++)
		tape__buf_free(&st->bins[i].body);
	free(st->bins);
	for (size_t i = 0; i < NUNWIND; i++)
		unwind__free(st->uw[i].u);
	ksyms__free(st->ks);
	stackres__free(st->sr);
	perfmaps__free(st->pm);
	free(st);
}

static struct held *held_slot(struct stacks *st, uint32_t key, bool create)
{
	size_t h = key % NHELD;

	for (size_t i = 0; i < 8; i++) {
		struct held *s = &st->held[(h + i) % NHELD];

		if (s->key == key)
			return s;
		if (create && !s->key)
			return s;
	}
	/* full near h: the oldest claim is lost in favour of the newest */
	return create ? &st->held[h] : NULL;
}

/*
 * The tracker's mapping of user address @addr of @pid.  The tracker knows
 * processes that have exited and gives the tape's binary ids (its mapping
 * blocks name them); /proc is read again only for what it missed (a
 * mapping made before its probes were attached), and that is handed to
 * the tracker so the id stays one.  0, -ENOENT, or -ESRCH: the process
 * is gone (its mapping records may still be on their way).
 */
static int lookup_user(struct stacks *st, uint32_t pid, uint64_t addr, uint64_t ts,
		       struct maps_hit *mh)
{
	struct stackres_hit hit;
	int err;

	if (!maps__resolve(st->maps, (int)pid, addr, mh))
		return 0;
	err = stackres__resolve(st->sr, pid, addr, &hit);
	if (err)
		return err;
	maps__mmap(st->maps, (int)pid, hit.start, hit.end, hit.pgoff, hit.path, ts);
	return maps__resolve(st->maps, (int)pid, addr, mh) ? -ENOENT : 0;
}

/*
 * An fd on the file @pid maps at [@start, @end): the file at @path if it
 * is still the one mapped (inode @ino; 0: not known), else the mapped file
 * itself through /proc/PID/map_files (deleted or replaced since; @pid 0:
 * no such way).  -errno if neither opens.
 */
static int open_mapped(const char *path, uint64_t ino, uint32_t pid, uint64_t start, uint64_t end)
{
	struct stat sb;
	char mf[96];
	int fd;

	/* the inode alone: btrfs gives stat() another st_dev than the
	 * superblock's, which is what the kernel reports for a mapping */
	if (!stat(path, &sb) && (!ino || sb.st_ino == ino)) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			return fd;
	}
	if (!pid)
		return -ENOENT;
	snprintf(mf, sizeof(mf), "/proc/%u/map_files/%llx-%llx", pid, (unsigned long long)start,
		 (unsigned long long)end);
	fd = open(mf, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* The CFI of the binary @mh names, mapped by @pid: opened once, from the
 * file read_binary() reads its symbols from.  NULL: none. */
static struct unwind *cfi_of(struct stacks *st, uint32_t pid, const struct maps_hit *mh)
{
	struct uslot *old = &st->uw[0];
	int fd;

	for (size_t i = 0; i < NUNWIND; i++) {
		if (st->uw[i].binary == mh->binary) {
			st->uw[i].used = ++st->uw_clock;
			return st->uw[i].u;
		}
		if (st->uw[i].used < old->used)
			old = &st->uw[i];
	}
	unwind__free(old->u);
	old->u = NULL;
	old->binary = mh->binary;
	old->used = ++st->uw_clock;
	fd = open_mapped(mh->path, mh->ino, pid, mh->start, mh->end);
	if (fd >= 0 && !(old->u = unwind__open_fd(fd, mh->path, NULL, 0)))
		close(fd);
	return old->u;
}

/*
 * The user frames of @s, which are the frame-pointer walk's, recovered
 * from the registers and stack copy of @rec: code without frame pointers
 * (Debian's libc) hides its caller from that walk, or sends it into
 * garbage when it uses %rbp for data.  From the registers, each frame is
 * stepped by the CFI of its binary; as soon as a return address is one
 * the walk also found, the walk's frames from there on are taken as they
 * are (the chain is sound from there: frame pointers agree with the CFI).
 * Where the CFI cannot go on (no CFI, the copy too short, a rule this
 * does not evaluate), a gap frame, then the walk's frames after its first
 * (callers not proven).  The unwinding is done here, where the binaries
 * are: the tape gets the frames, never the copy.
 */
static void unwind_user(struct stacks *st, struct held *s, const struct rec_stack *rec,
			const struct rec_stack_regs *rr)
{
	const uint64_t *fp = (const uint64_t *)rec->ips + rec->nkernel;
	size_t nfp = rec->nuser, n = 0, max = st->depth < REC_STACK_MAX ? st->depth : REC_STACK_MAX;
	struct unwind_stack mem = {rr + 1, rr->regs[1], rr->copy_len};
	struct unwind_regs regs = {rr->regs[0], rr->regs[1], rr->regs[2]};
	uint64_t out[REC_STACK_MAX + 1];
	bool exact = true;
	int rc = 0;

	/* registers the walk did not start from (a kernel thread, an
	 * interrupted task) have nothing to add to it */
	if (!nfp || fp[0] != regs.ip || !st->maps)
		return;
	st->unwound++;
	out[n++] = regs.ip;
	while (n < max) {
		/* a return address is looked up by its call, at ip - 1 */
		uint64_t at = regs.ip - !exact, bias;
		struct maps_hit mh;
		struct unwind *u;

		if (lookup_user(st, s->pid, at, rec->hdr.ts, &mh) ||
		    !(u = cfi_of(st, s->pid, &mh)) ||
		    unwind__bias(u, mh.start, mh.offset - (at - mh.start), &bias)) {
			rc = -ENOENT;
			break;
		}
		rc = unwind__step(u, bias, &mem, &regs, exact, NULL, 0);
		if (rc || !regs.ip) /* the outermost frame */
			break;
		exact = false;
		for (size_t j = 1; j < nfp; j++) {
			if (fp[j] != regs.ip)
				continue;
			while (j < nfp && n < max)
				out[n++] = fp[j++];
			goto done;
		}
		out[n++] = regs.ip;
	}
	if (rc < 0 && n < max) {
		s->gap = (int32_t)(s->nkernel + n);
		out[n++] = 0;
		st->gaps++;
		for (size_t j = 1; j < nfp && n < max; j++)
			out[n++] = fp[j];
	}
done:
	memcpy(s->ips + s->nkernel, out, n * 8);
	s->n = s->nkernel + n;
}

/*
 * The frames of a stack the kernel marked as sent on a CPU (STACK_F_KEEP),
 * by its hash: later records of that CPU refer to them (STACK_F_SEEN).
 * The kernel marks at most STACK_SENT_MAX stacks per program object and
 * never forgets one, so neither does this table; it holds one entry per
 * hash whichever CPUs sent it.
 */
static struct kept *kept_slot(struct stacks *st, uint64_t hash)
{
	size_t k;

	for (k = hash & (st->nkept - 1); st->kept[k].ips; k = (k + 1) & (st->nkept - 1))
		if (st->kept[k].hash == hash)
			break;
	return &st->kept[k];
}

static int kept_add(struct stacks *st, const struct rec_stack *rec)
{
	size_t n = (size_t)rec->nkernel + rec->nuser;
	struct kept *k;

	if (st->nkept_used * 2 >= st->nkept) {
		size_t nslots = st->nkept ? st->nkept * 2 : 256;
		struct kept *tab = calloc(nslots, sizeof(*tab)), *old = st->kept;
		size_t nold = st->nkept;

		if (!tab)
			return -ENOMEM;
		st->kept = tab;
		st->nkept = nslots;
		for (size_t i = 0; i < nold; i++)
			if (old[i].ips)
				*kept_slot(st, old[i].hash) = old[i];
		free(old);
	}
	k = kept_slot(st, rec->hash);
	if (k->ips) {
		/* another CPU's, or the same hash for other frames: a 64-bit
		 * collision, which the first stack keeps */
		if (k->nkernel != rec->nkernel || k->n != n || memcmp(k->ips, rec->ips, n * 8))
			st->collisions++;
		return 0;
	}
	k->ips = malloc((n ? n : 1) * 8);
	if (!k->ips)
		return -ENOMEM;
	memcpy(k->ips, rec->ips, n * 8);
	k->hash = rec->hash;
	k->nkernel = rec->nkernel;
	k->n = (uint32_t)n;
	st->nkept_used++;
	return 0;
}

int stacks__hold(struct stacks *st, const struct rec_stack *rec, size_t size)
{
	const struct rec_stack_regs *rr = NULL;
	const uint64_t *ips = (const uint64_t *)rec->ips;
	uint16_t nkernel = rec->nkernel;
	size_t n;
	struct held *s;

	if (size < sizeof(*rec) || rec->nkernel > REC_STACK_MAX + 8 || rec->nuser > REC_STACK_MAX)
		return -EBADMSG;
	n = (size_t)rec->nkernel + rec->nuser;
	if (size < sizeof(*rec) + n * 8)
		return -EBADMSG;
	if (rec->flags & STACK_F_REGS) {
		rr = (const struct rec_stack_regs *)(rec->ips + n);
		if (size < sizeof(*rec) + n * 8 + sizeof(*rr) || rr->copy_len > REC_STACK_COPY ||
		    size < sizeof(*rec) + n * 8 + sizeof(*rr) + rr->copy_len)
			return -EBADMSG;
	}
	s = held_slot(st, rec->hdr.cpu + 1u, true);
	if (s->key)
		st->lost++; /* its event never came, or another's overwrote it */
	s->key = 0;
	if (rec->flags & STACK_F_SEEN) {
		const struct kept *k = st->nkept ? kept_slot(st, rec->hash) : NULL;

		if (n || !k || !k->ips) {
			/* its STACK_F_KEEP record was not seen: the event
			 * goes without (counted when it comes) */
			st->unknown++;
			return n ? -EBADMSG : 0;
		}
		ips = k->ips;
		nkernel = k->nkernel;
		n = k->n;
		st->referred++;
	} else if ((rec->flags & STACK_F_KEEP) && kept_add(st, rec)) {
		return -ENOMEM;
	}
	s->key = rec->hdr.cpu + 1u;
	s->pid = rec->hdr.pid;
	s->kind = rec->ev_kind;
	s->nkernel = nkernel;
	s->n = n;
	memcpy(s->ips, ips, n * 8);
	s->gap = -1;
	if (rr)
		unwind_user(st, s, rec, rr);
	return 0;
}

/* Frames BPF and the tracing machinery add before the traced code: up to
 * the last of them near the top, everything goes. */
static bool tracing_frame(const struct tape_frame *f)
{
	static const char *const prefix[] = {
		"bpf_",
		"__bpf_",
		"trace_call_bpf",
		"kprobe_",
		"__kprobe",
		"perf_trace_run_bpf",
		"perf_syscall_",
		"ftrace_",
		"arch_ftrace_",
		"stack_trace_save",
		"arch_stack_walk",
		"perf_callchain",
		"__traceiter_",
	};

	if (!f->symbol)
		return true; /* an unnamed address before the traced code: a trampoline */
	if (f->binary && !strcmp(f->binary, "bpf"))
		return true;
	for (size_t i = 0; i < sizeof(prefix) / sizeof(prefix[0]); i++)
		if (!strncmp(f->symbol, prefix[i], strlen(prefix[i])))
			return true;
	return false;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdull;
}

static uint64_t frames_hash(const struct tape_frame *f, size_t n)
{
	uint64_t h = n;

	for (size_t i = 0; i < n; i++) {
		/* strings are interned by ksyms and stackres: pointers compare */
		h = mix(h, f[i].address);
		h = mix(h, f[i].offset);
		h = mix(h, (uintptr_t)f[i].symbol);
		h = mix(h, (uintptr_t)f[i].binary);
		h = mix(h, f[i].kernel | f[i].gap << 1 | (uint64_t)f[i].binary_id << 2);
	}
	return h;
}

static bool frames_equal(const struct tape_frame *a, const struct tape_frame *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].address != b[i].address || a[i].offset != b[i].offset ||
		    a[i].symbol != b[i].symbol || a[i].binary != b[i].binary ||
		    a[i].kernel != b[i].kernel || a[i].gap != b[i].gap ||
		    a[i].binary_id != b[i].binary_id)
			return false;
	return true;
}

static int grow(struct stacks *st)
{
	size_t nslots = st->nslots * 2;
	struct sentry *tab = calloc(nslots, sizeof(*tab));

	if (!tab)
		return -ENOMEM;
	for (size_t i = 0; i < st->nslots; i++) {
		size_t k;

		if (!st->tab[i].id)
			continue;
		for (k = st->tab[i].hash & (nslots - 1); tab[k].id; k = (k + 1) & (nslots - 1))
			;
		tab[k] = st->tab[i];
	}
	free(st->tab);
	st->tab = tab;
	st->nslots = nslots;
	return 0;
}

/*
 * An address in no file mapping: JIT'd code, if the process's perf map
 * names it.  The frame is named now (the map and the process may be gone
 * when the tape is read): its binary is the map file, its address the
 * virtual address.  @ret: a return address.
 */
static bool resolve_jit(struct stacks *st, uint32_t pid, uint64_t addr, bool ret,
			struct tape_frame *f)
{
	struct perfmap_hit hit;

	if (perfmaps__resolve(st->pm, pid, addr, ret, &hit))
		return false;
	f->address = addr;
	f->symbol = hit.name;
	f->offset = hit.offset;
	f->binary = hit.path;
	/* an id of the tracker's space, its path defined by the stack block */
	f->binary_id = st->maps ? maps__name_id(st->maps, hit.path) : 0;
	if (st->maps && !f->binary_id)
		f->binary = NULL; /* no id left: the writer could not name it */
	return true;
}

/*
 * User address @addr of @pid into @f (@ret: a return address, not the
 * innermost frame).  The tracker knows processes that have exited and
 * gives the tape's binary ids (its mapping blocks name them); /proc is
 * read again only for what it missed (a mapping made before its probes
 * were attached), and that is handed to the tracker so the id stays one.
 */
static void resolve_user(struct stacks *st, uint32_t pid, uint64_t addr, bool ret, uint64_t ts,
			 struct tape_frame *f)
{
	struct stackres_hit hit;
	struct maps_hit mh;

	f->address = addr;
	/* above every user address space (x86-64's 57 bits, arm64's 52): what
	 * a frame-pointer walk read in a frame without one, which nothing can
	 * ever name; looking it up would read /proc again every 10 ms */
	if (addr >> 56)
		return;
	if (st->maps) {
		int err = lookup_user(st, pid, addr, ts, &mh);

		if (err) {
			/* a live process's /proc says it is not a file
			 * mapping now; a gone one's records may be late */
			if (!resolve_jit(st, pid, addr, ret, f) && err == -ESRCH)
				st->missed = true;
			return;
		}
		f->binary = mh.path;
		f->binary_id = mh.binary;
		f->address = mh.offset;
		if (mh.binary >= st->nbins) {
			size_t n = mh.binary + 64;
			struct sbin *p = realloc(st->bins, n * sizeof(*p));

			if (!p)
				return; /* its symbols will not be in the tape */
			memset(p + st->nbins, 0, (n - st->nbins) * sizeof(*p));
			st->bins = p;
			st->nbins = n;
		}
		/* the latest process to map it: the likeliest to be alive */
		st->bins[mh.binary].pid = pid;
		st->bins[mh.binary].start = mh.start;
		st->bins[mh.binary].end = mh.end;
		st->bins[mh.binary].ino = mh.ino;
		return;
	}
	if (!stackres__resolve(st->sr, pid, addr, &hit)) {
		f->binary = hit.path;
		f->address = hit.offset;
	} else {
		resolve_jit(st, pid, addr, ret, f);
	}
}

int stacks__load_kernel(struct stacks *st)
{
	if (!st->ks && !st->ks_err) {
		st->ks = ksyms__load(NULL, NULL);
		if (!st->ks)
			st->ks_err = errno ? errno : EIO;
	}
	return -st->ks_err;
}

/* Resolve @s into st->frames; the number of frames. */
static size_t resolve(struct stacks *st, const struct held *s, uint64_t ts)
{
	size_t n = 0, skip = 0;

	if (s->nkernel)
		stacks__load_kernel(st);
	for (size_t i = 0; i < s->nkernel; i++) {
		struct tape_frame *f = &st->frames[n++];
		struct ksym_hit hit;

		memset(f, 0, sizeof(*f));
		f->kernel = 1;
		if (st->ks && !ksyms__resolve(st->ks, s->ips[i], &hit)) {
			f->symbol = hit.name;
			f->offset = hit.offset;
			f->binary = hit.module;
		}
	}
	for (size_t i = 0; i < n && i < 24; i++)
		if (tracing_frame(&st->frames[i]))
			skip = i + 1;
	if (skip) {
		memmove(st->frames, st->frames + skip, (n - skip) * sizeof(*st->frames));
		n -= skip;
	}
	/* BPF took a few more for its own frames: the depth asked for */
	if (n > st->depth)
		n = st->depth;
	for (size_t i = s->nkernel; i < s->n; i++) {
		struct tape_frame *f = &st->frames[n++];

		memset(f, 0, sizeof(*f));
		if ((int32_t)i == s->gap)
			f->gap = 1; /* no address, no binary: nothing is claimed */
		else
			resolve_user(st, s->pid, s->ips[i], i > s->nkernel, ts, f);
	}
	return n;
}

/* The symbols of @path, the binary @b (open_mapped()).  NULL if it cannot
 * be read. */
static struct elfsym *read_binary(const char *path, const struct sbin *b)
{
	int fd = open_mapped(path, b->ino, b->pid, b->start, b->end);
	struct elfsym *es;

	if (fd < 0)
		return NULL;
	es = elfsym__read_fd(fd, path, NULL, 0);
	close(fd);
	return es;
}

/* Write the binary block of each binary @f names into the tape of @w,
 * once per tape: before the chunk of the first event whose stack needs it.
 * A binary that cannot be read gets one too, without symbols. */
static int put_binaries(struct stacks *st, struct tape_writer *w, const struct tape_frame *f,
			size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct sbin *b;
		int err;

		/* a named user frame (JIT'd code) carries its name itself */
		if (f[i].kernel || f[i].symbol || !f[i].binary_id || f[i].binary_id >= st->nbins)
			continue;
		b = &st->bins[f[i].binary_id];
		if (b->tape == st->tape)
			continue;
		if (!b->body.len) {
			struct elfsym *es = read_binary(f[i].binary, b);
			struct binary_desc d = {.id = f[i].binary_id, .path = f[i].binary};

			if (es) {
				d.build_id = es->build_id;
				d.build_id_len = es->build_id_len;
				d.segs = es->segs;
				d.nsegs = es->nsegs;
				d.sources = es->sources;
			} else {
				d.sources = SYMTAB_SRC_UNREADABLE;
			}
			err = tape__binary_encode(&b->body, &d, es ? es->syms : NULL,
						  es ? es->nsyms : 0);
			elfsym__free(es);
			if (err) {
				b->body.len = 0;
				return err;
			}
		}
		err = tape__writer_add_binary(w, b->body.data, b->body.len);
		if (err)
			return err;
		b->tape = st->tape;
	}
	return 0;
}

int64_t stacks__take(struct stacks *st, struct tape_writer *w, const struct rec_hdr *h)
{
	struct held *s = held_slot(st, h->cpu + 1u, false);
	struct sentry *e;
	uint64_t hash;
	size_t n, k;
	int err;

	if (!s || s->kind != (h->kind & ~REC_F_STACK)) {
		st->lost++;
		return 0;
	}
	st->missed = false;
	n = resolve(st, s, h->ts);
	/* other CPUs' stacks may be taken meanwhile: they use other held
	 * slots, and st->frames is filled again below */
	if (st->missed && st->catch_up && st->catch_up(st->catch_up_ctx, h->ts)) {
		s = held_slot(st, h->cpu + 1u, false);
		if (!s || s->kind != (h->kind & ~REC_F_STACK)) {
			st->lost++;
			return 0;
		}
		n = resolve(st, s, h->ts);
		st->caught_up++;
	}
	s->key = 0;
	hash = frames_hash(st->frames, n);
	for (k = hash & (st->nslots - 1); st->tab[k].id; k = (k + 1) & (st->nslots - 1))
		if (st->tab[k].hash == hash && st->tab[k].n == n &&
		    frames_equal(st->tab[k].frames, st->frames, n))
			break;
	e = &st->tab[k];
	if (!e->id) {
		if (st->n + 1 > UINT32_MAX - 1)
			return 0;
		e->frames = malloc((n ? n : 1) * sizeof(*e->frames));
		if (!e->frames)
			return -ENOMEM;
		memcpy(e->frames, st->frames, n * sizeof(*e->frames));
		e->n = n;
		e->hash = hash;
		e->id = ++st->n;
		e->tape = 0;
	}
	if (e->tape != st->tape) {
		err = put_binaries(st, w, e->frames, e->n);
		err = err ?: tape_writer__add_stack(w, e->id, e->frames, e->n);
		if (err)
			return err;
		e->tape = st->tape;
	}
	k = e->id;
	if (st->n * 2 > st->nslots && (err = grow(st)))
		return err;
	return k;
}

void stacks__set_maps(struct stacks *st, struct maps *m)
{
	st->maps = m;
}

void stacks__set_catch_up(struct stacks *st, stacks_catch_up_fn fn, void *ctx)
{
	st->catch_up = fn;
	st->catch_up_ctx = ctx;
}

void stacks__exec(struct stacks *st, uint32_t pid)
{
	stackres__forget(st->sr, pid);
	perfmaps__forget(st->pm, pid);
}

void stacks__new_tape(struct stacks *st)
{
	st->tape++;
}

uint64_t stacks__lost(const struct stacks *st)
{
	return st->lost;
}

void stacks__unwind_stats(const struct stacks *st, uint64_t *unwound, uint64_t *gaps)
{
	*unwound = st->unwound;
	*gaps = st->gaps;
}

uint64_t stacks__distinct(const struct stacks *st)
{
	return st->n;
}

uint64_t stacks__caught_up(const struct stacks *st)
{
	return st->caught_up;
}

void stacks__ref_stats(const struct stacks *st, uint64_t *referred, uint64_t *unknown,
		       uint64_t *collisions)
{
	*referred = st->referred;
	*unknown = st->unknown;
	*collisions = st->collisions;
}
