//go:build ignore

/* Process life cycle: sched_process_exec / fork / exit on tp_btf (no tracefs, no syscall slow path). */
#include "common.h"
#include "path.h"
#include "cgroup.h"

/* task_syscall is the syscall a task is in (tp_btf hooks do not get it as an argument). */
static __always_inline __s32 task_syscall(struct task_struct *t)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(t);
	return BPF_CORE_READ(regs, orig_ax);
}

#define AT_NULL 0
#define AT_BASE 7 /* where the ELF interpreter (ld.so) is mapped */
#define MAX_AUXV_PAIRS 24

static long vma_file_cb(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	*(struct file **)data = BPF_CORE_READ(vma, vm_file);
	return 0;
}

/* elf_interpreter finds the file of the ELF interpreter: the mapping at AT_BASE in the new
 * program's auxiliary vector (the kernel opened it in load_elf_binary, which we cannot hook). */
static __always_inline struct file *elf_interpreter(struct task_struct *p)
{
	struct mm_struct *mm = BPF_CORE_READ(p, mm);
	unsigned long base = 0;
	for (int i = 0; i < MAX_AUXV_PAIRS; i++) {
		unsigned long pair[2] = {};
		bpf_probe_read_kernel(pair, sizeof(pair), &mm->saved_auxv[2 * i]);
		if (pair[0] == AT_NULL)
			break;
		if (pair[0] == AT_BASE) {
			base = pair[1];
			break;
		}
	}
	struct file *f = NULL;
	if (base)
		bpf_find_vma(p, base, vma_file_cb, &f, 0);
	return f;
}

/* The comm of a task before its exec (prev_comm): begin_new_exec renames the task before
 * sched_process_exec fires, so it is saved at sched_prepare_exec, the last point before. */
struct comm_slot {
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct comm_slot);
} exec_comms SEC(".maps");

