//go:build ignore

/* Syscall events, encoded as syscall_confs[nr] says (one kind per argument, from its Go type).
 *
 * Events are sent at the exit, with the arguments read from the registers saved at entry, except
 * those flagged CONF_AT_ENTRY (execve: its arguments are gone after it).
 *
 * Entries: one program on the raw sys_enter (tp_btf), sys_enter_dispatch, tail-calls the program
 * of the syscall's number in sys_enter_tails (sys_enter_generic for CONF_AT_ENTRY events, and the
 * entry programs of magic_write, connect, mmap and mprotect) and returns at once for any other.
 * A single probe on the tracepoint is called directly; a perf syscalls:sys_enter_* tracepoint
 * beside it would add the kernel's perf handler and an indirect call to every syscall's entry
 * (docs/benchmarks/ebpf.md). A program the kernel refuses leaves only its own slots empty.
 *
 * Exits, two ways in, sharing the same bodies:
 * - per syscall: sys_exit_generic on syscalls:sys_exit_<name>, for a few selected syscalls;
 * - global: sys_exit_all on the raw sys_exit (tp_btf), for large selections: it returns at once
 *   unless syscall_confs[nr] has CONF_GLOBAL. One raw tracepoint detaches in well under a
 *   millisecond, where hundreds of perf-event tracepoints take seconds. */
#include "common.h"

#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define MAX_ARGS 64 /* strings of a []string argument */

/* put_str_array writes a NULL-terminated user array of strings as NUL-separated strings, up to
 * MAX_ARGS of them and MAX_ARGV bytes. */
static __always_inline void put_str_array(struct ebuf *e, const char *const *arr)
{
	__u32 off = e->off;
	if (!room(e, 3 + MAX_ARGV)) {
		put_empty(e, TAG_STRARR);
		return;
	}
	__u32 len = 0;
	for (int i = 0; i < MAX_ARGS && arr; i++) {
		const char *p = NULL;
		if (bpf_probe_read_user(&p, sizeof(p), &arr[i]) < 0 || !p)
			break;
		if (len >= MAX_ARGV - 1)
			break;
		long n = bpf_probe_read_user_str(at(e, off + 3 + len), clamp(MAX_ARGV - len, MAX_ARGV), p);
		if (n <= 0)
			break;
		len += n;
	}
	if (len > MAX_ARGV)
		len = MAX_ARGV;
	put_tag_len(e, off, TAG_STRARR, len);
	e->off = off + 3 + (len & (2 * MAX_ARGV - 1));
	e->argc++;
}

/* put_user_sockaddr writes a user struct sockaddr, as many bytes as its family uses. */
static __always_inline void put_user_sockaddr(struct ebuf *e, const void *addr)
{
	__u16 family = 0;
	if (!addr || bpf_probe_read_user(&family, sizeof(family), addr) < 0) {
		put_empty(e, TAG_BYTES);
		return;
	}
	__u32 len = 16; /* sockaddr_in and the generic struct sockaddr */
	if (family == AF_UNIX)
		len = 110;
	else if (family == AF_INET6)
		len = 28;
	put_bytes(e, TAG_BYTES, addr, len, true);
}

/* put_user_fixed writes len bytes of a user struct (a timespec, an int[2]); none for NULL. */
static __always_inline void put_user_fixed(struct ebuf *e, const void *src, __u32 len)
{
	if (!src) {
		put_empty(e, TAG_BYTES);
		return;
	}
	put_bytes(e, TAG_BYTES, src, len, true);
}

static __always_inline void emit_syscall(__s32 nr, struct syscall_conf *conf, struct sysargs *s, __s64 ret)
{
	struct ebuf *e = start_event(nr, nr, ret);
	if (!e)
		return;
	for (int i = 0; i < 6; i++) {
		if (i >= conf->nargs)
			break;
		void *a = (void *)s->args[i];
		switch (conf->kinds[i]) {
		case KIND_USER_STR:
			put_str(e, a, true);
			break;
		case KIND_USER_STRARR:
			put_str_array(e, a);
			break;
		case KIND_SOCKADDR:
			put_user_sockaddr(e, a);
			break;
		case KIND_TIMESPEC:
			put_user_fixed(e, a, 16);
			break;
		case KIND_INT2:
			put_user_fixed(e, a, 8);
			break;
		default:
			put_u64(e, s->args[i]);
		}
	}
	submit(e);
}

#define NR_CLONE 56
#define NR_FORK 57
#define NR_VFORK 58
#define NR_CLONE3 435

/* child_return reports whether an exit is a new thread's first return from clone/fork: the child
 * leaves the syscall too (with 0 and its parent's registers) but never entered it. */
static __always_inline bool child_return(__s32 nr, __s64 ret)
{
	return ret == 0 && (nr == NR_CLONE || nr == NR_FORK || nr == NR_VFORK || nr == NR_CLONE3);
}

static __always_inline __s64 exit_ret(void *ctx)
{
	return ((struct syscall_exit_record *)ctx)->ret;
}

static __always_inline struct syscall_conf *conf_of(__u32 nr)
{
	return bpf_map_lookup_elem(&syscall_confs, &nr);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter_dispatch, struct pt_regs *regs, long id)
{
	bpf_tail_call(ctx, &sys_enter_tails, (__u32)id);
	return 0;
}

/* sys_enter_generic: the entry of a CONF_AT_ENTRY syscall event (a tail call of sys_enter_dispatch). */
SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter_generic, struct pt_regs *regs, long id)
{
	struct syscall_conf *conf = conf_of(id);
	if (!conf || !(conf->flags & CONF_AT_ENTRY) || is_self())
		return 0;
	struct sysargs s;
	regs_args(regs, &s);
	emit_syscall(id, conf, &s, 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_generic")
int sys_exit_generic(void *ctx)
{
	struct sysargs s;
	__s32 nr = syscall_nr(ctx);
	struct syscall_conf *conf = conf_of(nr);
	__s64 ret = exit_ret(ctx);
	if (!conf || (conf->flags & (CONF_AT_ENTRY | CONF_GLOBAL)) || child_return(nr, ret) || is_self())
		return 0;
	exit_args(&s);
	emit_syscall(nr, conf, &s, ret);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit_all, struct pt_regs *regs, long ret)
{
	__s32 nr = regs->orig_ax;
	struct syscall_conf *conf = conf_of(nr);
	if (!conf || (conf->flags & (CONF_GLOBAL | CONF_AT_ENTRY)) != CONF_GLOBAL || child_return(nr, ret) ||
	    is_self())
		return 0;
	struct sysargs s;
	regs_args(regs, &s);
	emit_syscall(nr, conf, &s, ret);
	return 0;
}
