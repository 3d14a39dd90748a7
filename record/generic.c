// SPDX-License-Identifier: MIT
/*
 * Generic probes: check specs against the machine (binaries, symbols, USDT
 * notes, tracepoints, kernel features) before anything is loaded, so that a
 * typo fails with a clear message instead of a libbpf error; then one
 * skeleton, one attachment per probe, and the translation of REC_GENERIC
 * records into tape events.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "generic.h"
#include "../bpf/generic_abi.h"
#include "generic.skel.h"
#include "probespec.h"
#include "session.h"
#include <bpftape/tape.h>
#include "private/tpfmt.h"

/* bpf/generic_abi.h mirrors the parser's limits and argument values. */
_Static_assert(GENERIC_MAX_ARGS == PROBE_MAX_ARGS, "argument limits agree");
_Static_assert((int)GENERIC_ARG_STR == (int)PROBE_ARG_STR &&
		       (int)GENERIC_ARG_PTR == (int)PROBE_ARG_PTR &&
		       (int)GENERIC_ARG_S64 == (int)PROBE_ARG_S64,
	       "argument type values agree");

#define TYPE_NAME_MAX 80
/* Format files are a few KiB; anything far bigger is not one. */
#define FORMAT_FILE_MAX (256u << 10)

struct gprobe {
	struct probe_spec *ps;
	char *path;	   /* the binary as found (uprobe, usdt) */
	uint64_t file_off; /* address probes: the file offset of ps->offset */
	char name[TYPE_NAME_MAX];
	char *format; /* tracepoint format text */
	struct tape_field fields[PROBE_MAX_ARGS];
	uint16_t nfields;
	struct generic_conf conf;
	uint16_t type_id; /* in the current writer */
	bool stacks;	  /* -g / --stacks: its events take a stack */
};

/* What the consumer needs: owned by the session once attached. */
struct generic_src {
	size_t n;
	struct gprobe *probes[GENERIC_MAX_PROBES];
};

struct generic {
	struct generic_src *src; /* NULL once handed to the session */
	size_t nprobes;
	struct generic_bpf *skel;
	struct bpf_link *links[GENERIC_MAX_PROBES];
	size_t nlinks;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static void gprobe_free(struct gprobe *p)
{
	if (!p)
		return;
	probe_spec__free(p->ps);
	free(p->path);
	free(p->format);
	free(p);
}

static void src_free(void *ctx)
{
	struct generic_src *src = ctx;

	if (!src)
		return;
	for (size_t i = 0; i < src->n; i++)
		gprobe_free(src->probes[i]);
	free(src);
}

/* ---- the machine: tracefs, binaries, ELF ---------------------------------- */

const char *generic__tracefs(void)
{
	static const char *const dirs[] = {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"};
	bool denied = false;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char p[64];

		snprintf(p, sizeof(p), "%s/events", dirs[i]);
		if (!access(p, F_OK))
			return dirs[i];
		denied |= errno == EACCES;
	}
	/* mode 0700: there, but not for us; mounting again would not help */
	if (denied) {
		errno = EACCES;
		return NULL;
	}
	/* Debian does not mount it by default; libbpf needs it too. */
	if (mount("tracefs", dirs[0], "tracefs", 0, NULL) && errno != EBUSY)
		return NULL;
	if (access("/sys/kernel/tracing/events", F_OK))
		return NULL;
	return dirs[0];
}

void generic__tracefs_why(int err, char *buf, size_t len)
{
	if (err == EACCES || err == EPERM) {
		if (geteuid()) {
			snprintf(buf, len,
				 "tracefs (/sys/kernel/tracing) is readable by root only; run it "
				 "with sudo");
			return;
		}
	}
	snprintf(buf, len,
		 "tracefs is mounted at neither /sys/kernel/tracing nor "
		 "/sys/kernel/debug/tracing, and mounting it failed (%s); mount it with "
		 "'" TRACEFS_MOUNT_CMD "'",
		 strerror(err ? err : ENOENT));
}

static int read_file(const char *path, size_t max, char **out)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap) {
			char *nb;

			if (cap >= max) {
				ret = -EFBIG;
				goto cleanup;
			}
			cap = cap ? cap * 2 : 4096;
			nb = realloc(buf, cap);
			if (!nb) {
				ret = -ENOMEM;
				goto cleanup;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			ret = -errno;
			goto cleanup;
		}
		if (!n)
			break;
		len += n;
	}
	buf[len] = '\0';
	*out = buf;
	buf = NULL;
cleanup:
	free(buf);
	close(fd);
	return ret;
}

