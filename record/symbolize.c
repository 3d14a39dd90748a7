// SPDX-License-Identifier: MIT
/* bpftape symbolize: names for binaries stripped when recorded (symbolize.h). */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <elfutils/debuginfod.h>

#include "../cli/cli.h"
#include "../cli/verbs.h"
#include "elfsym.h"
#include "private/block.h"
#include "private/symtab.h"
#include "symbolize.h"
#include <bpftape/tape.h>

#define VERB "symbolize"

static const char *const default_dirs[] = {"/usr/lib/debug"};

static void usage(FILE *f)
{
	fprintf(f, "Usage: bpftape symbolize [OPTIONS] (-o OUT | --in-place) FILE\n\n"
		   "Name the user frames of binaries that were stripped when FILE was recorded:\n"
		   "for each binary whose symbols did not come from its .symtab or a debug file,\n"
		   "find its debug file by build-id and write the tape again with that file's\n"
		   "symbols.  Every other block is copied unchanged.  Debug files are looked up\n"
		   "in each --debug-dir, as DIR/.build-id/xx/rest.debug (the layout of Debian's\n"
		   "-dbgsym packages), then through debuginfod.  A debug file must carry the\n"
		   "same build-id; one that does not, or cannot be read, is named and skipped.\n\n"
		   "  -o, --output OUT      the new tape (not FILE); - is standard output\n"
		   "  -i, --in-place        replace FILE (only when a binary gained names)\n"
		   "      --debug-dir DIR   where debug files are (repeatable, in order);\n"
		   "                        default /usr/lib/debug\n"
		   "      --debuginfod[=URLS]  ask debuginfod too (URLS: its servers for this\n"
		   "                        run, else DEBUGINFOD_URLS); an error if it cannot\n"
		   "      --no-debuginfod   never ask debuginfod\n"
		   "  -h, --help            this help\n\n"
		   "Without either debuginfod option it is asked when DEBUGINFOD_URLS is set\n"
		   "and not empty, as perf and the elfutils tools do (Debian's\n"
		   "libdebuginfod-common sets it in login shells when configured so, to\n"
		   "https://debuginfod.debian.net).  DEBUGINFOD_CACHE_PATH and\n"
		   "DEBUGINFOD_TIMEOUT work as in libdebuginfod.\n\n"
		   "Reported on standard error: how many binaries gained names, and the\n"
		   "build-id and path of each one that did not.  Exit status 0 when the tape\n"
		   "was written (a binary without debug file is reported, not an error), 1 on\n"
		   "an error (nothing is left under OUT), 2 on a usage error.\n\n"
		   "Examples:\n"
		   "  bpftape symbolize -o named.tape incident.tape\n"
		   "  bpftape symbolize --debug-dir ./dbg -o named.tape incident.tape\n"
		   "  DEBUGINFOD_URLS=https://debuginfod.debian.net bpftape symbolize -i "
		   "incident.tape\n"
		   "  bpftape replay named.tape\n");
}

/* ---- the command line ---- */

void symbolize_opts__free(struct symbolize_opts *o)
{
	free(o->debug_dirs);
	o->debug_dirs = NULL;
}

