// SPDX-License-Identifier: MIT
/*
 * bpftape list-events: what -e accepts here.  The built-in events come from
 * the recorder's own schema table, so the list cannot drift from what is
 * recorded; the tracepoints come from this kernel's tracefs.
 */
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builtin.h"
#include "generic.h"
#include <bpftape/tape.h>
#include "private/tpfmt.h"
#include "../cli/verbs.h"

static const char *kind_name(unsigned kind)
{
	static const char *const names[] = {
		[TAPE_U8] = "u8",   [TAPE_U16] = "u16",	    [TAPE_U32] = "u32", [TAPE_U64] = "u64",
		[TAPE_S8] = "s8",   [TAPE_S16] = "s16",	    [TAPE_S32] = "s32", [TAPE_S64] = "s64",
		[TAPE_STR] = "str", [TAPE_BYTES] = "bytes",
	};

	return kind < sizeof(names) / sizeof(names[0]) && names[kind] ? names[kind] : "?";
}

static const char *display_name(unsigned d)
{
	switch (d) {
	case TAPE_DISP_HEX:
		return "hex";
	case TAPE_DISP_ERRNO:
		return "errno";
	case TAPE_DISP_ENUM:
		return "enum";
	case TAPE_DISP_FLAGS:
		return "flags";
	case TAPE_DISP_SOCKADDR:
		return "sockaddr";
	case TAPE_DISP_IPV4:
		return "ipv4";
	case TAPE_DISP_IPV6:
		return "ipv6";
	case TAPE_DISP_NSEC:
		return "ns";
	case TAPE_DISP_ARGV:
		return "argv";
	case TAPE_DISP_PTR:
		return "ptr";
	case TAPE_DISP_OCTAL:
		return "octal";
	}
	return NULL;
}

static void print_fields(const struct tape_field *f, unsigned n, const char *indent)
{
	for (unsigned i = 0; i < n; i++) {
		const char *d = display_name(f[i].display);

		printf("%s%-16s %s", indent, f[i].name, kind_name(f[i].kind));
		if (d && f[i].enumeration && f[i].enumeration->name)
			printf(" (%s %s)", d, f[i].enumeration->name);
		else if (d)
			printf(" (%s)", d);
		printf("\n");
	}
}

static bool match(const char *pattern, const char *a, const char *b)
{
	if (!pattern)
		return true;
	return !fnmatch(pattern, a, 0) || (b && !fnmatch(pattern, b, 0));
}

static int list_builtins(const char *pattern, bool fields)
{
	const struct record_builtin *b;
	size_t n, shown = 0;

	b = builtin__table(&n);
	for (size_t i = 0; i < n; i++) {
		const struct tape_type *t = b[i].type;

		if (!match(pattern, b[i].name, b[i].group))
			continue;
		if (!shown++)
			printf("Built-in events (-e NAME or -e GROUP):\n");
		printf("  %-8s %-14s", b[i].group, b[i].name);
		if (fields) {
			printf("\n");
			print_fields(t->fields, t->nfields, "      ");
			continue;
		}
		for (unsigned k = 0; k < t->nfields; k++)
			printf("%s%s", k ? ", " : " ", t->fields[k].name);
		printf("\n");
	}
	return shown;
}