/* A binary named without '/' is looked up like the shell and the loader do. */
static char *find_binary(const char *name)
{
	static const char *const libdirs[] = {"/lib/x86_64-linux-gnu",
					      "/usr/lib/x86_64-linux-gnu",
					      "/lib/aarch64-linux-gnu",
					      "/usr/lib/aarch64-linux-gnu",
					      "/lib64",
					      "/usr/lib64",
					      "/lib",
					      "/usr/lib"};
	const char *path = getenv("PATH");
	char buf[4096];

	if (strchr(name, '/'))
		return strdup(name);
	while (path && *path) {
		const char *colon = strchrnul(path, ':');

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)(colon - path), path, name);
		if (!access(buf, R_OK))
			return strdup(buf);
		path = *colon ? colon + 1 : colon;
	}
	for (size_t i = 0; i < sizeof(libdirs) / sizeof(libdirs[0]); i++) {
		snprintf(buf, sizeof(buf), "%s/%s", libdirs[i], name);
		if (!access(buf, R_OK))
			return strdup(buf);
	}
	return strdup(name); /* not found: stat() names the error */
}

struct elf_file {
	int fd;
	Elf *elf;
};

static int elf_file__open(struct elf_file *ef, const char *path)
{
	ef->elf = NULL;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	ef->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (ef->fd < 0)
		return -errno;
	ef->elf = elf_begin(ef->fd, ELF_C_READ, NULL);
	if (!ef->elf || elf_kind(ef->elf) != ELF_K_ELF) {
		if (ef->elf)
			elf_end(ef->elf);
		close(ef->fd);
		ef->elf = NULL;
		return -ENOEXEC;
	}
	return 0;
}

static void elf_file__close(struct elf_file *ef)
{
	if (!ef->elf)
		return;
	elf_end(ef->elf);
	close(ef->fd);
	ef->elf = NULL;
}

/* Call @cb(@ctx, name) for each defined function of .symtab and .dynsym
 * until it returns non-zero (which is returned). */
static int elf_foreach_func(Elf *elf, int (*cb)(void *ctx, const char *name), void *ctx)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) ||
		    (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM))
			continue;
		data = elf_getdata(scn, NULL);
		if (!data || !sh.sh_entsize)
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *name;
			int type, ret;

			if (!gelf_getsym(data, i, &sym))
				break;
			type = GELF_ST_TYPE(sym.st_info);
			if ((type != STT_FUNC && type != STT_GNU_IFUNC) ||
			    sym.st_shndx == SHN_UNDEF)
				continue;
			name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (name && *name && (ret = cb(ctx, name)))
				return ret;
		}
	}
	return 0;
}

struct func_match {
	const char *func;
	size_t len;
};

static int func_matches(void *ctx, const char *name)
{
	const struct func_match *m = ctx;

	return strlen(name) == m->len && !memcmp(name, m->func, m->len);
}

/* Is @func (maybe "name@VERSION") a defined function in .symtab or .dynsym? */
static bool elf_has_func(Elf *elf, const char *func)
{
	struct func_match m = {func, strcspn(func, "@")};

	return elf_foreach_func(elf, func_matches, &m) != 0;
}

/* The file offset of virtual address @addr (what uprobes attach by). */
static int elf_addr_to_offset(Elf *elf, uint64_t addr, uint64_t *off)
{
	size_t n;

	if (elf_getphdrnum(elf, &n))
		return -ENOEXEC;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
			continue;
		if (addr >= ph.p_vaddr && addr < ph.p_vaddr + ph.p_filesz) {
			*off = addr - ph.p_vaddr + ph.p_offset;
			return 0;
		}
	}
	return -ENOENT;
}

/*
 * Call @cb(@ctx, provider, name, nargs) for each note of .note.stapsdt
 * until it returns non-zero (which is returned).  nargs counts the
 * argument specs ("-4@%eax 8@%rbx" has 2).
 */
static int elf_foreach_usdt(Elf *elf,
			    int (*cb)(void *ctx, const char *prov, const char *name, int nargs),
			    void *ctx)
{
	size_t shstrndx, addr_size = gelf_getclass(elf) == ELFCLASS32 ? 4 : 8;
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return 0;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		GElf_Nhdr nh;
		Elf_Data *data;
		size_t off = 0, name_off, desc_off;
		const char *sname;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		sname = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!sname || strcmp(sname, ".note.stapsdt"))
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		while ((off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
			const char *str[3] = {"", "", ""}, *p;
			size_t left;
			int n = 0, ret;

			if (nh.n_type != 3 || nh.n_descsz <= 3 * addr_size)
				continue;
			p = (const char *)data->d_buf + desc_off + 3 * addr_size;
			left = nh.n_descsz - 3 * addr_size;
			/* provider, name, argument specs: NUL-terminated in the note */
			for (int k = 0; k < 3; k++) {
				size_t l = strnlen(p, left);

				if (l >= left)
					break;
				str[k] = p;
				p += l + 1;
				left -= l + 1;
			}
			if (!*str[0] || !*str[1])
				continue;
			for (p = str[2]; *p;) {
				while (*p == ' ')
					p++;
				if (!*p)
					break;
				n++;
				while (*p && *p != ' ')
					p++;
			}
			ret = cb(ctx, str[0], str[1], n);
			if (ret)
				return ret;
		}
	}
	return 0;
}

