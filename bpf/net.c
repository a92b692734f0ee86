//go:build ignore

/* security_socket_connect (at connect entry) and socket_dup (a socket duplicated by dup/dup2/dup3). */
#include "common.h"
#include <bpf/bpf_endian.h>

#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10

static __always_inline struct socket *file_socket(struct file *f)
{
	if ((BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return NULL;
	return BPF_CORE_READ(f, private_data);
}

SEC("tp_btf/sys_enter") /* a tail call of sys_enter_dispatch */
int BPF_PROG(sys_enter_connect, struct pt_regs *regs, long id)
{
	if (is_self())
		return 0;
	struct sysargs s;
	regs_args(regs, &s);
	struct ebuf *e = start_event(EVENT_SECURITY_SOCKET_CONNECT, id, 0);
	if (!e)
		return 0;
	struct socket *sock = file_socket(fd_file(bpf_get_current_task_btf(), (int)s.args[0]));
	__u32 len = s.args[2];
	if (len > MAX_SOCKADDR)
		len = MAX_SOCKADDR;
	put_u64(e, (int)s.args[0]);              /* sockfd */
	put_u64(e, BPF_CORE_READ(sock, type));   /* type */
	put_bytes(e, TAG_BYTES, (void *)s.args[1], len, true); /* remote_addr */
	submit(e);
	return 0;
}

/* put_peer writes the remote address of a connected inet socket as a struct sockaddr. */
static __always_inline void put_peer(struct ebuf *e, struct socket *sock)
{
	struct sock *sk = BPF_CORE_READ(sock, sk);
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family == AF_INET) {
		struct sockaddr_in sa = {};
		sa.sin_family = AF_INET;
		sa.sin_port = BPF_CORE_READ(sk, __sk_common.skc_dport);
		sa.sin_addr.s_addr = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		put_bytes(e, TAG_BYTES, &sa, sizeof(sa), false);
	} else if (family == AF_INET6) {
		struct sockaddr_in6 sa = {};
		sa.sin6_family = AF_INET6;
		sa.sin6_port = BPF_CORE_READ(sk, __sk_common.skc_dport);
		BPF_CORE_READ_INTO(&sa.sin6_addr, sk, __sk_common.skc_v6_daddr);
		put_bytes(e, TAG_BYTES, &sa, sizeof(sa), false);
	} else {
		put_bytes(e, TAG_BYTES, &family, sizeof(family), false);
	}
}

SEC("tracepoint/syscalls/sys_exit_dup")
int sys_exit_dup(void *ctx)
{
	struct sysargs s;
	if (is_self())
		return 0;
	__s64 ret = exit_ret(ctx);
	if (ret < 0)
		return 0;
	exit_args(&s);
	struct socket *sock = file_socket(fd_file(bpf_get_current_task_btf(), (int)s.args[0]));
	if (!sock)
		return 0;
	struct ebuf *e = start_event(EVENT_SOCKET_DUP, syscall_nr(ctx), ret);
	if (!e)
		return 0;
	put_u64(e, (int)s.args[0]); /* oldfd */
	put_u64(e, ret);            /* newfd */
	put_peer(e, sock);          /* remote_addr */
	submit(e);
	return 0;
}

/* put_local writes the local address of an inet socket as a struct sockaddr (the family alone
 * for other families). */
static __always_inline void put_local(struct ebuf *e, struct socket *sock)
{
	struct sock *sk = BPF_CORE_READ(sock, sk);
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family == AF_INET) {
		struct sockaddr_in sa = {};
		sa.sin_family = AF_INET;
		sa.sin_port = bpf_htons(BPF_CORE_READ(sk, __sk_common.skc_num));
		sa.sin_addr.s_addr = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		put_bytes(e, TAG_BYTES, &sa, sizeof(sa), false);
	} else if (family == AF_INET6) {
		struct sockaddr_in6 sa = {};
		sa.sin6_family = AF_INET6;
		sa.sin6_port = bpf_htons(BPF_CORE_READ(sk, __sk_common.skc_num));
		BPF_CORE_READ_INTO(&sa.sin6_addr, sk, __sk_common.skc_v6_rcv_saddr);
		put_bytes(e, TAG_BYTES, &sa, sizeof(sa), false);
	} else {
		put_bytes(e, TAG_BYTES, &family, sizeof(family), false);
	}
}

#define NR_SOCKET 41
#define NR_ACCEPT 43
#define NR_BIND 49
#define NR_LISTEN 50
#define NR_ACCEPT4 288

/* security_socket_create/listen/accept/bind rebuilt from the syscalls' exits (Tracee takes them
 * from LSM kprobes, refused here). The LSM hooks run before the syscall can fail for most
 * reasons, so the events are sent whatever the result, with it as the return value. */
SEC("tracepoint/syscalls/sys_exit_socket_lsm")
int sys_exit_socket_lsm(void *ctx)
{
	struct sysargs s;
	if (is_self())
		return 0;
	__s32 nr = syscall_nr(ctx);
	__s64 ret = exit_ret(ctx);
	__u32 id;
	switch (nr) {
	case NR_SOCKET:
		id = EVENT_SECURITY_SOCKET_CREATE;
		break;
	case NR_LISTEN:
		id = EVENT_SECURITY_SOCKET_LISTEN;
		break;
	case NR_ACCEPT:
	case NR_ACCEPT4:
		id = EVENT_SECURITY_SOCKET_ACCEPT;
		break;
	case NR_BIND:
		id = EVENT_SECURITY_SOCKET_BIND;
		break;
	default:
		return 0;
	}
	struct ebuf *e = start_event(id, nr, ret);
	if (!e)
		return 0;
	exit_args(&s);
	if (nr == NR_SOCKET) {
		put_u64(e, (int)s.args[0]); /* family */
		put_u64(e, (int)s.args[1]); /* type */
		put_u64(e, (int)s.args[2]); /* protocol */
		put_u64(e, 0);              /* kern: a user socket */
		submit(e);
		return 0;
	}
	put_u64(e, (int)s.args[0]); /* sockfd */
	if (nr == NR_BIND) {
		__u32 len = s.args[2];
		if (len > MAX_SOCKADDR)
			len = MAX_SOCKADDR;
		put_bytes(e, TAG_BYTES, (void *)s.args[1], len, true); /* local_addr: the one asked for */
	} else {
		put_local(e, file_socket(fd_file(bpf_get_current_task_btf(), (int)s.args[0]))); /* local_addr */
	}
	if (nr == NR_LISTEN)
		put_u64(e, (int)s.args[1]); /* backlog */
	submit(e);
	return 0;
}
