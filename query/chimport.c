// SPDX-License-Identifier: MIT
/*
 * Tapes into ClickHouse (docs/FLEET.md).  The tables and their rows are
 * the ones `bpftape query` and the SQLite import show: this file only
 * chooses ClickHouse types for qtab.h's columns, encodes the rows as
 * RowBinary and posts them over HTTP (libcurl), a table's rows at a time
 * in batches of a few MiB, so memory stays bounded whatever the tape.
 *
 * With --cluster, the shards come from the server's system.clusters: each
 * gets a local MergeTree table ("T:local") and a Distributed table over
 * all of them under the public name, sharded by cityHash64(host) as the
 * Distributed engine would; a tape's rows go straight to its host's shard
 * (ON CLUSTER would need ZooKeeper, which a small cluster may not run).
 *
 * Each tape is loaded once: the `tapes` table records, per tape id (a
 * hash of the file's bytes), "loading" before the first row and
 * "complete" after the last.  A second load of a complete tape is
 * skipped; a load that was cut off is undone (ALTER TABLE ... DELETE)
 * and done again.
 */
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chimport.h"
#include "../cli/cli.h"
#include "qimport.h"
#include "qtab.h"
#include "qtab_int.h"
#include "private/siphash.h"

#define CH_BATCH_DEFAULT (16u << 20)
/* all tables' pending rows together: past this, the largest is sent */
#define CH_PENDING_MAX (128u << 20)
/* how long a DELETE of a cut-off load may take to finish */
#define CH_MUTATION_WAIT_S 300

struct chbuf {
	char *p;
	size_t n, cap;
};

static int chbuf_reserve(struct chbuf *b, size_t more)
{
	size_t need = b->n + more, nc;
	char *np;

	if (need <= b->cap)
		return 0;
	nc = b->cap ? b->cap : 4096;
	while (nc < need)
		nc *= 2;
	np = realloc(b->p, nc);
	if (!np)
		return -ENOMEM;
	b->p = np;
	b->cap = nc;
	return 0;
}

static int chbuf_put(struct chbuf *b, const void *p, size_t n)
{
	if (chbuf_reserve(b, n))
		return -ENOMEM;
	memcpy(b->p + b->n, p, n);
	b->n += n;
	return 0;
}

static int chbuf_printf(struct chbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int chbuf_printf(struct chbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || chbuf_reserve(b, (size_t)n + 1))
		return -ENOMEM;
	va_start(ap, fmt);
	vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->n += (size_t)n;
	return 0;
}

static const char *chbuf_str(struct chbuf *b)
{
	if (chbuf_reserve(b, 1))
		return "";
	b->p[b->n] = '\0';
	return b->p;
}

/* A string literal: quoted, with ' and \ escaped. */
static int put_literal(struct chbuf *b, const char *s)
{
	int ret = chbuf_put(b, "'", 1);

	for (; *s && !ret; s++) {
		if (*s == '\'' || *s == '\\')
			ret = chbuf_put(b, "\\", 1);
		ret = ret ?: chbuf_put(b, s, 1);
	}
	return ret ?: chbuf_put(b, "'", 1);
}

/* ---- ClickHouse types of the query tables' columns --------------------- */

enum chty {
	CH_U8,
	CH_U16,
	CH_U32,
	CH_U64,
	CH_I8,
	CH_I16,
	CH_I32,
	CH_I64,
	CH_STR,
	CH_TIME, /* DateTime64(9, 'UTC'), or the query's ISO text before 20.1 */
};

static const char *const chty_name[] = {
	[CH_U8] = "UInt8",   [CH_U16] = "UInt16", [CH_U32] = "UInt32",
	[CH_U64] = "UInt64", [CH_I8] = "Int8",	  [CH_I16] = "Int16",
	[CH_I32] = "Int32",  [CH_I64] = "Int64",  [CH_STR] = "String",
};

static const uint8_t chty_width[] = {
	[CH_U8] = 1, [CH_U16] = 2, [CH_U32] = 4, [CH_U64] = 8,
	[CH_I8] = 1, [CH_I16] = 2, [CH_I32] = 4, [CH_I64] = 8,
};

#define COL_HOST (-1)
#define COL_TAPE (-2)

struct chcol {
	const char *name;
	int qcol; /* column of the qtable, or COL_HOST / COL_TAPE */
	uint8_t ty;
	bool nullable;
	bool lowcard;
};

struct chtab {
	struct qtable *t;
	char *name; /* public name */
	struct chcol *cols;
	int ncols;
	const char *order_by;
	char *insert;	   /* INSERT INTO ... FORMAT RowBinary */
	struct chbuf rows; /* pending RowBinary */
	uint64_t nrows;
};

static uint8_t chty_of_kind(uint8_t kind)
{
	switch (kind) {
	case TAPE_U8:
		return CH_U8;
	case TAPE_U16:
		return CH_U16;
	case TAPE_U32:
		return CH_U32;
	case TAPE_U64:
		return CH_U64;
	case TAPE_S8:
		return CH_I8;
	case TAPE_S16:
		return CH_I16;
	case TAPE_S32:
		return CH_I32;
	case TAPE_S64:
		return CH_I64;
	default:
		return CH_STR;
	}
}

/* The ClickHouse column of query column @qc of @t. */
static void chcol_of(const struct qtable *t, int qc, struct chcol *c)
{
	const struct qcol *q = &t->cols[qc];

	*c = (struct chcol){.name = q->name, .qcol = qc, .ty = CH_STR, .nullable = true};
	switch (q->src) {
	case QC_TS:
	case QC_P_START_TS:
	case QC_L_FIRST_TS:
	case QC_L_LAST_TS:
	case QC_L_COUNT:
		c->ty = CH_U64;
		c->nullable = q->src == QC_P_START_TS;
		break;
	case QC_P_EXIT_TS:
		c->ty = CH_U64;
		break;
	case QC_CPU:
	case QC_PID:
	case QC_TID:
	case QC_P_PID:
	case QC_L_CPU:
		c->ty = CH_U32;
		c->nullable = false;
		break;
	case QC_P_PPID:
	case QC_P_UID:
	case QC_STACK_ID:
		c->ty = CH_U32;
		break;
	case QC_F_STACK_ID:
	case QC_F_DEPTH:
		c->ty = CH_U32;
		c->nullable = false;
		break;
	case QC_F_KERNEL:
	case QC_F_GAP:
		c->ty = CH_U8;
		c->nullable = false;
		break;
	case QC_F_ADDRESS:
	case QC_F_OFFSET:
		c->ty = CH_U64;
		break;
	case QC_P_EXIT_CODE:
	case QC_P_EXIT_SIGNAL:
	case QC_T_ID:
	case QC_T_POS:
		c->ty = CH_I32;
		break;
	case QC_TIME:
	case QC_P_START_TIME:
	case QC_P_EXIT_TIME:
		c->ty = CH_TIME;
		break;
	case QC_COMM:
	case QC_TYPE:
	case QC_T_TYPE:
	case QC_M_KEY:
		c->nullable = false;
		c->lowcard = true;
		break;
	case QC_ARGS:
		c->nullable = false;
		break;
	case QC_FIELD:
		c->ty = chty_of_kind(t->slots[q->slot].kind);
		break;
	case QC_FIELD_STR:
	case QC_P_COMM:
	case QC_P_RUNTIME:
	case QC_T_SOURCE:
	case QC_T_KIND:
	case QC_T_DISPLAY:
		c->lowcard = q->src != QC_FIELD_STR && q->src != QC_P_COMM;
		c->nullable = q->src == QC_FIELD_STR || q->src == QC_P_COMM;
		break;
	default:
		break;
	}
}

