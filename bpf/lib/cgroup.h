/* Container attribution in the kernel: when a task enters a cgroup (exec, fork, cgroup attach),
 * the cgroup's ID and path go to userspace once, so the events of a process that exited before
 * userspace decoded them still find their container. Every event carries only the 8-byte ID. */
#pragma once

#include "common.h"

#define MAX_CGROUP_DEPTH 16

/* Cgroups whose path was sent. LRU: one forgotten is sent again, which costs one record. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, __u8);
} cgroups_sent SEC(".maps");

struct kn_walk {
	struct ebuf *e;
	struct kernfs_node *kn;
	__u32 pos;
};

/* One kernfs node up, by bpf_loop; the hierarchy's root (no parent) has no name of its own. */
static long kn_step(__u64 i, void *data)
{
	struct kn_walk *w = data;
	struct kernfs_node *kn = w->kn;
	struct ebuf *e = w->e;
	__u32 pos = w->pos;
	if (!e || !kn || pos + MAX_NAME > HALF)
		return 1;
	struct kernfs_node *parent = BPF_CORE_READ(kn, __parent);
	if (!parent)
		return 1;
	long n = bpf_probe_read_kernel_str(at(e, pos), MAX_NAME, BPF_CORE_READ(kn, name));
	if (n > 0)
		w->pos = pos + n;
	w->kn = parent;
	return 0;
}

/* send_cgroup writes an EVENT_CGROUP_INFO record (header.cgroup_id = id as events carry it, one
 * TAG_PATH argument: the cgroup's path in its hierarchy) unless this cgroup was sent already. */
static __always_inline void send_cgroup(struct cgroup *cg, __u64 id)
{
	if (!cg)
		return;
	struct kernfs_node *kn = cg->kn;
	if (bpf_map_lookup_elem(&cgroups_sent, &id))
		return;
	__u8 one = 1;
	bpf_map_update_elem(&cgroups_sent, &id, &one, BPF_ANY);
	__u32 cpu = bpf_get_smp_processor_id();
	struct ebuf *e = bpf_map_lookup_elem(&bufs, &cpu);
	if (!e)
		return;
	struct event_header *h = (struct event_header *)e->buf;
	__builtin_memset(h, 0, sizeof(*h));
	h->ts = bpf_ktime_get_boot_ns();
	h->cgroup_id = id;
	h->event_id = EVENT_CGROUP_INFO;
	h->syscall = -1;
	e->off = sizeof(struct event_header);
	e->argc = 0;
	__u32 start = e->off;
	struct kn_walk w = {.e = e, .kn = kn, .pos = start + 4};
	bpf_loop(MAX_CGROUP_DEPTH, kn_step, &w, 0);
	__u32 pos = w.pos;
	__u16 len = pos - start - 4;
	*at(e, start) = TAG_PATH;
	*at(e, start + 1) = 0;
	bpf_probe_read_kernel(at(e, start + 2), 2, &len);
	e->off = pos;
	e->argc = 1;
	submit(e);
}

/* send_task_cgroup sends the cgroup task_cgroup picks for t. */
static __always_inline void send_task_cgroup(struct task_struct *t)
{
	__u64 id = 0;
	struct cgroup *cg = task_cgroup(t, &id);
	send_cgroup(cg, id);
}
