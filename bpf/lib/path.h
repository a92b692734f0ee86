/* Path of a struct path without bpf_d_path (refused here): walk the dentries up to the root of
 * the mount namespace, crossing mounts. Components are written leaf first; userspace reverses them. */
#pragma once

#include "common.h"

#define MAX_PATH_COMPONENTS 48

struct path_walk {
	struct ebuf *e;
	struct dentry *dentry;
	struct vfsmount *vfsmnt;
	struct mount *mnt;
	__u32 pos;
	__u8 flags;
};

/* One step up the tree, run by bpf_loop so the verifier checks it once. Fields of w are copied
 * to locals first: inside BPF_CORE_READ they would become CO-RE relocations against the kernel. */
static long walk_step(__u64 i, void *data)
{
	struct path_walk *w = data;
	struct dentry *dentry = w->dentry;
	struct vfsmount *vfsmnt = w->vfsmnt;
	struct mount *mnt = w->mnt;
	__u32 pos = w->pos;
	struct ebuf *e = w->e;
	if (!e || !dentry || pos + MAX_NAME > HALF)
		return 1;
	struct dentry *parent = BPF_CORE_READ(dentry, d_parent);
	struct dentry *mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
	if (dentry == mnt_root || dentry == parent) {
		struct mount *mnt_parent = BPF_CORE_READ(mnt, mnt_parent);
		if (dentry == mnt_root && mnt != mnt_parent) {
			w->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
			w->mnt = mnt_parent;
			w->vfsmnt = &mnt_parent->mnt;
			return 0;
		}
		if (!(BPF_CORE_READ(vfsmnt, mnt_sb, s_flags) & SB_KERNMOUNT))
			return 1;
		/* pipe:, socket:, memfd: names live on the root dentry itself */
		w->flags |= PATH_KERNEL_MOUNT;
		parent = NULL;
	}
	const unsigned char *name = BPF_CORE_READ(dentry, d_name.name);
	long n = bpf_probe_read_kernel_str(at(e, pos), MAX_NAME, name);
	if (n > 0)
		w->pos = pos + n;
	w->dentry = parent;
	return parent ? 0 : 1;
}

static __always_inline void put_path(struct ebuf *e, const struct path *p)
{
	__u32 start = e->off;
	if (!room(e, 4))
		return;
	struct path_walk w = {};
	w.e = e;
	struct vfsmount *vfsmnt = BPF_CORE_READ(p, mnt);
	w.dentry = BPF_CORE_READ(p, dentry);
	w.vfsmnt = vfsmnt;
	w.mnt = container_of(vfsmnt, struct mount, mnt);
	w.pos = start + 4;
	if (w.dentry && room(e, 4 + MAX_NAME))
		bpf_loop(MAX_PATH_COMPONENTS, walk_step, &w, 0);
	__u32 pos = w.pos;
	__u16 len = pos - start - 4;
	*at(e, start) = TAG_PATH;
	*at(e, start + 1) = w.flags;
	bpf_probe_read_kernel(at(e, start + 2), 2, &len);
	e->off = pos;
	e->argc++;
}

static __always_inline void put_empty_path(struct ebuf *e)
{
	put_path(e, NULL);
}

/* put_file_path writes the path of a file and keeps its inode for the caller. */
static __always_inline struct inode *put_file_path(struct ebuf *e, struct file *f)
{
	if (!f) {
		put_empty_path(e);
		return NULL;
	}
	put_path(e, &f->f_path);
	return BPF_CORE_READ(f, f_inode);
}

/* put_base_dir writes the directory a relative path argument is resolved against (dirfd or
 * the cwd), or an empty path when the argument is absolute. */
static __always_inline void put_base_dir(struct ebuf *e, const char *user_path, __s64 dirfd)
{
	char first = 0;
	struct task_struct *t = bpf_get_current_task_btf();
	bpf_probe_read_user(&first, 1, user_path);
	if (first == '/') {
		put_empty_path(e);
		return;
	}
	if (dirfd == AT_FDCWD) {
		struct path pwd;
		BPF_CORE_READ_INTO(&pwd, t, fs, pwd);
		put_path(e, &pwd);
		return;
	}
	struct file *f = fd_file(t, dirfd);
	put_file_path(e, f);
}
