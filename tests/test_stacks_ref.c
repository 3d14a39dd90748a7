// SPDX-License-Identifier: MIT
/*
 * Root test of `record -g`'s stacks sent by reference: the kernel
 * remembers which stacks each CPU has sent, so that the many events of
 * one code path carry their frames into the ring once per CPU and a hash
 * after that (bpf/stack.bpf.h, record/stack.c).  tests/work_stacks opens
 * a file N times from one call chain: every open must still name that
 * chain, the ring must hold little more per event than without -g, and
 * records lost to a full ring must never leave a later event referring to
 * frames that did not come.
 */
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>

#include "stacktest.h"

#include <cmocka.h>

#include <bpftape/tape.h>

#define OPENS 3000

struct recorded {
	double ring_per_record; /* `record -v`: ring bytes per record */
	long long referred;	/* stacks sent as a hash (-1: not printed) */
	long long unknown;	/* ... whose frames had not come */
	long long drops;
};

/* `record -v` of work_stacks opening @marker @n times; its summary. */
static void record(const char *tape, const char *marker, long n, bool stacks, const char *buffer,
		   struct recorded *out)
{
	char bin[PATH_MAX], errf[PATH_MAX], ns[24], line[512];
	char *argv[16];
	int a = 0;
	FILE *f;

	pathf(bin, "%s/work_stacks", helpers);
	pathf(errf, "%s.err", tape);
	snprintf(ns, sizeof(ns), "%ld", n);
	argv[a++] = bpftape;
	argv[a++] = "record";
	argv[a++] = "-v";
	if (stacks)
		argv[a++] = "-g";
	if (buffer) {
		argv[a++] = "--buffer";
		argv[a++] = (char *)buffer;
	}
	argv[a++] = "-e";
	argv[a++] = "open";
	argv[a++] = "-o";
	argv[a++] = (char *)tape;
	argv[a++] = "--";
	argv[a++] = bin;
	argv[a++] = ns;
	argv[a++] = (char *)marker;
	argv[a] = NULL;
	assert_int_equal(run_io(argv, NULL, errf), 0);
	memset(out, 0, sizeof(*out));
	out->referred = -1;
	f = fopen(errf, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		const char *p;
		unsigned long long recs;

		fputs(line, stderr);
		if ((p = strstr(line, "ring: ")))
			sscanf(p, "ring: %llu records, %lf bytes per record", &recs,
			       &out->ring_per_record);
		if ((p = strstr(line, "stacks: ")) && strstr(line, "sent as the hash"))
			sscanf(p,
			       "stacks: %lld sent as the hash of one sent before on their CPU, "
			       "%lld of those unknown",
			       &out->referred, &out->unknown);
		if ((p = strstr(line, " events, ")))
			sscanf(p, " events, %lld drops", &out->drops);
	}
	fclose(f);
}

/* The opens of @marker in @tape: how many, how many name the work_stacks
 * chain (stk_level5 .. stk_level1, innermost first), and the stack ids
 * seen (*ids set to the one id if all are alike, else 0). */
static void opens_of(const char *tape, const char *marker, uint64_t *opens, uint64_t *named,
		     uint32_t *id)
{
	char err[256];
	struct tape_reader *r = tape_reader__open(tape, err, sizeof(err));
	struct tape_cursor *c;
	const struct tape_event *ev;
	bool first = true;
	int ret;

	if (!r)
		fail_msg("%s: %s", tape, err);
	c = tape_cursor__new(&r, 1, NULL);
	assert_non_null(c);
	*opens = *named = 0;
	*id = 0;
	while ((ret = tape_cursor__next(c, &ev)) > 0) {
		const struct tape_frame *f = NULL;
		size_t n = 0, k;

		if (!stacktest_open_of(ev, marker))
			continue;
		(*opens)++;
		if (first)
			*id = ev->stack_id;
		else if (*id != ev->stack_id)
			*id = 0;
		first = false;
		if (!ev->stack_id || tape_reader__stack(r, ev->stack_id, &f, &n))
			continue;
		for (k = 0; k < 5 && k < n; k++) {
			char want[16];

			snprintf(want, sizeof(want), "stk_level%zu", 5 - k);
			if (!f[k].symbol || strcmp(f[k].symbol, want))
				break;
		}
		if (k == 5)
			(*named)++;
	}
	assert_int_equal(ret, 0);
	tape_cursor__free(c);
	tape_reader__free(r);
}

static void test_one_stack_sent_once(void **state)
{
	char tape[PATH_MAX], plain[PATH_MAX], marker[PATH_MAX];
	struct recorded g, p;
	uint64_t opens, named;
	uint32_t id;

	(void)state;
	pathf(tape, "%s/ref.tape", tmpdir);
	pathf(plain, "%s/plain.tape", tmpdir);
	pathf(marker, "%s/m", tmpdir);
	close(open(marker, O_CREAT | O_WRONLY, 0644));
	record(tape, marker, OPENS, true, NULL, &g);
	record(plain, marker, OPENS, false, NULL, &p);
	opens_of(tape, marker, &opens, &named, &id);
	printf("# %llu opens, %llu named, ring %.1f B/record with -g, %.1f without; %lld sent "
	       "as a hash, %lld unknown\n",
	       (unsigned long long)opens, (unsigned long long)named, g.ring_per_record,
	       p.ring_per_record, g.referred, g.unknown);
	assert_int_equal(opens, OPENS);
	/* every one of them by its frames, whichever way they came */
	assert_int_equal(named, OPENS);
	assert_int_not_equal(id, 0);
	/* once per CPU with frames (and for the few other events), by
	 * reference after that */
	assert_true(g.referred >= OPENS * 9 / 10);
	assert_int_equal(g.unknown, 0);
	/* the frames (8 user frames here, 64 bytes) no longer travel with
	 * each event: 16 bytes and padding do */
	assert_true(g.ring_per_record > 0 && p.ring_per_record > 0);
	assert_true(g.ring_per_record < p.ring_per_record + 40);
}

/* A ring too small for the storm: records are lost, and a stack whose
 * frames were lost with its record must not have been marked as sent.
 * 100 stacks taken in turn, so that many a stack's first record meets a
 * full ring. */
static void test_full_ring(void **state)
{
	char tape[PATH_MAX], marker[PATH_MAX];
	struct recorded g;
	uint64_t opens, named;
	uint32_t id;

	(void)state;
	pathf(tape, "%s/full.tape", tmpdir);
	pathf(marker, "%s/m", tmpdir);
	close(open(marker, O_CREAT | O_WRONLY, 0644));
	setenv("WORK_STACKS_VARY", "100", 1);
	record(tape, marker, 20 * OPENS, true, "4K", &g);
	unsetenv("WORK_STACKS_VARY");
	opens_of(tape, marker, &opens, &named, &id);
	printf("# %llu opens recorded, %llu named, %lld drops, %lld sent as a hash, %lld "
	       "unknown\n",
	       (unsigned long long)opens, (unsigned long long)named, g.drops, g.referred,
	       g.unknown);
	if (!g.drops)
		printf("# no record was lost: the ring kept up on this machine\n");
	assert_true(opens > 0);
	assert_int_equal(named, opens);
	assert_int_equal(g.unknown, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_stack_sent_once),
		cmocka_unit_test(test_full_ring),
	};
	int rc = stacktest_setup("test_stacks_ref");

	if (rc)
		return rc;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	if (!rc)
		stacktest_cleanup("test_stacks_ref");
	return rc;
}
