/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Executable file mappings, for user stacks (record/maps.c): the mappings
 * an exec set up, and every later mmap, munmap and mprotect that adds or
 * removes PROT_EXEC, each with the file's path read here, so that a
 * process that exits at once still resolves after /proc forgot it.
 *
 * Why these hooks: perf's own, perf_event_mmap(vma), is a plain function,
 * reachable only with fentry or a kprobe; fentry, fexit and LSM programs
 * need BPF trampolines, which the 6.18 kernel this was built on refuses
 * (EPERM on every fentry and lsm load), and it has no kprobes
 * (CONFIG_KPROBES off).  Syscall exit (tp_btf/sys_exit) and
 * sched_process_exec are BTF tracepoints, always there.  At syscall exit
 * the new vma exists: bpf_find_vma() finds it by the address mmap
 * returned, and sched_process_exec walks the new image's vmas with the
 * task_vma iterator.  bpf_d_path() is only allowed in a few LSM and
 * fentry hooks, so the path is built here by walking the dentries up to
 * the root of the mount namespace, as d_path() does.
 *
 * Shared by maps.bpf.c and by the file family's sys_exit program (as
 * exec.bpf.h and sock.bpf.h are).
 */
#ifndef BPFTAPE_MMAP_BPF_H
#define BPFTAPE_MMAP_BPF_H

#include "sys.bpf.h"

#define VM_EXEC_FLAG   0x4 /* VM_EXEC */
#define PROT_EXEC_FLAG 0x4
#define MAP_ANON_FLAG  0x20 /* MAP_ANONYMOUS */
#define PAGE_MASK_LOW  4095ul

/* Directory levels walked (mount points crossed count as one). */
#define PATH_DEPTH 40
/* The path is built backwards from the middle of the scratch buffer. */
#define PATH_END 512

struct maps_scratch {
	struct rec_mmap rec;
	char buf[PATH_END * 2];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct maps_scratch);
} maps_scratch SEC(".maps");

extern int bpf_iter_task_vma_new(struct bpf_iter_task_vma *it, struct task_struct *task,
				 __u64 addr) __weak __ksym;
extern struct vm_area_struct *bpf_iter_task_vma_next(struct bpf_iter_task_vma *it) __weak __ksym;
extern void bpf_iter_task_vma_destroy(struct bpf_iter_task_vma *it) __weak __ksym;

/* Where a path walk is: one bpf_loop() step per directory level. */
struct walk {
	struct dentry *d;
	struct vfsmount *vm;
	struct mount *mnt;
	__u64 mnt_off;
	__u32 off; /* the path starts at buf[off], ends at PATH_END */
	__u16 flags;
	__u16 done;
};

static long walk_step(__u32 i, void *data)
{
	struct walk *w = data;
	struct maps_scratch *s;
	struct dentry *parent, *root;
	const unsigned char *name;
	__u32 zero = 0, len, off = w->off;

	s = bpf_map_lookup_elem(&maps_scratch, &zero);
	if (!s)
		return 1;
	/* locals: CO-RE relocates every access in its argument, and a walk
	 * is not a kernel type */
	struct dentry *d = w->d;
	struct vfsmount *vm = w->vm;
	struct mount *mnt = w->mnt;

	parent = BPF_CORE_READ(d, d_parent);
	root = BPF_CORE_READ(vm, mnt_root);
	if (d == root || d == parent) {
		struct mount *up = BPF_CORE_READ(mnt, mnt_parent);

		if (d != root || up == mnt) {
			w->done = 1; /* the root of the namespace */
			return 1;
		}
		w->d = BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = up;
		w->vm = (void *)up + w->mnt_off;
		return 0;
	}
	len = BPF_CORE_READ(d, d_name.len);
	name = BPF_CORE_READ(d, d_name.name);
	if (len > 255 || len + 1 > off || off > PATH_END) {
		w->flags |= REC_MMAP_TRUNC;
		w->done = 1;
		return 1;
	}
	off -= len;
	bpf_probe_read_kernel(&s->buf[off & (PATH_END - 1)], len & 255, name);
	off -= 1;
	s->buf[off & (PATH_END - 1)] = '/';
	w->off = off;
	w->d = parent;
	return 0;
}