struct usdt_match {
	const char *provider, *name;
};

/* 1 + nargs of the first matching note: several notes (inlined copies of
 * one probe) agree on the count. */
static int usdt_matches(void *ctx, const char *prov, const char *name, int nargs)
{
	const struct usdt_match *m = ctx;

	return !strcmp(prov, m->provider) && !strcmp(name, m->name) ? 1 + nargs : 0;
}

/* Arguments of USDT probe PROVIDER:NAME, or -ENOENT. */
static int elf_usdt_nargs(Elf *elf, const char *provider, const char *name)
{
	struct usdt_match m = {provider, name};
	int n = elf_foreach_usdt(elf, usdt_matches, &m);

	return n ? n - 1 : -ENOENT;
}

/* Kernels without kprobes have neither the PMU nor the legacy interface. */
bool generic__have_kprobes(void)
{
	const char *tfs;
	char p[96];

	if (!access("/sys/bus/event_source/devices/kprobe/type", F_OK))
		return true;
	tfs = generic__tracefs();
	if (!tfs)
		return false;
	snprintf(p, sizeof(p), "%s/kprobe_events", tfs);
	return !access(p, F_OK);
}

static bool kernel_has_symbol(const char *func)
{
	size_t flen = strlen(func);
	char line[512];
	bool found = false;
	FILE *f = fopen("/proc/kallsyms", "re");

	if (!f)
		return true; /* cannot tell: let the attach decide */
	while (!found && fgets(line, sizeof(line), f)) {
		char *name = strchr(line, ' ');

		if (name)
			name = strchr(name + 1, ' ');
		if (!name)
			continue;
		name++;
		found = !strncmp(name, func, flen) &&
			(name[flen] == '\n' || name[flen] == '\t' || name[flen] == '\0');
	}
	fclose(f);
	return found;
}

int generic__list_binary(const char *path, int (*func_cb)(void *ctx, const char *name),
			 int (*usdt_cb)(void *ctx, const char *provider, const char *name,
					int nargs),
			 void *ctx)
{
	struct elf_file ef;
	char *found = find_binary(path);
	int ret;

	if (!found)
		return -ENOMEM;
	ret = elf_file__open(&ef, found);
	free(found);
	if (ret)
		return ret;
	if (func_cb)
		ret = elf_foreach_func(ef.elf, func_cb, ctx);
	if (!ret && usdt_cb)
		ret = elf_foreach_usdt(ef.elf, usdt_cb, ctx);
	elf_file__close(&ef);
	return ret;
}

/* ---- adding probes -------------------------------------------------------- */

static int check_binary(struct gprobe *p, char *err, size_t errlen)
{
	const char *kind = probe_kind__name(p->ps->kind);
	struct elf_file ef;
	struct stat st;
	int ret;

	p->path = find_binary(p->ps->path);
	if (!p->path)
		return -ENOMEM;
	if (stat(p->path, &st)) {
		ret = -errno;
		set_err(err, errlen, "%s: %s: %s; %s", kind, p->ps->path, strerror(errno),
			strchr(p->ps->path, '/')
				? "check the path ('command -v NAME' finds a program)"
				: "not in PATH nor the library directories: give its full path");
		return ret;
	}
	if (!S_ISREG(st.st_mode)) {
		set_err(err, errlen,
			"%s: %s: not a regular file; give the program or shared library itself",
			kind, p->path);
		return -EINVAL;
	}
	ret = elf_file__open(&ef, p->path);
	if (ret) {
		set_err(err, errlen, "%s: %s: %s", kind, p->path,
			ret == -ENOEXEC ? "not an ELF file (a script? probe its interpreter, "
					  "e.g. usdt:/usr/bin/python3:python:function__entry)"
					: strerror(-ret));
		return ret;
	}
	if (p->ps->kind == PROBE_USDT) {
		int n = elf_usdt_nargs(ef.elf, p->ps->provider, p->ps->name);

		if (n < 0) {
			set_err(err, errlen,
				"usdt: %s: no USDT probe %s:%s in it; 'bpftape list-events "
				"usdt:%s' lists its probes",
				p->path, p->ps->provider, p->ps->name, p->path);
			ret = -ENOENT;
		} else if ((unsigned)n < p->ps->nargs) {
			set_err(err, errlen,
				"usdt: %s: probe %s:%s has %d argument%s, the spec reads %u; "
				"give at most %d type%s",
				p->path, p->ps->provider, p->ps->name, n, n == 1 ? "" : "s",
				p->ps->nargs, n, n == 1 ? "" : "s");
			ret = -EINVAL;
		}
	} else if (p->ps->func) {
		if (!elf_has_func(ef.elf, p->ps->func)) {
			set_err(err, errlen,
				"%s: %s: no function '%s' in its symbol tables; 'bpftape "
				"list-events uprobe:%s:GLOB' lists its functions",
				kind, p->path, p->ps->func, p->path);
			ret = -ENOENT;
		}
	} else if (elf_addr_to_offset(ef.elf, p->ps->offset, &p->file_off)) {
		set_err(err, errlen,
			"%s: %s: address 0x%llx is not in an executable segment; take the address "
			"of a function from 'nm %s'",
			kind, p->path, (unsigned long long)p->ps->offset, p->path);
		ret = -ENOENT;
	}
	elf_file__close(&ef);
	return ret;
}

