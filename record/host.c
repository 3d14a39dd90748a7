// SPDX-License-Identifier: MIT
/* Host metadata and the /proc process snapshot. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mntent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "host.h"

/* ---- metadata ------------------------------------------------------------- */

int record_meta__add(struct record_meta *m, const char *key, const char *fmt, ...)
{
	char *value = NULL;
	va_list ap;
	int n;

	if (m->n >= RECORD_META_MAX)
		return -ENOSPC;
	va_start(ap, fmt);
	n = vasprintf(&value, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	m->key[m->n] = strdup(key);
	if (!m->key[m->n]) {
		free(value);
		return -ENOMEM;
	}
	m->value[m->n++] = value;
	return 0;
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

uint64_t host__boottime_ns(void)
{
	return clock_ns(CLOCK_BOOTTIME);
}

int64_t host__boottime_to_realtime_ns(void)
{
	uint64_t best_gap = UINT64_MAX;
	int64_t best = 0;

	for (int i = 0; i < 8; i++) {
		uint64_t b1 = clock_ns(CLOCK_BOOTTIME);
		uint64_t r = clock_ns(CLOCK_REALTIME);
		uint64_t b2 = clock_ns(CLOCK_BOOTTIME);

		if (b2 - b1 < best_gap) {
			best_gap = b2 - b1;
			best = (int64_t)(r - (b1 + (b2 - b1) / 2));
		}
	}
	return best;
}

int record_meta__collect(struct record_meta *m, int argc, char **argv)
{
	char host[256] = "", cmd[4096], when[64];
	struct utsname u;
	size_t off = 0;
	uint64_t boot;
	int64_t offset;
	time_t now;
	struct tm tm;
	int err = 0;

	gethostname(host, sizeof(host) - 1);
	uname(&u);
	cmd[0] = 0;
	for (int i = 0; i < argc && off < sizeof(cmd) - 1; i++) {
		int n = snprintf(cmd + off, sizeof(cmd) - off, "%s%s", i ? " " : "", argv[i]);

		if (n < 0)
			break;
		off += (size_t)n;
	}
	offset = host__boottime_to_realtime_ns();
	boot = host__boottime_ns();
	now = (time_t)((boot + offset) / 1000000000ull);
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);

	err = err ?: record_meta__add(m, "host.name", "%s", host);
	err = err ?: record_meta__add(m, "host.kernel", "%s", u.release);
	err = err ?: record_meta__add(m, "host.machine", "%s", u.machine);
	err = err ?: record_meta__add(m, "host.ncpus", "%ld", sysconf(_SC_NPROCESSORS_CONF));
	err = err
		      ?: record_meta__add(m, "clock.boottime_to_realtime_ns", "%lld",
					  (long long)offset);
	err = err ?: record_meta__add(m, "recorder.version", "bpftape %s", BPFTAPE_VERSION);
	err = err ?: record_meta__add(m, "recorder.cmdline", "%s", cmd);
	err = err ?: record_meta__add(m, "record.start_ts", "%llu", (unsigned long long)boot);
	err = err ?: record_meta__add(m, "record.start_time", "%s", when);
	return err;
}

int record_meta__write(const struct record_meta *m, struct tape_writer *w)
{
	for (size_t i = 0; i < m->n; i++) {
		int err = tape_writer__set_meta(w, m->key[i], m->value[i]);

		if (err)
			return err;
	}
	return 0;
}

void record_meta__free(struct record_meta *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++) {
		free(m->key[i]);
		free(m->value[i]);
	}
	m->n = 0;
}

/* ---- /proc snapshot ------------------------------------------------------- */

static char *keep(struct proc_snapshot *s, char *str)
{
	char **grown;

	if (!str)
		return NULL;
	grown = realloc(s->strings, (s->nstrings + 1) * sizeof(*grown));
	if (!grown) {
		free(str);
		return NULL;
	}
	s->strings = grown;
	s->strings[s->nstrings++] = str;
	return str;
}

/* Read a whole small file; NULL if it is gone.  *@len gets its size. */
static char *slurp(const char *path, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	int fd;

	if (!buf)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return NULL;
	}
	for (;;) {
		ssize_t r = read(fd, buf + n, cap - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n == cap) {
			char *grown;

			if (cap >= (1u << 20))
				break;
			grown = realloc(buf, cap * 2 + 1);
			if (!grown)
				break;
			buf = grown;
			cap *= 2;
		}
	}
	close(fd);
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

