//go:build ignore

/* security_file_open, security_inode_rename and security_sb_mount rebuilt from syscall exits (the
 * LSM hooks need kprobes, refused here): the arguments come from the registers saved at entry. */
#include "common.h"
#include "path.h"
#include "open_filter.h"
#include "magic_filter.h"

#define NR_TRUNCATE 76
#define NR_RENAME 82
#define NR_RENAMEAT 264
#define NR_RENAMEAT2 316

/* start_success_exit reads the arguments of a syscall that returned 0 and starts its event; NULL
 * when the caller is the agent, the syscall failed or the event is off. */
static __always_inline struct ebuf *start_success_exit(void *ctx, struct sysargs *s, __u32 id, __s32 *nr)
{
	if (is_self() || exit_ret(ctx) != 0)
		return NULL;
	*nr = syscall_nr(ctx);
	struct ebuf *e = start_event(id, *nr, 0);
	if (e)
		exit_args(s);
	return e;
}

SEC("tracepoint/syscalls/sys_exit_file_open")
int sys_exit_file_open(void *ctx)
{
	struct sysargs s;
	if (is_self())
		return 0;
	__s64 ret = exit_ret(ctx);
	if (ret < 0)
		return 0;
	exit_args(&s);
	__s32 nr = syscall_nr(ctx);
	struct file *f = fd_file(bpf_get_current_task_btf(), ret);
	const char *name = (nr == NR_OPEN || nr == NR_CREAT) ? (void *)s.args[0] : (void *)s.args[1];
	__u64 sysflags = open_flags(nr, &s);
	if (open_dropped(f, sysflags, name))
		return 0;
	struct ebuf *e = start_event(EVENT_SECURITY_FILE_OPEN, nr, 0);
	if (!e)
		return 0;
	struct inode *ino = put_file_path(e, f);          /* pathname */
	put_u64(e, BPF_CORE_READ(f, f_flags) | (sysflags & O_OPEN_TIME)); /* flags, as the LSM hook sees them */
	put_u64(e, BPF_CORE_READ(ino, i_sb, s_dev));      /* dev */
	put_u64(e, BPF_CORE_READ(ino, i_ino));            /* inode */
	put_u64(e, inode_ctime(ino));                     /* ctime */
	put_str(e, name, true);                           /* syscall_pathname */
	submit(e);
	return 0;
}

/* do_truncate from truncate/ftruncate exits (Tracee's kprobe on do_truncate is refused here):
 * wire: the user path (empty for ftruncate), the file's path (ftruncate) or the directory the
 * user path is relative to (truncate), inode, dev, length. */
