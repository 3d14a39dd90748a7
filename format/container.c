// SPDX-License-Identifier: MIT
/*
 * Containers from cgroup paths: which runtime made the cgroup a process
 * sits in, and the container (and Kubernetes pod) it stands for.
 *
 * Runtimes name their cgroups after the container; nothing else in the
 * kernel says "container".  The recorder applies this to every process
 * (docs/FORMAT.md keeps the result in the tape); readers apply it to tapes
 * written before the tape kept it.  The innermost match wins, so a
 * container nested in another (docker in docker, podman in a pod) is the
 * inner one.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <bpftape/tape.h>

/* @s[0..len) is lower-case hex of exactly @want characters */
static bool is_hex(const char *s, size_t len, size_t want)
{
	if (len != want)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isdigit((unsigned char)s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
			return false;
	return true;
}

static bool starts(const char *s, size_t len, const char *prefix, size_t *plen)
{
	*plen = strlen(prefix);
	return len >= *plen && !memcmp(s, prefix, *plen);
}

static bool ends(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && !memcmp(s + len - n, suffix, n);
}

/* copy @len bytes of @s into @dst (@cap bytes), undoing systemd's unit name
 * escapes ("\x2d" for '-'); false if it does not fit or an escape is NUL,
 * which would cut the name short */
static bool put_unescaped(char *dst, size_t cap, const char *s, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		unsigned v;

		if (c == '\\' && i + 3 < len && s[i + 1] == 'x' &&
		    isxdigit((unsigned char)s[i + 2]) && isxdigit((unsigned char)s[i + 3]) &&
		    sscanf(s + i + 2, "%2x", &v) == 1) {
			if (!v)
				return false;
			c = (char)v;
			i += 3;
		}
		if (o + 1 >= cap)
			return false;
		dst[o++] = c;
	}
	dst[o] = 0;
	return o > 0;
}

/* A Kubernetes pod uid from a "pod<uid>" component (systemd's slices write
 * its dashes as underscores), and the QoS class of its parent. */
static bool kube_pod(const char *s, size_t len, struct tape_container *c)
{
	size_t n = 0;

	if (len < 3 + 32 || memcmp(s, "pod", 3))
		return false;
	s += 3;
	len -= 3;
	if (len >= sizeof(c->pod))
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i] == '_' ? '-' : s[i];

		if (!isxdigit((unsigned char)ch) && ch != '-')
			return false;
		c->pod[n++] = ch;
	}
	c->pod[n] = 0;
	return true;
}

/*
 * One path component of a Kubernetes hierarchy: the QoS level
 * ("burstable", "kubepods-besteffort.slice"), the pod, or the container.
 */
static void kube_component(const char *s, size_t len, struct tape_container *c)
{
	static const char *const qos[] = {"burstable", "besteffort"};
	size_t p;

	if (ends(s, len, ".slice")) {
		len -= 6;
		/* kubepods-burstable-pod<uid>.slice: the last dash-separated word */
		for (size_t i = len; i > 0; i--)
			if (s[i - 1] == '-') {
				if (kube_pod(s + i, len - i, c))
					return;
				break;
			}
		for (size_t i = 0; i < 2; i++)
			if (ends(s, len, qos[i]))
				c->qos = qos[i];
		return;
	}
	for (size_t i = 0; i < 2; i++)
		if (len == strlen(qos[i]) && !memcmp(s, qos[i], len))
			c->qos = qos[i];
	if (starts(s, len, "pod", &p))
		kube_pod(s, len, c);
}

/*
 * Does the component @s (@len bytes) name a container?  Sets runtime, id
 * and (for runtimes whose containers are named in the path) name.
 */
static bool component(const char *s, size_t len, const char *parent, size_t plen, bool kube,
		      struct tape_container *c)
{
	static const struct {
		const char *prefix, *suffix, *runtime;
	} hex[] = {
		{"docker-", ".scope", "docker"}, {"cri-containerd-", ".scope", "containerd"},
		{"crio-", ".scope", "cri-o"},	 {"crio-", "", "cri-o"},
		{"libpod-", ".scope", "podman"}, {"libpod-", "", "podman"},
	};
	size_t p;

	for (size_t i = 0; i < sizeof(hex) / sizeof(hex[0]); i++) {
		size_t sl = strlen(hex[i].suffix);

		if (starts(s, len, hex[i].prefix, &p) && ends(s, len, hex[i].suffix) &&
		    is_hex(s + p, len - p - sl, 64)) {
			c->runtime = hex[i].runtime;
			memcpy(c->id, s + p, 64);
			c->id[64] = 0;
			snprintf(c->name, sizeof(c->name), "%.12s", c->id);
			return true;
		}
	}
	/* a bare id: docker's cgroupfs driver (/docker/ID), or a CRI runtime
	 * under kubepods, where containerd writes bare ids and cri-o
	 * and docker prefix theirs */
	if (is_hex(s, len, 64) && (kube || (plen == 6 && !memcmp(parent, "docker", 6)))) {
		c->runtime = kube ? "containerd" : "docker";
		memcpy(c->id, s, 64);
		c->id[64] = 0;
		snprintf(c->name, sizeof(c->name), "%.12s", c->id);
		return true;
	}
	/* systemd-nspawn: machine-NAME.scope, or the systemd-nspawn@NAME unit */
	if (plen == 13 && !memcmp(parent, "machine.slice", 13)) {
		if (starts(s, len, "machine-", &p) && ends(s, len, ".scope") &&
		    put_unescaped(c->name, sizeof(c->name), s + p, len - p - 6))
			goto nspawn;
		if (starts(s, len, "systemd-nspawn@", &p) && ends(s, len, ".service") &&
		    put_unescaped(c->name, sizeof(c->name), s + p, len - p - 8))
			goto nspawn;
	}
	/* LXC 4+ and LXD: lxc.payload.NAME (lxc.monitor.NAME is the host side);
	 * older LXC: lxc/NAME */
	if ((starts(s, len, "lxc.payload.", &p) && len > p &&
	     put_unescaped(c->name, sizeof(c->name), s + p, len - p)) ||
	    (plen == 3 && !memcmp(parent, "lxc", 3) &&
	     put_unescaped(c->name, sizeof(c->name), s, len))) {
		c->runtime = "lxc";
		goto named;
	}
	return false;
nspawn:
	c->runtime = "systemd-nspawn";
named:
	snprintf(c->id, sizeof(c->id), "%s", c->name);
	return true;
}

int tape_container__parse(const char *cgroup, struct tape_container *c)
{
	const char *s = cgroup, *parent = "";
	size_t plen = 0, end = 0;
	bool kube = false, found = false;

	memset(c, 0, sizeof(*c));
	if (!cgroup)
		return 0;
	while (*s) {
		struct tape_container t = *c;
		size_t len;

		while (*s == '/')
			s++;
		len = strcspn(s, "/");
		if (!len)
			break;
		if (starts(s, len, "kubepods", &(size_t){0}) && !kube) {
			kube = true;
			c->qos = "guaranteed"; /* no QoS level between kubepods and the pod */
		}
		if (kube)
			kube_component(s, len, c);
		t = *c;
		if (component(s, len, parent, plen, kube, &t)) {
			*c = t;
			end = (size_t)(s - cgroup) + len;
			found = true;
		}
		parent = s;
		plen = len;
		s += len;
	}
	if (!found) {
		memset(c, 0, sizeof(*c));
		return 0;
	}
	if (!kube) {
		c->qos = NULL;
		c->pod[0] = 0;
	}
	c->cgroup_len = end;
	return 1;
}