static void tracepoint_fields(const char *tfs, const char *subsys, const char *name)
{
	char path[512], err[128];
	struct tpfmt *f;
	FILE *fp;
	char *text = NULL;
	size_t cap = 0;
	ssize_t len;

	snprintf(path, sizeof(path), "%s/events/%s/%s/format", tfs, subsys, name);
	fp = fopen(path, "re");
	if (!fp) {
		printf("      (%s: %s)\n", path, strerror(errno));
		return;
	}
	len = getdelim(&text, &cap, '\0', fp);
	fclose(fp);
	if (len < 0) {
		free(text);
		return;
	}
	f = tape__tpfmt_parse(text, err, sizeof(err));
	if (f)
		print_fields(tape__tpfmt_fields(f), tape__tpfmt_nfields(f), "      ");
	else
		printf("      (%s: %s)\n", path, err);
	tape__tpfmt_free(f);
	free(text);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "SUBSYS:NAME" lines of available_events, sorted; NULL + errno. */
static char **read_tracepoints(const char *path, size_t *n)
{
	char **v = NULL, *line = NULL;
	size_t cap = 0, lcap = 0;
	FILE *f = fopen(path, "re");

	*n = 0;
	if (!f)
		return NULL;
	while (getline(&line, &lcap, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		if (!strchr(line, ':'))
			continue;
		if (*n == cap) {
			char **nv = realloc(v, (cap = cap ? cap * 2 : 1024) * sizeof(*v));

			if (!nv)
				goto fail;
			v = nv;
		}
		v[*n] = strdup(line);
		if (!v[*n])
			goto fail;
		(*n)++;
	}
	free(line);
	fclose(f);
	if (v)
		qsort(v, *n, sizeof(*v), cmp_str);
	else
		v = calloc(1, sizeof(*v));
	return v;
fail:
	free(line);
	fclose(f);
	while (*n)
		free(v[--*n]);
	free(v);
	errno = ENOMEM;
	return NULL;
}

static int list_tracepoints(const char *pattern, bool fields, bool after)
{
	const char *tfs = generic__tracefs();
	char path[256], why[320], **tps;
	size_t n;
	int shown = 0;

	if (!tfs) {
		generic__tracefs_why(errno, why, sizeof(why));
		fprintf(stderr, "bpftape list-events: kernel tracepoints: %s\n", why);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/available_events", tfs);
	tps = read_tracepoints(path, &n);
	if (!tps) {
		fprintf(stderr, "bpftape list-events: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		char full[512], *colon = strchr(tps[i], ':');

		snprintf(full, sizeof(full), "tracepoint:%s", tps[i]);
		if (!match(pattern, tps[i], full))
			continue;
		if (!shown++)
			printf("%sKernel tracepoints (-e tracepoint:SUBSYS:NAME), from %s:\n",
			       after ? "\n" : "", path);
		printf("  %s\n", full);
		if (fields) {
			*colon = '\0';
			tracepoint_fields(tfs, tps[i], colon + 1);
		}
	}
	for (size_t i = 0; i < n; i++)
		free(tps[i]);
	free(tps);
	return shown;
}

struct names {
	char **v;
	size_t n, cap;
	const char *glob;
};

static int names_add(struct names *ns, const char *name)
{
	if (ns->n == ns->cap) {
		size_t cap = ns->cap ? ns->cap * 2 : 256;
		char **v = realloc(ns->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		ns->v = v;
		ns->cap = cap;
	}
	ns->v[ns->n] = strdup(name);
	if (!ns->v[ns->n])
		return -ENOMEM;
	ns->n++;
	return 0;
}

static int add_func(void *ctx, const char *name)
{
	struct names *ns = ctx;

	return fnmatch(ns->glob, name, 0) ? 0 : names_add(ns, name);
}

static int add_usdt(void *ctx, const char *provider, const char *name, int nargs)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "%s:%s\t%d", provider, name, nargs);
	*strchr(buf, '\t') = '\0'; /* glob on PROVIDER:NAME only */
	if (fnmatch(((struct names *)ctx)->glob, buf, 0))
		return 0;
	buf[strlen(buf)] = '\t';
	return names_add(ctx, buf);
}

/*
 * `list-events uprobe:PATH[:GLOB]` lists PATH's functions,
 * `list-events usdt:PATH[:GLOB]` its USDT probes (GLOB on PROVIDER:NAME).
 */
static int list_binary(const char *pattern)
{
	const char *kind_end = strchr(pattern, ':'), *path = kind_end + 1;
	const char *path_end = strchr(path, ':');
	bool usdt = !strncmp(pattern, "usdt:", 5);
	struct names ns = {.glob = path_end ? path_end + 1 : "*"};
	char *bin = path_end ? strndup(path, path_end - path) : strdup(path);
	const char *last = "";
	int ret;

	if (!bin)
		return -ENOMEM;
	if (usdt) {
		/* the glob's own ':' is part of it; "*" alone means all */
		ns.glob = path_end ? path_end + 1 : "*";
		if (!strchr(ns.glob, ':') && strcmp(ns.glob, "*")) {
			fprintf(stderr,
				"bpftape list-events: usdt:PATH:GLOB matches PROVIDER:NAME, "
				"e.g. 'usdt:%s:python:*'\n",
				bin);
			free(bin);
			return -EINVAL;
		}
		if (!strcmp(ns.glob, "*"))
			ns.glob = "*:*";
	}
	ret = generic__list_binary(bin, usdt ? NULL : add_func, usdt ? add_usdt : NULL, &ns);
	if (ret < 0) {
		fprintf(stderr, "bpftape list-events: %s: %s\n", bin,
			ret == -ENOEXEC	 ? "not an ELF file; give a program or shared library"
			: ret == -ENOENT ? "No such file or directory; check the path ('command -v "
					   "NAME' finds a program)"
					 : strerror(-ret));
		goto cleanup;
	}
	qsort(ns.v, ns.n, sizeof(*ns.v), cmp_str);
	for (size_t i = 0; i < ns.n; i++) {
		char *tab = strchr(ns.v[i], '\t');

		if (!strcmp(ns.v[i], last))
			continue; /* .symtab and .dynsym, inlined USDT copies */
		last = ns.v[i];
		if (tab) {
			*tab = '\0';
			printf("usdt:%s:%s\t(%s argument%s)\n", bin, ns.v[i], tab + 1,
			       strcmp(tab + 1, "1") ? "s" : "");
			*tab = '\t';
		} else {
			printf("%.*s:%s:%s\n", (int)(kind_end - pattern), pattern, bin, ns.v[i]);
		}
	}
	ret = ns.n ? 0 : -ENOENT;
	if (!ns.n)
		fprintf(stderr, "bpftape list-events: nothing in %s matches '%s'\n", bin, ns.glob);
cleanup:
	for (size_t i = 0; i < ns.n; i++)
		free(ns.v[i]);
	free(ns.v);
	free(bin);
	return ret;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: bpftape list-events [-F] [PATTERN]\n"
		   "\n"
		   "List the events 'bpftape record -e' accepts: the built-in events with\n"
		   "their fields, the tracepoints this kernel offers (from tracefs, mounted\n"
		   "at /sys/kernel/tracing if needed), and whether kprobes work here.\n"
		   "PATTERN is a shell glob matched against built-in names and groups, and\n"
		   "against tracepoints as SUBSYS:NAME or tracepoint:SUBSYS:NAME.  As\n"
		   "uprobe:PATH[:GLOB] it lists a binary's functions, as usdt:PATH[:GLOB]\n"
		   "its USDT probes (GLOB on PROVIDER:NAME).\n"
		   "\n"
		   "Options:\n"
		   "  -F, --fields   show every field with its type (tracepoints: from their\n"
		   "                 kernel format description)\n"
		   "  -h, --help     this help\n"
		   "\n"
		   "Probe forms for -e: uprobe:PATH:FUNC(ARGS), uretprobe:PATH:FUNC,\n"
		   "usdt:PATH:PROVIDER:NAME(ARGS), kprobe:FUNC(ARGS), kretprobe:FUNC; see\n"
		   "docs/USAGE.md (\"Probe specs\").  Kernel functions for kprobes are in\n"
		   "/sys/kernel/tracing/available_filter_functions.\n"
		   "\n"
		   "Examples:\n"
		   "  bpftape list-events                    everything\n"
		   "  bpftape list-events file               the file group's events\n"
		   "  bpftape list-events -F open            the open event's fields and types\n"
		   "  bpftape list-events 'sched:*'          the scheduler's tracepoints\n"
		   "  bpftape list-events -F 'tracepoint:sched:sched_process_fork'\n"
		   "  bpftape list-events usdt:/usr/bin/python3\n"
		   "  bpftape list-events 'uprobe:/bin/bash:readl*'\n");
}

int cmd_list_events(int argc, char **argv)
{
	static const struct option opts[] = {
		{"fields", no_argument, NULL, 'F'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *pattern = NULL;
	bool fields = false;
	int c, nb, nt;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+Fh", opts, NULL)) != -1) {
		switch (c) {
		case 'F':
			fields = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			if (optopt)
				fprintf(stderr,
					"bpftape list-events: unknown option -%c; see 'bpftape "
					"list-events --help'\n",
					optopt);
			else
				fprintf(stderr,
					"bpftape list-events: unknown option '%s'; see 'bpftape "
					"list-events --help'\n",
					argv[optind - 1]);
			return 2;
		}
	}
	if (argc - optind > 1) {
		fprintf(stderr,
			"bpftape list-events: one PATTERN at most (quote a glob: 'sched:*'); see "
			"'bpftape list-events --help'\n");
		return 2;
	}
	if (optind < argc)
		pattern = argv[optind];
	if (pattern && (!strncmp(pattern, "uprobe:", 7) || !strncmp(pattern, "uretprobe:", 10) ||
			!strncmp(pattern, "usdt:", 5)))
		return list_binary(pattern) ? 1 : 0;
	nb = list_builtins(pattern, fields);
	nt = list_tracepoints(pattern, fields, nb > 0);
	if (nt < 0)
		return 1;
	if (!pattern)
		printf("\nKernel functions (-e kprobe:FUNC, kretprobe:FUNC): %s\n",
		       generic__have_kprobes() ? "any function of /proc/kallsyms"
		       : !generic__tracefs()
			       ? "unknown: no kprobe PMU, and tracefs, where kprobe_events would "
				 "be, is not readable"
			       : "not on this kernel: it has no kprobe PMU and no kprobe_events "
				 "(CONFIG_KPROBE_EVENTS)");
	if (pattern && !nb && !nt) {
		fprintf(stderr,
			"bpftape list-events: nothing matches '%s'; without a PATTERN it lists "
			"everything\n",
			pattern);
		return 1;
	}
	return 0;
}