/* ---- servers ------------------------------------------------------------ */

struct chsrv {
	char *base;  /* scheme://[user:pass@]host:port/ */
	char *where; /* host:port, for messages */
	int shard;
	unsigned weight;
};

/*
 * The thread that posts a full batch while the loader fills the next
 * one: the server parses and merges one table's rows while this process
 * decodes events, so a load takes the longer of the two, not their sum.
 * One batch in flight at a time (memory stays bounded).
 */
struct sender {
	pthread_t thread;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	CURL *curl;
	struct chbuf resp;
	struct chbuf job; /* the batch being posted */
	const char *query;
	const char *table;
	const char *tape_id;
	const struct chsrv *srv;
	bool busy, stop, failed;
};

struct loader {
	const struct chimport_opts *o;
	struct sender snd;
	struct chimport_stats *st;
	const char *db;
	CURL *curl;
	struct chsrv *srv;
	size_t nsrv;
	unsigned total_weight;
	int major, minor;
	bool dt64;
	bool lowcard;
	struct chbuf resp;
	struct cli_progress prog;
	struct timespec start;
	uint64_t progress_events, progress_total;
	/* the tape being loaded */
	char tape_id[17];
	const char *host;
	struct chsrv *dst;
	int64_t rt_off;
	bool has_rt;
	struct chtab *tabs;
	size_t ntabs;
	size_t pending;
	int64_t time_sec_cache;
	char time_prefix_cache[20];
};

static size_t on_body(char *p, size_t sz, size_t n, void *ctx)
{
	struct chbuf *b = ctx;

	/* an error text or a small result: keep the first MiB */
	if (b->n < (1u << 20) && chbuf_put(b, p, sz * n))
		return 0;
	return sz * n;
}

/*
 * POST @body to @s through @curl; with @query the statement goes in the
 * URL (an INSERT whose data is the body).  The response is in @resp.  0,
 * or -1 with the error printed as `bpftape import: WHERE: what`.
 */
static int post_on(CURL *curl, struct chbuf *resp, const struct chsrv *s, const char *query,
		   const void *body, size_t len)
{
	struct chbuf url = {0};
	long code = 0;
	CURLcode rc;
	int ret = 0;

	ret = chbuf_printf(&url, "%s?", s->base);
	if (!ret && query) {
		char *q = curl_easy_escape(curl, query, 0);

		ret = q ? chbuf_printf(&url, "query=%s&", q) : -ENOMEM;
		curl_free(q);
	}
	if (ret) {
		cli__eprintf("bpftape import: out of memory\n");
		free(url.p);
		return -1;
	}
	resp->n = 0;
	curl_easy_setopt(curl, CURLOPT_URL, chbuf_str(&url));
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, resp);
	rc = curl_easy_perform(curl);
	free(url.p);
	if (rc != CURLE_OK) {
		cli__eprintf("bpftape import: %s: %s\n", s->where, curl_easy_strerror(rc));
		return -1;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	if (code != 200) {
		const char *msg = chbuf_str(resp);
		char *cut = strstr(msg, ", e.what() =");
		size_t n;

		if (cut)
			*cut = '\0';
		n = strcspn(msg, "\n");
		cli__eprintf("bpftape import: %s: HTTP %ld: %.*s\n", s->where, code, (int)n,
			     n ? msg : "(no message)");
		return -1;
	}
	return 0;
}

static int post(struct loader *L, const struct chsrv *s, const char *query, const void *body,
		size_t len)
{
	return post_on(L->curl, &L->resp, s, query, body, len);
}

static int exec_sql(struct loader *L, const struct chsrv *s, const char *sql)
{
	return post(L, s, NULL, sql, strlen(sql));
}

/* Run @sql (which ends in FORMAT TSV) and leave its text in L->resp. */
static const char *select_tsv(struct loader *L, const struct chsrv *s, const char *sql)
{
	return exec_sql(L, s, sql) ? NULL : chbuf_str(&L->resp);
}

static int parse_url(struct loader *L, const char *url, const char *host_override, struct chsrv *s)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *user = NULL, *pass = NULL, *out = NULL;
	int ret = -1;

	if (!u)
		return -1;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "http") && strcmp(scheme, "https"))) {
		cli__eprintf("bpftape import: --clickhouse '%s': not an http:// or https:// URL\n",
			     url);
		goto out;
	}
	if (host_override && curl_url_set(u, CURLUPART_HOST, host_override, 0) != CURLUE_OK) {
		cli__eprintf("bpftape import: shard host '%s' does not fit in a URL\n",
			     host_override);
		goto out;
	}
	curl_url_set(u, CURLUPART_PATH, "/", 0);
	curl_url_set(u, CURLUPART_QUERY, NULL, 0);
	curl_url_get(u, CURLUPART_HOST, &host, 0);
	curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
	if (curl_url_get(u, CURLUPART_URL, &out, 0) != CURLUE_OK || !host)
		goto bad;
	s->base = strdup(out);
	if (asprintf(&s->where, "%s:%s", host, port ? port : "?") < 0)
		s->where = NULL;
	ret = s->base && s->where ? 0 : -1;
	if (ret)
		cli__eprintf("bpftape import: out of memory\n");
	goto out;
bad:
	cli__eprintf("bpftape import: --clickhouse '%s': not a URL with a host\n", url);
