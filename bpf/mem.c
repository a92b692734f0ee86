//go:build ignore

/* mem_prot_alert: mmap asking for W+X, mprotect adding X (or W to an executable region). */
#include "common.h"
#include "path.h"

#define PROT_WRITE 0x2
#define PROT_EXEC 0x4
#define MAP_ANONYMOUS 0x20
/* The same bits as PROT_READ/WRITE/EXEC. */
#define VM_PROT_MASK 0x7

enum mem_alert {
	ALERT_MMAP_W_X = 1,
	ALERT_MPROTECT_X_ADD = 2,
	ALERT_MPROTECT_W_ADD_TO_X = 3,
	ALERT_MPROTECT_W_REM_TO_X = 4,
};

static __always_inline void put_mem_alert(struct ebuf *e, __u32 alert, struct sysargs *s, __u64 prev, struct file *f)
{
	put_u64(e, alert);      /* alert */
	put_u64(e, s->args[0]); /* addr */
	put_u64(e, s->args[1]); /* len */
	put_u64(e, s->args[2]); /* prot */
	put_u64(e, prev);       /* prev_prot */
	struct inode *ino = put_file_path(e, f);
	put_u64(e, BPF_CORE_READ(ino, i_sb, s_dev));
	put_u64(e, BPF_CORE_READ(ino, i_ino));
	put_u64(e, inode_ctime(ino));
	submit(e);
}

SEC("tp_btf/sys_enter") /* a tail call of sys_enter_dispatch */
int BPF_PROG(sys_enter_mmap, struct pt_regs *regs, long id)
{
	struct sysargs s;
	regs_args(regs, &s);
	if ((s.args[2] & (PROT_WRITE | PROT_EXEC)) != (PROT_WRITE | PROT_EXEC) || is_self())
		return 0;
	struct ebuf *e = start_event(EVENT_MEM_PROT_ALERT, id, 0);
	if (!e)
		return 0;
	struct file *f = NULL;
	if (!(s.args[3] & MAP_ANONYMOUS))
		f = fd_file(bpf_get_current_task_btf(), (int)s.args[4]);
	put_mem_alert(e, ALERT_MMAP_W_X, &s, 0, f);
	return 0;
}

struct vma_info {
	__u64 flags;
	struct file *file;
};

static long vma_cb(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct vma_info *vi = data;
	vi->flags = BPF_CORE_READ(vma, vm_flags);
	vi->file = BPF_CORE_READ(vma, vm_file);
	return 0;
}

SEC("tp_btf/sys_enter") /* a tail call of sys_enter_dispatch */
int BPF_PROG(sys_enter_mprotect, struct pt_regs *regs, long id)
{
	struct sysargs s;
	regs_args(regs, &s);
	__u64 prot = s.args[2];
	if (!(prot & PROT_EXEC) || is_self())
		return 0;
	struct vma_info vi = {};
	if (bpf_find_vma(bpf_get_current_task_btf(), s.args[0], vma_cb, &vi, 0) < 0)
		return 0;
	__u64 prev = vi.flags & VM_PROT_MASK;
	__u32 alert = 0;
	if (!(prev & PROT_EXEC))
		alert = ALERT_MPROTECT_X_ADD;
	else if ((prot & PROT_WRITE) && !(prev & PROT_WRITE))
		alert = ALERT_MPROTECT_W_ADD_TO_X;
	else if ((prev & PROT_WRITE) && !(prot & PROT_WRITE))
		alert = ALERT_MPROTECT_W_REM_TO_X;
	if (!alert)
		return 0;
	struct ebuf *e = start_event(EVENT_MEM_PROT_ALERT, id, 0);
	if (!e)
		return 0;
	put_mem_alert(e, alert, &s, prev, vi.file);
	return 0;
}
