// SPDX-License-Identifier: MIT
/* bpftape export: Perfetto protobuf, Chrome trace-event JSON or CSV. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../cli/cli.h"
#include "export.h"
#include "output.h"
#include "perfetto.h"
#include "stackfold.h"
#include "predicate.h"
#include <bpftape/tape_proctab.h>
#include "tapes.h"
#include "../cli/verbs.h"

#define VERB "export"

enum { OPT_FORMAT = 1, OPT_WEIGHT };

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: bpftape export --format perfetto|chrome|csv|folded [--weight "
		"count|latency]\n"
		"                      [-o OUT] [PREDICATES] FILE...\n\n"
		"Export events for other tools.\n\n"
		"  --format perfetto Perfetto's protobuf trace (about 10-30 bytes an event):\n"
		"                    open it in https://ui.perfetto.dev.  Processes and\n"
		"                    threads are tracks, 'syscall' events slices on their\n"
		"                    thread, sched_switch CPU tracks with thread states,\n"
		"                    other events instants with their fields as arguments,\n"
		"                    losses instants on a 'Lost events' track\n"
		"  --format chrome   Chrome trace-event JSON; open it in https://ui.perfetto.dev\n"
		"                    or chrome://tracing.  Processes and threads are named,\n"
		"                    'syscall' events are slices as long as their latency,\n"
		"                    other events are instants, losses global instants;\n"
		"                    tapes of several hosts: host N's pids and tids are\n"
		"                    N x 10000000 + the recorded ones; the stacks of\n"
		"                    'record -g' as stackFrames, each event's as its sf\n"
		"  --format csv      one row per event with a header row: ts, time, cpu,\n"
		"                    pid, tid, comm, type, then every field name of the\n"
		"                    selected types (empty where a type lacks it), with\n"
		"                    NAME_str beside a value that has a name (ret_str);\n"
		"                    loss records as type 'lost' with lost_count,\n"
		"                    lost_last_ts\n"
		"  --format folded   folded stacks for flamegraph.pl, speedscope, inferno:\n"
		"                    'comm;outermost;...;innermost COUNT', one line per\n"
		"                    distinct stack, sorted; kernel frames end in _[k],\n"
		"                    unnamed ones are [BINARY]; events without a stack\n"
		"                    count under their comm alone\n"
		"  --weight W        what a folded line counts: count (events) or latency\n"
		"                    (ns of the 'syscall' events' latency, other events\n"
		"                    left out); default: latency when every selected\n"
		"                    event has one, else count\n"
		"  -o, --output OUT  write to OUT instead of standard output (-: standard\n"
		"                    output too)\n"
		"  -h, --help        this help\n\n" PRED_HELP "\n" CLI_STDIN_HELP "\nExamples:\n"
		"  bpftape export --format perfetto -o trace.pftrace incident.tape\n"
		"  bpftape export --format chrome -o trace.json incident.tape\n"
		"  bpftape export --format chrome --pid 4242 --since 10s --until 20s "
		"incident.tape\n"
		"  bpftape export --format csv --type open incident.tape > opens.csv\n"
		"  bpftape export --format folded --type open stacks.tape | flamegraph.pl > "
		"opens.svg\n");
}

/*
 * With tapes of several hosts, each host gets its own range of Chrome pids
 * and tids, so that its processes are tracks of their own: host h (0-based)
 * adds (h + 1) * CHROME_HOST_IDS to its ids.  Linux ids stay below 2^22, and
 * the result below 2^31 for the trace viewers that read ids as int.
 */
#define CHROME_HOST_IDS	 10000000u
#define CHROME_MAX_HOSTS 214u

/* Threads seen, for thread_name records: (host, tid) -> pid, comm. */
struct thr {
	uint32_t tid, pid;
	unsigned host;
	char comm[TAPE_COMM_LEN];
	bool used;
};

struct thrtab {
	struct thr *s;
	size_t n, cap; /* cap: power of two */
};