out:
	(void)L;
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(user);
	curl_free(pass);
	curl_free(out);
	curl_url_cleanup(u);
	return ret;
}

static int server_version(struct loader *L)
{
	const char *v = select_tsv(L, &L->srv[0], "SELECT version() FORMAT TSV");

	if (!v)
		return -1;
	if (sscanf(v, "%d.%d", &L->major, &L->minor) != 2) {
		cli__eprintf("bpftape import: %s: answers '%.40s' to SELECT version(): not a "
			     "ClickHouse server?\n",
			     L->srv[0].where, v);
		return -1;
	}
	L->dt64 = L->major > 20 || (L->major == 20 && L->minor >= 1);
	L->lowcard = L->major >= 19;
	return 0;
}

/* The shards of --cluster, from the first server's system.clusters. */
static int read_cluster(struct loader *L)
{
	struct chbuf q = {0};
	char *text, *line, *save = NULL;
	int ret;

	ret = chbuf_printf(&q, "SELECT shard_num, shard_weight, host_name, host_address FROM "
			       "system.clusters WHERE cluster = ");
	ret = ret ?: put_literal(&q, L->o->cluster);
	ret = ret ?: chbuf_printf(&q, " AND replica_num = 1 ORDER BY shard_num FORMAT TSV");
	if (ret) {
		free(q.p);
		return -1;
	}
	const char *r = select_tsv(L, &L->srv[0], chbuf_str(&q));

	free(q.p);
	if (!r)
		return -1;
	text = strdup(r);
	if (!text)
		return -1;
	ret = 0;
	for (line = strtok_r(text, "\n", &save); line && !ret; line = strtok_r(NULL, "\n", &save)) {
		char name[256], addr[256];
		unsigned shard, weight;
		struct chsrv *ns;

		if (sscanf(line, "%u\t%u\t%255[^\t]\t%255s", &shard, &weight, name, addr) != 4) {
			cli__eprintf(
				"bpftape import: %s: system.clusters row '%s' not understood\n",
				L->srv[0].where, line);
			ret = -1;
			break;
		}
		ns = realloc(L->srv, (L->nsrv + 1) * sizeof(*ns));
		if (!ns) {
			ret = -1;
			break;
		}
		L->srv = ns;
		ns = &L->srv[L->nsrv];
		*ns = (struct chsrv){.shard = (int)shard, .weight = weight};
		/* system.clusters gives the native port only: the shards' HTTP
		 * port is taken to be the URL's, as in a fleet of alike servers */
		ret = parse_url(L, L->o->url, addr[0] ? addr : name, ns);
		L->nsrv++;
		L->total_weight += weight;
	}
	free(text);
	if (!ret && L->nsrv == 1) {
		cli__eprintf("bpftape import: --cluster '%s': %s knows no such cluster "
			     "(system.clusters)\n",
			     L->o->cluster, L->srv[0].where);
		ret = -1;
	}
	return ret;
}

/* The shard that cityHash64(@host) % total weight picks, as Distributed does. */
static struct chsrv *shard_of(struct loader *L, const char *host)
{
	struct chbuf q = {0};
	unsigned long long slot;
	const char *r;

	if (L->nsrv == 1)
		return &L->srv[0];
	if (chbuf_printf(&q, "SELECT cityHash64(") || put_literal(&q, host) ||
	    chbuf_printf(&q, ") %% %u FORMAT TSV", L->total_weight)) {
		free(q.p);
		return NULL;
	}
	r = select_tsv(L, &L->srv[0], chbuf_str(&q));
	free(q.p);
	if (!r || sscanf(r, "%llu", &slot) != 1)
		return NULL;
	for (size_t i = 1; i < L->nsrv; i++) {
		if (slot < L->srv[i].weight)
			return &L->srv[i];
		slot -= L->srv[i].weight;
	}
	return &L->srv[L->nsrv - 1];
}

/* ---- DDL ---------------------------------------------------------------- */

static int put_ident(struct chbuf *b, const char *s)
{
	int ret = chbuf_put(b, "`", 1);

	for (; *s && !ret; s++) {
		if (*s == '`' || *s == '\\')
			ret = chbuf_put(b, "\\", 1);
		ret = ret ?: chbuf_put(b, s, 1);
	}
	return ret ?: chbuf_put(b, "`", 1);
}

static int put_type(struct loader *L, struct chbuf *b, const struct chcol *c)
{
	const char *base =
		c->ty == CH_TIME ? (L->dt64 ? "DateTime64(9, 'UTC')" : "String") : chty_name[c->ty];

	/* LowCardinality, experimental before 19.1, misreads RowBinary there */
	if (c->lowcard && L->lowcard)
		return chbuf_printf(b, "LowCardinality(%s)", base);
	return c->nullable ? chbuf_printf(b, "Nullable(%s)", base) : chbuf_printf(b, "%s", base);
}

/* "T" on one server, "T:local" behind a Distributed table. */
static int put_table(struct loader *L, struct chbuf *b, const char *name, bool local)
{
	char loc[512];

	snprintf(loc, sizeof(loc), "%s:local", name);
	return put_ident(b, L->db) || chbuf_put(b, ".", 1) ||
	       put_ident(b, local && L->o->cluster ? loc : name);
}

static int create_on(struct loader *L, const struct chsrv *s, const struct chtab *t)
{
	struct chbuf q = {0};
	int ret;

	ret = chbuf_printf(&q, "CREATE TABLE IF NOT EXISTS ");
	ret = ret ?: put_table(L, &q, t->name, true);
	ret = ret ?: chbuf_printf(&q, " (");
	for (int i = 0; i < t->ncols && !ret; i++) {
		ret = chbuf_printf(&q, "%s", i ? ", " : "");
		ret = ret ?: put_ident(&q, t->cols[i].name);
		ret = ret ?: chbuf_put(&q, " ", 1);
		ret = ret ?: put_type(L, &q, &t->cols[i]);
	}
	ret = ret ?: chbuf_printf(&q, ") ENGINE = MergeTree ORDER BY (%s)", t->order_by);
	ret = ret ? -1 : exec_sql(L, s, chbuf_str(&q));
	if (!ret && L->o->cluster) {
		char loc[512];

		q.n = 0;
		snprintf(loc, sizeof(loc), "%s:local", t->name);
		ret = chbuf_printf(&q, "CREATE TABLE IF NOT EXISTS ");
		ret = ret ?: put_table(L, &q, t->name, false);
		ret = ret ?: chbuf_printf(&q, " AS ");
		ret = ret ?: put_table(L, &q, t->name, true);
		ret = ret ?: chbuf_printf(&q, " ENGINE = Distributed(");
		ret = ret ?: put_literal(&q, L->o->cluster);
		ret = ret ?: chbuf_put(&q, ", ", 2);
		ret = ret ?: put_literal(&q, L->db);
		ret = ret ?: chbuf_put(&q, ", ", 2);
		ret = ret ?: put_literal(&q, loc);
		ret = ret ?: chbuf_printf(&q, ", cityHash64(host))");
		ret = ret ? -1 : exec_sql(L, s, chbuf_str(&q));
	}
	free(q.p);
	return ret;
}

