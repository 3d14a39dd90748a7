// SPDX-License-Identifier: MIT
/*
 * Unwinding through frameless frames with .eh_frame CFI, then by frame
 * pointers (record/unwind.c), on snapshots this process takes of itself,
 * and naming every frame through a binary block (record/elfsym.c,
 * format/symtab.c), as the recorder will.  No root.
 *
 * Built with frame pointers.  Two snapshots, both taken from main()
 * before the tests run:
 *  - main -> chain_a -> chain_b -> chain_c -> snap_frameless, an assembly
 *    function without a frame pointer that uses %rbp as a general register
 *    (as libc's code may) and records its registers and the top of the
 *    stack;
 *  - main -> libc_a -> libc_b -> libc_c -> read() on an empty pipe, with
 *    the registers taken from the ucontext of a signal that interrupts the
 *    read inside Debian's libc (built without frame pointers): the case of
 *    every syscall event.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include <cmocka.h>

#include "../record/elfsym.h"
#include "private/symtab.h"
#include "symtest.h"
#include "private/block.h"
#include "../record/unwind.h"

#define COPY_MAX 8192

struct snap {
	struct unwind_regs regs;
	uint64_t len;
	uint8_t stack[COPY_MAX];
};

static struct snap snap_asm, snap_libc;
static uint64_t stack_end;	/* end of the [stack] mapping */
static char self_dir[PATH_MAX]; /* where this test and its helpers are */

/* Copy live stack memory, other frames' ASan redzones included (under
 * `make sanitize`), as the kernel's copy would. */
__attribute__((no_sanitize_address, noinline)) static void copy_stack(struct snap *s, uint64_t sp)
{
	const volatile uint8_t *p = (const volatile uint8_t *)sp;

	s->len = stack_end - sp < COPY_MAX ? stack_end - sp : COPY_MAX;
	for (uint64_t i = 0; i < s->len; i++)
		s->stack[i] = p[i];
}

/* Called by snap_frameless with its own sp, bp and an ip inside it: the
 * memory from sp up is the frameless frame and its callers', unchanged
 * while this runs below it. */
__attribute__((used, noinline)) void snap_capture(struct snap *s, uint64_t sp, uint64_t bp,
						  uint64_t ip)
{
	s->regs = (struct unwind_regs){ip, sp, bp};
	copy_stack(s, sp);
}

void snap_frameless(struct snap *s);
__asm__(".text\n"
	".globl snap_frameless\n"
	".type snap_frameless, @function\n"
	"snap_frameless:\n"
	"	.cfi_startproc\n"
	"	push %rbp\n"
	"	.cfi_adjust_cfa_offset 8\n"
	"	.cfi_rel_offset %rbp, 0\n"
	"	sub $48, %rsp\n"
	"	.cfi_adjust_cfa_offset 48\n"
	"	mov $0x5a5a5a5a, %ebp\n" /* a general register now: no frame chain */
	"	mov %rsp, %rsi\n"
	"	mov %rbp, %rdx\n"
	"	lea 1f(%rip), %rcx\n"
	"	call snap_capture@PLT\n"
	"1:	add $48, %rsp\n"
	"	.cfi_adjust_cfa_offset -48\n"
	"	pop %rbp\n"
	"	.cfi_adjust_cfa_offset -8\n"
	"	.cfi_restore %rbp\n"
	"	ret\n"
	"	.cfi_endproc\n"
	".size snap_frameless, .-snap_frameless\n");

/* Never run: a frame whose CFA lives in %rbx, which no snapshot has. */
extern const char cfa_in_rbx_body[];
__asm__(".text\n"
	".globl cfa_in_rbx\n"
	".type cfa_in_rbx, @function\n"
	"cfa_in_rbx:\n"
	"	.cfi_startproc\n"
	"	push %rbx\n"
	"	.cfi_adjust_cfa_offset 8\n"
	"	.cfi_rel_offset %rbx, 0\n"
	"	mov %rsp, %rbx\n"
	"	.cfi_def_cfa_register %rbx\n"
	".globl cfa_in_rbx_body\n"
	"cfa_in_rbx_body:\n"
	"	nop\n"
	"	mov %rbx, %rsp\n"
	"	.cfi_def_cfa_register %rsp\n"
	"	pop %rbx\n"
	"	.cfi_adjust_cfa_offset -8\n"
	"	.cfi_restore %rbx\n"
	"	ret\n"
	"	.cfi_endproc\n"
	".size cfa_in_rbx, .-cfa_in_rbx\n");

