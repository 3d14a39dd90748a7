// SPDX-License-Identifier: MIT
/* Build-id, segments and function symbols of an ELF binary (elfsym.h). */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <libelf.h>
#include <lzma.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elfsym.h"

/* Limits against hostile or absurd files: a symbol table this large is not
 * a real binary's, and MiniDebugInfo is a few hundred KB once unpacked. */
#define MAX_SYMS      (4u << 20)
#define MAX_DEBUGDATA (256u << 20)
#define LZMA_MEMLIMIT (64u << 20)

struct collect {
	struct elfsym *es;
	size_t cap;
	size_t *name_off; /* per symbol, into strs, until the end */
	size_t strs_len, strs_cap;
};

static void seterr(char *err, size_t errlen, const char *what, const char *fmt, const char *arg)
{
	if (!err || !errlen)
		return;
	snprintf(err, errlen, "%s: ", what);
	size_t n = strlen(err);
	snprintf(err + n, errlen - n, fmt, arg);
}

static int add_sym(struct collect *c, const GElf_Sym *sym, const char *name)
{
	struct elfsym *es = c->es;
	size_t len = strlen(name) + 1;

	if (es->nsyms >= MAX_SYMS)
		return -E2BIG;
	if (es->nsyms == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 256;
		void *s = realloc(es->syms, cap * sizeof(*es->syms));

		if (!s)
			return -ENOMEM;
		es->syms = s;
		s = realloc(c->name_off, cap * sizeof(*c->name_off));
		if (!s)
			return -ENOMEM;
		c->name_off = s;
		c->cap = cap;
	}
	if (len > c->strs_cap - c->strs_len) {
		size_t cap = c->strs_cap ? c->strs_cap : 4096;
		char *s;

		while (cap - c->strs_len < len)
			cap *= 2;
		s = realloc(es->strs, cap);
		if (!s)
			return -ENOMEM;
		es->strs = s;
		c->strs_cap = cap;
	}
	memcpy(es->strs + c->strs_len, name, len);
	c->name_off[es->nsyms] = c->strs_len;
	c->strs_len += len;
	es->syms[es->nsyms++] = (struct symtab_sym){
		.start = sym->st_value,
		.size = sym->st_size,
		.bind = GELF_ST_BIND(sym->st_info) == STB_GLOBAL ? SYMTAB_GLOBAL
			: GELF_ST_BIND(sym->st_info) == STB_WEAK ? SYMTAB_WEAK
								 : SYMTAB_LOCAL,
	};
	return 0;
}

/*
 * Whether @sym names code of @e, whose entry point is @entry: a function,
 * or an untyped label of hand-written assembly (ld.so's _start, the first
 * frame of every exec) in an executable section, if it is sized or is the
 * entry point.  perf keeps every label of a text section; a size-0 one
 * covers up to the next symbol, so only the entry point, whose code is
 * the label's own, is taken unsized.
 */
static bool is_code(Elf *e, const GElf_Sym *sym, uint64_t entry)
{
	int type = GELF_ST_TYPE(sym->st_info);
	GElf_Shdr sh;
	Elf_Scn *scn;

	if (type == STT_FUNC || type == STT_GNU_IFUNC)
		return true;
	if (type != STT_NOTYPE || sym->st_shndx >= SHN_LORESERVE ||
	    (!sym->st_size && sym->st_value != entry))
		return false;
	scn = elf_getscn(e, sym->st_shndx);
	return scn && gelf_getshdr(scn, &sh) && (sh.sh_flags & SHF_ALLOC) &&
	       (sh.sh_flags & SHF_EXECINSTR);
}

