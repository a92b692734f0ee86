/* Maps, the per-CPU event buffer and the argument writers shared by every hook family. */
#pragma once

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "events.h"

#define BUF_SIZE 32768
#define HALF (BUF_SIZE / 2) /* an event never grows past HALF; writes of <= HALF bytes stay in bounds */
#define MASK (HALF - 1)
#define MAX_STR 4096
#define MAX_NAME 256
#define MAX_ARGV 4096
#define MAX_ENV 8191 /* environment bytes of an exec, if the event has room */
#define MAX_SOCKADDR 128

#define AT_FDCWD -100
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define S_IFREG 0100000
#define PF_KTHREAD 0x00200000
#define SB_KERNMOUNT (1 << 22)

/* Set by userspace before load. */
const volatile __u32 self_tgid = 0;
const volatile __u64 wakeup_bytes = 1 << 20;
/* The cgroup v1 controller whose hierarchy names containers on a v1 or hybrid host (its index in
 * css_set.subsys, the line of /proc/cgroups) and that hierarchy's ID; -1 and 0 on a pure v2 host. */
const volatile __s32 cgroup_v1_subsys = -1;
const volatile __s32 cgroup_v1_hierarchy = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* resized by userspace */
} events SEC(".maps");

/* enabled[event_id] != 0: the event is selected. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EVENT_ID_MAX);
	__type(key, __u32);
	__type(value, __u32);
} enabled SEC(".maps");

/* Events lost because the ring was full, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

struct ebuf {
	__u32 off;
	__u8 argc;
	__u8 buf[BUF_SIZE];
};

/* One event buffer per CPU. A plain array indexed by CPU (resized by userspace to the possible
 * CPUs): per-CPU array values are limited to 32 KiB. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct ebuf);
} bufs SEC(".maps");

/* A syscall's six arguments. */
struct sysargs {
	__u64 args[6];
};

/* syscall_confs[nr]: how the generic exit encodes a syscall event's arguments. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 512);
	__type(key, __u32);
	__type(value, struct syscall_conf);
} syscall_confs SEC(".maps");

/* sys_enter_tails[nr]: the program the entry of syscall nr runs, tail-called by sys_enter_dispatch
 * (syscalls.c), the only program on the raw sys_enter. A slot the kernel refused stays empty. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 512);
	__type(key, __u32);
	__type(value, __u32);
} sys_enter_tails SEC(".maps");

static __always_inline bool is_self(void)
{
	return (bpf_get_current_pid_tgid() >> 32) == self_tgid;
}

static __always_inline bool is_enabled(__u32 id)
{
	__u32 *on = bpf_map_lookup_elem(&enabled, &id);
	return on && *on;
}

/* A v2 cgroup's ID on a hybrid host, where it shares the field with v1 IDs (kernfs IDs of two
 * hierarchies may be equal). Userspace strips it from the event's cgroupId. */
#define CGROUP_V2_TAG (1ULL << 63)

/* task_cgroup is the task's cgroup that names its container, with its ID: in the chosen v1
 * hierarchy (Tracee's cgroup_id there), or v2's on a pure v2 host. On a hybrid host a task in the
 * v1 hierarchy's root may still sit in a v2 cgroup (a container placed in v2 only): then v2's. */
static __always_inline struct cgroup *task_cgroup(struct task_struct *t, __u64 *id)
{
	struct cgroup *dfl = t->cgroups->dfl_cgrp;
	__u32 i = cgroup_v1_subsys;
	if (cgroup_v1_subsys < 0 || i >= sizeof(t->cgroups->subsys) / sizeof(t->cgroups->subsys[0])) {
		*id = dfl->kn->id;
		return dfl;
	}
	struct cgroup *cg = t->cgroups->subsys[i]->cgroup;
	struct kernfs_node *kn = cg->kn;
	if (kn->__parent || !dfl->kn->__parent) { /* below the v1 root, or in v2's root too */
		*id = kn->id;
		return cg;
	}
	*id = dfl->kn->id | CGROUP_V2_TAG;
	return dfl;
}

/* The header is filled in two steps: first what the policy scope looks at (ids, namespaces,
 * uid, comm), then, only for an event the scope keeps, the rest. Both read through BTF pointers
 * (plain loads the verifier turns into guarded ones): far cheaper than a bpf_probe_read_kernel
 * call per field. */
