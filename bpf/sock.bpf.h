/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Socket syscall records (connect, accept, bind), shared by the net family
 * and by the file family's sys_exit program (see exec.bpf.h for why).
 */
#ifndef BPFTAPE_SOCK_BPF_H
#define BPFTAPE_SOCK_BPF_H

#include "sys.bpf.h"

#define AF_INET	    2
#define AF_INET6    10
#define IPPROTO_TCP 6

static __always_inline void emit_sock(__u16 kind, int fd, const void *uaddr, __u64 addrlen,
				      long ret)
{
	struct rec_sock *r;

	r = tape_reserve(sizeof(*r), kind);
	if (!r)
		return;
	r->fd = fd;
	r->ret = ret;
	r->pad = 0;
	addrlen = BOUND(addrlen, REC_ADDR_MAX - 1);
	r->addr_len = 0;
	if (uaddr && addrlen && !bpf_probe_read_user(r->addr, addrlen, uaddr))
		r->addr_len = addrlen;
	tape_submit(r);
}

/* The `want` bit of socket syscall @nr. */
static __always_inline __u32 sock_want(long nr)
{
	if (nr == __NR_connect)
		return WANT_CONNECT;
	return nr == __NR_bind ? WANT_BIND : WANT_ACCEPT;
}

/*
 * connect/bind: the address is an input; accept: the peer is an output.
 * One emit_sock() for all: each inlined copy takes its own stack space,
 * and the file family's sys_exit program has little to spare (its
 * mappings callbacks run on top of it).
 */
static __always_inline void sock_sys_exit(struct pt_regs *regs, long nr, long ret)
{
	void *uaddr = (void *)sys_arg(regs, 1);
	__u16 kind = nr == __NR_connect ? REC_CONNECT : REC_BIND;
	__u64 len = (__u32)sys_arg(regs, 2);

	if (nr != __NR_connect && nr != __NR_bind) {
		const int *ulen = (const int *)sys_arg(regs, 2);
		int n = 0;

		if (ret < 0 || !uaddr || !ulen || bpf_probe_read_user(&n, sizeof(n), ulen))
			n = 0;
		kind = REC_ACCEPT;
		len = n > 0 ? n : 0;
	}
	emit_sock(kind, sys_arg(regs, 0), uaddr, len, ret);
}

#endif /* BPFTAPE_SOCK_BPF_H */