/*
 * The table exists already (an earlier load): add the columns this tape
 * has and it lacks (a type that gained a field), on @local or on the
 * Distributed table; a column of another type is an error.
 */
static int evolve_on(struct loader *L, const struct chsrv *s, const struct chtab *t, bool local)
{
	struct chbuf q = {0}, want = {0};
	char loc[512];
	char *have = NULL;
	int ret;

	snprintf(loc, sizeof(loc), "%s:local", t->name);
	ret = chbuf_printf(&q, "SELECT concat('\\n', name, '\\t', type, '\\n') FROM system.columns "
			       "WHERE database = ");
	ret = ret ?: put_literal(&q, L->db);
	ret = ret ?: chbuf_printf(&q, " AND table = ");
	ret = ret ?: put_literal(&q, local && L->o->cluster ? loc : t->name);
	ret = ret ?: chbuf_printf(&q, " FORMAT TabSeparatedRaw");
	const char *r = ret ? NULL : select_tsv(L, s, chbuf_str(&q));

	if (!r || !(have = strdup(r))) {
		ret = -1;
		goto out;
	}
	for (int i = 0; i < t->ncols && !ret; i++) {
		const struct chcol *c = &t->cols[i];
		char key[600];
		const char *at;

		want.n = 0;
		ret = put_type(L, &want, c);
		if (ret)
			break;
		snprintf(key, sizeof(key), "\n%s\t", c->name);
		at = strstr(have, key);
		if (at) {
			at += strlen(key);
			if (strncmp(at, chbuf_str(&want), want.n) || at[want.n] != '\n') {
				cli__eprintf(
					"bpftape import: %s: table %s.%s: column %s is %.*s, this "
					"tape needs %s\n",
					s->where, L->db, local && L->o->cluster ? loc : t->name,
					c->name, (int)strcspn(at, "\n"), at, chbuf_str(&want));
				ret = -1;
			}
			continue;
		}
		q.n = 0;
		ret = chbuf_printf(&q, "ALTER TABLE ");
		ret = ret ?: put_table(L, &q, t->name, local);
		ret = ret ?: chbuf_printf(&q, " ADD COLUMN ");
		ret = ret ?: put_ident(&q, c->name);
		ret = ret ?: chbuf_printf(&q, " %s", chbuf_str(&want));
		ret = ret ? -1 : exec_sql(L, s, chbuf_str(&q));
		if (!ret && local) {
			L->st->columns_new++;
			cli__eprintf("bpftape import: %s: table %s.%s gains column %s %s\n",
				     s->where, L->db, t->name, c->name, chbuf_str(&want));
		}
	}
out:
	free(have);
	free(q.p);
	free(want.p);
	return ret;
}

/* Every table of this tape on every server (a Distributed table reads all
 * shards, so all of them have every table and column). */
static int make_tables(struct loader *L)
{
	size_t first = L->nsrv > 1 ? 1 : 0;
	int ret = 0;

	for (size_t s = first; s < L->nsrv && !ret; s++)
		for (size_t i = 0; i < L->ntabs && !ret; i++) {
			ret = create_on(L, &L->srv[s], &L->tabs[i]);
			ret = ret ?: evolve_on(L, &L->srv[s], &L->tabs[i], true);
			if (!ret && L->o->cluster)
				ret = evolve_on(L, &L->srv[s], &L->tabs[i], false);
		}
	return ret;
}

/* ---- rows --------------------------------------------------------------- */