static int check_tracepoint(struct gprobe *p, char *err, size_t errlen)
{
	const struct probe_spec *ps = p->ps;
	const char *tfs = generic__tracefs();
	char path[512], perr[128], why[320];
	struct tpfmt *f = NULL;
	int ret;

	if (!tfs) {
		ret = -errno;
		generic__tracefs_why(errno, why, sizeof(why));
		set_err(err, errlen, "%s: %s", ps->text, why);
		return ret ? ret : -ENOENT;
	}
	snprintf(path, sizeof(path), "%s/events/%s/%s/format", tfs, ps->subsys, ps->name);
	ret = read_file(path, FORMAT_FILE_MAX, &p->format);
	if (ret == -ENOENT) {
		set_err(err, errlen,
			"tracepoint: no tracepoint %s:%s on this kernel (no %s; "
			"'bpftape list-events %s:*' lists them)",
			ps->subsys, ps->name, path, ps->subsys);
		return ret;
	}
	if (ret) {
		set_err(err, errlen, "tracepoint: %s: %s", path, strerror(-ret));
		return ret;
	}
	f = tape__tpfmt_parse(p->format, perr, sizeof(perr));
	if (!f) {
		ret = -errno;
		set_err(err, errlen, "tracepoint: %s: %s", path, perr);
		return ret;
	}
	if (tape__tpfmt_fixed_size(f) > GENERIC_DATA_MAX) {
		set_err(err, errlen, "tracepoint: %s:%s records are %u bytes, more than %d",
			ps->subsys, ps->name, tape__tpfmt_fixed_size(f), GENERIC_DATA_MAX);
		ret = -E2BIG;
		goto cleanup;
	}
	p->conf.tp_fixed = tape__tpfmt_fixed_size(f);
	/* Beyond GENERIC_MAX_DYN dynamic fields a record may be cut short;
	 * the decoder then shows those fields empty. */
	for (unsigned i = 0; i < GENERIC_MAX_DYN; i++) {
		uint32_t off;
		bool rel;

		if (tape__tpfmt_dynamic(f, i, &off, &rel))
			break;
		p->conf.tp_dyn_off[i] = off;
		p->conf.tp_dyn_rel[i] = rel;
		p->conf.tp_ndyn++;
	}
	p->fields[0] = (struct tape_field){.name = "raw", .kind = TAPE_BYTES};
	p->nfields = 1;
	ret = 0;
cleanup:
	tape__tpfmt_free(f);
	return ret;
}

/*
 * For a syscall entry point (__x64_sys_openat, __arm64_sys_openat,
 * sys_openat) whose syscall tracepoint exists, "; the tracepoint ... records
 * this call", else "".
 */
static void syscall_alternative(const struct probe_spec *ps, char *buf, size_t len)
{
	static const char *const prefixes[] = {"__x64_sys_", "__arm64_sys_", "__se_sys_",
					       "__do_sys_", "sys_"};
	const char *tfs = generic__tracefs(), *name = NULL;
	char path[512];

	buf[0] = '\0';
	for (size_t i = 0; !name && i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(ps->func, prefixes[i], strlen(prefixes[i])))
			name = ps->func + strlen(prefixes[i]);
	if (!name || !*name || !tfs)
		return;
	snprintf(path, sizeof(path), "%s/events/syscalls/sys_%s_%s", tfs,
		 ps->kind == PROBE_KRETPROBE ? "exit" : "enter", name);
	if (access(path, F_OK))
		return;
	snprintf(buf, len, "; tracepoint:syscalls:sys_%s_%s records this syscall's %s",
		 ps->kind == PROBE_KRETPROBE ? "exit" : "enter", name,
		 ps->kind == PROBE_KRETPROBE ? "return value" : "arguments");
}