static volatile int sink;

__attribute__((noinline)) void chain_c(int x)
{
	snap_frameless(&snap_asm);
	sink = x + 3;
}

__attribute__((noinline)) void chain_b(int x)
{
	chain_c(x + 1);
	sink += 2;
}

__attribute__((noinline)) void chain_a(int x)
{
	chain_b(x + 1);
	sink += 1;
}

/* ---- the libc case ---- */

static int pipefd[2];
static atomic_int handled;
/* libc's own read(), not a sanitizer's interceptor of it */
static ssize_t (*libc_read)(int, void *, size_t);

static void on_signal(int sig, siginfo_t *si, void *ctx)
{
	const ucontext_t *uc = ctx;
	uint64_t sp = uc->uc_mcontext.gregs[REG_RSP];

	(void)sig;
	(void)si;
	/* the handler's frame lies below the interrupted sp (and its red
	 * zone): the memory above it is the interrupted frames' */
	snap_libc.regs = (struct unwind_regs){uc->uc_mcontext.gregs[REG_RIP], sp,
					      uc->uc_mcontext.gregs[REG_RBP]};
	copy_stack(&snap_libc, sp);
	atomic_fetch_add(&handled, 1);
}

static uintptr_t libc_lo, libc_hi; /* libc's text, to tell when read() blocks */

/* Signal the main thread until a signal finds it inside libc (blocked in
 * read()), then let the read return. */
static void *poker(void *arg)
{
	pthread_t main_thread = *(pthread_t *)arg;

	for (int i = 0; i < 1000; i++) {
		int seen = atomic_load(&handled);
		struct timespec ts = {0, 5 * 1000 * 1000};

		nanosleep(&ts, NULL);
		pthread_kill(main_thread, SIGUSR1);
		while (atomic_load(&handled) == seen)
			sched_yield();
		if (snap_libc.regs.ip >= libc_lo && snap_libc.regs.ip < libc_hi)
			break;
	}
	if (write(pipefd[1], "x", 1) != 1)
		abort();
	return NULL;
}

__attribute__((noinline)) void libc_c(int x)
{
	char c;

	if (libc_read(pipefd[0], &c, 1) != 1)
		abort();
	sink = x + c;
}

__attribute__((noinline)) void libc_b(int x)
{
	libc_c(x + 1);
	sink += 2;
}

__attribute__((noinline)) void libc_a(int x)
{
	libc_b(x + 1);
	sink += 1;
}

/* ---- symbolizing, as the recorder and a reader do ---- */

static struct {
	char path[PATH_MAX];
	struct binary *bin;
	struct unwind *u;
} objs[8];

static int obj_for(const char *path)
{
	for (int i = 0; i < 8; i++) {
		char err[300] = "";

		if (objs[i].bin && !strcmp(objs[i].path, path))
			return i;
		if (objs[i].bin)
			continue;
		struct elfsym *es = elfsym__read(path, err, sizeof(err));
		struct binary_desc d;
		struct buf b = {0};

		if (!es)
			fail_msg("%s", err);
		d = (struct binary_desc){i,	   path,      es->build_id, es->build_id_len,
					 es->segs, es->nsegs, es->sources};
		assert_int_equal(tape__binary_encode(&b, &d, es->syms, es->nsyms), 0);
		objs[i].bin = tape__binary_parse(b.data, b.len, err, sizeof(err));
		if (!objs[i].bin)
			fail_msg("%s", err);
		objs[i].u = unwind__open(path, err, sizeof(err));
		if (!objs[i].u)
			fail_msg("%s", err);
		snprintf(objs[i].path, sizeof(objs[i].path), "%s", path);
		tape__buf_free(&b);
		elfsym__free(es);
		return i;
	}
	fail_msg("too many binaries");
	return -1;
}

/* The name of run-time address @addr; a return address (@ret) is named by
 * its call instruction, at addr - 1. */
static const char *name_of(uint64_t addr, bool ret)
{
	char path[PATH_MAX];
	uint64_t off, soff;
	const char *name;

	if (symtest_file_offset(addr - ret, &off, path, sizeof(path)))
		return "[unmapped]";
	if (tape__binary_lookup(objs[obj_for(path)].bin, off, &name, &soff))
		return "[unknown]";
	return name;
}