static __always_inline void fill_scope_fields(struct event_header *h, struct task_struct *t)
{
	struct task_struct *leader = t->group_leader;
	struct task_struct *parent = leader->real_parent;
	struct pid *tpid = t->thread_pid;
	unsigned int level = tpid->level;

	h->host_tid = t->pid;
	h->host_pid = t->tgid;
	h->host_ppid = parent->tgid;
	if (level == 0) { /* the initial pid namespace: no need to index numbers[] */
		h->tid = h->host_tid;
		h->pid = h->host_pid;
		h->ppid = h->host_ppid;
		h->pidns = tpid->numbers[0].ns->ns.inum;
	} else {
		h->tid = BPF_CORE_READ(tpid, numbers[level].nr);
		h->pid = BPF_CORE_READ(leader, thread_pid, numbers[level].nr);
		h->ppid = BPF_CORE_READ(parent, group_leader, thread_pid, numbers[level].nr);
		h->pidns = BPF_CORE_READ(tpid, numbers[level].ns, ns.inum);
	}
	h->uid = bpf_get_current_uid_gid();
	h->mntns = t->nsproxy->mnt_ns->ns.inum;
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}

static __always_inline void fill_header_rest(struct event_header *h, struct task_struct *t, __u32 id, __s32 nr,
					     __s64 ret)
{
	h->ts = bpf_ktime_get_boot_ns();
	h->start_time = t->start_boottime;
	h->leader_start_time = t->group_leader->start_boottime;
	task_cgroup(t, &h->cgroup_id);
	h->retval = ret;
	h->event_id = id;
	h->syscall = nr;
	h->cpu = bpf_get_smp_processor_id();
	h->flags = 0;
	h->pad = 0;
	bpf_probe_read_kernel(h->nodename, sizeof(h->nodename), t->nsproxy->uts_ns->name.nodename);
}

#include "scope.h"

/* start_event returns the CPU's buffer with a filled header, or NULL when the event is off. */
static __always_inline struct ebuf *start_event(__u32 id, __s32 nr, __s64 ret)
{
	__u32 cpu = bpf_get_smp_processor_id();
	if (!is_enabled(id))
		return NULL;
	struct ebuf *e = bpf_map_lookup_elem(&bufs, &cpu);
	if (!e)
		return NULL;
	struct event_header *h = (struct event_header *)e->buf;
	struct task_struct *t = bpf_get_current_task_btf();
	fill_scope_fields(h, t);
	bool keep;
	h->matched = scope_matched(id, h, &keep);
	if (!keep)
		return NULL; /* no policy can match it: never leaves the kernel */
	fill_header_rest(h, t, id, nr, ret);
	e->off = sizeof(struct event_header);
	e->argc = 0;
	return e;
}

static __always_inline void submit(struct ebuf *e)
{
	struct event_header *h = (struct event_header *)e->buf;
	__u32 size = e->off;
	if (size > HALF)
		size = HALF;
	/* A bound the verifier sees whatever the compiler made of the test above. */
	asm volatile("%[size] &= 0x7fff" : [size] "+r"(size));
	h->args_len = size - sizeof(struct event_header);
	h->argc = e->argc;
	__u64 flags = BPF_RB_NO_WAKEUP;
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	if (bpf_ringbuf_output(&events, e->buf, size, flags) < 0) {
		__u32 zero = 0;
		__u64 *n = bpf_map_lookup_elem(&drops, &zero);
		if (n)
			*n += 1;
	}
}

/* at returns the buffer at off, masked in a way the compiler cannot drop: after a room() test
 * it would otherwise remove the mask, and the verifier does not always follow the test. */
static __always_inline __u8 *at(struct ebuf *e, __u32 off)
{
	__u64 o = off;
	asm volatile("%[o] &= %[m]" : [o] "+r"(o) : [m] "i"(MASK));
	return &e->buf[o];
}

/* clamp bounds a length to max (a power of two) for the verifier. */
static __always_inline __u32 clamp(__u32 len, __u32 max)
{
	__u64 l = len;
	if (l > max)
		l = max;
	asm volatile("%[l] &= %[m]" : [l] "+r"(l) : [m] "i"(2 * 4096 - 1));
	return l;
}

/* room reports whether n more bytes fit in the event. */
static __always_inline bool room(struct ebuf *e, __u32 n)
{
	return e->off + n <= HALF;
}

static __always_inline void put_u64(struct ebuf *e, __u64 v)
{
	__u32 off = e->off;
	if (!room(e, 9))
		return;
	*at(e, off) = TAG_U64;
	*(__u64 *)at(e, off + 1) = v; /* unaligned: fine on the architectures bpf2go targets here */
	e->off = off + 9;
	e->argc++;
}

/* put_len_tagged writes tag and a u16 length at off; the data goes at off+3. */
static __always_inline void put_tag_len(struct ebuf *e, __u32 off, __u8 tag, __u16 len)
{
	*at(e, off) = tag;
	*(__u16 *)at(e, off + 1) = len;
}