static int put_varint(struct chbuf *b, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;

	do {
		tmp[n++] = (uint8_t)((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
		v >>= 7;
	} while (v);
	return chbuf_put(b, tmp, n);
}

static int put_string(struct chbuf *b, const void *p, size_t n)
{
	return put_varint(b, n) ?: chbuf_put(b, p, n);
}

/* "2023-11-14T22:13:21.004000006Z" back to ns since the epoch (the
 * query's text is the one source of a row's time). */
static int time_ns(struct loader *L, const char *s, int n, int64_t *ns)
{
	int64_t frac = 0;

	if (n != 30 || s[10] != 'T' || s[19] != '.' || s[29] != 'Z')
		return -EINVAL;
	if (memcmp(s, L->time_prefix_cache, 19)) {
		struct tm tm = {0};

		if (!strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
			return -EINVAL;
		L->time_sec_cache = (int64_t)timegm(&tm);
		memcpy(L->time_prefix_cache, s, 19);
	}
	for (int i = 20; i < 29; i++)
		frac = frac * 10 + (s[i] - '0');
	*ns = L->time_sec_cache * 1000000000 + frac;
	return 0;
}

static int put_value(struct loader *L, struct chbuf *b, const struct chcol *c, const struct qval *v)
{
	uint8_t le[8];
	int64_t x;
	int ret = 0;

	if (c->nullable) {
		uint8_t isnull = v->t == QV_NULL;

		ret = chbuf_put(b, &isnull, 1);
		if (ret || isnull)
			return ret;
	}
	if (c->ty == CH_STR || (c->ty == CH_TIME && !L->dt64)) {
		if (v->t == QV_TEXT || v->t == QV_BLOB)
			return put_string(b, v->p, (size_t)v->n);
		if (v->t == QV_INT) {
			char num[24];

			return put_string(b, num,
					  (size_t)snprintf(num, sizeof(num), "%" PRId64, v->i));
		}
		return put_string(b, "", 0);
	}
	if (c->ty == CH_TIME) {
		x = 0;
		if (v->t == QV_TEXT && time_ns(L, v->p, v->n, &x))
			x = 0;
		for (int i = 0; i < 8; i++)
			le[i] = (uint8_t)((uint64_t)x >> (8 * i));
		return chbuf_put(b, le, 8);
	}
	x = v->t == QV_INT ? v->i : 0;
	for (int i = 0; i < chty_width[c->ty]; i++)
		le[i] = (uint8_t)((uint64_t)x >> (8 * i));
	return chbuf_put(b, le, chty_width[c->ty]);
}

static void *sender_main(void *arg)
{
	struct sender *S = arg;

	pthread_mutex_lock(&S->mu);
	for (;;) {
		while (!S->busy && !S->stop)
			pthread_cond_wait(&S->cv, &S->mu);
		if (!S->busy)
			break;
		pthread_mutex_unlock(&S->mu);
		int ret = post_on(S->curl, &S->resp, S->srv, S->query, S->job.p, S->job.n);

		if (ret)
			cli__eprintf(
				"bpftape import: %s: the rows of table %s were refused; tape %s "
				"is loaded in part (a new import removes that part first)\n",
				S->srv->where, S->table, S->tape_id);
		pthread_mutex_lock(&S->mu);
		S->failed |= ret != 0;
		S->job.n = 0;
		S->busy = false;
		pthread_cond_broadcast(&S->cv);
	}
	pthread_mutex_unlock(&S->mu);
	return NULL;
}

/* Wait until no batch is in flight: 0, or -1 if one was refused. */
static int sender_drain(struct sender *S)
{
	bool failed;

	if (!S->started)
		return 0;
	pthread_mutex_lock(&S->mu);
	while (S->busy)
		pthread_cond_wait(&S->cv, &S->mu);
	failed = S->failed;
	pthread_mutex_unlock(&S->mu);
	return failed ? -1 : 0;
}

static int sender_start(struct sender *S)
{
	pthread_mutex_init(&S->mu, NULL);
	pthread_cond_init(&S->cv, NULL);
	S->curl = curl_easy_init();
	if (!S->curl || pthread_create(&S->thread, NULL, sender_main, S)) {
		cli__eprintf("bpftape import: cannot start the sending thread\n");
		return -1;
	}
	S->started = true;
	return 0;
}

static void sender_stop(struct sender *S)
{
	if (S->started) {
		pthread_mutex_lock(&S->mu);
		S->stop = true;
		pthread_cond_broadcast(&S->cv);
		pthread_mutex_unlock(&S->mu);
		pthread_join(S->thread, NULL);
		pthread_mutex_destroy(&S->mu);
		pthread_cond_destroy(&S->cv);
	}
	if (S->curl)
		curl_easy_cleanup(S->curl);
	free(S->job.p);
	free(S->resp.p);
}

/* Hand @t's rows to the sender (after the batch before them is sent). */
static int flush_table(struct loader *L, struct chtab *t)
{
	struct sender *S = &L->snd;
	struct chbuf spare;

	if (!t->rows.n)
		return 0;
	if (sender_drain(S))
		return -1;
	L->st->bytes += t->rows.n;
	L->pending -= t->rows.n;
	pthread_mutex_lock(&S->mu);
	/* the batch goes; its buffer comes back empty as the next one's */
	spare = S->job;
	S->job = t->rows;
	t->rows = spare;
	t->rows.n = 0;
	S->query = t->insert;
	S->table = t->name;
	S->tape_id = L->tape_id;
	S->srv = L->dst;
	S->busy = true;
	pthread_cond_broadcast(&S->cv);
	pthread_mutex_unlock(&S->mu);
	return 0;
}

/* Add the current row of @scan to @t (@of_event: computed from the
 * current event of an events scan). */
static int add_row(struct loader *L, struct chtab *t, struct qscan *scan, bool of_event)
{
	size_t before = t->rows.n;
	int ret = 0;

	for (int i = 0; i < t->ncols && !ret; i++) {
		const struct chcol *c = &t->cols[i];
		struct qval v;

		if (c->qcol == COL_HOST) {
			ret = put_string(&t->rows, L->host, strlen(L->host));
			continue;
		}
		if (c->qcol == COL_TAPE) {
			ret = put_string(&t->rows, L->tape_id, strlen(L->tape_id));
			continue;
		}
		ret = of_event ? qscan__column_of(scan, t->t, c->qcol, &v)
			       : qscan__column(scan, c->qcol, &v);
		ret = ret ? ret : put_value(L, &t->rows, c, &v);
	}
	if (ret)
		return ret < 0 ? ret : -ENOMEM;
	t->nrows++;
	L->st->rows++;
	L->pending += t->rows.n - before;
	size_t batch = L->o->batch_bytes ? L->o->batch_bytes : CH_BATCH_DEFAULT;

	if (t->rows.n >= batch)
		return flush_table(L, t) ? -EIO : 0;
	if (L->pending > CH_PENDING_MAX) {
		struct chtab *big = t;

		for (size_t i = 0; i < L->ntabs; i++)
			if (L->tabs[i].rows.n > big->rows.n)
				big = &L->tabs[i];
		return flush_table(L, big) ? -EIO : 0;
	}
	return 0;
}

/* ---- one tape ----------------------------------------------------------- */

static void free_tables(struct loader *L)
{
	for (size_t i = 0; i < L->ntabs; i++) {
		qtable__free(L->tabs[i].t);
		free(L->tabs[i].name);
		free(L->tabs[i].cols);
		free(L->tabs[i].insert);
		free(L->tabs[i].rows.p);
	}
	free(L->tabs);
	L->tabs = NULL;
	L->ntabs = 0;
	L->pending = 0;
}

static const char *order_of(enum qtab_kind k)
{
	switch (k) {
	case QT_EVENTS:
		return "host, type, ts";
	case QT_TYPE:
		return "host, pid, ts";
	case QT_PROCESSES:
		return "host, pid";
	case QT_LOSSES:
		return "host, cpu";
	case QT_META:
		return "host, key";
	case QT_TYPES:
		return "host, type";
	case QT_FRAMES:
		return "host, tape, stack_id, depth";
	}
	return "host";
}

static int add_table(struct loader *L, struct qtable *t)
{
	struct chtab *nt, *ct;
	struct chbuf q = {0};
	int ret;

	if (!t)
		return -ENOMEM;
	nt = realloc(L->tabs, (L->ntabs + 1) * sizeof(*nt));
	if (!nt) {
		qtable__free(t);
		return -ENOMEM;
	}
	L->tabs = nt;
	ct = &nt[L->ntabs++];
	*ct = (struct chtab){.t = t, .order_by = order_of(t->kind)};
	ct->name = strdup(t->name);
	ct->cols = calloc((size_t)t->ncols + 2, sizeof(*ct->cols));
	if (!ct->name || !ct->cols)
		return -ENOMEM;
	ct->cols[ct->ncols++] =
		(struct chcol){.name = "host", .qcol = COL_HOST, .ty = CH_STR, .lowcard = true};
	ct->cols[ct->ncols++] =
		(struct chcol){.name = "tape", .qcol = COL_TAPE, .ty = CH_STR, .lowcard = true};
	for (int i = 0; i < t->ncols; i++) {
		if (t->cols[i].hidden)
			continue;
		chcol_of(t, i, &ct->cols[ct->ncols++]);
	}
	ret = chbuf_printf(&q, "INSERT INTO ");
	ret = ret ?: put_table(L, &q, ct->name, true);
	ret = ret ?: chbuf_printf(&q, " (");
	for (int i = 0; i < ct->ncols && !ret; i++) {
		ret = chbuf_printf(&q, "%s", i ? ", " : "");
		ret = ret ?: put_ident(&q, ct->cols[i].name);
	}
	ret = ret ?: chbuf_printf(&q, ") FORMAT RowBinary");
	if (ret) {
		free(q.p);
		return -ENOMEM;
	}
	chbuf_str(&q);
	ct->insert = q.p;
	return 0;
}

static int tape_tables(struct loader *L, struct qset *set, uint32_t **type_tab)
{
	static const enum qtab_kind fixed[] = {QT_PROCESSES, QT_LOSSES, QT_META, QT_TYPES,
					       QT_FRAMES};
	const struct tape_reader *r = qset__reader(set, 0);
	unsigned max = tape_reader__max_type(r);
	char **names = NULL, **types = NULL;
	int n, ret;

	ret = add_table(L, qtable__new(QT_EVENTS, QL_QUERY, false));
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]) && !ret; i++)
		ret = add_table(L, qtable__new(fixed[i], QL_QUERY, false));
	if (ret)
		return ret;
	n = qset__type_tables(set, &names, &types);
	if (n < 0)
		return n;
	if (n > QSET_TYPE_TABLES_MAX)
		n = qset__keep_types_with_events(set, names, types, n);
	*type_tab = calloc(max + 1, sizeof(**type_tab));
	if (!*type_tab)
		ret = -ENOMEM;
	for (int i = 0; i < n && !ret; i++) {
		size_t k = L->ntabs;

		ret = add_table(L, qtable__new_type(set, names[i], types[i], QL_QUERY, false));
		for (unsigned id = 1; id <= max && !ret; id++) {
			const struct tape_type *tp = tape_reader__type(r, id);

			if (tp && !strcmp(tp->name, types[i]))
				(*type_tab)[id] = (uint32_t)k;
		}
	}
	qnames__free(names, (size_t)n);
	qnames__free(types, (size_t)n);
	return ret;
}