static int read_proc(struct proc_snapshot *s, uint32_t pid, struct tape_proc *p)
{
	char path[64], *stat, *rp, *status, *line, *cg, exe[PATH_MAX];
	unsigned long long start = 0;
	int ppid = 0;
	ssize_t n;
	size_t len;

	memset(p, 0, sizeof(*p));
	p->pid = pid;
	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	stat = slurp(path, NULL);
	if (!stat)
		return -ENOENT;
	/* comm may hold spaces and parentheses: it ends at the last ')' */
	rp = strrchr(stat, ')');
	if (!rp || !strchr(stat, '(')) {
		free(stat);
		return -EINVAL;
	}
	*rp = 0;
	p->comm = keep(s, strdup(strchr(stat, '(') + 1));
	/* fields after comm: state ppid ... starttime is field 22 */
	if (sscanf(rp + 2,
		   "%*c %d %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s "
		   "%*s %*s %llu",
		   &ppid, &start) != 2) {
		free(stat);
		return -EINVAL;
	}
	free(stat);
	p->ppid = (uint32_t)ppid;
	p->start_ts = start * (1000000000ull / (uint64_t)sysconf(_SC_CLK_TCK));

	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	status = slurp(path, NULL);
	if (status) {
		line = strstr(status, "\nUid:");
		if (line)
			p->uid = (uint32_t)strtoul(line + 5, NULL, 10);
		free(status);
	}

	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = 0;
	p->exe = keep(s, strdup(exe));

	snprintf(path, sizeof(path), "/proc/%u/cmdline", pid);
	p->argv = keep(s, slurp(path, &len));
	if (p->argv) {
		/* separators only: drop the final NUL */
		p->argv_len = len && p->argv[len - 1] == 0 ? len - 1 : len;
	}

	snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
	cg = keep(s, slurp(path, NULL));
	if (cg) {
		/* the unified hierarchy ("0::/path"), else the first line */
		char *c = strstr(cg, "0::");
		char *nl;

		if (c && (c == cg || c[-1] == '\n'))
			memmove(cg, c + 3, strlen(c + 3) + 1);
		nl = strchr(cg, '\n');
		if (nl)
			*nl = 0;
	}
	p->cgroup = cg;
	if (!p->comm || !p->exe)
		return -ENOMEM;
	return 0;
}

int proc_snapshot__read(struct proc_snapshot *snap)
{
	size_t cap = 0;
	struct dirent *de;
	DIR *dir;
	int err = 0;

	dir = opendir("/proc");
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		struct tape_proc *grown;
		char *end;
		unsigned long pid = strtoul(de->d_name, &end, 10);

		if (!isdigit((unsigned char)de->d_name[0]) || *end)
			continue;
		if (snap->n == cap) {
			cap = cap ? cap * 2 : 256;
			grown = realloc(snap->procs, cap * sizeof(*grown));
			if (!grown) {
				err = -ENOMEM;
				goto cleanup;
			}
			snap->procs = grown;
		}
		err = read_proc(snap, (uint32_t)pid, &snap->procs[snap->n]);
		if (err == -ENOMEM)
			goto cleanup;
		if (!err)
			snap->n++;
		err = 0;
	}
cleanup:
	closedir(dir);
	return err;
}

const struct tape_proc *proc_snapshot__find(const struct proc_snapshot *snap, uint32_t pid)
{
	for (size_t i = 0; i < snap->n; i++)
		if (snap->procs[i].pid == pid)
			return &snap->procs[i];
	return NULL;
}

bool proc_snapshot__descends(const struct proc_snapshot *snap, uint32_t pid, uint32_t root)
{
	/* bounded walk: a table read while processes come and go may hold a cycle */
	for (size_t hops = 0; hops <= snap->n && pid; hops++) {
		const struct tape_proc *p;

		if (pid == root)
			return true;
		p = proc_snapshot__find(snap, pid);
		if (!p || p->ppid == pid)
			return false;
		pid = p->ppid;
	}
	return false;
}

void proc_snapshot__free(struct proc_snapshot *snap)
{
	if (!snap)
		return;
	for (size_t i = 0; i < snap->nstrings; i++)
		free(snap->strings[i]);
	free(snap->strings);
	free(snap->procs);
	memset(snap, 0, sizeof(*snap));
}

/* ---- cgroups -------------------------------------------------------------- */

static int cgroup2_mount(char *buf, size_t len)
{
	struct mntent *me;
	FILE *f = setmntent("/proc/self/mounts", "r");
	int err = -ENOENT;

	if (!f)
		return -errno;
	while ((me = getmntent(f))) {
		if (!strcmp(me->mnt_type, "cgroup2")) {
			snprintf(buf, len, "%s", me->mnt_dir);
			err = 0;
			break;
		}
	}
	endmntent(f);
	return err;
}

int host__cgroup_id(const char *path, uint64_t *id)
{
	char mnt[PATH_MAX], full[PATH_MAX * 2];
	struct stat st;
	int err;

	struct statfs sfs;

	/* a cgroup2 directory as given, or a path inside the cgroup2 mount */
	if (path[0] == '/' && !statfs(path, &sfs) && sfs.f_type == CGROUP2_SUPER_MAGIC) {
		if (stat(path, &st))
			return -errno;
		if (!S_ISDIR(st.st_mode))
			return -ENOTDIR;
		*id = st.st_ino;
		return 0;
	}
	err = cgroup2_mount(mnt, sizeof(mnt));
	if (err)
		return err;
	snprintf(full, sizeof(full), "%s/%s", mnt, path[0] == '/' ? path + 1 : path);
	if (stat(full, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	/* "..", or a link, can lead out of the mount: an inode number there is
	 * no cgroup's id, and a filter on it would match no task */
	if (statfs(full, &sfs))
		return -errno;
	if (sfs.f_type != CGROUP2_SUPER_MAGIC)
		return -EXDEV;
	*id = st.st_ino;
	return 0;
}