/* The function symbols of section @scn (a SHT_SYMTAB or SHT_DYNSYM). */
static int read_syms(struct collect *c, Elf *e, Elf_Scn *scn, const GElf_Shdr *sh)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	GElf_Ehdr eh;
	size_t n;

	if (!d || !sh->sh_entsize || !gelf_getehdr(e, &eh))
		return -EBADMSG;
	n = d->d_size / sh->sh_entsize;
	for (size_t i = 1; i < n; i++) {
		GElf_Sym sym;
		const char *name;
		int err;

		if (!gelf_getsym(d, i, &sym))
			return -EBADMSG;
		if (sym.st_shndx == SHN_UNDEF || !sym.st_value || !is_code(e, &sym, eh.e_entry))
			continue;
		name = elf_strptr(e, sh->sh_link, sym.st_name);
		if (!name || !*name || strlen(name) > SYMTAB_MAX_NAME)
			continue;
		if ((err = add_sym(c, &sym, name)))
			return err;
	}
	return 0;
}

/* The first section of type @type, or one named @want (then @type is 0). */
static Elf_Scn *find_scn(Elf *e, unsigned type, const char *want, GElf_Shdr *sh)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (want && elf_getshdrstrndx(e, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(e, scn))) {
		const char *name;

		if (!gelf_getshdr(scn, sh))
			continue;
		if (!want) {
			if (sh->sh_type == type)
				return scn;
			continue;
		}
		name = elf_strptr(e, shstrndx, sh->sh_name);
		if (name && !strcmp(name, want))
			return scn;
	}
	return NULL;
}

static bool build_id_in(struct elfsym *es, Elf_Data *d)
{
	size_t off = 0, next, name_off, desc_off;
	GElf_Nhdr nh;

	while (d && off < d->d_size && (next = gelf_getnote(d, off, &nh, &name_off, &desc_off))) {
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
		    !memcmp((char *)d->d_buf + name_off, "GNU", 4) && nh.n_descsz &&
		    nh.n_descsz <= BINARY_MAX_BUILD_ID) {
			memcpy(es->build_id, (char *)d->d_buf + desc_off, nh.n_descsz);
			es->build_id_len = nh.n_descsz;
			return true;
		}
		off = next;
	}
	return false;
}

static int read_phdrs(struct elfsym *es, Elf *e, bool notes)
{
	size_t n;

	if (elf_getphdrnum(e, &n))
		return -EBADMSG;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(e, i, &ph))
			return -EBADMSG;
		if (ph.p_type == PT_NOTE && notes && !es->build_id_len)
			build_id_in(es,
				    elf_getdata_rawchunk(e, ph.p_offset, ph.p_filesz, ELF_T_NHDR));
		if (ph.p_type != PT_LOAD)
			continue;
		if (es->nsegs == BINARY_MAX_SEGS)
			return -E2BIG;
		if (!es->segs && !(es->segs = calloc(BINARY_MAX_SEGS, sizeof(*es->segs))))
			return -ENOMEM;
		es->segs[es->nsegs++] =
			(struct symtab_seg){ph.p_vaddr, ph.p_offset, ph.p_filesz, ph.p_flags};
	}
	return 0;
}

/* Unpack .gnu_debugdata (one or more xz streams) into a new buffer. */
static int unxz(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len)
{
	lzma_stream s = LZMA_STREAM_INIT;
	size_t cap = len * 4 > 65536 ? len * 4 : 65536;
	uint8_t *buf = malloc(cap);
	lzma_ret ret;
	int err = -EBADMSG;

	if (!buf)
		return -ENOMEM;
	if (lzma_stream_decoder(&s, LZMA_MEMLIMIT, LZMA_CONCATENATED) != LZMA_OK)
		goto out;
	s.next_in = in;
	s.avail_in = len;
	s.next_out = buf;
	s.avail_out = cap;
	for (;;) {
		ret = lzma_code(&s, s.avail_in ? LZMA_RUN : LZMA_FINISH);
		if (ret == LZMA_STREAM_END)
			break;
		if (ret != LZMA_OK && ret != LZMA_BUF_ERROR)
			goto out;
		if (s.avail_out)
			continue;
		if (cap >= MAX_DEBUGDATA) {
			err = -E2BIG;
			goto out;
		}
		uint8_t *nb = realloc(buf, cap * 2);

		if (!nb) {
			err = -ENOMEM;
			goto out;
		}
		buf = nb;
		s.next_out = buf + cap;
		s.avail_out = cap;
		cap *= 2;
	}
	*out = buf;
	*out_len = s.total_out;
	buf = NULL;
	err = 0;
out:
	lzma_end(&s);
	free(buf);
	return err;
}