static int unwind_cfi(struct unwind_regs *regs, const struct unwind_stack *st, bool exact,
		      char *err, size_t errlen)
{
	char path[PATH_MAX], e[300] = "";
	uint64_t start, pgoff, bias, ubias;
	struct symtest_obj o;
	struct elfsym *es;

	if (symtest_mapping(regs->ip - !exact, &start, &pgoff, path, sizeof(path)))
		return -ENOENT;
	/* the bias from the mapping, as the recorder gets it, agrees with the
	 * dynamic linker's */
	es = elfsym__read(path, e, sizeof(e));
	if (!es)
		fail_msg("%s", e);
	assert_int_equal(elfsym__bias(es, start, pgoff, &bias), 0);
	elfsym__free(es);
	assert_int_equal(symtest_object(regs->ip - !exact, &o), 0);
	assert_int_equal(bias, o.bias);
	/* the recorder takes it from the unwind handle, without the symbols */
	assert_int_equal(unwind__bias(objs[obj_for(path)].u, start, pgoff, &ubias), 0);
	assert_int_equal(ubias, bias);
	return unwind__step(objs[obj_for(path)].u, bias, st, regs, exact, err, errlen);
}

/* First frame by CFI, the rest by frame pointers: the recorder's plan. */
static size_t walk(const struct snap *s, uint64_t *ips, size_t max)
{
	struct unwind_stack st = {s->stack, s->regs.sp, s->len};
	struct unwind_regs regs = s->regs;
	char err[200] = "";
	size_t n = 0;
	int rc;

	ips[n++] = regs.ip;
	rc = unwind_cfi(&regs, &st, true, err, sizeof(err));
	if (rc)
		fail_msg("CFI step from 0x%llx (%s): %d %s", (unsigned long long)s->regs.ip,
			 name_of(s->regs.ip, false), rc, err);
	ips[n++] = regs.ip;
	while (n < max && unwind__step_fp(&st, &regs) == 0)
		ips[n++] = regs.ip;
	return n;
}

static void expect_chain(const uint64_t *ips, size_t n, const char *const *want, size_t nwant)
{
	for (size_t i = 0; i < n; i++)
		print_message("  #%zu 0x%llx %s\n", i, (unsigned long long)ips[i],
			      name_of(ips[i], i > 0));
	assert_true(n >= nwant);
	for (size_t i = 0; i < nwant; i++)
		if (strcmp(name_of(ips[i], i > 0), want[i]))
			fail_msg("frame %zu: %s, expected %s", i, name_of(ips[i], i > 0), want[i]);
}

static void test_frameless_asm(void **state)
{
	static const char *const want[] = {"snap_frameless", "chain_c", "chain_b", "chain_a",
					   "main"};
	struct unwind_stack st = {snap_asm.stack, snap_asm.regs.sp, snap_asm.len};
	struct unwind_regs regs = snap_asm.regs;
	uint64_t ips[16];
	size_t n;

	(void)state;
	assert_true(snap_asm.len >= 256);
	n = walk(&snap_asm, ips, 16);
	expect_chain(ips, n, want, 5);
	/* without the CFI step, the frame-pointer walk has nothing to go on */
	assert_int_equal(unwind__step_fp(&st, &regs), -EFAULT);
}

static void test_libc_read(void **state)
{
	static const char *const want[] = {"libc_c", "libc_b", "libc_a", "main"};
	struct unwind_stack st = {snap_libc.stack, snap_libc.regs.sp, snap_libc.len};
	struct unwind_regs regs = snap_libc.regs;
	uint64_t ips[16], read_off;
	size_t n;
	char path[PATH_MAX];

	(void)state;
	if (!(snap_libc.regs.ip >= libc_lo && snap_libc.regs.ip < libc_hi))
		fail_msg("no signal found main() blocked in libc's read()");
	n = walk(&snap_libc, ips, 16);
	/* frame 0 is libc's read, whichever of its aliases names it */
	assert_int_equal(symtest_file_offset(ips[0], &read_off, path, sizeof(path)), 0);
	assert_string_equal(name_of(ips[0], false), name_of((uintptr_t)libc_read, false));
	expect_chain(ips + 1, n - 1, want, 4);
	/* a frame-pointer walk from the same registers loses libc_c: read()
	 * keeps no frame record, so [bp + 8] returns into libc_b (perf's
	 * symptom; Debian's libc also reuses rbp elsewhere, giving garbage) */
	assert_int_equal(unwind__step_fp(&st, &regs), 0);
	assert_string_not_equal(name_of(regs.ip, true), "libc_c");
}