/* put_empty writes an empty argument of a length-prefixed kind when the full one does not fit,
 * so that the arguments after it keep their positions. */
static __always_inline void put_empty(struct ebuf *e, __u8 tag)
{
	__u32 off = e->off;
	if (!room(e, 3))
		return;
	put_tag_len(e, off, tag, 0);
	e->off = off + 3;
	e->argc++;
}

static __always_inline void put_str(struct ebuf *e, const void *src, bool user)
{
	__u32 off = e->off;
	long n;
	if (!room(e, 3 + MAX_STR)) {
		put_empty(e, TAG_STR);
		return;
	}
	if (!src)
		n = 0;
	else if (user)
		n = bpf_probe_read_user_str(at(e, off + 3), MAX_STR, src);
	else
		n = bpf_probe_read_kernel_str(at(e, off + 3), MAX_STR, src);
	if (n < 0)
		n = 0;
	put_tag_len(e, off, TAG_STR, n);
	e->off = off + 3 + (n & (MAX_STR * 2 - 1));
	e->argc++;
}

static __always_inline void put_bytes(struct ebuf *e, __u8 tag, const void *src, __u32 len, bool user)
{
	__u32 off = e->off;
	if (!room(e, 3 + MAX_ARGV)) {
		put_empty(e, tag);
		return;
	}
	len = clamp(len, MAX_ARGV);
	long err = user ? bpf_probe_read_user(at(e, off + 3), len, src)
			: bpf_probe_read_kernel(at(e, off + 3), len, src);
	if (err < 0)
		len = 0;
	put_tag_len(e, off, tag, len);
	e->off = off + 3 + len;
	e->argc++;
}

/* put_bytes_rest writes up to max (<= 8191) bytes, cut to the room left in the event: for a
 * last argument that should get whatever the ones before it left (the environment of an exec). */
static __always_inline void put_bytes_rest(struct ebuf *e, __u8 tag, const void *src, __u32 len, __u32 max,
					   bool user)
{
	__u32 off = e->off;
	if (!room(e, 3))
		return;
	__u32 left = HALF - off - 3;
	if (len > left)
		len = left;
	len = clamp(len, max);
	long err = user ? bpf_probe_read_user(at(e, off + 3), len, src)
			: bpf_probe_read_kernel(at(e, off + 3), len, src);
	if (err < 0)
		len = 0;
	put_tag_len(e, off, tag, len);
	e->off = off + 3 + len;
	e->argc++;
}

/* exit_args reads the arguments of the syscall the current thread is leaving from the user
 * registers saved at its entry (x86-64: di, si, dx, r10, r8, r9), which syscalls leave as they came:
 * an exit needs no program at the entry nor a per-thread copy. (A tracer changing them at the entry
 * stop did so before the entry tracepoint too; execve replaces them: its event is sent at entry.) */
/* regs_args reads a syscall's arguments from its saved user registers (a BTF pointer). */
static __always_inline void regs_args(struct pt_regs *r, struct sysargs *s)
{
	s->args[0] = r->di;
	s->args[1] = r->si;
	s->args[2] = r->dx;
	s->args[3] = r->r10;
	s->args[4] = r->r8;
	s->args[5] = r->r9;
}

static __always_inline void exit_args(struct sysargs *s)
{
	regs_args((struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf()), s);
}

/* The start of every syscalls:sys_enter_* and sys_exit_* record: plain ctx loads of these fields
 * pass the attach check of each (a load past a record's end would fail it). */
struct syscall_record {
	__u64 common;
	__s32 nr;
	__s32 pad;
};

struct syscall_exit_record {
	struct syscall_record head;
	__s64 ret;
};

static __always_inline __s32 syscall_nr(void *ctx)
{
	return ((struct syscall_record *)ctx)->nr;
}

/* fd_file returns the file of a task's descriptor. t must be a BTF pointer (the current task from
 * bpf_get_current_task_btf, a tp_btf argument): the table is reached by plain loads. */
static __always_inline struct file *fd_file(struct task_struct *t, __s64 fd)
{
	struct file *f = NULL;
	struct fdtable *fdt = t->files->fdt;
	if (fd < 0 || fd >= fdt->max_fds)
		return NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fdt->fd[fd]);
	return f;
}

static __always_inline __u64 inode_ctime(struct inode *ino)
{
	return BPF_CORE_READ(ino, i_ctime_sec) * 1000000000ULL + BPF_CORE_READ(ino, i_ctime_nsec);
}