/*
 * Can a kprobe attach to the spec's function: a kprobe PMU, or the legacy
 * kprobe_events of tracefs, and the function in /proc/kallsyms?  Whether
 * the kernel lets that function be probed (not inlined, not notrace, not
 * on the kprobe blacklist) shows only at attach time.
 */
static int check_kprobe(struct gprobe *p, char *err, size_t errlen)
{
	const char *spec = p->ps->text, *tfs;
	char why[320], alt[160];

	if (access("/sys/bus/event_source/devices/kprobe/type", F_OK)) {
		tfs = generic__tracefs();
		if (!tfs) {
			int e = errno;

			generic__tracefs_why(e, why, sizeof(why));
			set_err(err, errlen,
				"%s: no kprobe PMU, so kprobes go through tracefs's kprobe_events: "
				"%s",
				spec, why);
			return e ? -e : -ENOENT;
		}
		snprintf(why, sizeof(why), "%s/kprobe_events", tfs);
		if (access(why, F_OK)) {
			syscall_alternative(p->ps, alt, sizeof(alt));
			set_err(err, errlen,
				"%s: this kernel lacks kprobes, so '%s' cannot be probed: there is "
				"no kprobe PMU (/sys/bus/event_source/devices/kprobe) and no "
				"kprobe_events in tracefs; it needs CONFIG_KPROBES=y and "
				"CONFIG_KPROBE_EVENTS=y%s",
				spec, p->ps->func,
				*alt ? alt
				     : "; 'bpftape list-events' lists the tracepoints to use "
				       "instead");
			return -EOPNOTSUPP;
		}
	}
	if (!kernel_has_symbol(p->ps->func)) {
		set_err(err, errlen,
			"%s: no kernel function '%s' in /proc/kallsyms; "
			"/sys/kernel/tracing/available_filter_functions lists the functions "
			"kprobes can attach to",
			spec, p->ps->func);
		return -ENOENT;
	}
	return 0;
}

static void set_arg_fields(struct gprobe *p)
{
	static const uint8_t kinds[] = {
		[PROBE_ARG_STR] = TAPE_STR, [PROBE_ARG_U8] = TAPE_U8,	[PROBE_ARG_U16] = TAPE_U16,
		[PROBE_ARG_U32] = TAPE_U32, [PROBE_ARG_U64] = TAPE_U64, [PROBE_ARG_S8] = TAPE_S8,
		[PROBE_ARG_S16] = TAPE_S16, [PROBE_ARG_S32] = TAPE_S32, [PROBE_ARG_S64] = TAPE_S64,
		[PROBE_ARG_PTR] = TAPE_U64,
	};

	for (unsigned i = 0; i < p->ps->nargs; i++) {
		uint8_t t = p->ps->args[i].type;

		p->fields[i] = (struct tape_field){
			.name = p->ps->args[i].name,
			.kind = kinds[t],
			.display = t == PROBE_ARG_PTR ? TAPE_DISP_PTR : TAPE_DISP_DEFAULT,
		};
		p->conf.arg_type[i] = t;
	}
	p->conf.nargs = p->ps->nargs;
	p->nfields = p->ps->nargs;
}

static bool name_taken(const struct generic_src *src, const char *name)
{
	for (size_t i = 0; i < src->n; i++)
		if (!strcmp(src->probes[i]->name, name))
			return true;
	return false;
}

/* "base", else "base_2", "base_3", ... */
static void unique_name(const struct generic_src *src, const char *base, char *out, size_t len)
{
	snprintf(out, len, "%s", base);
	for (unsigned k = 2; name_taken(src, out); k++)
		snprintf(out, len, "%.*s_%u", TYPE_NAME_MAX - 12, base, k);
}

struct generic *generic__new(void)
{
	struct generic *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->src = calloc(1, sizeof(*g->src));
	if (!g->src) {
		free(g);
		errno = ENOMEM;
		return NULL;
	}
	return g;
}

size_t generic__count(const struct generic *g)
{
	return g ? g->nprobes : 0;
}

static int add_one(struct generic *g, const char *spec, char *err, size_t errlen);

