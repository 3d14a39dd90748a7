/* SPDX-License-Identifier: MIT */
/*
 * A tape with recorded stacks, written in memory through the writer API
 * (tests of export's folded stacks and Chrome stackFrames, and of filter's
 * redaction of binaries): user frames in STK_LIB, named from its binary
 * block (type 10) as a `record -g` tape names them, a mapping block (type
 * 9) for the pids, kernel frames named at record time.
 *
 * Stack 1, innermost first: do_sys_openat2 [k], __x64_sys_openat [k],
 * stk_inner, stk_middle, stk_outer, an unnamed frame of STK_LIB.
 * Stack 2: stk_inner (a gap: unwinding stopped there), stk_outer.
 * Stack 3: a user frame of no known binary.
 * Stack 4: stack 1 from another call site in stk_inner (folds into it).
 * Events: "app" (pid 7) opens twice with stack 1; "app" (pid 8) once with
 * stack 1; "app" (pid 7) once with stack 2; "my app" (pid 9) once without a
 * stack; "app" (pid 7) two syscall events with stack 1, latencies 1000 and
 * 500 ns; "web" (pid 10) one open with stack 3; "app" (pid 7) one open with
 * stack 4.
 */
#ifndef BPFTAPE_TESTS_STACK_TAPE_H
#define BPFTAPE_TESTS_STACK_TAPE_H

#include "golden_gen.h"
#include "private/block.h"
#include "private/symtab.h"

#define STK_LIB "/opt/secret-app/lib/libwork.so.1"

static inline int stk_binary(struct tape_writer *w)
{
	static const uint8_t build_id[] = {0xab, 0xcd, 0xef, 0x01};
	struct symtab_seg seg = {.vaddr = 0x1000, .offset = 0x1000, .filesz = 0x1000, .flags = 5};
	struct symtab_sym syms[] = {
		{0x1000, 0x100, "stk_outer", SYMTAB_GLOBAL},
		{0x1100, 0x100, "stk_middle", SYMTAB_GLOBAL},
		{0x1200, 0x100, "stk_inner", SYMTAB_GLOBAL},
	};
	struct binary_desc d = {.id = 1,
				.path = STK_LIB,
				.build_id = build_id,
				.build_id_len = sizeof(build_id),
				.segs = &seg,
				.nsegs = 1,
				.sources = SYMTAB_SRC_SYMTAB};
	struct buf b = {0};
	int rc = tape__binary_encode(&b, &d, syms, 3);

	rc = rc ?: tape__writer_add_binary(w, b.data, b.len);
	tape__buf_free(&b);
	return rc;
}

/* Define the golden types in @w, their ids into @ids.  0 or -errno. */
static inline int stk_types(struct tape_writer *w, int *ids)
{
	for (int i = 0; i < G_NTYPES; i++) {
		int id = tape_writer__add_type(w, &golden_types[i]);

		if (id < 0)
			return id;
		ids[i] = id;
	}
	return 0;
}

/* One event of golden type @type with stack @stack_id (0: none). */
static inline int stk_ev(struct tape_writer *w, const int *ids, uint64_t rel_ns, uint32_t pid,
			 const char *comm, int type, const union tape_value *v, uint32_t stack_id)
{
	struct tape_event ev = {
		.ts = GOLDEN_BOOT_TS + rel_ns,
		.pid = pid,
		.tid = pid,
		.type = (uint16_t)ids[type],
		.comm = comm,
		.values = v,
		.stack_id = stack_id,
	};

	return tape_writer__append(w, &ev);
}

static inline int stk_open(struct tape_writer *w, const int *ids, uint64_t rel_ns, uint32_t pid,
			   const char *comm, const char *path, uint32_t stack_id)
{
	union tape_value v[] = {GV_U(257), GV_S(-100), GV_B(path, strlen(path)),
				GV_U(0),   GV_U(0),    GV_S(3)};

	return stk_ev(w, ids, rel_ns, pid, comm, G_OPEN, v, stack_id);
}

static inline int stk_syscall(struct tape_writer *w, const int *ids, uint64_t rel_ns, uint32_t pid,
			      const char *comm, uint64_t lat, uint32_t stack_id)
{
	union tape_value v[] = {GV_U(0), GV_U(0), GV_U(0), GV_U(0),  GV_U(0),
				GV_U(0), GV_U(0), GV_S(0), GV_U(lat)};

	return stk_ev(w, ids, rel_ns, pid, comm, G_SYSCALL, v, stack_id);
}

static inline int stk_write(struct tape_writer *w)
{
	const struct tape_frame s1[] = {
		{.symbol = "do_sys_openat2", .offset = 0x10, .kernel = 1},
		{.symbol = "__x64_sys_openat", .offset = 0x20, .kernel = 1},
		{.address = 0x1210, .binary = STK_LIB, .binary_id = 1},
		{.address = 0x1150, .binary = STK_LIB, .binary_id = 1},
		{.address = 0x1050, .binary = STK_LIB, .binary_id = 1},
		{.address = 0x5000, .binary = STK_LIB, .binary_id = 1},
	};
	const struct tape_frame s2[] = {
		{.address = 0x1210, .binary = STK_LIB, .binary_id = 1, .gap = 1},
		{.address = 0x1050, .binary = STK_LIB, .binary_id = 1},
	};
	const struct tape_frame s3[] = {{.address = 0x4242}};
	struct tape_frame s4[6];
	int ids[G_NTYPES], rc;

	if ((rc = stk_types(w, ids)))
		return rc;
	for (uint32_t pid = 7; pid <= 8; pid++) {
		struct tape_mapping m = {.kind = TAPE_MAPPING_MAP,
					 .pid = pid,
					 .ts = GOLDEN_BOOT_TS,
					 .start = 0x7f0000001000,
					 .end = 0x7f0000002000,
					 .offset = 0x1000,
					 .binary = 1};

		if ((rc = tape_writer__add_mapping(w, &m, STK_LIB)))
			return rc;
	}
	memcpy(s4, s1, sizeof(s4));
	s4[2].address = 0x1280;
	if ((rc = stk_binary(w)) || (rc = tape_writer__add_stack(w, 1, s1, 6)) ||
	    (rc = tape_writer__add_stack(w, 4, s4, 6)) ||
	    (rc = tape_writer__add_stack(w, 2, s2, 2)) ||
	    (rc = tape_writer__add_stack(w, 3, s3, 1)))
		return rc;
	if ((rc = stk_open(w, ids, 1000, 7, "app", "/srv/a", 1)) ||
	    (rc = stk_open(w, ids, 2000, 7, "app", "/srv/b", 1)) ||
	    (rc = stk_open(w, ids, 3000, 8, "app", "/srv/c", 1)) ||
	    (rc = stk_open(w, ids, 4000, 7, "app", "/srv/d", 2)) ||
	    (rc = stk_open(w, ids, 5000, 9, "my app", "/srv/e", 0)) ||
	    (rc = stk_syscall(w, ids, 6000, 7, "app", 1000, 1)) ||
	    (rc = stk_syscall(w, ids, 7000, 7, "app", 500, 1)) ||
	    (rc = stk_open(w, ids, 8000, 10, "web", "/srv/f", 3)) ||
	    (rc = stk_open(w, ids, 9000, 7, "app", "/srv/g", 4)))
		return rc;
	return tape_writer__finish(w);
}

#endif
