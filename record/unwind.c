// SPDX-License-Identifier: MIT
/* CFI and frame-pointer unwinding from a register and stack snapshot (unwind.h). */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unwind.h"

/* x86-64 DWARF register numbers (System V psABI, figure 3.36) */
#define DW_RBP 6
#define DW_RSP 7
#define DW_RA  16

/* PT_LOAD segments kept for unwind__bias(); a binary has 2 to 4 */
#define NSEGS 16
/* rows kept, by pc: a recording steps through the same few call sites
 * (one syscall wrapper, its callers) millions of times */
#define NROWS 64

struct unwind {
	int fd; /* -1 when the caller owns the Elf */
	Elf *elf;
	Dwarf_CFI *cfi;	 /* .eh_frame, or NULL */
	Dwarf *dw;	 /* for .debug_frame, or NULL */
	Dwarf_CFI *dcfi; /* .debug_frame (owned by dw), or NULL */
	size_t nsegs;
	struct {
		uint64_t vaddr, offset, filesz;
	} segs[NSEGS];
	struct {
		uint64_t pc;
		Dwarf_Frame *frame; /* NULL: empty */
	} rows[NROWS];
};

#define seterr(err, errlen, ...)                                                                   \
	do {                                                                                       \
		if ((err) && (errlen))                                                             \
			snprintf((err), (errlen), __VA_ARGS__);                                    \
	} while (0)

void unwind__free(struct unwind *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < NROWS; i++)
		free(u->rows[i].frame);
	dwarf_cfi_end(u->cfi);
	dwarf_end(u->dw);
	if (u->fd >= 0) {
		elf_end(u->elf);
		close(u->fd);
	}
	free(u);
}

static bool has_section(Elf *elf, const char *name)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return false;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *n;

		if (gelf_getshdr(scn, &sh) && (n = elf_strptr(elf, shstrndx, sh.sh_name)) &&
		    !strcmp(n, name))
			return true;
	}
	return false;
}

struct unwind *unwind__open_elf(Elf *elf, const char *what, char *err, size_t errlen)
{
	struct unwind *u = calloc(1, sizeof(*u));

	if (!u) {
		seterr(err, errlen, "%s: out of memory", what);
		errno = ENOMEM;
		return NULL;
	}
	u->fd = -1;
	u->elf = elf;
	u->cfi = dwarf_getcfi_elf(elf);
	/* libdw reads .debug_frame only through a Dwarf handle, which costs a
	 * look at every debug section: only for a binary that has one */
	if (has_section(elf, ".debug_frame") && (u->dw = dwarf_begin_elf(elf, DWARF_C_READ, NULL)))
		u->dcfi = dwarf_getcfi(u->dw);
	if (!u->cfi && !u->dcfi) {
		seterr(err, errlen, "%s: no .eh_frame or .debug_frame CFI (%s)", what,
		       dwarf_errmsg(-1));
		dwarf_end(u->dw);
		free(u);
		errno = ENOENT;
		return NULL;
	}
	for (size_t i = 0, n = 0; !elf_getphdrnum(elf, &n) && i < n && u->nsegs < NSEGS; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		u->segs[u->nsegs].vaddr = ph.p_vaddr;
		u->segs[u->nsegs].offset = ph.p_offset;
		u->segs[u->nsegs++].filesz = ph.p_filesz;
	}
	return u;
}

int unwind__bias(const struct unwind *u, uint64_t map_start, uint64_t pgoff, uint64_t *bias)
{
	/* as elfsym__bias(): a mapping starts on a page boundary, so pgoff
	 * may precede the segment's own offset by less than a page */
	for (size_t i = 0; i < u->nsegs; i++) {
		uint64_t off = u->segs[i].offset, len = u->segs[i].filesz;

		if (pgoff - (off & ~4095ull) < (len ? len : 1) + (off & 4095)) {
			*bias = map_start - pgoff - (u->segs[i].vaddr - off);
			return 0;
		}
	}
	return -ENOENT;
}

/* The CFI row for @pc, cached in @u (owned by it). */
static Dwarf_Frame *row(struct unwind *u, uint64_t pc)
{
	size_t k = (size_t)((pc * 0x9e3779b97f4a7c15ull) >> 58) % NROWS;
	Dwarf_Frame *frame = NULL;

	if (u->rows[k].frame && u->rows[k].pc == pc)
		return u->rows[k].frame;
	/* .eh_frame first: it is what the code runs with */
	if ((!u->cfi || dwarf_cfi_addrframe(u->cfi, pc, &frame)) &&
	    (!u->dcfi || dwarf_cfi_addrframe(u->dcfi, pc, &frame)))
		return NULL;
	free(u->rows[k].frame);
	u->rows[k].pc = pc;
	u->rows[k].frame = frame;
	return frame;
}