/* tracepoint:S*:N*: every match in available_events, each its own probe. */
static int add_glob(struct generic *g, const struct probe_spec *ps, char *err, size_t errlen)
{
	const char *tfs = generic__tracefs();
	char path[256], pattern[512], why[320], *line = NULL;
	size_t cap = 0, n = 0;
	FILE *f;
	int ret = 0;

	if (!tfs) {
		ret = -errno;
		generic__tracefs_why(errno, why, sizeof(why));
		set_err(err, errlen, "%s: %s", ps->text, why);
		return ret ? ret : -ENOENT;
	}
	snprintf(path, sizeof(path), "%s/available_events", tfs);
	snprintf(pattern, sizeof(pattern), "%s:%s", ps->subsys, ps->name);
	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		set_err(err, errlen, "%s: %s: %s", ps->text, path, strerror(errno));
		return ret;
	}
	while (!ret && getline(&line, &cap, f) > 0) {
		char spec[512];

		line[strcspn(line, "\n")] = '\0';
		if (fnmatch(pattern, line, 0))
			continue;
		snprintf(spec, sizeof(spec), "tracepoint:%s", line);
		ret = add_one(g, spec, err, errlen);
		n++;
	}
	free(line);
	fclose(f);
	if (!ret && !n) {
		set_err(err, errlen,
			"%s: no tracepoint matches %s ('bpftape list-events' lists them)", ps->text,
			pattern);
		ret = -ENOENT;
	}
	return ret;
}

int generic__add(struct generic *g, const char *spec, char *err, size_t errlen)
{
	struct probe_spec *ps = probe_spec__parse(spec, err, errlen);
	int ret;

	if (!ps)
		return -errno;
	if (probe_spec__is_glob(ps))
		ret = add_glob(g, ps, err, errlen);
	else
		ret = add_one(g, spec, err, errlen);
	probe_spec__free(ps);
	return ret;
}

static int add_one(struct generic *g, const char *spec, char *err, size_t errlen)
{
	struct gprobe *p = NULL;
	char base[TYPE_NAME_MAX];
	int ret;

	if (!g->src) {
		set_err(err, errlen, "%s: probes are already attached", spec);
		return -EBUSY;
	}
	if (g->src->n >= GENERIC_MAX_PROBES) {
		set_err(err, errlen,
			"%s: more than %d generic probes; give fewer -e probes (a tracepoint "
			"glob counts each match)",
			spec, GENERIC_MAX_PROBES);
		return -E2BIG;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		ret = -ENOMEM;
		goto cleanup;
	}
	p->ps = probe_spec__parse(spec, err, errlen);
	if (!p->ps) {
		ret = -errno;
		goto cleanup;
	}
	switch (p->ps->kind) {
	case PROBE_TRACEPOINT:
		ret = check_tracepoint(p, err, errlen);
		break;
	case PROBE_UPROBE:
	case PROBE_URETPROBE:
	case PROBE_USDT:
		ret = check_binary(p, err, errlen);
		set_arg_fields(p);
		break;
	case PROBE_KPROBE:
	case PROBE_KRETPROBE:
		ret = check_kprobe(p, err, errlen);
		set_arg_fields(p);
		break;
	default:
		ret = -EINVAL;
		break;
	}
	if (ret)
		goto cleanup;
	/* The kernel keeps one copy of a program per tracepoint (EEXIST). */
	for (size_t i = 0; i < g->src->n; i++) {
		const struct probe_spec *o = g->src->probes[i]->ps;

		if (!strcmp(o->text, spec) ||
		    (o->kind == PROBE_TRACEPOINT && p->ps->kind == PROBE_TRACEPOINT &&
		     !strcmp(o->subsys, p->ps->subsys) && !strcmp(o->name, p->ps->name))) {
			set_err(err, errlen, "%s: probe given twice (as '%s'); give it once", spec,
				o->text);
			ret = -EEXIST;
			goto cleanup;
		}
	}
	probe_spec__type_name(p->ps, base, sizeof(base));
	unique_name(g->src, base, p->name, sizeof(p->name));
	g->src->probes[g->src->n++] = p;
	g->nprobes = g->src->n;
	return 0;

cleanup:
	if (ret == -ENOMEM)
		set_err(err, errlen, "%s: out of memory", spec);
	gprobe_free(p);
	return ret;
}

/* ---- the consumer side ---------------------------------------------------- */

static int src_add_types(void *ctx, struct tape_writer *w)
{
	struct generic_src *src = ctx;

	for (size_t i = 0; i < src->n; i++) {
		struct gprobe *p = src->probes[i];
		char base[TYPE_NAME_MAX];
		int id;

		snprintf(base, sizeof(base), "%s", p->name);
		/* A built-in type may already have the name (sched_switch):
		 * the suffix sticks so that rotated tapes agree. */
		for (unsigned k = 2;; k++) {
			struct tape_type t = {
				.name = p->name,
				.source = p->ps->text,
				.format = p->format ? p->format : "",
				.nfields = p->nfields,
				.fields = p->fields,
			};

			id = tape_writer__add_type(w, &t);
			if (id != -EEXIST || k > 99)
				break;
			snprintf(p->name, sizeof(p->name), "%.*s_%u", TYPE_NAME_MAX - 12, base, k);
		}
		if (id < 0)
			return id;
		p->type_id = id;
	}
	return 0;
}