SEC("tp_btf/sched_prepare_exec")
int BPF_PROG(sched_prepare_exec, struct task_struct *task, struct linux_binprm *bprm)
{
	if (is_self() || !is_enabled(EVENT_SCHED_PROCESS_EXEC))
		return 0;
	struct comm_slot *slot = bpf_task_storage_get(&exec_comms, bpf_get_current_task_btf(), NULL,
						      BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (slot)
		bpf_get_current_comm(slot->comm, sizeof(slot->comm));
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(sched_process_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	if (is_self())
		return 0;
	send_task_cgroup(p); /* before the event: userspace learns the cgroup first */
	struct ebuf *e = start_event(EVENT_SCHED_PROCESS_EXEC, task_syscall(p), 0);
	if (!e)
		return 0;
	struct file *file = BPF_CORE_READ(bprm, file);
	put_str(e, BPF_CORE_READ(bprm, filename), false);       /* cmdpath */
	struct inode *ino = put_file_path(e, file);             /* pathname */
	put_u64(e, BPF_CORE_READ(ino, i_sb, s_dev));            /* dev */
	put_u64(e, BPF_CORE_READ(ino, i_ino));                  /* inode */
	put_u64(e, inode_ctime(ino));                           /* ctime */
	put_u64(e, BPF_CORE_READ(ino, i_mode));                 /* inode_mode */
	unsigned long arg_start = BPF_CORE_READ(p, mm, arg_start);
	unsigned long arg_end = BPF_CORE_READ(p, mm, arg_end);
	put_bytes(e, TAG_STRARR, (void *)arg_start, arg_end - arg_start, true); /* argv */
	put_str(e, BPF_CORE_READ(bprm, interp), false);         /* interp */
	struct file *in = fd_file(p, 0);
	put_u64(e, BPF_CORE_READ(in, f_inode, i_mode) & S_IFMT); /* stdin_type */
	put_file_path(e, in);                                   /* stdin_path */
	put_u64(e, (BPF_CORE_READ(p, real_parent, flags) & PF_KTHREAD) != 0); /* invoked_from_kernel */
	struct inode *iino = put_file_path(e, elf_interpreter(p)); /* interpreter_pathname */
	put_u64(e, BPF_CORE_READ(iino, i_sb, s_dev));           /* interpreter_dev */
	put_u64(e, BPF_CORE_READ(iino, i_ino));                 /* interpreter_inode */
	put_u64(e, inode_ctime(iino));                          /* interpreter_ctime */
	struct comm_slot *prev = bpf_task_storage_get(&exec_comms, bpf_get_current_task_btf(), NULL, 0);
	if (prev)
		put_str(e, prev->comm, false);                  /* prev_comm */
	else
		put_empty(e, TAG_STR);
	struct fs_struct *fs = BPF_CORE_READ(p, fs);
	put_path(e, &fs->pwd);                                  /* pwd */
	/* env last: it gets the room the others left, up to MAX_ENV bytes (the strings as the kernel
	 * copied them to the new stack, so a cut leaves whole strings before a partial last one). */
	unsigned long env_start = BPF_CORE_READ(p, mm, env_start);
	unsigned long env_end = BPF_CORE_READ(p, mm, env_end);
	put_bytes_rest(e, TAG_STRARR, (void *)env_start, env_end - env_start, MAX_ENV, true); /* env */
	submit(e);
	return 0;
}

/* put_task_ids writes a task's tid, ns tid, pid, ns pid and start time (boot ns), as Tracee's
 * sched_process_fork gives each of its tasks. */
static __always_inline void put_task_ids(struct ebuf *e, struct task_struct *t)
{
	struct pid *tp = BPF_CORE_READ(t, thread_pid);
	unsigned int level = BPF_CORE_READ(tp, level);
	struct pid *lp = BPF_CORE_READ(t, group_leader, thread_pid);
	put_u64(e, BPF_CORE_READ(t, pid));
	put_u64(e, BPF_CORE_READ(tp, numbers[level].nr));
	put_u64(e, BPF_CORE_READ(t, tgid));
	put_u64(e, BPF_CORE_READ(lp, numbers[level].nr));
	put_u64(e, BPF_CORE_READ(t, start_boottime));
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	if (is_self())
		return 0;
	send_task_cgroup(child);
	struct ebuf *e = start_event(EVENT_SCHED_PROCESS_FORK, task_syscall(parent), 0);
	if (!e)
		return 0;
	/* Tracee's order: parent (the forking thread), child, the process above the child's leader
	 * (parent_process_*), the child's leader (leader_*). */
	struct task_struct *leader = BPF_CORE_READ(child, group_leader);
	struct task_struct *up = BPF_CORE_READ(leader, real_parent, group_leader);
	put_task_ids(e, parent);
	put_task_ids(e, child);
	put_task_ids(e, up);
	put_task_ids(e, leader);
	submit(e);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_process_exit, struct task_struct *p, bool group_dead)
{
	if (is_self())
		return 0;
	struct ebuf *e = start_event(EVENT_SCHED_PROCESS_EXIT, task_syscall(p), 0);
	if (!e)
		return 0;
	put_u64(e, BPF_CORE_READ(p, exit_code));
	put_u64(e, group_dead);
	submit(e);
	return 0;
}

/* A task moved into a cgroup (a runtime placing a container's first process, before its exec):
 * send the cgroup before the task's first event in it. On a hybrid host a v2 cgroup goes too,
 * tagged: task_cgroup takes it for tasks in the v1 root. */
SEC("tp_btf/cgroup_attach_task")
int BPF_PROG(cgroup_attach_task, struct cgroup *dst, const char *path, struct task_struct *task, bool threadgroup)
{
	int h = dst->root->hierarchy_id;
	__u64 id = dst->kn->id;
	if (h == cgroup_v1_hierarchy)
		send_cgroup(dst, id);
	else if (h == 0) /* v2, on a hybrid host */
		send_cgroup(dst, id | CGROUP_V2_TAG);
	return 0;
}
