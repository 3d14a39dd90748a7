// SPDX-License-Identifier: MIT
/* bpftape recover: copy every intact block of a damaged tape into a new one. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "tape.h"
#include "verbs.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: bpftape recover -o OUT FILE\n\n"
		   "Copy every intact block of a damaged or unfinished tape (a recorder\n"
		   "killed with SIGKILL, a full disk, a bad copy) into a new finalized tape\n"
		   "with a fresh index, and say what was lost.  Exit status 0 when the new\n"
		   "tape was written, even if blocks were lost; 1 if it could not be.\n\n"
		   "  -o, --output OUT   the new tape (must differ from FILE)\n\n"
		   "Examples:\n"
		   "  bpftape recover -o fixed.tape killed.tape\n"
		   "  bpftape info --verify fixed.tape\n");
}

static void print_problem(void *ctx, const char *msg)
{
	(void)ctx;
	printf("  %s\n", msg);
}

int cmd_recover(int argc, char **argv)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct tape_recover_stats st = {0};
	const char *out = NULL;
	struct tape_reader *in;
	char err[512] = "", err2[512];
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!out || optind != argc - 1) {
		fprintf(stderr, "bpftape recover: %s\n",
			!out ? "-o OUT is required" : "exactly one input tape is required");
		usage(stderr);
		return 2;
	}
	if (!strcmp(out, argv[optind])) {
		fprintf(stderr, "bpftape recover: -o %s: the output must not be the input\n", out);
		return 2;
	}
	rc = tape_recover(argv[optind], out, &st, err, sizeof(err));
	if (rc) {
		/* the library's message already names the file */
		if (err[0] && strstr(err, argv[optind]))
			fprintf(stderr, "bpftape recover: %s\n", err);
		else
			fprintf(stderr, "bpftape recover: %s: %s\n", argv[optind],
				err[0] ? err : strerror(-rc));
		return 1;
	}
	printf("%s: kept %llu block(s) with %llu event(s)", out, (unsigned long long)st.blocks_kept,
	       (unsigned long long)st.events_kept);
	if (!st.blocks_bad && !st.bytes_lost) {
		printf("; nothing lost\n");
		return 0;
	}
	printf("; lost %llu bad block(s), %llu byte(s) of input\n",
	       (unsigned long long)st.blocks_bad, (unsigned long long)st.bytes_lost);
	/* what the input's own index still says, and every bad block */
	in = tape_reader__open(argv[optind], err2, sizeof(err2));
	if (in) {
		if (!tape_reader__recovered(in) && tape_reader__event_count(in) > st.events_kept)
			printf("  %llu of the %llu events its index lists are gone\n",
			       (unsigned long long)(tape_reader__event_count(in) - st.events_kept),
			       (unsigned long long)tape_reader__event_count(in));
		tape_reader__verify(in, print_problem, NULL);
		tape_reader__free(in);
	} else if (err[0]) {
		printf("  %s\n", err);
	}
	return 0;
}