static int tape_hash(const char *path, char id[17])
{
	static const uint8_t key[SIPHASH_KEY_LEN] = "bpftape tape id";
	uint8_t k[SIPHASH_KEY_LEN];
	uint64_t h = 0, total = 0;
	size_t cap = 1u << 20;
	char *buf = malloc(cap);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (!buf || fd < 0) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	memcpy(k, key, sizeof(k));
	/* SipHash over each MiB, keyed by the hash so far: a hash of the
	 * whole file without holding it */
	while ((n = read(fd, buf, cap)) > 0) {
		h = tape__siphash24(k, buf, (size_t)n);
		memcpy(k, &h, sizeof(h));
		total += (uint64_t)n;
	}
	close(fd);
	free(buf);
	if (n < 0)
		return -errno;
	memcpy(k + 8, &total, sizeof(total));
	h = tape__siphash24(k, "", 0);
	snprintf(id, 17, "%016" PRIx64, h);
	return 0;
}

/* The tape's latest status in `tapes` on its shard: "" if never loaded. */
static int tape_status(struct loader *L, char *status, size_t len, char *when, size_t wlen)
{
	struct chbuf q = {0};
	int ret;

	ret = chbuf_printf(&q, "SELECT argMax(status, version), toString(argMax(loaded, version)) "
			       "FROM ");
	ret = ret ?: put_table(L, &q, "tapes", true);
	ret = ret ?: chbuf_printf(&q, " WHERE tape = ");
	ret = ret ?: put_literal(&q, L->tape_id);
	ret = ret ?: chbuf_printf(&q, " GROUP BY tape FORMAT TSV");
	const char *r = ret ? NULL : select_tsv(L, L->dst, chbuf_str(&q));

	free(q.p);
	if (!r)
		return -1;
	status[0] = when[0] = '\0';
	if (*r) {
		size_t a = strcspn(r, "\t\n");

		snprintf(status, len, "%.*s", (int)a, r);
		if (r[a] == '\t')
			snprintf(when, wlen, "%.*s", (int)strcspn(r + a + 1, "\n"), r + a + 1);
	}
	return 0;
}

static int set_status(struct loader *L, const char *path, const char *status, uint64_t events)
{
	struct chbuf row = {0}, q = {0};
	struct timespec now;
	uint8_t le[8];
	int ret;

	clock_gettime(CLOCK_REALTIME, &now);
	uint64_t version = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
	uint32_t secs = (uint32_t)now.tv_sec;

	ret = put_string(&row, L->host, strlen(L->host));
	ret = ret ?: put_string(&row, L->tape_id, strlen(L->tape_id));
	ret = ret ?: put_string(&row, path, strlen(path));
	for (int i = 0; i < 8; i++)
		le[i] = (uint8_t)(events >> (8 * i));
	ret = ret ?: chbuf_put(&row, le, 8);
	ret = ret ?: put_string(&row, status, strlen(status));
	ret = ret ?: chbuf_put(&row, &secs, 4);
	for (int i = 0; i < 8; i++)
		le[i] = (uint8_t)(version >> (8 * i));
	ret = ret ?: chbuf_put(&row, le, 8);
	ret = ret ?: chbuf_printf(&q, "INSERT INTO ");
	ret = ret ?: put_table(L, &q, "tapes", true);
	ret = ret
		      ?: chbuf_printf(&q,
				      " (host, tape, file, events, status, loaded, version) FORMAT "
				      "RowBinary");
	ret = ret ? -1 : post(L, L->dst, chbuf_str(&q), row.p, row.n);
	free(row.p);
	free(q.p);
	return ret;
}