/* MiniDebugInfo: the .symtab of the ELF in .gnu_debugdata, whose addresses
 * are the outer binary's.  Damage here costs these symbols only. */
static void read_debugdata(struct collect *c, Elf *e)
{
	GElf_Shdr sh;
	Elf_Scn *scn = find_scn(e, 0, ".gnu_debugdata", &sh);
	Elf_Data *d = scn && sh.sh_type != SHT_NOBITS ? elf_rawdata(scn, NULL) : NULL;
	uint8_t *raw = NULL;
	size_t len;
	Elf *inner = NULL;

	if (!d || !d->d_size || unxz(d->d_buf, d->d_size, &raw, &len))
		return;
	inner = elf_memory((char *)raw, len);
	if (inner && elf_kind(inner) == ELF_K_ELF && (scn = find_scn(inner, SHT_SYMTAB, NULL, &sh)))
		if (!read_syms(c, inner, scn, &sh))
			c->es->sources |= SYMTAB_SRC_DEBUGDATA;
	elf_end(inner);
	free(raw);
}

/*
 * The .symtab of the separate debug file DIR/.build-id/xx/rest.debug
 * (Debian's -dbgsym and libc6-dbg layout, what perf reads too), if it is
 * there and has the same build-id.  0 with the symbols added; -ENOENT
 * when there is no usable file (not an error: the binary's own symbols
 * are used then).
 */
static int read_debugfile(struct collect *c, const char *dir)
{
	struct elfsym *es = c->es;
	char path[PATH_MAX];
	struct elfsym id = {0};
	Elf *e = NULL;
	Elf_Scn *scn;
	GElf_Shdr sh;
	size_t n;
	int fd, rc = -ENOENT;

	if (!dir || !*dir || !es->build_id_len)
		return -ENOENT;
	n = snprintf(path, sizeof(path), "%s/.build-id/%02x/", dir, es->build_id[0]);
	for (size_t i = 1; i < es->build_id_len && n + 3 < sizeof(path); i++)
		n += snprintf(path + n, sizeof(path) - n, "%02x", es->build_id[i]);
	if (n + sizeof(".debug") > sizeof(path))
		return -ENOENT;
	strcpy(path + n, ".debug");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ENOENT;
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF)
		goto out;
	/* a stale file of another build names nothing right */
	scn = NULL;
	while ((scn = elf_nextscn(e, scn)) && !id.build_id_len)
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_NOTE)
			build_id_in(&id, elf_getdata(scn, NULL));
	if (id.build_id_len != es->build_id_len ||
	    memcmp(id.build_id, es->build_id, es->build_id_len))
		goto out;
	if ((scn = find_scn(e, SHT_SYMTAB, NULL, &sh)))
		rc = read_syms(c, e, scn, &sh);
out:
	elf_end(e);
	close(fd);
	return rc;
}

void elfsym__free(struct elfsym *es)
{
	if (!es)
		return;
	free(es->segs);
	free(es->syms);
	free(es->strs);
	free(es);
}