static size_t thr_hash(unsigned host, uint32_t tid, size_t cap)
{
	return ((tid + host * 0x9e3779b9u) * 2654435761u) & (cap - 1);
}

static int thr_note(struct thrtab *t, unsigned host, const struct tape_event *ev)
{
	size_t h;

	if ((t->n + 1) * 2 > t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 1024;
		struct thr *s = calloc(cap, sizeof(*s));

		if (!s)
			return -ENOMEM;
		for (size_t i = 0; i < t->cap; i++) {
			if (!t->s[i].used)
				continue;
			h = thr_hash(t->s[i].host, t->s[i].tid, cap);
			while (s[h].used)
				h = (h + 1) & (cap - 1);
			s[h] = t->s[i];
		}
		free(t->s);
		t->s = s;
		t->cap = cap;
	}
	h = thr_hash(host, ev->tid, t->cap);
	while (t->s[h].used && (t->s[h].tid != ev->tid || t->s[h].host != host))
		h = (h + 1) & (t->cap - 1);
	if (!t->s[h].used) {
		t->s[h].used = true;
		t->s[h].tid = ev->tid;
		t->s[h].host = host;
		t->n++;
	}
	t->s[h].pid = ev->pid;
	if (ev->comm && ev->comm[0])
		snprintf(t->s[h].comm, sizeof(t->s[h].comm), "%s", ev->comm);
	return 0;
}

/* Microseconds with ns precision, as Chrome's "ts" wants. */
static void put_us(struct out *o, int64_t ns)
{
	char tmp[8];
	uint64_t a;

	if (ns < 0) {
		out__putc(o, '-');
		a = (uint64_t)0 - (uint64_t)ns;
	} else {
		a = (uint64_t)ns;
	}
	out__u64(o, a / 1000);
	snprintf(tmp, sizeof(tmp), ".%03u", (unsigned)(a % 1000));
	out__puts(o, tmp);
}

/* An integer shown as its decimal value: nothing to name. */
static bool plain_number(const struct tape_field *f)
{
	return f->kind != TAPE_STR && f->kind != TAPE_BYTES && !tape_field__has_text(f);
}

static void chrome_args(struct out *o, const struct tape_event *ev, int skip1, int skip2)
{
	const struct tape_type *tp = ev->tp;
	bool first = true;

	out__puts(o, ",\"args\":{");
	for (unsigned i = 0; i < tp->nfields; i++) {
		if ((int)i == skip1 || (int)i == skip2)
			continue;
		if (!first)
			out__putc(o, ',');
		first = false;
		out__json_str(o, tp->fields[i].name, strlen(tp->fields[i].name));
		out__putc(o, ':');
		if (plain_number(&tp->fields[i])) {
			/* a number stays a number */
			render__value(o, ev, i, TAPE_ESC_JSON);
			continue;
		}
		out__putc(o, '"');
		render__value(o, ev, i, TAPE_ESC_JSON);
		out__putc(o, '"');
	}
	out__putc(o, '}');
}

/* The innermost frame of the event's stack: the stack a trace viewer shows
 * for a slice or an instant. */
static void chrome_sf(struct out *o, uint32_t sf)
{
	if (!sf)
		return;
	/* a number, as the Trace Event Format's example has it; the
	 * dictionary's keys and parents are strings */
	out__puts(o, ",\"sf\":");
	out__u64(o, sf);
}

/* @base: what the event's host adds to its pid and tid (0 with one host);
 * @sf: the event's stackFrames id, 0 for none. */