static int make_tapes_table(struct loader *L)
{
	struct chbuf q = {0};
	int ret = 0;

	for (size_t s = L->nsrv > 1 ? 1 : 0; s < L->nsrv && !ret; s++) {
		q.n = 0;
		ret = chbuf_printf(&q, "CREATE TABLE IF NOT EXISTS ");
		ret = ret ?: put_table(L, &q, "tapes", true);
		ret = ret
			      ?: chbuf_printf(
					 &q,
					 " (host String, tape String, file String, events UInt64, "
					 "status String, loaded DateTime, version UInt64) ENGINE "
					 "= MergeTree ORDER BY (host, tape)");
		ret = ret ? -1 : exec_sql(L, &L->srv[s], chbuf_str(&q));
		if (!ret && L->o->cluster) {
			q.n = 0;
			ret = chbuf_printf(&q, "CREATE TABLE IF NOT EXISTS ");
			ret = ret ?: put_table(L, &q, "tapes", false);
			ret = ret ?: chbuf_printf(&q, " AS ");
			ret = ret ?: put_table(L, &q, "tapes", true);
			ret = ret ?: chbuf_printf(&q, " ENGINE = Distributed(");
			ret = ret ?: put_literal(&q, L->o->cluster);
			ret = ret ?: chbuf_put(&q, ", ", 2);
			ret = ret ?: put_literal(&q, L->db);
			ret = ret ?: chbuf_printf(&q, ", 'tapes:local', cityHash64(host))");
			ret = ret ? -1 : exec_sql(L, &L->srv[s], chbuf_str(&q));
		}
	}
	free(q.p);
	return ret;
}

/* Remove every row of tape L->tape_id from its shard, and wait until the
 * deletes are done (ALTER ... DELETE runs in the background). */
static int undo_tape(struct loader *L)
{
	struct chbuf q = {0};
	char *tables = NULL, *save = NULL;
	int ret;

	ret = chbuf_printf(&q, "SELECT name FROM system.tables WHERE database = ");
	ret = ret ?: put_literal(&q, L->db);
	ret = ret ?: chbuf_printf(&q, " AND engine LIKE '%%MergeTree' FORMAT TSV");
	const char *r = ret ? NULL : select_tsv(L, L->dst, chbuf_str(&q));

	if (!r || !(tables = strdup(r))) {
		free(q.p);
		return -1;
	}
	ret = 0;
	for (char *t = strtok_r(tables, "\n", &save); t && !ret; t = strtok_r(NULL, "\n", &save)) {
		q.n = 0;
		ret = chbuf_printf(&q, "ALTER TABLE ");
		ret = ret ?: put_ident(&q, L->db);
		ret = ret ?: chbuf_put(&q, ".", 1);
		ret = ret ?: put_ident(&q, t);
		ret = ret ?: chbuf_printf(&q, " DELETE WHERE tape = ");
		ret = ret ?: put_literal(&q, L->tape_id);
		ret = ret ? -1 : exec_sql(L, L->dst, chbuf_str(&q));
	}
	free(tables);
	for (int waited = 0; !ret; waited++) {
		q.n = 0;
		ret = chbuf_printf(&q, "SELECT count() FROM system.mutations WHERE is_done = 0 AND "
				       "database = ");
		ret = ret ?: put_literal(&q, L->db);
		ret = ret ?: chbuf_printf(&q, " FORMAT TSV");
		r = ret ? NULL : select_tsv(L, L->dst, chbuf_str(&q));
		if (!r) {
			ret = -1;
			break;
		}
		if (atoi(r) == 0)
			break;
		if (waited >= CH_MUTATION_WAIT_S * 10) {
			cli__eprintf(
				"bpftape import: %s: the rows of tape %s are not deleted after %d "
				"s (system.mutations); try again later\n",
				L->dst->where, L->tape_id, CH_MUTATION_WAIT_S);
			ret = -1;
			break;
		}
		nanosleep(&(struct timespec){.tv_nsec = 100000000}, NULL);
	}
	free(q.p);
	return ret;
}