/* The handle keeps the rows it looked up: stepping the same snapshot again
 * (a cached row) gives the same caller, and a row cached for one pc is not
 * used for another. */
static void test_rows_cached(void **state)
{
	struct unwind_stack st = {snap_asm.stack, snap_asm.regs.sp, snap_asm.len};
	struct unwind_regs first = snap_asm.regs, again, regs;
	char err[200] = "";

	(void)state;
	assert_int_equal(unwind_cfi(&first, &st, true, err, sizeof(err)), 0);
	for (int i = 0; i < 3; i++) {
		again = snap_asm.regs;
		assert_int_equal(unwind_cfi(&again, &st, true, err, sizeof(err)), 0);
		assert_memory_equal(&again, &first, sizeof(again));
	}
	/* the frameless function's next frame, by its own (other) row */
	regs = first;
	assert_int_equal(unwind_cfi(&regs, &st, false, err, sizeof(err)), 0);
	assert_true(regs.sp > first.sp);
	assert_string_equal(name_of(regs.ip, true), "chain_b");
}

/* Too little stack copied, an ip without CFI: gaps, not guesses. */
static void test_gaps(void **state)
{
	struct unwind_stack st = {snap_asm.stack, snap_asm.regs.sp, 48};
	struct unwind_regs regs = snap_asm.regs, saved = regs;
	char err[200] = "";
	struct symtest_obj o;

	(void)state;
	/* the return address is at CFA - 8 = sp + 56: outside 48 bytes */
	assert_int_equal(unwind_cfi(&regs, &st, true, err, sizeof(err)), -EFAULT);
	assert_non_null(strstr(err, "outside the copy"));
	assert_memory_equal(&regs, &saved, sizeof(regs)); /* untouched on a gap */
	/* the ELF header of this binary has no CFI */
	assert_int_equal(symtest_object((uintptr_t)chain_a, &o), 0);
	regs.ip = o.bias + 1;
	st.len = snap_asm.len;
	assert_int_equal(
		unwind__step(objs[obj_for(o.path)].u, o.bias, &st, &regs, true, err, sizeof(err)),
		-ENOENT);
	assert_non_null(strstr(err, "no CFI"));
	/* a CFA in a register the snapshot does not have */
	regs = snap_asm.regs;
	regs.ip = (uintptr_t)cfa_in_rbx_body;
	assert_int_equal(unwind_cfi(&regs, &st, true, err, sizeof(err)), -ENOTSUP);
	assert_non_null(strstr(err, "the CFA rule needs a register"));
	/* a frame record above the copy */
	regs = (struct unwind_regs){0, snap_asm.regs.sp, snap_asm.regs.sp + snap_asm.len - 8};
	assert_int_equal(unwind__step_fp(&st, &regs), -EFAULT);
	regs.bp = 0;
	assert_int_equal(unwind__step_fp(&st, &regs), UNWIND_END);
}

/* CFI in .debug_frame only (tests/work_dbgframe.c): found there, since
 * .eh_frame has none for it. */
