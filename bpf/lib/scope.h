/* In-kernel policy scope: the kernel's share of the policies' scopes (domain.KernelScope), as
 * bitmaps over policies. An event no policy can match is dropped before it is written; the
 * others carry the policies they may match. Userspace decides the rest. Off unless configured. */
#pragma once

/* Included by common.h, after the event header and before start_event. */

#define MAX_SCOPE_RANGES 64

enum scope_field {
	SCOPE_UID = 0,
	SCOPE_PID = 1,
};

struct scope_conf {
	__u64 all;
	__u64 uid_eq;
	__u64 pid_eq;
	__u64 mntns_eq;
	__u64 pidns_eq;
	__u64 comm_eq;
	__u64 followers;
	__u32 on;
	__u32 nranges;
	__u32 fields; /* SCOPE_F_* of the fields some policy filters on: the others are not looked up */
	__u32 pad;
};

enum scope_fields {
	SCOPE_F_UID = 1,
	SCOPE_F_PID = 2,
	SCOPE_F_MNTNS = 4,
	SCOPE_F_PIDNS = 8,
	SCOPE_F_COMM = 16,
};

struct scope_bits {
	__u64 eq;
	__u64 ne;
};

struct scope_range {
	__u32 field;
	__u32 pad;
	__u64 policy;
	__u64 min;
	__u64 max;
};

/* scope_event[id]: the policies that need the event; bypass: always sent (the process tree). */
struct scope_event {
	__u64 need;
	__u32 bypass;
	__u32 pad;
};

struct comm_key {
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scope_conf);
} scope_confs SEC(".maps");

#define SCOPE_HASH(name, keytype)                    \
	struct {                                     \
		__uint(type, BPF_MAP_TYPE_HASH);     \
		__uint(max_entries, 1024);           \
		__type(key, keytype);                \
		__type(value, struct scope_bits);    \
	} name SEC(".maps")

SCOPE_HASH(scope_uid, __u64);
SCOPE_HASH(scope_pid, __u64);
SCOPE_HASH(scope_mntns, __u64);
SCOPE_HASH(scope_pidns, __u64);
SCOPE_HASH(scope_comm, struct comm_key);

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_SCOPE_RANGES);
	__type(key, __u32);
	__type(value, struct scope_range);
} scope_ranges SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EVENT_ID_MAX);
	__type(key, __u32);
	__type(value, struct scope_event);
} scope_events SEC(".maps");

static __always_inline __u64 scope_field(void *map, void *key, __u64 eq)
{
	struct scope_bits *b = bpf_map_lookup_elem(map, key);
	__u64 e = b ? b->eq : 0, ne = b ? b->ne : 0;
	return (~eq | e) & ~ne;
}

struct range_ctx {
	__u64 uid, pid, m;
};

static long range_step(__u64 i, void *data)
{
	struct range_ctx *c = data;
	__u32 k = i;
	struct scope_range *r = bpf_map_lookup_elem(&scope_ranges, &k);
	if (!r)
		return 1;
	__u64 v = r->field == SCOPE_UID ? c->uid : c->pid;
	if (v < r->min || v > r->max)
		c->m &= ~r->policy;
	return 0;
}

/* scope_matched returns the policies an event may match, all ones when scoping is off. *keep
 * says whether to send it: when nothing matches, only the process tree's events still go. */
static __always_inline __u64 scope_matched(__u32 id, struct event_header *h, bool *keep)
{
	__u32 zero = 0;
	*keep = true;
	struct scope_conf *c = bpf_map_lookup_elem(&scope_confs, &zero);
	if (!c || !c->on)
		return ~0ULL;
	struct scope_event *ev = bpf_map_lookup_elem(&scope_events, &id);
	if (!ev) {
		*keep = false;
		return 0;
	}
	*keep = ev->bypass;
	if (!ev->need)
		return 0;
	__u64 uid = h->uid, pid = h->host_pid, mntns = h->mntns, pidns = h->pidns;
	__u32 fields = c->fields;
	__u64 m = c->all;
	if (fields & SCOPE_F_UID)
		m &= scope_field(&scope_uid, &uid, c->uid_eq);
	if (fields & SCOPE_F_PID)
		m &= scope_field(&scope_pid, &pid, c->pid_eq);
	if (fields & SCOPE_F_MNTNS)
		m &= scope_field(&scope_mntns, &mntns, c->mntns_eq);
	if (fields & SCOPE_F_PIDNS)
		m &= scope_field(&scope_pidns, &pidns, c->pidns_eq);
	if (fields & SCOPE_F_COMM) {
		struct comm_key comm = {};
		__builtin_memcpy(comm.comm, h->comm, sizeof(comm.comm));
		comm.comm[15] = 0;
		m &= scope_field(&scope_comm, &comm, c->comm_eq);
	}
	if (c->nranges) {
		struct range_ctx rc = {.uid = uid, .pid = pid, .m = m};
		bpf_loop(c->nranges, range_step, &rc, 0);
		m = rc.m;
	}
	/* Container and not-container scopes need the container ID: left to userspace (superset). */
	m = (m | c->followers) & ev->need;
	if (m)
		*keep = true;
	return m;
}