int symbolize__parse(int argc, char **argv, struct symbolize_opts *o)
{
	enum { OPT_DEBUGINFOD = 256, OPT_NO_DEBUGINFOD, OPT_DEBUG_DIR };
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{"in-place", no_argument, NULL, 'i'},
		{"debug-dir", required_argument, NULL, OPT_DEBUG_DIR},
		{"debuginfod", optional_argument, NULL, OPT_DEBUGINFOD},
		{"no-debuginfod", no_argument, NULL, OPT_NO_DEBUGINFOD},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	cli__getopt_init();
	while ((c = getopt_long(argc, argv, ":ho:i", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o->output = optarg;
			break;
		case 'i':
			o->in_place = true;
			break;
		case OPT_DEBUG_DIR: {
			const char **d;

			if (!*optarg)
				return cli__usage(VERB, "--debug-dir: an empty directory name");
			d = realloc(o->debug_dirs, (o->ndebug_dirs + 1) * sizeof(*d));
			if (!d) {
				cli__eprintf("bpftape %s: out of memory\n", VERB);
				return 1;
			}
			o->debug_dirs = d;
			d[o->ndebug_dirs++] = optarg;
			break;
		}
		case OPT_DEBUGINFOD:
			o->debuginfod = SYMBOLIZE_DEBUGINFOD_ON;
			o->urls = optarg;
			if (optarg && !*optarg)
				return cli__usage(VERB, "--debuginfod=: no server URL given");
			break;
		case OPT_NO_DEBUGINFOD:
			o->debuginfod = SYMBOLIZE_DEBUGINFOD_OFF;
			break;
		case 'h':
			o->help = true;
			return 0;
		default:
			return cli__bad_option(VERB, c, argv, opts);
		}
	}
	if (optind == argc)
		return cli__usage(VERB, "no input tape given (FILE)");
	if (optind != argc - 1)
		return cli__usage(VERB, "one input tape at a time");
	o->input = argv[optind];
	if (o->in_place && o->output)
		return cli__usage(VERB, "-o and --in-place: give one of them");
	if (!o->in_place && !o->output)
		return cli__usage(VERB, "-o OUT or --in-place is required");
	if (o->in_place) {
		if (!strcmp(o->input, "-"))
			return cli__usage(VERB, "--in-place needs a file, not standard input");
		o->output = o->input;
	} else if (!strcmp(o->output, o->input) && strcmp(o->input, "-")) {
		return cli__usage(VERB, "-o %s: the output must not be the input (use --in-place)",
				  o->output);
	}
	return cli__check_inputs(VERB, argv + optind, 1, NULL) ? CLI_EXIT_USAGE : 0;
}

/* ---- finding debug files ---- */

struct dbgd {
	void *lib;
	debuginfod_client *(*begin)(void);
	int (*find)(debuginfod_client *, const unsigned char *, int, char **);
	void (*end)(debuginfod_client *);
	debuginfod_client *client;
};

struct sym_run {
	const struct symbolize_opts *o;
	struct symbolize_result *res;
	struct dbgd dbgd;
	bool use_dbgd;
	int err; /* a fatal error the callback met */
};

static char *dupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *dupf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

/* libdebuginfod is loaded as libdw loads it: only when asked, so that the
 * binary runs without it. */
static int dbgd_open(struct dbgd *d, char *err, size_t errlen)
{
	d->lib = dlopen("libdebuginfod.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!d->lib) {
		snprintf(err, errlen, "debuginfod: cannot load libdebuginfod.so.1 (%s)", dlerror());
		return -ENOENT;
	}
	*(void **)&d->begin = dlsym(d->lib, "debuginfod_begin");
	*(void **)&d->find = dlsym(d->lib, "debuginfod_find_debuginfo");
	*(void **)&d->end = dlsym(d->lib, "debuginfod_end");
	if (!d->begin || !d->find || !d->end) {
		snprintf(err, errlen, "debuginfod: libdebuginfod.so.1 lacks its functions");
		return -ENOENT;
	}
	d->client = d->begin();
	if (!d->client) {
		snprintf(err, errlen, "debuginfod: cannot start a client: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

static void dbgd_close(struct dbgd *d)
{
	if (d->client)
		d->end(d->client);
	if (d->lib)
		dlclose(d->lib);
	memset(d, 0, sizeof(*d));
}

/*
 * The symbols of debug file @fd (named @what) if it is @b's: same
 * build-id, a .symtab with functions.  NULL with *@why (allocated) saying
 * what is wrong with it.
 */
static struct elfsym *check_debugfile(int fd, const char *what, const struct binary *b, char **why)
{
	char err[512] = "";
	struct elfsym *es = elfsym__read_fd_opts(
		fd, what, &(struct elfsym_opts){.debug_dir = "", .debug_file = true}, err,
		sizeof(err));

	if (!es) {
		*why = dupf("%s", err[0] ? err : strerror(errno));
		return NULL;
	}
	if (es->build_id_len != b->build_id_len ||
	    memcmp(es->build_id, b->build_id, b->build_id_len)) {
		char hex[2 * BINARY_MAX_BUILD_ID + 1] = "";

		for (size_t i = 0; i < es->build_id_len; i++)
			sprintf(hex + 2 * i, "%02x", es->build_id[i]);
		*why = dupf("%s: build-id %s, not %s", what, hex[0] ? hex : "(none)",
			    b->build_id_hex);
	} else if (!(es->sources & SYMTAB_SRC_SYMTAB) || !es->nsyms) {
		*why = dupf("%s: no function symbols (.symtab)", what);
	} else {
		return es;
	}
	elfsym__free(es);
	return NULL;
}

/* Keep the first complaint about a binary's debug files. */
static void complain(char **why, char *msg)
{
	if (!*why)
		*why = msg;
	else
		free(msg);
}

static struct elfsym *find_debugfile(struct sym_run *s, const struct binary *b, char **why,
				     bool *via_dbgd)
{
	const char *const *dirs = s->o->ndebug_dirs ? s->o->debug_dirs : default_dirs;
	size_t ndirs = s->o->ndebug_dirs ? s->o->ndebug_dirs : 1;
	struct elfsym *es;
	char path[PATH_MAX];
	char *msg = NULL;
	int fd;

	for (size_t i = 0; i < ndirs; i++) {
		int n = snprintf(path, sizeof(path), "%s/.build-id/%.2s/%s.debug", dirs[i],
				 b->build_id_hex, b->build_id_hex + 2);

		if (n < 0 || (size_t)n >= sizeof(path))
			continue;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			if (errno != ENOENT && errno != ENOTDIR)
				complain(why, dupf("%s: %s", path, strerror(errno)));
			continue;
		}
		es = check_debugfile(fd, path, b, &msg);
		close(fd);
		if (es)
			return es;
		complain(why, msg);
	}
	if (s->use_dbgd) {
		char *got = NULL;

		fd = s->dbgd.find(s->dbgd.client, b->build_id, (int)b->build_id_len, &got);
		if (fd < 0) {
			if (fd != -ENOENT)
				complain(why, dupf("debuginfod: %s", strerror(-fd)));
			return NULL;
		}
		es = check_debugfile(fd, got ? got : "debuginfod", b, &msg);
		close(fd);
		free(got);
		if (es) {
			*via_dbgd = true;
			return es;
		}
		complain(why, msg);
	}
	return NULL;
}

/* ---- the copy ---- */

static int add_miss(struct symbolize_result *res, const struct binary *b, char *why)
{
	struct symbolize_miss *m = realloc(res->miss, (res->nmiss + 1) * sizeof(*m));

	if (!m) {
		free(why);
		return -ENOMEM;
	}
	res->miss = m;
	m += res->nmiss;
	m->build_id = strdup(b->build_id_hex);
	m->path = strdup(b->path ? b->path : "");
	m->why = why;
	if (!m->build_id || !m->path) {
		free(m->build_id);
		free(m->path);
		free(why);
		return -ENOMEM;
	}
	res->nmiss++;
	return 0;
}

static int cmp_start(const void *a, const void *b)
{
	uint64_t x = ((const struct symtab_sym *)a)->start,
		 y = ((const struct symtab_sym *)b)->start;

	return x < y ? -1 : x > y;
}

/*
 * The new body of @b: the debug file's symbols, plus those the block had
 * at addresses the debug file does not name (they never lose a name).
 * The segments stay the block's: they are the recorded binary's.
 */
static int reencode(const struct binary *b, struct elfsym *es, struct buf *out, uint64_t *nsyms)
{
	size_t nold = tape__symtab_count(b->syms), n = 0;
	struct symtab_sym *syms = malloc((es->nsyms + nold + 1) * sizeof(*syms));
	struct binary_desc d = {
		.id = b->id,
		.path = b->path,
		.build_id = b->build_id,
		.build_id_len = b->build_id_len,
		.segs = b->segs,
		.nsegs = b->nsegs,
		.sources = b->sources | SYMTAB_SRC_DEBUGFILE,
	};
	int rc;

	if (!syms)
		return -ENOMEM;
	memcpy(syms, es->syms, es->nsyms * sizeof(*syms));
	qsort(syms, es->nsyms, sizeof(*syms), cmp_start);
	n = es->nsyms;
	for (size_t i = 0; i < nold; i++) {
		struct symtab_sym key = {0};
		const char *name;

		tape__symtab_get(b->syms, i, &key.start, &key.size, &key.name);
		name = key.name;
		if (bsearch(&key, syms, es->nsyms, sizeof(*syms), cmp_start))
			continue;
		syms[n++] = (struct symtab_sym){key.start, key.size, name, SYMTAB_GLOBAL};
	}
	rc = tape__binary_encode(out, &d, syms, n);
	if (!rc) {
		/* what the table keeps once aliases are folded */
		struct symtab *t;
		struct binary *nb = tape__binary_parse(out->data, out->len, NULL, 0);

		t = nb ? nb->syms : NULL;
		*nsyms += t ? tape__symtab_count(t) : 0;
		tape__binary_free(nb);
	}
	free(syms);
	return rc;
}

static int on_binary(void *ctx, const struct binary *b, struct buf *out)
{
	struct sym_run *s = ctx;
	struct symbolize_result *res = s->res;
	struct elfsym *es;
	char *why = NULL;
	bool via = false;
	int rc;

	res->binaries++;
	if (b->sources & (SYMTAB_SRC_SYMTAB | SYMTAB_SRC_DEBUGFILE)) {
		res->had_symbols++;
		return 0;
	}
	if (!b->build_id_len)
		return add_miss(res, b,
				dupf("no build-id recorded: its debug file cannot be "
				     "found"));
	es = find_debugfile(s, b, &why, &via);
	if (!es)
		return add_miss(res, b, why);
	free(why);
	rc = reencode(b, es, out, &res->symbols);
	elfsym__free(es);
	if (rc)
		return rc;
	res->named++;
	res->from_debuginfod += via;
	return 0;
}

int symbolize__copy(const struct symbolize_opts *o, struct tape_reader *r, struct tape_writer *w,
		    struct symbolize_result *res)
{
	struct sym_run s = {.o = o, .res = res};
	const char *urls;
	int rc;

	memset(res, 0, sizeof(*res));
	if (o->urls && setenv("DEBUGINFOD_URLS", o->urls, 1)) {
		snprintf(res->err, sizeof(res->err), "out of memory");
		return -ENOMEM;
	}
	urls = getenv("DEBUGINFOD_URLS");
	if (o->debuginfod == SYMBOLIZE_DEBUGINFOD_ON ||
	    (o->debuginfod == SYMBOLIZE_DEBUGINFOD_AUTO && urls && *urls)) {
		if (!urls || !*urls) {
			res->usage = true;
			snprintf(res->err, sizeof(res->err),
				 "--debuginfod: no server: give --debuginfod=URLS or set "
				 "DEBUGINFOD_URLS");
			return -EINVAL;
		}
		rc = dbgd_open(&s.dbgd, res->err, sizeof(res->err));
		if (rc) {
			dbgd_close(&s.dbgd);
			return rc;
		}
		s.use_dbgd = res->debuginfod = true;
	}
	rc = tape__binary_rewrite(r, w, on_binary, &s, res->err, sizeof(res->err));
	if (rc) {
		char msg[sizeof(res->err) / 2];

		memcpy(msg, res->err, sizeof(msg) - 1);
		msg[sizeof(msg) - 1] = '\0';
		snprintf(res->err, sizeof(res->err), "%.256s: %s", o->input, msg);
	}
	dbgd_close(&s.dbgd);
	return rc;
}

void symbolize_result__free(struct symbolize_result *res)
{
	for (size_t i = 0; i < res->nmiss; i++) {
		free(res->miss[i].build_id);
		free(res->miss[i].path);
		free(res->miss[i].why);
	}
	free(res->miss);
	res->miss = NULL;
	res->nmiss = 0;
}

int symbolize__run(const struct symbolize_opts *o, struct symbolize_result *res)
{
	struct tape_out_opts oo = {.sz = sizeof(oo), .flags = TAPE_OUT_BINARY};
	const char *inputs[] = {o->input};
	struct tape_reader *r;
	struct tape_writer *w = NULL;
	struct tape_out *out;
	char err[512] = "";
	int rc;

	memset(res, 0, sizeof(*res));
	if (!o->in_place) {
		/* never the input under another name */
		oo.inputs = inputs;
		oo.ninputs = 1;
	} else {
		struct stat st;

		/* the tape replaced keeps its permissions */
		if (!stat(o->input, &st))
			oo.mode = st.st_mode & 07777;
	}
	r = tape_reader__open(o->input, err, sizeof(err));
	if (!r) {
		rc = -errno;
		snprintf(res->err, sizeof(res->err), "%s: %s", o->input,
			 err[0] ? err : strerror(errno));
		return rc;
	}
	out = tape_out__open(o->output, &oo, err, sizeof(err));
	if (out)
		w = tape_writer__open_out(out, NULL);
	if (!w) {
		rc = -errno;
		res->usage = rc == -EINVAL;
		if (out || !err[0])
			snprintf(res->err, sizeof(res->err), "%s: %s", o->output, strerror(-rc));
		else
			snprintf(res->err, sizeof(res->err), "%s", err);
		tape_reader__free(r);
		return rc;
	}
	rc = symbolize__copy(o, r, w, res);
	/* in place and nothing gained: the tape stays as it was */
	if (!rc && !(o->in_place && !res->named)) {
		rc = tape_writer__finish(w);
		if (rc)
			snprintf(res->err, sizeof(res->err), "%s: %s", o->output,
				 tape_writer__errmsg(w));
		else
			res->written = true;
	}
	tape_writer__free(w);
	tape_reader__free(r);
	return rc;
}

int symbolize__report(const struct symbolize_opts *o, const struct symbolize_result *res, int rc)
{
	if (rc)
		return cli__outcome(VERB, rc, res->usage, res->err, false, 0);
	cli__eprintf("bpftape symbolize: %s: %zu of %zu binar%s gained names (%llu symbols",
		     o->output, res->named, res->binaries - res->had_symbols,
		     res->binaries - res->had_symbols == 1 ? "y" : "ies",
		     (unsigned long long)res->symbols);
	if (res->debuginfod)
		fprintf(stderr, ", %zu through debuginfod", res->from_debuginfod);
	fprintf(stderr, "); %zu had their symbols already\n", res->had_symbols);
	for (size_t i = 0; i < res->nmiss; i++) {
		const struct symbolize_miss *m = &res->miss[i];

		if (m->why)
			cli__eprintf("bpftape symbolize: %s (%s): %s\n",
				     m->build_id[0] ? m->build_id : "no build-id", m->path, m->why);
		else
			cli__eprintf("bpftape symbolize: %s (%s): no debug file found\n",
				     m->build_id, m->path);
	}
	if (o->in_place && !res->written)
		cli__eprintf("bpftape symbolize: %s left as it was\n", o->input);
	return 0;
}

int cmd_symbolize(int argc, char **argv)
{
	struct symbolize_opts o;
	struct symbolize_result res;
	int ret;

	if ((ret = symbolize__parse(argc, argv, &o)) || o.help) {
		if (o.help)
			usage(stdout);
		symbolize_opts__free(&o);
		return ret;
	}
	ret = symbolize__report(&o, &res, symbolize__run(&o, &res));
	symbolize_result__free(&res);
	symbolize_opts__free(&o);
	return ret;
}
