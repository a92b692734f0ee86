//go:build ignore

/* Syscall events: one entry program stashes the six raw arguments of any syscall, one exit
 * program emits a syscall event from them, encoded as syscall_confs[nr] says. Userspace attaches
 * both to syscalls:sys_enter_<name>/sys_exit_<name> of the selected syscalls only. */
#include "common.h"

SEC("tracepoint/syscalls/sys_enter_generic")
int sys_enter_generic(void *ctx)
{
	if (is_self())
		return 0;
	struct stash_slot *slot = bpf_task_storage_get(&stashes, bpf_get_current_task_btf(), NULL,
						       BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!slot)
		return 0;
	read_enter_args(ctx, &slot->s);
	slot->valid = 1;
	return 0;
}

/* take_stash returns this thread's entry arguments, removing them from the map. */
static __always_inline bool take_stash(struct stash *out)
{
	struct stash_slot *slot = bpf_task_storage_get(&stashes, bpf_get_current_task_btf(), NULL, 0);
	if (!slot || !slot->valid)
		return false;
	__builtin_memcpy(out, &slot->s, sizeof(*out));
	slot->valid = 0;
	return true;
}

static __always_inline __s64 exit_ret(void *ctx)
{
	__s64 ret = 0;
	bpf_probe_read_kernel(&ret, sizeof(ret), ctx + 16);
	return ret;
}

SEC("tracepoint/syscalls/sys_exit_generic")
int sys_exit_generic(void *ctx)
{
	struct stash s;
	if (is_self() || !take_stash(&s))
		return 0;
	__u32 nr = syscall_nr(ctx);
	struct syscall_conf *conf = bpf_map_lookup_elem(&syscall_confs, &nr);
	if (!conf)
		return 0;
	struct ebuf *e = start_event(nr, nr, exit_ret(ctx));
	if (!e)
		return 0;
	for (int i = 0; i < 6; i++) {
		if (i >= conf->nargs)
			break;
		if (conf->kinds[i] == KIND_USER_STR)
			put_str(e, (void *)s.args[i], true);
		else
			put_u64(e, s.args[i]);
	}
	submit(e);
	return 0;
}