static double elapsed(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static int load_events(struct loader *L, struct qset *set, const uint32_t *type_tab)
{
	struct chtab *ev_tab = &L->tabs[0];
	char err[512] = "";
	struct qscan *scan = qscan__new(set, ev_tab->t, NULL, err, sizeof(err));
	unsigned max = tape_reader__max_type(qset__reader(set, 0));
	int ret;

	if (!scan) {
		cli__eprintf("bpftape import: %s\n", err);
		return -1;
	}
	ret = qset__proctab_begin(set);
	while (!ret && (ret = qscan__next(scan)) > 0) {
		const struct tape_event *ev = qscan__event(scan);

		ret = add_row(L, ev_tab, scan, true);
		if (!ret && ev->tp && ev->type <= max && type_tab[ev->type])
			ret = add_row(L, &L->tabs[type_tab[ev->type]], scan, true);
		ret = ret ?: qset__proctab_apply(set, ev);
		L->st->events++;
		if (!ret && !(++L->progress_events & 0xffff))
			cli_progress__show(&L->prog, "%llu/%llu events, %.1f s",
					   (unsigned long long)L->progress_events,
					   (unsigned long long)L->progress_total,
					   elapsed(&L->start));
	}
	qset__proctab_end(set);
	if (ret == -EIO)
		ret = -1;
	else if (ret < 0) {
		cli__eprintf("bpftape import: %s: %s\n", qset__path(set, 0),
			     ret == -ENOMEM ? "out of memory" : qscan__errmsg(scan));
		ret = -1;
	}
	qscan__free(scan);
	return ret;
}

static int load_table(struct loader *L, struct qset *set, struct chtab *t)
{
	char err[512] = "";
	struct qscan *scan = qscan__new(set, t->t, NULL, err, sizeof(err));
	int ret;

	if (!scan) {
		cli__eprintf("bpftape import: %s: %s\n", t->name, err);
		return -1;
	}
	while ((ret = qscan__next(scan)) > 0 && !(ret = add_row(L, t, scan, false)))
		;
	if (ret == -EIO)
		ret = -1;
	else if (ret < 0) {
		cli__eprintf("bpftape import: %s: table %s: %s\n", qset__path(set, 0), t->name,
			     ret == -ENOMEM ? "out of memory" : qscan__errmsg(scan));
		ret = -1;
	}
	qscan__free(scan);
	return ret;
}

/* 0 loaded, 1 skipped (already loaded), 2 loaded with damaged blocks
 * skipped, -1 failed. */
static int load_tape(struct loader *L, const char *path)
{
	char err[1024], status[32], when[64];
	uint32_t *type_tab = NULL;
	struct qset *set;
	int ret;

	set = qset__open(&path, 1, err, sizeof(err));
	if (!set) {
		cli__eprintf("bpftape import: %s\n", err);
		return -1;
	}
	qset__skip_damage(set);
	ret = tape_hash(path, L->tape_id);
	if (ret) {
		cli__eprintf("bpftape import: %s: %s\n", path, strerror(-ret));
		ret = -1;
		goto out;
	}
	L->host = qset__host(set, 0);
	if (!L->host[0])
		L->host = "unknown";
	L->dst = L->o->cluster ? shard_of(L, L->host) : &L->srv[0];
	if (!L->dst) {
		ret = -1;
		goto out;
	}
	ret = tape_status(L, status, sizeof(status), when, sizeof(when));
	if (ret)
		goto out;
	if (!strcmp(status, "complete") && !L->o->replace) {
		cli__eprintf("bpftape import: %s: tape %s of host %s was loaded on %s UTC; skipped "
			     "(--replace loads it again)\n",
			     path, L->tape_id, L->host, when);
		ret = 1;
		goto out;
	}
	if (status[0]) {
		cli__eprintf("bpftape import: %s: %s tape %s of host %s (loaded on %s UTC)\n", path,
			     strcmp(status, "complete")
				     ? "removing the rows of an unfinished load of"
				     : "replacing",
			     L->tape_id, L->host, when);
		ret = undo_tape(L);
		if (ret)
			goto out;
	}
	ret = tape_tables(L, set, &type_tab);
	if (ret) {
		cli__eprintf("bpftape import: %s: %s\n", path, strerror(-ret));
		ret = -1;
		goto out;
	}
	ret = make_tables(L);
	ret = ret ?: set_status(L, path, "loading", 0);
	if (ret)
		goto out;
	uint64_t before = L->st->events;

	ret = load_events(L, set, type_tab);
	for (size_t i = 1; i < L->ntabs && !ret; i++)
		if (L->tabs[i].t->kind != QT_TYPE)
			ret = load_table(L, set, &L->tabs[i]);
	for (size_t i = 0; i < L->ntabs && !ret; i++)
		ret = flush_table(L, &L->tabs[i]);
	if (sender_drain(&L->snd))
		ret = -1;
	if (ret) {
		cli__eprintf("bpftape import: %s: tape %s is loaded in part; importing it again "
			     "removes that part first\n",
			     path, L->tape_id);
		goto out;
	}
	ret = set_status(L, path, "complete", L->st->events - before);
	if (ret)
		goto out;
	size_t damaged = query__report_damage("import", set);

	L->st->damaged += damaged;
	L->st->tapes++;
	ret = damaged ? 2 : 0;
out:
	/* the batch in flight points into the tables */
	if (sender_drain(&L->snd) && ret >= 0)
		ret = -1;
	free(type_tab);
	free_tables(L);
	qset__put(set);
	return ret;
}

static bool valid_ident(const char *s)
{
	if (!*s || isdigit((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

int chimport__run(const struct chimport_opts *o, const char *const *paths, size_t n,
		  struct chimport_stats *st)
{
	struct chimport_stats dummy;
	struct loader L = {.o = o, .st = st ? st : &dummy};
	bool partial = false;
	int ret = 1;

	memset(L.st, 0, sizeof(*L.st));
	L.db = o->database ? o->database : "bpftape";
	if (!valid_ident(L.db)) {
		cli__eprintf("bpftape import: --database '%s': not a ClickHouse identifier "
			     "(letters, digits and _, not starting with a digit)\n",
			     L.db);
		return CLI_EXIT_USAGE;
	}
	if (o->cluster && !valid_ident(o->cluster)) {
		cli__eprintf("bpftape import: --cluster '%s': not a cluster name (letters, digits "
			     "and _)\n",
			     o->cluster);
		return CLI_EXIT_USAGE;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		cli__eprintf("bpftape import: libcurl does not initialize\n");
		return 1;
	}
	L.curl = curl_easy_init();
	L.srv = calloc(1, sizeof(*L.srv));
	if (!L.curl || !L.srv) {
		cli__eprintf("bpftape import: out of memory\n");
		goto out;
	}
	L.nsrv = 1;
	curl_easy_setopt(L.curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(L.curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(L.curl, CURLOPT_USERAGENT, "bpftape");
	/* a failed request leaves no doubt: no retry, no redirect */
	curl_easy_setopt(L.curl, CURLOPT_FOLLOWLOCATION, 0L);
	if (parse_url(&L, o->url, NULL, &L.srv[0]) || server_version(&L))
		goto out;
	if (o->cluster && read_cluster(&L))
		goto out;
	for (size_t s = L.nsrv > 1 ? 1 : 0; s < L.nsrv; s++) {
		struct chbuf q = {0};
		int r = chbuf_printf(&q, "CREATE DATABASE IF NOT EXISTS ");

		r = r ?: put_ident(&q, L.db);
		r = r ? -1 : exec_sql(&L, &L.srv[s], chbuf_str(&q));
		free(q.p);
		if (r)
			goto out;
	}
	if (make_tapes_table(&L) || sender_start(&L.snd))
		goto out;
	cli_progress__init(&L.prog, "import", o->quiet);
	clock_gettime(CLOCK_MONOTONIC, &L.start);
	for (size_t i = 0; i < n; i++) {
		int r = load_tape(&L, paths[i]);

		if (r < 0)
			goto out_prog;
		if (r == 1)
			L.st->skipped++;
		if (r == 2)
			partial = true;
	}
	cli_progress__end(&L.prog);
	double s = elapsed(&L.start);

	cli__eprintf("bpftape import: %llu events of %zu tape%s into %s on %s%s%s in %.2f s, "
		     "%.2f M events/s",
		     (unsigned long long)L.st->events, L.st->tapes, L.st->tapes == 1 ? "" : "s",
		     L.db, L.srv[0].where, o->cluster ? ", cluster " : "",
		     o->cluster ? o->cluster : "", s, s > 0 ? (double)L.st->events / s / 1e6 : 0.0);
	if (L.st->skipped)
		cli__eprintf(" (%zu already loaded)", L.st->skipped);
	cli__eprintf("\n");
	ret = partial ? CLI_EXIT_PARTIAL : 0;
	goto out;
out_prog:
	cli_progress__end(&L.prog);
out:
	for (size_t i = 0; i < L.nsrv; i++) {
		free(L.srv[i].base);
		free(L.srv[i].where);
	}
	sender_stop(&L.snd);
	free(L.srv);
	free(L.resp.p);
	if (L.curl)
		curl_easy_cleanup(L.curl);
	curl_global_cleanup();
	return ret;
}