SEC("tracepoint/syscalls/sys_exit_truncate")
int sys_exit_truncate(void *ctx)
{
	struct sysargs s;
	__s32 nr;
	struct ebuf *e = start_success_exit(ctx, &s, EVENT_DO_TRUNCATE, &nr);
	if (!e)
		return 0;
	if (nr == NR_TRUNCATE) {
		put_str(e, (void *)s.args[0], true);
		put_base_dir(e, (void *)s.args[0], AT_FDCWD);
		put_u64(e, 0);
		put_u64(e, 0);
	} else {
		put_empty(e, TAG_STR);
		struct inode *ino = put_file_path(e, fd_file(bpf_get_current_task_btf(), (int)s.args[0]));
		put_u64(e, BPF_CORE_READ(ino, i_ino));
		put_u64(e, BPF_CORE_READ(ino, i_sb, s_dev));
	}
	put_u64(e, s.args[1]); /* length */
	submit(e);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_rename")
int sys_exit_rename(void *ctx)
{
	struct sysargs s;
	__s32 nr;
	struct ebuf *e = start_success_exit(ctx, &s, EVENT_SECURITY_INODE_RENAME, &nr);
	if (!e)
		return 0;
	const char *oldp = (void *)s.args[0], *newp = (void *)s.args[1];
	__s64 olddir = AT_FDCWD, newdir = AT_FDCWD;
	if (nr != NR_RENAME) {
		olddir = (int)s.args[0];
		oldp = (void *)s.args[1];
		newdir = (int)s.args[2];
		newp = (void *)s.args[3];
	}
	put_str(e, oldp, true);
	put_base_dir(e, oldp, olddir);
	put_str(e, newp, true);
	put_base_dir(e, newp, newdir);
	submit(e);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_mount")
int sys_exit_mount(void *ctx)
{
	struct sysargs s;
	if (is_self())
		return 0;
	struct ebuf *e = start_event(EVENT_SECURITY_SB_MOUNT, syscall_nr(ctx), exit_ret(ctx));
	if (!e)
		return 0;
	exit_args(&s);
	put_str(e, (void *)s.args[0], true);       /* dev_name */
	put_str(e, (void *)s.args[1], true);       /* path, relative to ... */
	put_base_dir(e, (void *)s.args[1], AT_FDCWD); /* ... the cwd */
	put_str(e, (void *)s.args[2], true);       /* type */
	put_u64(e, s.args[3]);                     /* flags */
	submit(e);
	return 0;
}

#define NR_SYMLINK 88

/* security_inode_symlink from symlink/symlinkat exits: the link's path (made absolute against
 * its base directory in userspace) and the target as given. */
SEC("tracepoint/syscalls/sys_exit_symlink")
int sys_exit_symlink(void *ctx)
{
	struct sysargs s;
	__s32 nr;
	struct ebuf *e = start_success_exit(ctx, &s, EVENT_SECURITY_INODE_SYMLINK, &nr);
	if (!e)
		return 0;
	const char *target = (void *)s.args[0], *link = (void *)s.args[1];
	__s64 dir = AT_FDCWD;
	if (nr != NR_SYMLINK) {
		dir = (int)s.args[1];
		link = (void *)s.args[2];
	}
	put_str(e, link, true);
	put_base_dir(e, link, dir);
	put_str(e, target, true);
	submit(e);
	return 0;
}

/* magic_write: the first bytes written at offset 0 of a regular file (Tracee's vfs_write kprobe,
 * refused here, rebuilt from write/pwrite64/writev entry). The offset and the file type are checked
 * first: a write elsewhere (a pipe, a tty) leaves at once. With the prefilter on, a write shorter
 * than every prefix the signatures want (dd bs=1) or starting with none of them leaves before. */
#define MAGIC_BYTES 20

static __always_inline int magic_write(__s64 nr, __s64 fd, const void *buf, __u64 count, bool pwrite)
{
	if (count == 0 || fd < 0)
		return 0;
	if (magic_dropped(buf, count))
		return 0;
	struct fdtable *fdt = bpf_get_current_task_btf()->files->fdt;
	if (fd >= fdt->max_fds)
		return 0;
	struct file *fp = NULL;
	bpf_probe_read_kernel(&fp, sizeof(fp), &fdt->fd[fd]);
	if (!fp)
		return 0;
	struct file *f = bpf_rdonly_cast(fp, bpf_core_type_id_kernel(struct file));
	if (!pwrite && f->f_pos != 0)
		return 0;
	struct inode *ino = f->f_inode;
	if ((ino->i_mode & S_IFMT) != S_IFREG || is_self())
		return 0;
	struct ebuf *e = start_event(EVENT_MAGIC_WRITE, nr, 0);
	if (!e)
		return 0;
	put_file_path(e, fp);                                           /* pathname */
	put_bytes(e, TAG_BYTES, buf, count < MAGIC_BYTES ? count : MAGIC_BYTES, true); /* bytes */
	put_u64(e, BPF_CORE_READ(ino, i_sb, s_dev));                    /* dev */
	put_u64(e, BPF_CORE_READ(ino, i_ino));                          /* inode */
	submit(e);
	return 0;
}

#define NR_WRITE 1
#define NR_PWRITE64 18
#define NR_WRITEV 20

/* The entry of the three syscalls, tail-called by sys_enter_dispatch (syscalls.c) in their slots:
 * a program on each syscalls:sys_enter_write* tracepoint would cost every write ~60 ns of perf
 * tracepoint dispatch before it runs (docs/benchmarks/ebpf.md). */
SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter_magic_write, struct pt_regs *regs, long id)
{
	switch (id) {
	case NR_WRITE:
		return magic_write(id, regs->di, (void *)regs->si, regs->dx, false);
	case NR_PWRITE64:
		if (regs->r10 != 0) /* pos */
			return 0;
		return magic_write(id, regs->di, (void *)regs->si, regs->dx, true);
	case NR_WRITEV: {
		/* writev: the bytes are the first iovec's (a header is rarely split over several). */
		struct iovec iov = {};
		if (regs->dx == 0 || bpf_probe_read_user(&iov, sizeof(iov), (void *)regs->si) < 0)
			return 0;
		return magic_write(id, regs->di, iov.iov_base, iov.iov_len, false);
	}
	}
	return 0;
}
