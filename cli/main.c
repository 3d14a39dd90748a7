// SPDX-License-Identifier: MIT
/* bpftape: one command, a table of verbs (as bpftool does). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "verbs.h"

struct verb {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct verb verbs[] = {
#ifdef BPFTAPE_HAVE_RECORD
	{"record", cmd_record, "record events with eBPF into a tape"},
	{"list-events", cmd_list_events, "list built-in events and kernel tracepoints"},
#endif
#ifdef BPFTAPE_HAVE_REPLAY
	{"replay", cmd_replay, "print events in timestamp order (text, JSON, paced)"},
	{"filter", cmd_filter, "write the selected events into a new tape, optionally redacted"},
	{"info", cmd_info, "summarize a tape; --verify checks every CRC"},
	{"summary", cmd_summary, "top processes, syscalls (strace -c), files, connections"},
	{"recover", cmd_recover, "rebuild a damaged or unfinished tape"},
	{"export", cmd_export, "export to Chrome trace JSON (Perfetto), CSV or folded stacks"},
#endif
#ifdef BPFTAPE_HAVE_RECORD
	/* reads ELF debug files with the recorder's libelf code */
	{"symbolize", cmd_symbolize, "name stripped binaries' frames from debug files"},
#endif
#ifdef BPFTAPE_HAVE_QUERY
	{"query", cmd_query, "run SQL over tapes"},
	{"import", cmd_import, "write tapes into a SQLite database"},
#endif
	{NULL, NULL, NULL},
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: bpftape VERB [OPTIONS] [ARGS]\n\n"
		   "bpftape records kernel and user-space events with eBPF into a tape,\n"
		   "and replays, filters, redacts and queries tapes offline.\n\nVerbs:\n");
	for (const struct verb *v = verbs; v->name; v++)
		fprintf(f, "  %-12s %s\n", v->name, v->summary);
	fprintf(f, "\nExamples:\n"
		   "  sudo bpftape record -o incident.tape -- ./server\n"
		   "  bpftape replay incident.tape\n"
		   "  bpftape summary incident.tape\n"
		   "  bpftape filter -o public.tape --redact all incident.tape\n"
		   "  bpftape query incident.tape -c 'SELECT type, count(*) FROM events GROUP BY "
		   "type'\n"
		   "  bpftape import -o incident.db incident.tape\n"
		   "  bpftape export --format chrome -o trace.json incident.tape\n"
		   "\nRun 'bpftape VERB --help' (or 'bpftape help VERB') for a verb's options and"
		   " examples.\n");
#ifndef BPFTAPE_HAVE_RECORD
	fprintf(f, "This build has no recorder ('make tools'); build with 'make' to record.\n");
#endif
}

/* Run the verb argv[0] with its arguments. */
static int run_verb(int argc, char **argv)
{
	for (const struct verb *v = verbs; v->name; v++)
		if (!strcmp(argv[0], v->name))
			return v->fn(argc, argv);
#ifndef BPFTAPE_HAVE_RECORD
	if (!strcmp(argv[0], "record") || !strcmp(argv[0], "list-events") ||
	    !strcmp(argv[0], "symbolize")) {
		cli__eprintf("bpftape: '%s' is not in this build (built with 'make tools');"
			     " build with 'make' on a machine with libbpf and clang\n",
			     argv[0]);
		return 2;
	}
#endif
	cli__eprintf("bpftape: unknown verb '%s'; run 'bpftape --help' for the list\n", argv[0]);
	return 2;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    (!strcmp(argv[1], "help") && argc == 2)) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "help")) {
		/* "bpftape help VERB" is "bpftape VERB --help" */
		static char help_opt[] = "--help";
		char *hargv[] = {argv[2], help_opt, NULL};

		if (argc > 3) {
			cli__eprintf("bpftape help: one verb at a time; see 'bpftape --help'\n");
			return 2;
		}
		return run_verb(2, hargv);
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("bpftape %s (tape format %d.%d)\n", BPFTAPE_VERSION, 1, 0);
		return 0;
	}
	return run_verb(argc - 1, argv + 1);
}