static uint64_t get_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* The 8 bytes the probe read, narrowed to the declared type. */
static void int_value(uint8_t type, uint64_t v, union tape_value *out)
{
	switch (type) {
	case PROBE_ARG_U8:
		out->u = (uint8_t)v;
		break;
	case PROBE_ARG_U16:
		out->u = (uint16_t)v;
		break;
	case PROBE_ARG_U32:
		out->u = (uint32_t)v;
		break;
	case PROBE_ARG_S8:
		out->s = (int8_t)v;
		break;
	case PROBE_ARG_S16:
		out->s = (int16_t)v;
		break;
	case PROBE_ARG_S32:
		out->s = (int32_t)v;
		break;
	default:
		out->u = v;
		break;
	}
}

static int src_emit(void *ctx, struct tape_writer *w, const struct rec_generic *rec, size_t size,
		    uint32_t stack_id)
{
	struct generic_src *src = ctx;
	union tape_value vals[PROBE_MAX_ARGS] = {};
	const uint8_t *d = rec->data;
	struct tape_event ev;
	struct gprobe *p;
	size_t len, off = 0;

	if (rec->probe_id >= src->n)
		return -ENOENT;
	p = src->probes[rec->probe_id];
	if (!p->type_id)
		return 0; /* no type in this tape */
	len = size - sizeof(*rec);
	if (rec->data_len < len)
		len = rec->data_len;
	if (p->ps->kind == PROBE_TRACEPOINT) {
		vals[0].b.ptr = d;
		vals[0].b.len = len;
	} else {
		/* A short record (string cut at GENERIC_DATA_MAX) leaves the
		 * remaining arguments zero or empty. */
		for (unsigned i = 0; i < p->ps->nargs; i++) {
			uint8_t t = p->ps->args[i].type;

			if (t == PROBE_ARG_STR) {
				size_t n;

				vals[i].b.ptr = "";
				if (off + 2 > len)
					continue;
				n = get_le(d + off, 2);
				if (n > len - off - 2)
					n = len - off - 2;
				vals[i].b.ptr = d + off + 2;
				vals[i].b.len = n;
				off += 2 + n;
			} else if (off + 8 <= len) {
				int_value(t, get_le(d + off, 8), &vals[i]);
				off += 8;
			}
		}
	}
	ev = (struct tape_event){
		.ts = rec->hdr.ts,
		.pid = rec->hdr.pid,
		.tid = rec->hdr.tid,
		.cpu = rec->hdr.cpu,
		.type = p->type_id,
		.comm_len = strnlen(rec->hdr.comm, sizeof(rec->hdr.comm)),
		.comm = rec->hdr.comm,
		.values = vals,
		.stack_id = stack_id,
	};
	return tape_writer__append(w, &ev);
}

static const struct record_source_ops generic_source_ops = {
	.name = "generic probes",
	.add_types = src_add_types,
	.emit = src_emit,
	.free = src_free,
};

/* ---- attaching ------------------------------------------------------------ */

static struct bpf_link *attach_one(struct generic_bpf *skel, const struct gprobe *p, __u64 id)
{
	const struct probe_spec *ps = p->ps;

	switch (ps->kind) {
	case PROBE_TRACEPOINT: {
		LIBBPF_OPTS(bpf_tracepoint_opts, o, .bpf_cookie = id);

		return bpf_program__attach_tracepoint_opts(skel->progs.generic_tp, ps->subsys,
							   ps->name, &o);
	}
	case PROBE_UPROBE:
	case PROBE_URETPROBE: {
		bool ret = ps->kind == PROBE_URETPROBE;
		LIBBPF_OPTS(bpf_uprobe_opts, o, .bpf_cookie = id, .retprobe = ret,
			    .func_name = ps->func);

		return bpf_program__attach_uprobe_opts(
			ret ? skel->progs.generic_uretprobe : skel->progs.generic_uprobe, -1,
			p->path, ps->func ? ps->offset : p->file_off, &o);
	}
	case PROBE_USDT: {
		LIBBPF_OPTS(bpf_usdt_opts, o, .usdt_cookie = id);

		return bpf_program__attach_usdt(skel->progs.generic_usdt, -1, p->path, ps->provider,
						ps->name, &o);
	}
	case PROBE_KPROBE:
	case PROBE_KRETPROBE: {
		bool ret = ps->kind == PROBE_KRETPROBE;
		LIBBPF_OPTS(bpf_kprobe_opts, o, .bpf_cookie = id, .offset = ps->offset,
			    .retprobe = ret);

		return bpf_program__attach_kprobe_opts(ret ? skel->progs.generic_kretprobe
							   : skel->progs.generic_kprobe,
						       ps->func, &o);
	}
	}
	errno = EINVAL;
	return NULL;
}