/*
 * Write the path of @f into s->buf, ending at PATH_END; return where it
 * starts.  Components come from d_name up to each mount's root, then the
 * mount point in the parent mount, up to the namespace's root mount.
 */
static __always_inline __u32 build_path(struct maps_scratch *s, struct file *f, __u16 *flags)
{
	struct walk w = {};

	w.mnt_off = bpf_core_field_offset(struct mount, mnt);
	w.d = BPF_CORE_READ(f, f_path.dentry);
	w.vm = BPF_CORE_READ(f, f_path.mnt);
	w.mnt = (void *)w.vm - w.mnt_off;
	w.off = PATH_END;
	bpf_loop(PATH_DEPTH, walk_step, &w, 0);
	if (!w.done)
		w.flags |= REC_MMAP_TRUNC;
	*flags |= w.flags;
	if (w.off >= PATH_END) {
		w.off = PATH_END - 1;
		s->buf[PATH_END - 1] = '/';
	}
	return w.off;
}

/* Send the executable file mapping @vma of the current process. */
static __always_inline void emit_vma(struct vm_area_struct *vma)
{
	struct maps_scratch *s;
	struct rec_mmap *r;
	struct file *f;
	__u32 zero = 0, off, len;

	if (!(vma->vm_flags & VM_EXEC_FLAG))
		return;
	f = vma->vm_file;
	if (!f)
		return;
	s = bpf_map_lookup_elem(&maps_scratch, &zero);
	if (!s)
		return;
	r = &s->rec;
	tape_fill(&r->hdr, REC_MMAP);
	r->start = vma->vm_start;
	r->end = vma->vm_end;
	r->pgoff = (__u64)vma->vm_pgoff << 12;
	r->ino = BPF_CORE_READ(f, f_inode, i_ino);
	r->dev = BPF_CORE_READ(f, f_inode, i_sb, s_dev);
	r->flags = 0;
	off = build_path(s, f, &r->flags);
	len = PATH_END - off;
	if (len > REC_PATH_MAX) {
		r->flags |= REC_MMAP_TRUNC;
		len = REC_PATH_MAX;
	}
	/* bounds the verifier can follow: the scratch holds 511 bytes past
	 * r->path and past any offset into s->buf */
	len = BOUND(len, PATH_END - 1);
	bpf_probe_read_kernel(r->path, len, &s->buf[off & (PATH_END - 1)]);
	r->path_len = len;
	/* a mapping takes no stack: no event type names it */
	tape_output_bare(&r->hdr, offsetof(struct rec_mmap, path) + len);
}

static long find_cb(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	emit_vma(vma);
	return 0;
}

static __always_inline void emit_unmap(__u64 start, __u64 end, __u32 flags)
{
	struct rec_munmap *r = tape_reserve(sizeof(*r), REC_MUNMAP);

	if (!r)
		return;
	r->start = start;
	r->end = end;
	r->flags = flags;
	r->pad = 0;
	tape_submit(r);
}

/*
 * The mappings syscall @nr (mmap, munmap, mprotect, pkey_mprotect)
 * changed, at its exit with @ret: for maps.bpf.c's own sys_exit program,
 * and for the file family's, which takes this over while it is loaded
 * (WANT_MMAP), so that every syscall exit runs one program and not two.
 */
static __always_inline void mmap_sys_exit(struct pt_regs *regs, long nr, long ret)
{
	__u64 start, len;

	if (ret < 0 && ret > -4096)
		return; /* failed: nothing changed */
	if (!tape_want())
		return;
	if (nr == __NR_mmap) {
		if (!(sys_arg(regs, 2) & PROT_EXEC_FLAG) || (sys_arg(regs, 3) & MAP_ANON_FLAG))
			return;
		bpf_find_vma(bpf_get_current_task_btf(), ret, find_cb, NULL, 0);
		return;
	}
	start = sys_arg(regs, 0);
	len = (sys_arg(regs, 1) + PAGE_MASK_LOW) & ~PAGE_MASK_LOW;
	if (nr != __NR_munmap && (sys_arg(regs, 2) & PROT_EXEC_FLAG)) {
		/* mprotect split the vma at start: this one begins there */
		bpf_find_vma(bpf_get_current_task_btf(), start, find_cb, NULL, 0);
		return;
	}
	if (len)
		emit_unmap(start, start + len, 0);
}

#endif /* BPFTAPE_MMAP_BPF_H */