static void test_debug_frame(void **state)
{
	char path[PATH_MAX + 32], err[300] = "";
	uint64_t stack[4] = {0x123456789a, 0, 0, 0};
	struct unwind_stack st = {stack, 0x7000, sizeof(stack)};
	struct unwind_regs regs;
	struct symtest_obj o;
	int (*leaf)(int);
	struct unwind *u;
	void *h;

	(void)state;
	snprintf(path, sizeof(path), "%s/libwork_dbgframe.so", self_dir);
	h = dlopen(path, RTLD_NOW);
	if (!h)
		fail_msg("%s", dlerror());
	leaf = (int (*)(int))dlsym(h, "dbgframe_leaf");
	assert_non_null(leaf);
	assert_int_equal(leaf(2), 7);
	assert_int_equal(symtest_object((uintptr_t)leaf, &o), 0);
	u = unwind__open(path, err, sizeof(err));
	if (!u)
		fail_msg("%s", err);
	/* at its entry: the return address at sp, the caller's sp above it,
	 * rbp untouched */
	regs = (struct unwind_regs){(uintptr_t)leaf, 0x7000, 0x9999};
	if (unwind__step(u, o.bias, &st, &regs, true, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(regs.ip, 0x123456789a);
	assert_int_equal(regs.sp, 0x7008);
	assert_int_equal(regs.bp, 0x9999);
	unwind__free(u);
	dlclose(h);
}

static void test_open_errors(void **state)
{
	char err[300] = "";

	(void)state;
	assert_null(unwind__open("/nonexistent", err, sizeof(err)));
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(err, "/nonexistent"));
	assert_null(unwind__open("/proc/self/status", err, sizeof(err)));
	assert_int_equal(errno, ENOEXEC);
	unwind__free(NULL);
}

/* From an fd (a deleted binary's, through /proc/PID/map_files): the
 * handle keeps it, a failure leaves it to the caller. */
static void test_open_fd(void **state)
{
	char err[300] = "", path[PATH_MAX + 32];
	struct unwind *u;
	int fd;

	(void)state;
	fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_null(unwind__open_fd(fd, "status", err, sizeof(err)));
	assert_int_equal(errno, ENOEXEC);
	assert_non_null(strstr(err, "status: not an ELF file"));
	assert_int_equal(close(fd), 0);
	snprintf(path, sizeof(path), "%s/libwork_dbgframe.so", self_dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	u = unwind__open_fd(fd, path, err, sizeof(err));
	if (!u)
		fail_msg("%s", err);
	assert_true(fcntl(fd, F_GETFD) >= 0);
	unwind__free(u);
	assert_int_equal(fcntl(fd, F_GETFD), -1);
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < 8; i++) {
		tape__binary_free(objs[i].bin);
		unwind__free(objs[i].u);
	}
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frameless_asm), cmocka_unit_test(test_libc_read),
		cmocka_unit_test(test_rows_cached),   cmocka_unit_test(test_gaps),
		cmocka_unit_test(test_debug_frame),   cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_open_fd),
	};
	struct sigaction sa = {.sa_sigaction = on_signal, .sa_flags = SA_SIGINFO | SA_RESTART};
	pthread_t self = pthread_self(), t;
	struct symtest_obj o;
	char path[PATH_MAX];
	uint64_t off;
	int x = 0;

	{
		ssize_t len = readlink("/proc/self/exe", self_dir, sizeof(self_dir) - 1);

		if (len <= 0)
			return 1;
		self_dir[len] = 0;
		*strrchr(self_dir, '/') = 0;
	}
	/* the top of the stack, so that copies stop there */
	{
		FILE *f = fopen("/proc/self/maps", "r");
		char line[PATH_MAX + 128];

		while (f && fgets(line, sizeof(line), f)) {
			unsigned long long lo, hi;

			if (sscanf(line, "%llx-%llx", &lo, &hi) == 2 && (uintptr_t)&x >= lo &&
			    (uintptr_t)&x < hi)
				stack_end = hi;
		}
		if (f)
			fclose(f);
	}
	libc_read = dlsym(dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD), "read");
	if (!stack_end || !libc_read || symtest_object((uintptr_t)libc_read, &o) ||
	    symtest_file_offset((uintptr_t)libc_read, &off, path, sizeof(path)))
		return 1;
	/* the executable mapping of libc that holds read() */
	{
		FILE *f = fopen("/proc/self/maps", "r");
		char line[PATH_MAX + 128];

		while (f && fgets(line, sizeof(line), f)) {
			unsigned long long lo, hi;

			if (sscanf(line, "%llx-%llx", &lo, &hi) == 2 &&
			    (uintptr_t)libc_read >= lo && (uintptr_t)libc_read < hi) {
				libc_lo = lo;
				libc_hi = hi;
			}
		}
		if (f)
			fclose(f);
	}

	chain_a(1);

	if (pipe(pipefd) || sigaction(SIGUSR1, &sa, NULL) || pthread_create(&t, NULL, poker, &self))
		return 1;
	libc_a(1);
	pthread_join(t, NULL);
	signal(SIGUSR1, SIG_DFL);

	return cmocka_run_group_tests_name("unwind", tests, NULL, teardown);
}