struct elfsym *elfsym__read_fd_opts(int fd, const char *what, const struct elfsym_opts *opts,
				    char *err, size_t errlen)
{
	const char *debug_dir = opts && opts->debug_dir ? opts->debug_dir : "/usr/lib/debug";
	struct elfsym *es = calloc(1, sizeof(*es));
	struct collect c = {es};
	Elf *e = NULL;
	Elf_Scn *scn;
	GElf_Shdr sh;
	GElf_Ehdr eh;
	int rc = -ENOMEM;

	if (!es)
		goto fail;
	if (elf_version(EV_CURRENT) == EV_NONE) {
		rc = -ENOSYS;
		seterr(err, errlen, what, "%s", "libelf is too old");
		goto fail;
	}
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh)) {
		int ee = elf_errno();

		rc = -ENOEXEC;
		if (ee)
			seterr(err, errlen, what, "not an ELF file (%s)", elf_errmsg(ee));
		else
			seterr(err, errlen, what, "%s", "not an ELF file");
		goto fail;
	}
	if ((rc = read_phdrs(es, e, !(opts && opts->debug_file)))) {
		seterr(err, errlen, what, "%s",
		       rc == -E2BIG    ? "too many PT_LOAD segments"
		       : rc == -ENOMEM ? "out of memory"
				       : "bad program headers");
		goto fail;
	}
	if (!es->build_id_len && (scn = find_scn(e, SHT_NOTE, NULL, &sh)))
		do {
			if (sh.sh_type == SHT_NOTE && build_id_in(es, elf_getdata(scn, NULL)))
				break;
		} while ((scn = elf_nextscn(e, scn)) && gelf_getshdr(scn, &sh));
	if ((scn = find_scn(e, SHT_SYMTAB, NULL, &sh))) {
		es->sources |= SYMTAB_SRC_SYMTAB;
	} else if (!(rc = read_debugfile(&c, debug_dir))) {
		es->sources |= SYMTAB_SRC_DEBUGFILE;
	} else if (rc != -ENOENT) {
		/* a damaged debug file: the binary's own symbols instead */
		es->nsyms = 0;
		c.strs_len = 0;
	}
	if (!scn && !(es->sources & SYMTAB_SRC_DEBUGFILE) &&
	    (scn = find_scn(e, SHT_DYNSYM, NULL, &sh)))
		es->sources |= SYMTAB_SRC_DYNSYM;
	rc = 0;
	if (scn && (rc = read_syms(&c, e, scn, &sh))) {
		seterr(err, errlen, what, "%s",
		       rc == -EBADMSG ? "bad symbol table"
		       : rc == -E2BIG ? "too many symbols"
				      : "out of memory");
		goto fail;
	}
	read_debugdata(&c, e);
	for (size_t i = 0; i < es->nsyms; i++)
		es->syms[i].name = es->strs + c.name_off[i];
	free(c.name_off);
	elf_end(e);
	return es;
fail:
	free(c.name_off);
	elf_end(e);
	elfsym__free(es);
	errno = -rc;
	return NULL;
}

struct elfsym *elfsym__read_fd(int fd, const char *what, char *err, size_t errlen)
{
	return elfsym__read_fd_opts(fd, what, NULL, err, errlen);
}

struct elfsym *elfsym__read_opts(const char *path, const struct elfsym_opts *opts, char *err,
				 size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct elfsym *es;
	int saved;

	if (fd < 0) {
		saved = errno;
		seterr(err, errlen, path, "%s", strerror(saved));
		errno = saved;
		return NULL;
	}
	es = elfsym__read_fd_opts(fd, path, opts, err, errlen);
	saved = errno;
	close(fd);
	errno = saved;
	return es;
}

struct elfsym *elfsym__read(const char *path, char *err, size_t errlen)
{
	return elfsym__read_opts(path, NULL, err, errlen);
}

int elfsym__vaddr(const struct elfsym *es, uint64_t off, uint64_t *vaddr)
{
	for (size_t i = 0; i < es->nsegs; i++)
		if (off - es->segs[i].offset < es->segs[i].filesz) {
			*vaddr = es->segs[i].vaddr + (off - es->segs[i].offset);
			return 0;
		}
	return -ENOENT;
}

int elfsym__bias(const struct elfsym *es, uint64_t map_start, uint64_t pgoff, uint64_t *bias)
{
	/* a mapping starts on a page boundary: pgoff may precede the segment's
	 * own offset by less than a page */
	for (size_t i = 0; i < es->nsegs; i++) {
		const struct symtab_seg *s = &es->segs[i];

		if (pgoff - (s->offset & ~4095ull) <
		    (s->filesz ? s->filesz : 1) + (s->offset & 4095)) {
			*bias = map_start - pgoff - (s->vaddr - s->offset);
			return 0;
		}
	}
	return -ENOENT;
}