struct unwind *unwind__open_fd(int fd, const char *what, char *err, size_t errlen)
{
	struct unwind *u;
	Elf *elf;
	int saved;

	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		seterr(err, errlen, "%s: not an ELF file (%s)", what, elf_errmsg(-1));
		elf_end(elf);
		errno = ENOEXEC;
		return NULL;
	}
	u = unwind__open_elf(elf, what, err, errlen);
	if (!u) {
		saved = errno;
		elf_end(elf);
		errno = saved;
		return NULL;
	}
	u->fd = fd;
	return u;
}

struct unwind *unwind__open(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct unwind *u;
	int saved;

	if (fd < 0) {
		saved = errno;
		seterr(err, errlen, "%s: %s", path, strerror(saved));
		errno = saved;
		return NULL;
	}
	u = unwind__open_fd(fd, path, err, errlen);
	if (!u) {
		saved = errno;
		close(fd);
		errno = saved;
	}
	return u;
}

static int read_u64(const struct unwind_stack *st, uint64_t addr, uint64_t *v)
{
	if (addr < st->base || addr - st->base > st->len || st->len - (addr - st->base) < 8)
		return -EFAULT;
	memcpy(v, (const uint8_t *)st->data + (addr - st->base), 8);
	return 0;
}

static int reg_value(const struct unwind_regs *regs, uint64_t regno, uint64_t *v)
{
	switch (regno) {
	case DW_RBP:
		*v = regs->bp;
		return 0;
	case DW_RSP:
		*v = regs->sp;
		return 0;
	case DW_RA:
		*v = regs->ip;
		return 0;
	}
	return -ENOTSUP;
}

/*
 * Evaluate a DWARF expression from the CFI (libdw's internal form: for
 * register rules it starts with DW_OP_call_frame_cfa, and a value rather
 * than a location ends with DW_OP_stack_value).  Only what CFI uses in
 * practice; anything else is a gap, never a guess.  *@is_value tells a
 * value from a location (an address to read).
 */
static int eval(const Dwarf_Op *ops, size_t nops, const struct unwind_regs *regs, uint64_t cfa,
		bool have_cfa, const struct unwind_stack *st, uint64_t *out, bool *is_value)
{
	uint64_t stack[8], v;
	size_t sp = 0;
	int rc;

	*is_value = false;
#define PUSH(x)                                                                                    \
	do {                                                                                       \
		if (sp == 8)                                                                       \
			return -EINVAL;                                                            \
		stack[sp++] = (x);                                                                 \
	} while (0)
#define NEED(n)                                                                                    \
	do {                                                                                       \
		if (sp < (n))                                                                      \
			return -EINVAL;                                                            \
	} while (0)
	for (size_t i = 0; i < nops; i++) {
		const Dwarf_Op *op = &ops[i];
		uint8_t a = op->atom;

		if (a >= DW_OP_lit0 && a <= DW_OP_lit31) {
			PUSH(a - DW_OP_lit0);
		} else if (a >= DW_OP_breg0 && a <= DW_OP_breg31) {
			if ((rc = reg_value(regs, a - DW_OP_breg0, &v)))
				return rc;
			PUSH(v + op->number);
		} else if (a >= DW_OP_reg0 && a <= DW_OP_reg31) {
			/* the value is in a register: a value, not a location */
			if (nops != 1 || (rc = reg_value(regs, a - DW_OP_reg0, &v)))
				return rc ? rc : -ENOTSUP;
			*out = v;
			*is_value = true;
			return 0;
		} else {
			switch (a) {
			case DW_OP_regx:
				if (nops != 1 || (rc = reg_value(regs, op->number, &v)))
					return rc ? rc : -ENOTSUP;
				*out = v;
				*is_value = true;
				return 0;
			case DW_OP_bregx:
				if ((rc = reg_value(regs, op->number, &v)))
					return rc;
				PUSH(v + op->number2);
				break;
			case DW_OP_call_frame_cfa:
				if (!have_cfa)
					return -EINVAL;
				PUSH(cfa);
				break;
			case DW_OP_const1u:
			case DW_OP_const1s:
			case DW_OP_const2u:
			case DW_OP_const2s:
			case DW_OP_const4u:
			case DW_OP_const4s:
			case DW_OP_const8u:
			case DW_OP_const8s:
			case DW_OP_constu:
			case DW_OP_consts:
				PUSH(op->number);
				break;
			case DW_OP_plus_uconst:
				NEED(1);
				stack[sp - 1] += op->number;
				break;
			case DW_OP_plus:
				NEED(2);
				stack[sp - 2] += stack[sp - 1];
				sp--;
				break;
			case DW_OP_minus:
				NEED(2);
				stack[sp - 2] -= stack[sp - 1];
				sp--;
				break;
			case DW_OP_and:
				NEED(2);
				stack[sp - 2] &= stack[sp - 1];
				sp--;
				break;
			case DW_OP_dup:
				NEED(1);
				v = stack[sp - 1];
				PUSH(v);
				break;
			case DW_OP_drop:
				NEED(1);
				sp--;
				break;
			case DW_OP_deref:
				NEED(1);
				if ((rc = read_u64(st, stack[sp - 1], &stack[sp - 1])))
					return rc;
				break;
			case DW_OP_stack_value:
				if (i + 1 != nops)
					return -EINVAL;
				*is_value = true;
				break;
			default:
				return -ENOTSUP;
			}
		}
	}
	NEED(1);
#undef PUSH
#undef NEED
	*out = stack[sp - 1];
	return 0;
}