static void chrome_event(struct out *o, const struct render *rd, const struct tape_event *ev,
			 uint64_t base, uint32_t sf, bool *first)
{
	const struct tape_type *tp = ev->tp;

	out__puts(o, *first ? "\n" : ",\n");
	*first = false;
	if (ev->type == TAPE_TYPE_LOSS) {
		out__puts(o, "{\"name\":\"");
		out__u64(o, ev->values[TAPE_LOSS_COUNT].u);
		out__puts(o, " events lost\",\"cat\":\"lost\",\"ph\":\"i\",\"s\":\"g\",\"ts\":");
		put_us(o, render__rel_ns(rd, ev->source, ev->ts));
		out__puts(o, ",\"pid\":0,\"tid\":0,\"args\":{\"cpu\":");
		out__u64(o, ev->values[TAPE_LOSS_CPU].u);
		out__puts(o, ",\"count\":");
		out__u64(o, ev->values[TAPE_LOSS_COUNT].u);
		out__puts(o, ",\"last_ts_us\":");
		put_us(o, render__rel_ns(rd, ev->source, ev->values[TAPE_LOSS_LAST_TS].u));
		out__puts(o, "}}");
		return;
	}
	if (!strcmp(tp->name, "syscall")) {
		int nr = tape_type__field_index(tp, "nr");
		int lat = tape_type__field_index(tp, "latency");

		/* the syscall's name (or its number) names the slice */
		out__puts(o, "{\"name\":\"");
		if (nr >= 0)
			render__value(o, ev, (unsigned)nr, TAPE_ESC_JSON);
		else
			out__puts(o, "syscall");
		out__puts(o, "\",\"cat\":\"syscall\",\"ph\":\"X\",\"ts\":");
		put_us(o, render__rel_ns(rd, ev->source, ev->ts));
		out__puts(o, ",\"dur\":");
		put_us(o, lat >= 0 ? (int64_t)ev->values[lat].u : 0);
		out__puts(o, ",\"pid\":");
		out__u64(o, base + ev->pid);
		out__puts(o, ",\"tid\":");
		out__u64(o, base + ev->tid);
		chrome_sf(o, sf);
		chrome_args(o, ev, nr, lat);
		out__putc(o, '}');
		return;
	}
	out__puts(o, "{\"name\":");
	out__json_str(o, tp->name, strlen(tp->name));
	out__puts(o, ",\"cat\":");
	out__json_str(o, tp->name, strlen(tp->name));
	out__puts(o, ",\"ph\":\"i\",\"s\":\"t\",\"ts\":");
	put_us(o, render__rel_ns(rd, ev->source, ev->ts));
	out__puts(o, ",\"pid\":");
	out__u64(o, base + ev->pid);
	out__puts(o, ",\"tid\":");
	out__u64(o, base + ev->tid);
	chrome_sf(o, sf);
	chrome_args(o, ev, -1, -1);
	out__putc(o, '}');
}

/* Pid and tid offset of @host's tracks: 0 with one host. */
static uint64_t chrome_base(const struct tapes *t, unsigned host)
{
	return t->nhosts > 1 ? (uint64_t)(host + 1) * CHROME_HOST_IDS : 0;
}

/* thread_name and process_name records; with several hosts the process
 * names start with the host's. */
