// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Socket syscalls (connect, accept, bind) at syscall exit with the user's
 * sockaddr, and TCP state changes from sock:inet_sock_set_state.
 */
#include "sock.bpf.h"

const volatile __u32 want = WANT_CONNECT | WANT_ACCEPT | WANT_BIND | WANT_TCP_STATE;

/*
 * Who a TCP socket belongs to, for its state changes: most of them run in
 * softirq context, on behalf of whichever task the interrupt hit.  A task
 * claims a socket by a transition only its user makes, from a syscall:
 * SYN_SENT (connect), LISTEN (listen), FIN_WAIT1 and LAST_ACK (close,
 * shutdown).  Sockets a listener creates for incoming connections inherit
 * its owner (BPF_F_CLONE copies the storage in sk_clone_lock(), before
 * their first state change), so a server's handshakes are its own.  The
 * storage goes with the socket.  The recorder seeds the sockets that -p
 * processes held before it started (families__claim_sockets()).
 */

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_CLONE);
	__type(key, int);
	__type(value, struct sock_owner);
} sock_owner SEC(".maps");

#define TCP_SYN_SENT  2
#define TCP_FIN_WAIT1 4
#define TCP_LAST_ACK  9
#define TCP_LISTEN    10

/*
 * Socket syscalls, when the file family is not loaded: per-syscall
 * tracepoints fire for these syscalls alone (see exec.bpf.h).
 */
SEC("tracepoint/syscalls/sys_exit_connect")
int net_connect_exit(struct trace_event_raw_sys_exit *ctx)
{
	if ((want & WANT_CONNECT) && tape_want())
		sock_sys_exit(user_regs(), __NR_connect, ctx->ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_bind")
int net_bind_exit(struct trace_event_raw_sys_exit *ctx)
{
	if ((want & WANT_BIND) && tape_want())
		sock_sys_exit(user_regs(), __NR_bind, ctx->ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept")
int net_accept_exit(struct trace_event_raw_sys_exit *ctx)
{
	if ((want & WANT_ACCEPT) && tape_want())
		sock_sys_exit(user_regs(), __NR_accept, ctx->ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int net_accept4_exit(struct trace_event_raw_sys_exit *ctx)
{
	if ((want & WANT_ACCEPT) && tape_want())
		sock_sys_exit(user_regs(), __NR_accept4, ctx->ret);
	return 0;
}

/* struct sockaddr_in / sockaddr_in6, little-endian host, network-order port */
static __always_inline __u8 put_addr(__u8 *dst, __u16 family, __u16 port_be, const void *addr)
{
	__u16 *f = (__u16 *)dst;

	f[0] = family;
	f[1] = port_be;
	if (family == AF_INET) {
		bpf_probe_read_kernel(dst + 4, 4, addr);
		__builtin_memset(dst + 8, 0, 8);
		return 16;
	}
	__builtin_memset(dst + 4, 0, 4); /* flowinfo */
	bpf_probe_read_kernel(dst + 8, 16, addr);
	__builtin_memset(dst + 24, 0, 4); /* scope id */
	return 28;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(net_tcp_state, const struct sock *sk, const int oldstate, const int newstate)
{
	struct sock *s = (struct sock *)sk;
	struct sock_owner *o;
	struct rec_tcp_state *r;
	__u16 family, sport, dport;

	if (!(want & WANT_TCP_STATE) || sk->sk_protocol != IPPROTO_TCP)
		return 0;
	family = sk->__sk_common.skc_family;
	if (family != AF_INET && family != AF_INET6)
		return 0;
	if (newstate == TCP_SYN_SENT || newstate == TCP_LISTEN || newstate == TCP_FIN_WAIT1 ||
	    newstate == TCP_LAST_ACK) {
		__u64 id = bpf_get_current_pid_tgid();

		/* claimed even before the gate opens: the owner outlives it */
		o = bpf_sk_storage_get(&sock_owner, s, NULL, BPF_SK_STORAGE_GET_F_CREATE);
		if (o) {
			o->pid = id >> 32;
			o->tid = (__u32)id;
			bpf_get_current_comm(o->comm, sizeof(o->comm));
			o->want = tape_match(false);
		}
	} else {
		o = bpf_sk_storage_get(&sock_owner, s, NULL, 0);
	}
	if (!tape_live())
		return 0;
	/* no owner: opened before the recording and not closed since; the
	 * interrupted task says nothing about it, so only an unfiltered
	 * recording keeps it */
	if (o ? !o->want : filter_flags != 0)
		return 0;
	stack_kernel_take(ctx, REC_TCP_STATE, 0);
	r = tape_reserve(sizeof(*r), REC_TCP_STATE);
	if (!r)
		return 0;
	if (o) {
		r->hdr.pid = o->pid;
		r->hdr.tid = o->tid;
		__builtin_memcpy(r->hdr.comm, o->comm, sizeof(r->hdr.comm));
	} else {
		r->hdr.pid = 0;
		r->hdr.tid = 0;
		__builtin_memset(r->hdr.comm, 0, sizeof(r->hdr.comm));
	}
	r->oldstate = oldstate;
	r->newstate = newstate;
	r->pad = 0;
	/* inet_sport, as the kernel's own tracepoint reads it: skc_num is
	 * cleared when the port is released, before the move to CLOSE */
	sport = BPF_CORE_READ((struct inet_sock *)s, inet_sport);
	dport = sk->__sk_common.skc_dport;
	if (family == AF_INET) {
		r->saddr_len = put_addr(r->saddr, family, sport, &sk->__sk_common.skc_rcv_saddr);
		r->daddr_len = put_addr(r->daddr, family, dport, &sk->__sk_common.skc_daddr);
	} else {
		r->saddr_len = put_addr(r->saddr, family, sport, &sk->__sk_common.skc_v6_rcv_saddr);
		r->daddr_len = put_addr(r->daddr, family, dport, &sk->__sk_common.skc_v6_daddr);
	}
	tape_submit(r);
	return 0;
}