/* The caller's value of DWARF register @regno in @frame.  1: the CFI says
 * "same value" (or undefined for a callee-saved register). */
static int caller_reg(Dwarf_Frame *frame, int regno, const struct unwind_regs *regs, uint64_t cfa,
		      const struct unwind_stack *st, uint64_t *v, bool *undefined)
{
	Dwarf_Op mem[3], *ops;
	size_t nops;
	bool is_value;
	int rc;

	*undefined = false;
	if (dwarf_frame_register(frame, regno, mem, &ops, &nops))
		return -EINVAL;
	if (!nops) {
		*undefined = ops == mem;
		return 1;
	}
	if ((rc = eval(ops, nops, regs, cfa, true, st, v, &is_value)))
		return rc;
	return is_value ? 0 : read_u64(st, *v, v);
}

static const char *why(int rc)
{
	switch (rc) {
	case -EFAULT:
		return "reads stack memory outside the copy";
	case -ENOTSUP:
		return "needs a register or operation not captured";
	default:
		return "is malformed";
	}
}

int unwind__step(struct unwind *u, uint64_t bias, const struct unwind_stack *st,
		 struct unwind_regs *regs, bool exact, char *err, size_t errlen)
{
	/* a return address follows its call: the call's row is at ip - 1 */
	uint64_t pc = regs->ip - bias - (exact ? 0 : 1);
	struct unwind_regs out;
	Dwarf_Frame *frame = NULL;
	Dwarf_Op *ops;
	size_t nops;
	uint64_t cfa;
	bool is_value, undef;
	int ra, rc;

	frame = row(u, pc);
	if (!frame) {
		seterr(err, errlen, "no CFI for vaddr 0x%llx", (unsigned long long)pc);
		return -ENOENT;
	}
	ra = dwarf_frame_info(frame, NULL, NULL, NULL);
	if (dwarf_frame_cfa(frame, &ops, &nops) || !nops) {
		seterr(err, errlen, "vaddr 0x%llx: no CFA rule", (unsigned long long)pc);
		return -EINVAL;
	}
	if ((rc = eval(ops, nops, regs, 0, false, st, &cfa, &is_value))) {
		seterr(err, errlen, "vaddr 0x%llx: the CFA rule %s", (unsigned long long)pc,
		       why(rc));
		goto out;
	}
	rc = caller_reg(frame, ra < 0 ? DW_RA : ra, regs, cfa, st, &out.ip, &undef);
	if (rc == 1 && undef) {
		rc = UNWIND_END;
		goto out;
	}
	if (rc) {
		rc = rc == 1 ? -EINVAL : rc;
		seterr(err, errlen, "vaddr 0x%llx: the return address rule %s",
		       (unsigned long long)pc, why(rc));
		goto out;
	}
	/* rbp is callee-saved: unmentioned or "undefined" means this frame
	 * left it alone */
	rc = caller_reg(frame, DW_RBP, regs, cfa, st, &out.bp, &undef);
	if (rc == 1)
		out.bp = regs->bp;
	else if (rc) {
		seterr(err, errlen, "vaddr 0x%llx: the rbp rule %s", (unsigned long long)pc,
		       why(rc));
		goto out;
	}
	/* the caller's sp is the CFA, by the psABI's definition of the CFA */
	out.sp = cfa;
	if (out.sp <= regs->sp) {
		rc = -EINVAL;
		seterr(err, errlen, "vaddr 0x%llx: the CFA does not move up the stack",
		       (unsigned long long)pc);
		goto out;
	}
	*regs = out;
	rc = 0;
out:
	return rc;
}

int unwind__step_fp(const struct unwind_stack *st, struct unwind_regs *regs)
{
	uint64_t ip, bp;

	if (!regs->bp)
		return UNWIND_END; /* _start and thread entry clear rbp */
	if (read_u64(st, regs->bp, &bp) || read_u64(st, regs->bp + 8, &ip))
		return -EFAULT;
	/* frames lie at increasing addresses: anything else is not a chain */
	if (bp && bp <= regs->bp)
		return -EINVAL;
	regs->ip = ip;
	regs->sp = regs->bp + 16;
	regs->bp = bp;
	return 0;
}