static void chrome_names(struct out *o, const struct thrtab *th, const struct tapes *tp,
			 bool *first)
{
	for (size_t i = 0; i < th->cap; i++) {
		const struct thr *t = &th->s[i];
		uint64_t base = chrome_base(tp, t->host);
		const struct tape_proc_state *p;
		const char *pname, *host = "", *sep = "";

		if (!t->used)
			continue;
		out__puts(o, *first ? "\n" : ",\n");
		*first = false;
		out__puts(o, "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":");
		out__u64(o, base + t->pid);
		out__puts(o, ",\"tid\":");
		out__u64(o, base + t->tid);
		out__puts(o, ",\"args\":{\"name\":");
		out__json_str(o, t->comm, strlen(t->comm));
		out__puts(o, "}}");
		if (t->tid != t->pid)
			continue;
		/* one process_name per process, from its main thread */
		p = tape_proctab__get(tp->hosts[t->host], t->pid);
		pname = p && p->comm[0] ? p->comm : t->comm;
		if (tp->nhosts > 1) {
			host = tp->host_name[t->host][0] ? tp->host_name[t->host] : "?";
			sep = ": ";
		}
		out__puts(o, ",\n{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":");
		out__u64(o, base + t->pid);
		out__puts(o, ",\"tid\":");
		out__u64(o, base + t->pid);
		/* "host: comm (exe)", each part escaped, none cut */
		out__puts(o, ",\"args\":{\"name\":\"");
		out__json_text(o, host, strlen(host));
		out__puts(o, sep);
		out__json_text(o, pname, strlen(pname));
		if (p && p->exe) {
			out__puts(o, " (");
			out__json_text(o, p->exe, strlen(p->exe));
			out__putc(o, ')');
		}
		out__puts(o, "\"}}");
	}
}

/* CSV columns: the union of the field names of the selected types. */
struct csv_cols {
	const char **names;
	bool *has_str; /* per column: a NAME_str column follows it */
	size_t n;
	/*
	 * Per source, per type id: field index -> column (-1), NULL for an
	 * absent type.  Sized by the fields a tape really has, not by type id
	 * times columns, which a small hostile tape can make gigabytes.
	 */
	int ***fcol;
	unsigned *ntypes;
	int *colf; /* csv_row()'s column -> field index of the current event */
	size_t nsrcs;
	bool losses; /* lost_count, lost_last_ts columns at the end */
};

static bool sel_has(const struct tape_select *sel, const char *name)
{
	if (!sel->types)
		return true;
	for (size_t i = 0; i < sel->ntypes; i++)
		if (!strcmp(sel->types[i], name))
			return true;
	return false;
}

/* Open-addressing set of column names: slot holds column + 1, 0 is empty. */
static size_t name_hash(const char *s)
{
	size_t h = 14695981039346656037ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static int *name_slot(const struct csv_cols *c, int *slots, size_t cap, const char *name)
{
	size_t h = name_hash(name) & (cap - 1);

	while (slots[h] && strcmp(c->names[slots[h] - 1], name))
		h = (h + 1) & (cap - 1);
	return &slots[h];
}

/*
 * The columns are the union of the field names of the selected types.  A
 * tape may hold 65535 types of 64 fields: names are found through a hash,
 * and each type maps only its own fields, so time and memory follow what
 * the tape holds, not types times columns.
 */
static int csv_cols_build(struct csv_cols *c, struct tape_reader *const *readers, size_t n,
			  const struct tape_select *sel)
{
	size_t total = 0, cap = 16, ncap = 0;
	int *slots = NULL, ret = -ENOMEM;

	memset(c, 0, sizeof(*c));
	c->nsrcs = n;
	c->fcol = calloc(n ? n : 1, sizeof(*c->fcol));
	c->ntypes = calloc(n ? n : 1, sizeof(*c->ntypes));
	if (!c->fcol || !c->ntypes)
		goto cleanup;
	for (size_t r = 0; r < n; r++) {
		unsigned max = tape_reader__max_type(readers[r]);

		for (unsigned t = 1; t <= max; t++) {
			const struct tape_type *tp = tape_reader__type(readers[r], t);

			if (tp && sel_has(sel, tp->name))
				total += tp->nfields;
		}
	}
	while (cap < 2 * total + 2)
		cap *= 2;
	slots = calloc(cap, sizeof(*slots));
	if (!slots)
		goto cleanup;
	for (size_t r = 0; r < n; r++) {
		unsigned max = tape_reader__max_type(readers[r]);

		for (unsigned t = 1; t <= max; t++) {
			const struct tape_type *tp = tape_reader__type(readers[r], t);

			if (!tp || !sel_has(sel, tp->name))
				continue;
			for (unsigned f = 0; f < tp->nfields; f++) {
				int *slot = name_slot(c, slots, cap, tp->fields[f].name);
				bool *hs;

				if (*slot) {
					c->has_str[*slot - 1] |=
						tape_field__has_text(&tp->fields[f]);
					continue;
				}
				if (c->n == ncap) {
					const char **nn;

					ncap = ncap ? ncap * 2 : 16;
					nn = realloc(c->names, ncap * sizeof(*nn));
					if (!nn)
						goto cleanup;
					c->names = nn;
					hs = realloc(c->has_str, ncap * sizeof(*hs));
					if (!hs)
						goto cleanup;
					c->has_str = hs;
				}
				c->has_str[c->n] = tape_field__has_text(&tp->fields[f]);
				c->names[c->n++] = tp->fields[f].name;
				*slot = (int)c->n;
			}
		}
	}
	for (size_t r = 0; r < n; r++)
		if (tape_reader__loss_count(readers[r]) && !sel->no_losses && sel_has(sel, "lost"))
			c->losses = true;
	for (size_t r = 0; r < n; r++) {
		unsigned max = tape_reader__max_type(readers[r]);

		c->fcol[r] = calloc(max + 1, sizeof(*c->fcol[r]));
		if (!c->fcol[r])
			goto cleanup;
		c->ntypes[r] = max + 1;
		for (unsigned t = 1; t <= max; t++) {
			const struct tape_type *tp = tape_reader__type(readers[r], t);

			if (!tp)
				continue;
			c->fcol[r][t] = malloc((tp->nfields ? tp->nfields : 1) * sizeof(int));
			if (!c->fcol[r][t])
				goto cleanup;
			for (unsigned f = 0; f < tp->nfields; f++)
				c->fcol[r][t][f] =
					*name_slot(c, slots, cap, tp->fields[f].name) - 1;
		}
	}
	c->colf = malloc((c->n ? c->n : 1) * sizeof(*c->colf));
	if (c->colf)
		ret = 0;
cleanup:
	free(slots);
	return ret;
}

static void csv_cols_free(struct csv_cols *c)
{
	for (size_t r = 0; r < c->nsrcs && c->fcol; r++) {
		for (unsigned t = 0; c->fcol[r] && t < c->ntypes[r]; t++)
			free(c->fcol[r][t]);
		free(c->fcol[r]);
	}
	free(c->fcol);
	free(c->colf);
	free(c->ntypes);
	free(c->names);
	free(c->has_str);
}

static void csv_header(struct out *o, const struct csv_cols *c)
{
	out__puts(o, "ts,time,cpu,pid,tid,comm,type");
	for (size_t k = 0; k < c->n; k++) {
		out__putc(o, ',');
		out__csv_str(o, c->names[k], strlen(c->names[k]));
		if (c->has_str[k]) {
			out__putc(o, ',');
			out__csv_str(o, c->names[k], strlen(c->names[k]));
			out__puts(o, "_str");
		}
	}
	if (c->losses)
		out__puts(o, ",lost_count,lost_last_ts");
	out__putc(o, '\n');
}

/* The stored value: integers in decimal, strings escaped, bytes in hex
 * (the query tables' columns, in CSV). */
static void csv_value(struct out *o, const struct tape_event *ev, unsigned i)
{
	const struct tape_field *f = &ev->tp->fields[i];
	const union tape_value *v = &ev->values[i];
	static const char hex[] = "0123456789abcdef";

	switch (f->kind) {
	case TAPE_STR:
		out__csv_str(o, v->b.ptr ? v->b.ptr : "", v->b.len);
		break;
	case TAPE_BYTES:
		for (uint32_t k = 0; k < v->b.len; k++) {
			out__putc(o, hex[((const uint8_t *)v->b.ptr)[k] >> 4]);
			out__putc(o, hex[((const uint8_t *)v->b.ptr)[k] & 15]);
		}
		break;
	case TAPE_S8:
	case TAPE_S16:
	case TAPE_S32:
	case TAPE_S64:
		out__s64(o, v->s);
		break;
	default:
		out__u64(o, v->u);
	}
}

/* The NAME_str text: as the query tables' columns have it, the errno name
 * alone (empty on success), the display text for the others. */
static void csv_text(struct out *o, const struct tape_event *ev, unsigned i)
{
	const struct tape_field *f = &ev->tp->fields[i];
	const union tape_value *v = &ev->values[i];

	if (f->display == TAPE_DISP_ERRNO && f->kind >= TAPE_S8 && f->kind <= TAPE_S64) {
		const char *name = v->s < 0 ? tape_errno_name((int)v->s) : NULL;

		if (name)
			out__puts(o, name);
		else if (v->s < 0)
			out__s64(o, v->s);
		return;
	}
	render__csv(o, ev, i);
}

static void csv_row(struct out *o, const struct render *rd, const struct csv_cols *c,
		    const struct tape_event *ev)
{
	const struct tape_type *tp = ev->tp;

	out__u64(o, ev->ts);
	out__putc(o, ',');
	render__time(o, rd, ev->source, ev->ts);
	out__putc(o, ',');
	if (ev->type == TAPE_TYPE_LOSS) {
		/* a loss is per cpu, for no task: its count and end in their own columns */
		out__u64(o, ev->values[TAPE_LOSS_CPU].u);
		out__puts(o, ",,,,lost");
		for (size_t k = 0; k < c->n; k++)
			out__puts(o, c->has_str[k] ? ",," : ",");
		out__putc(o, ',');
		out__u64(o, ev->values[TAPE_LOSS_COUNT].u);
		out__putc(o, ',');
		out__u64(o, ev->values[TAPE_LOSS_LAST_TS].u);
		out__putc(o, '\n');
		return;
	}
	out__u64(o, ev->cpu);
	out__putc(o, ',');
	out__u64(o, ev->pid);
	out__putc(o, ',');
	out__u64(o, ev->tid);
	out__putc(o, ',');
	out__csv_str(o, ev->comm ? ev->comm : "", ev->comm ? strlen(ev->comm) : 0);
	out__putc(o, ',');
	out__csv_str(o, tp->name, strlen(tp->name));
	for (size_t k = 0; k < c->n; k++)
		c->colf[k] = -1;
	if (ev->source < c->nsrcs && ev->type < c->ntypes[ev->source] &&
	    c->fcol[ev->source][ev->type])
		for (unsigned f = 0; f < tp->nfields; f++)
			if (c->fcol[ev->source][ev->type][f] >= 0)
				c->colf[c->fcol[ev->source][ev->type][f]] = (int)f;
	for (size_t k = 0; k < c->n; k++) {
		int f = c->colf[k];

		out__putc(o, ',');
		if (f >= 0)
			csv_value(o, ev, (unsigned)f);
		if (!c->has_str[k])
			continue;
		out__putc(o, ',');
		if (f >= 0 && tape_field__has_text(&tp->fields[f]))
			csv_text(o, ev, (unsigned)f);
	}
	if (c->losses)
		out__puts(o, ",,");
	out__putc(o, '\n');
}

static const struct option export_longopts[] = {
	PRED_LONG_OPTIONS,
	{"format", required_argument, NULL, OPT_FORMAT},
	{"weight", required_argument, NULL, OPT_WEIGHT},
	{"output", required_argument, NULL, 'o'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

int export__parse(int argc, char **argv, struct export_opts *o)
{
	int c, ret = 1;

	memset(o, 0, sizeof(*o));
	o->out_fd = STDOUT_FILENO;
	cli__getopt_init();
	while ((c = pred_opts__getopt(&o->pred, argc, argv, ":hf:o:", export_longopts, VERB,
				      &ret)) >= 0) {
		switch (c) {
		case OPT_FORMAT:
			if (!strcmp(optarg, "chrome"))
				o->format = EXPORT_CHROME;
			else if (!strcmp(optarg, "csv"))
				o->format = EXPORT_CSV;
			else if (!strcmp(optarg, "perfetto"))
				o->format = EXPORT_PERFETTO;
			else if (!strcmp(optarg, "folded"))
				o->format = EXPORT_FOLDED;
			else
				return cli__usage(VERB,
						  "--format: '%s' is not perfetto, chrome, csv or "
						  "folded",
						  optarg);
			break;
		case OPT_WEIGHT:
			if (!strcmp(optarg, "count"))
				o->weight = FOLDED_COUNT;
			else if (!strcmp(optarg, "latency"))
				o->weight = FOLDED_LATENCY;
			else
				return cli__usage(VERB, "--weight: '%s' is not count or latency",
						  optarg);
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'h':
			o->help = true;
			return 0;
		default:
			return cli__bad_option(VERB, c, argv, export_longopts);
		}
	}
	if (c == PRED_GETOPT_FAIL)
		return ret;
	if (!o->format)
		return cli__usage(VERB, "--format perfetto, chrome, csv or folded is required");
	if (o->weight && o->format != EXPORT_FOLDED)
		return cli__usage(VERB, "--weight is for --format folded");
	if (optind >= argc)
		return cli__usage(VERB, "no tape given (FILE...)");
	o->inputs = argv + optind;
	o->ninputs = (size_t)(argc - optind);
	return cli__check_inputs(VERB, o->inputs, o->ninputs, NULL);
}

void export_opts__free(struct export_opts *o)
{
	pred_opts__free(&o->pred);
}

#define fail(res, ...) snprintf((res)->err, sizeof((res)->err), __VA_ARGS__)

int export__run(const struct export_opts *o, struct export_result *res)
{
	struct tapes t = {0};
	struct render rd = {0};
	struct out out = {.buf = NULL};
	struct thrtab th = {0};
	struct csv_cols cols = {0};
	struct perfetto *pf = NULL;
	struct folded *fo = NULL;
	struct sframes *sf = NULL;
	bool folded = o->format == EXPORT_FOLDED;
	bool chrome = o->format == EXPORT_CHROME, perfetto = o->format == EXPORT_PERFETTO;
	bool first = true;
	struct tape_out *of = NULL;
	int fd = -1, rc;
	char err[512];

	memset(res, 0, sizeof(*res));
	if (o->format < EXPORT_PERFETTO || o->format > EXPORT_FOLDED) {
		res->usage = true;
		fail(res, "--format perfetto, chrome, csv or folded is required");
		return -EINVAL;
	}
	if ((rc = tapes__setup(&t, o->inputs, o->ninputs, &o->pred, err, sizeof(err)))) {
		res->usage = t.bad_selection;
		fail(res, "%s", err);
		goto cleanup;
	}
	for (size_t i = 0; i < t.n; i++)
		res->bad_chunks += tapes__damage(t.readers[i], o->inputs[i], 0, o->damage, o->ctx);
	if ((chrome || perfetto) && (rc = tapes__proc_prefix(&t))) {
		fail(res, "reading process state before --since: %s", strerror(-rc));
		goto cleanup;
	}
	if ((chrome || perfetto) && t.nhosts > CHROME_MAX_HOSTS) {
		fail(res,
		     "the tapes come from %zu hosts; Chrome trace pids hold at most %u: export "
		     "fewer hosts at a time",
		     t.nhosts, CHROME_MAX_HOSTS);
		rc = -E2BIG;
		goto cleanup;
	}
	if (render__init(&rd, t.readers, t.n, TIME_REL, NULL))
		goto nomem;
	rd.src_pt = t.src_pt;
	if (folded && !(fo = folded__new(t.readers, t.n, o->weight)))
		goto nomem;
	if (chrome && !(sf = sframes__new(t.readers, t.n)))
		goto nomem;
	if (o->format == EXPORT_CSV &&
	    csv_cols_build(&cols, t.readers, t.n, predicate__select(t.pred)))
		goto nomem;
	if (o->output) {
		/* the export holds what the tape holds (paths, argv, addresses):
		 * as private as a tape */
		struct tape_out_opts oo = {.sz = sizeof(oo),
					   .inputs = (const char *const *)o->inputs,
					   .ninputs = o->ninputs};

		/* written beside OUT and renamed over it once complete */
		of = tape_out__open(o->output, &oo, err, sizeof(err));
		if (!of) {
			rc = errno ? -errno : -EIO;
			fail(res, "%s", err[0] ? err : strerror(-rc));
			goto cleanup;
		}
		fd = tape_out__fd(of);
	}
	if (out__init(&out, fd >= 0 ? fd : o->out_fd))
		goto nomem;
	/* Perfetto ids of several hosts as Chrome's: host h adds (h+1) x 10^7 */
	if (perfetto && !(pf = perfetto__new(&out, &t, &rd, chrome_base(&t, 0))))
		goto nomem;
	if (chrome)
		out__puts(&out, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[");
	else if (o->format == EXPORT_CSV)
		csv_header(&out, &cols);
	for (;;) {
		const struct tape_event *ev;

		rc = tapes_merge__next(t.cur, &ev);
		if (rc < 0) {
			if (o->damage)
				o->damage(o->ctx, o->inputs[tapes_merge__errsrc(t.cur)],
					  tapes_merge__errmsg(t.cur));
			res->bad_chunks++;
			continue;
		}
		if (!rc)
			break;
		if (tapes__apply(&t, ev))
			goto nomem;
		if (!predicate__match(t.pred, ev))
			continue;
		if (folded) {
			if ((rc = folded__event(fo, ev)) < 0)
				goto nomem;
			if (!rc)
				continue;
		} else if (perfetto) {
			if (perfetto__event(pf, ev, ev->source < t.n ? t.host_of[ev->source] : 0))
				goto nomem;
		} else if (chrome) {
			unsigned host = ev->source < t.n ? t.host_of[ev->source] : 0;
			int64_t leaf = sframes__leaf(sf, ev);

			if (leaf < 0 || (ev->type != TAPE_TYPE_LOSS && thr_note(&th, host, ev)))
				goto nomem;
			chrome_event(&out, &rd, ev, chrome_base(&t, host), (uint32_t)leaf, &first);
		} else {
			csv_row(&out, &rd, &cols, ev);
		}
		res->events++;
		if (out.err)
			break;
	}
	if (chrome) {
		chrome_names(&out, &th, &t, &first);
		out__puts(&out, "\n]");
		sframes__write(sf, &out);
		out__puts(&out, "}\n");
	}
	if (folded && !out.err && folded__write(fo, &out))
		goto nomem;
	if (perfetto && !out.err && perfetto__finish(pf))
		goto nomem;
	out__flush(&out);
	if (out.err == -EPIPE) {
		res->closed = true;
		rc = 0;
		goto cleanup;
	}
	if (out.err) {
		rc = out.err;
		fail(res, "writing %s: %s", o->output ? o->output : "output", strerror(-out.err));
		goto cleanup;
	}
	if (of && (rc = tape_out__commit(of, err, sizeof(err)))) {
		fail(res, "%s", err);
		goto cleanup;
	}
	rc = 0;
	goto cleanup;
nomem:
	rc = -ENOMEM;
	fail(res, "out of memory");
cleanup:
	out__close(&out);
	tape_out__free(of); /* owns fd; removes an output left incomplete */
	free(th.s);
	perfetto__free(pf);
	folded__free(fo);
	sframes__free(sf);
	csv_cols_free(&cols);
	render__fini(&rd);
	tapes__teardown(&t);
	return rc < 0 ? rc : rc ? -EIO : 0;
}

int export__report(const struct export_opts *o, const struct export_result *res, int rc)
{
	(void)o;
	return cli__outcome(VERB, rc, res->usage, res->err, res->closed, res->bad_chunks);
}

int cmd_export(int argc, char **argv)
{
	struct export_opts o;
	struct export_result res;
	struct cli_damage dmg = {VERB, NULL};
	int ret;

	if ((ret = export__parse(argc, argv, &o)) || o.help) {
		if (o.help)
			usage(stdout);
		export_opts__free(&o);
		return ret;
	}
	o.damage = cli__damage;
	o.ctx = &dmg;
	signal(SIGPIPE, SIG_IGN);
	ret = export__report(&o, &res, export__run(&o, &res));
	export_opts__free(&o);
	return ret;
}
