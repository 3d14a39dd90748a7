// SPDX-License-Identifier: MIT
/* The maps every skeleton of one recording shares. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "session.h"

void record_session__init(struct record_session *s)
{
	memset(s, 0, sizeof(*s));
	s->events_fd = -1;
	s->drops_fd = -1;
	s->tracked_fd = -1;
	s->tracked_on_fd = -1;
	s->gate_fd = -1;
	s->buffer_bytes = 16u << 20;
}

/*
 * Is @cpu online?  From /sys/devices/system/cpu/online ("0-3,8,10-11");
 * true when that cannot be read, so that a doubt costs memory, not events.
 */
static bool cpu_online(int cpu)
{
	FILE *f = fopen("/sys/devices/system/cpu/online", "r");
	bool on = f == NULL;
	int a, b;
	char c;

	while (f && !on && fscanf(f, "%d", &a) == 1) {
		b = a;
		c = 0;
		if (fscanf(f, "%c", &c) == 1 && c == '-' && fscanf(f, "%d%c", &b, &c) < 1)
			break;
		on = cpu >= a && cpu <= b;
		if (c != ',')
			break;
	}
	if (f)
		fclose(f);
	return on;
}

/*
 * A ring for each possible CPU, and the array that finds them by CPU.  A
 * CPU that is possible but offline (a virtual machine's hotplug slots can
 * outnumber its CPUs many times) gets a ring of one page: should it come
 * online while recording, its events arrive, and what does not fit is
 * counted as lost, without --buffer of memory locked for every slot.
 */
static int create_rings(struct record_session *s)
{
	int n = libbpf_num_possible_cpus();
	LIBBPF_OPTS(bpf_map_create_opts, opts);

	if (n <= 0)
		return n ? n : -EINVAL;
	s->ring_fds = malloc(n * sizeof(*s->ring_fds));
	if (!s->ring_fds)
		return -ENOMEM;
	for (s->nrings = 0; s->nrings < n; s->nrings++) {
		bool on = cpu_online(s->nrings);
		__u32 size = on ? s->buffer_bytes : (__u32)getpagesize();

		s->nonline += on;

		s->ring_fds[s->nrings] =
			bpf_map_create(BPF_MAP_TYPE_RINGBUF, "ring", 0, 0,
				       size < s->buffer_bytes ? size : s->buffer_bytes, NULL);
		if (s->ring_fds[s->nrings] < 0)
			return -errno;
	}
	opts.inner_map_fd = s->ring_fds[0];
	s->events_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "events", sizeof(__u32),
				      sizeof(__u32), n, &opts);
	if (s->events_fd < 0)
		return -errno;
	for (__u32 cpu = 0; cpu < (__u32)n; cpu++)
		if (bpf_map_update_elem(s->events_fd, &cpu, &s->ring_fds[cpu], BPF_ANY))
			return -errno;
	return 0;
}

int record_session__create_maps(struct record_session *s)
{
	LIBBPF_OPTS(bpf_map_create_opts, mmapable, .map_flags = BPF_F_MMAPABLE);
	__u32 max;
	int err;

	err = create_rings(s);
	if (err)
		return err;
	s->drops_fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "drops", sizeof(__u32),
				     sizeof(struct drop_stat), 1, NULL);
	if (s->drops_fd < 0)
		goto fail;
	s->tracked_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "tracked", sizeof(__u32), sizeof(__u8),
				       65536, NULL);
	if (s->tracked_fd < 0)
		goto fail;
	/* a word, unused, without the pid filter */
	max = s->filter_flags & FILTER_PIDS ? TRACKED_ON_WORDS : 1;
	s->tracked_on_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "tracked_on", sizeof(__u32),
					  sizeof(__u64), max, &mmapable);
	if (s->tracked_on_fd < 0)
		goto fail;
	s->tracked_on_len = max * sizeof(__u64);
	s->tracked_on = mmap(NULL, s->tracked_on_len, PROT_READ | PROT_WRITE, MAP_SHARED,
			     s->tracked_on_fd, 0);
	if (s->tracked_on == MAP_FAILED) {
		s->tracked_on = NULL;
		goto fail;
	}
	s->gate_fd =
		bpf_map_create(BPF_MAP_TYPE_ARRAY, "gate", sizeof(__u32), sizeof(__u32), 1, NULL);
	if (s->gate_fd < 0)
		goto fail;
	return 0;
fail:
	err = -errno;
	return err ? err : -EINVAL;
}

int record_session__track(struct record_session *s, __u32 pid, __u8 how)
{
	if (bpf_map_update_elem(s->tracked_fd, &pid, &how, BPF_ANY))
		return -errno;
	/* atomic: the programs set and clear other bits of the word meanwhile */
	if (how == TRACK_ON && s->tracked_on &&
	    TRACKED_ON_WORD(pid) < s->tracked_on_len / sizeof(__u64))
		__atomic_fetch_or(&s->tracked_on[TRACKED_ON_WORD(pid)], TRACKED_ON_BIT(pid),
				  __ATOMIC_RELAXED);
	return 0;
}

static int reuse(struct bpf_object *obj, const char *name, int fd)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, name);

	if (!map)
		return 0;
	return bpf_map__reuse_fd(map, fd);
}

int record_session__reuse_maps(const struct record_session *s, struct bpf_object *obj)
{
	int err;

	if (s->events_fd < 0 || s->drops_fd < 0 || s->tracked_fd < 0 || s->tracked_on_fd < 0 ||
	    s->gate_fd < 0)
		return -EBADF;
	err = reuse(obj, "events", s->events_fd);
	if (!err)
		err = reuse(obj, "drops", s->drops_fd);
	if (!err)
		err = reuse(obj, "tracked", s->tracked_fd);
	if (!err)
		err = reuse(obj, "tracked_on", s->tracked_on_fd);
	if (!err)
		err = reuse(obj, "gate", s->gate_fd);
	return err;
}

int record_session__open_gate(const struct record_session *s)
{
	__u32 zero = 0, one = 1;

	if (s->gate_fd < 0)
		return -EBADF;
	return bpf_map_update_elem(s->gate_fd, &zero, &one, BPF_ANY) ? -errno : 0;
}

int record_session__add_source(struct record_session *s, const struct record_source_ops *ops,
			       void *ctx)
{
	if (s->nsources >= RECORD_MAX_SOURCES) {
		if (ops->free)
			ops->free(ctx);
		return -ENOSPC;
	}
	s->sources[s->nsources].ops = ops;
	s->sources[s->nsources].ctx = ctx;
	s->nsources++;
	return 0;
}

void record_session__free(struct record_session *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nsources; i++)
		if (s->sources[i].ops->free)
			s->sources[i].ops->free(s->sources[i].ctx);
	s->nsources = 0;
	if (s->events_fd >= 0)
		close(s->events_fd);
	for (int i = 0; i < s->nrings; i++)
		close(s->ring_fds[i]);
	free(s->ring_fds);
	s->ring_fds = NULL;
	s->nrings = s->nonline = 0;
	if (s->drops_fd >= 0)
		close(s->drops_fd);
	if (s->tracked_fd >= 0)
		close(s->tracked_fd);
	if (s->tracked_on)
		munmap(s->tracked_on, s->tracked_on_len);
	s->tracked_on = NULL;
	if (s->tracked_on_fd >= 0)
		close(s->tracked_on_fd);
	if (s->gate_fd >= 0)
		close(s->gate_fd);
	s->events_fd = s->drops_fd = s->tracked_fd = s->tracked_on_fd = s->gate_fd = -1;
}