static struct bpf_program *prog_of(struct generic_bpf *skel, enum probe_kind kind)
{
	switch (kind) {
	case PROBE_TRACEPOINT:
		return skel->progs.generic_tp;
	case PROBE_UPROBE:
		return skel->progs.generic_uprobe;
	case PROBE_URETPROBE:
		return skel->progs.generic_uretprobe;
	case PROBE_USDT:
		return skel->progs.generic_usdt;
	case PROBE_KPROBE:
		return skel->progs.generic_kprobe;
	case PROBE_KRETPROBE:
		return skel->progs.generic_kretprobe;
	}
	return NULL;
}

static void detach_all(struct generic *g)
{
	for (size_t i = 0; i < g->nlinks; i++)
		bpf_link__destroy(g->links[i]);
	g->nlinks = 0;
	generic_bpf__destroy(g->skel);
	g->skel = NULL;
}

int generic__attach(struct generic *g, struct record_session *s, char *err, size_t errlen)
{
	struct generic_src *src = g->src;
	struct generic_bpf *skel;
	bool used[PROBE_KRETPROBE + 1] = {};
	int ret, fd;

	if (!src || !src->n)
		return 0;
	skel = generic_bpf__open();
	if (!skel) {
		ret = -errno;
		set_err(err, errlen, "opening the generic probe programs: %s", strerror(errno));
		return ret;
	}
	g->skel = skel;
	RECORD_SESSION_SET_RODATA(s, skel);
	ret = record_session__reuse_maps(s, skel->obj);
	if (ret) {
		set_err(err, errlen, "sharing the recorder's maps with the generic probes: %s",
			strerror(-ret));
		goto cleanup;
	}
	for (size_t i = 0; i < src->n; i++)
		used[src->probes[i]->ps->kind] = true;
	for (int k = PROBE_TRACEPOINT; k <= PROBE_KRETPROBE; k++)
		bpf_program__set_autoload(prog_of(skel, k), used[k]);
	ret = generic_bpf__load(skel);
	if (ret) {
		set_err(err, errlen, "loading the generic probe programs: %s%s", strerror(-ret),
			s->verbose ? "" : " (-v shows the verifier's log)");
		goto cleanup;
	}
	fd = bpf_map__fd(skel->maps.stack_probes);
	for (__u32 i = 0; i < src->n; i++) {
		__u8 on = 1;

		if (src->probes[i]->stacks && bpf_map_update_elem(fd, &i, &on, BPF_ANY)) {
			ret = -errno;
			set_err(err, errlen, "taking stacks at probe %s: %s",
				src->probes[i]->ps->text, strerror(errno));
			goto cleanup;
		}
	}
	fd = bpf_map__fd(skel->maps.generic_conf);
	for (__u32 i = 0; i < src->n; i++) {
		if (bpf_map_update_elem(fd, &i, &src->probes[i]->conf, BPF_ANY)) {
			ret = -errno;
			set_err(err, errlen, "configuring probe %s: %s", src->probes[i]->ps->text,
				strerror(errno));
			goto cleanup;
		}
	}
	for (size_t i = 0; i < src->n; i++) {
		const struct gprobe *p = src->probes[i];
		struct bpf_link *link = attach_one(skel, p, i);

		if (!link) {
			ret = -errno;
			if (p->ps->kind == PROBE_KPROBE || p->ps->kind == PROBE_KRETPROBE)
				set_err(err, errlen,
					"%s: the kernel refused a kprobe on '%s': %s (inlined, "
					"notrace and blacklisted functions cannot be probed); pick "
					"one listed in "
					"/sys/kernel/tracing/available_filter_functions%s",
					p->ps->text, p->ps->func, strerror(-ret),
					s->verbose ? "" : " (-v shows libbpf's log)");
			else
				set_err(err, errlen, "%s: attaching failed: %s%s", p->ps->text,
					strerror(-ret),
					s->verbose ? "" : " (-v shows libbpf's log)");
			goto cleanup;
		}
		g->links[g->nlinks++] = link;
	}
	/* The session owns the source from here, also when this fails. */
	g->src = NULL;
	ret = record_session__add_source(s, &generic_source_ops, src);
	if (ret) {
		set_err(err, errlen, "registering the generic probes: %s", strerror(-ret));
		goto cleanup;
	}
	return 0;

cleanup:
	detach_all(g);
	return ret ? ret : -EINVAL;
}

int generic__stacks(struct generic *g, const char *name)
{
	int n = 0;

	for (size_t i = 0; g && g->src && i < g->src->n; i++) {
		struct gprobe *p = g->src->probes[i];

		if (!name || !strcmp(name, p->name) || !strcmp(name, p->ps->text)) {
			p->stacks = true;
			n++;
		}
	}
	return n;
}

void generic__free(struct generic *g)
{
	if (!g)
		return;
	detach_all(g);
	src_free(g->src);
	free(g);
}
