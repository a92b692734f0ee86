/* The security_file_open prefilter: which opens the selected signatures can match, tested before
 * the event is built (domain.OpenInterest, whose Admits method is the specification). Off unless
 * userspace turns it on: then an open that writes, creates or truncates is sent when some signature
 * wants them all; one that reads when its file's name, a prefix of that name or its directory's
 * name is in open_names, its path climbs with "../", it is a namespace file, or the file has
 * several links. */
#pragma once

#include "common.h"

#define NR_OPEN 2
#define NR_OPENAT 257
#define NR_OPENAT2 437
#define NR_CREAT 85

#define O_ACCMODE 03
#define O_WRONLY 01
#define O_CREAT 0100
#define O_EXCL 0200
#define O_NOCTTY 0400
#define O_TRUNC 01000
/* Open-time flags do_dentry_open clears from f_flags after the LSM hook saw them. */
#define O_OPEN_TIME (O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC)

/* open_flags are the flags the syscall asked for: what the LSM hook security_file_open sees
 * besides f_flags. */
static __always_inline __u64 open_flags(__s32 nr, struct sysargs *s)
{
	__u64 flags = 0;
	switch (nr) {
	case NR_OPEN:
		return s->args[1];
	case NR_OPENAT:
		return s->args[2];
	case NR_OPENAT2:
		bpf_probe_read_user(&flags, sizeof(flags), (void *)s->args[2] + __builtin_offsetof(struct open_how, flags));
		return flags;
	case NR_CREAT:
		return O_CREAT | O_WRONLY | O_TRUNC;
	}
	return 0;
}

#define OPEN_NAME_LEN 32 /* domain.OpenNameMax + 1: longer names are compared by their first 31 bytes */
#define OPEN_PREFIX_LENS 4
#define NSFS_MAGIC 0x6e736673
#define OPEN_RAW_SCAN 128 /* bytes of the passed path searched for "../" */

enum open_name_kind {
	OPEN_NAME = 1,   /* the file's base name */
	OPEN_DIR = 2,    /* its directory's base name */
	OPEN_PREFIX = 4, /* a prefix of the file's base name */
};

/* Must match openFilterConf in internal/adapters/ebpf/open_filter.go. */
struct open_filter_conf {
	__u32 on;
	__u32 writes;    /* send every open that writes, creates or truncates */
	__u32 traversal; /* send read-only opens whose passed path contains "../" */
	__u32 namespaces; /* send read-only opens of namespace files */
	__u32 nprefix;
	__u32 prefix_len[OPEN_PREFIX_LENS];
	/* bitmaps of the first bytes of the names, prefixes and directory names: most opens skip the lookups */
	__u64 name_first[4];
	__u64 prefix_first[4];
	__u64 dir_first[4];
};

static __always_inline bool first_in(const __u64 *bitmap, __u8 c)
{
	return (bitmap[(c >> 6) & 3] >> (c & 63)) & 1;
}

struct open_name {
	char name[OPEN_NAME_LEN];
} __attribute__((aligned(8)));

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct open_filter_conf);
} open_filter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct open_name);
	__type(value, __u32); /* enum open_name_kind bits */
} open_names SEC(".maps");

/* A read-only view of a kernel pointer for plain (fault-safe) loads: no helper call per field.
 * The verifier turns the call into nothing. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

/* prefix_of sets p to the first len bytes of k, the rest zero (little-endian words). */
static __always_inline void prefix_of(struct open_name *p, const struct open_name *k, __u32 len)
{
	const __u64 *in = (const __u64 *)k->name;
	__u64 *out = (__u64 *)p->name;
	for (int w = 0; w < OPEN_NAME_LEN / 8; w++) {
		__u32 lo = w * 8;
		__u64 m = 0;
		if (len >= lo + 8)
			m = ~0ULL;
		else if (len > lo)
			m = (1ULL << ((len - lo) * 8)) - 1;
		out[w] = in[w] & m;
	}
}

static __always_inline bool name_kind(struct open_name *k, __u32 kind)
{
	__u32 *v = bpf_map_lookup_elem(&open_names, k);
	return v && (*v & kind);
}

/* has_dot reports whether one of the 8 bytes of w is '.' (the classic test for a zero byte, on w
 * with every '.' turned to zero). */
static __always_inline bool has_dot(__u64 w)
{
	__u64 x = w ^ 0x2e2e2e2e2e2e2e2eULL;
	return ((x - 0x0101010101010101ULL) & ~x & 0x8080808080808080ULL) != 0;
}

/* has_traversal reports whether the first OPEN_RAW_SCAN bytes of a user path contain "../". The
 * path is searched 8 bytes at a time for a '.'; bytes are compared only from the first word that
 * has one (most paths have no "..": a name with a dot costs the rest of the scan). */
static __always_inline bool has_traversal(const char *user_path)
{
	union {
		char c[OPEN_RAW_SCAN];
		__u64 w[OPEN_RAW_SCAN / 8];
	} buf = {};
	long n = bpf_probe_read_user_str(buf.c, sizeof(buf.c), user_path);
	if (n < 3)
		return false;
	int from = -1;
	for (int w = 0; w < OPEN_RAW_SCAN / 8; w++) {
		if (w * 8 >= n)
			break;
		if (has_dot(buf.w[w])) {
			from = w * 8;
			break;
		}
	}
	if (from < 0)
		return false;
	for (int i = from; i + 2 < OPEN_RAW_SCAN; i++) {
		if (buf.c[i] == 0)
			break;
		if (buf.c[i] == '.' && buf.c[i + 1] == '.' && buf.c[i + 2] == '/')
			return true;
	}
	return false;
}

/* open_dropped reports whether the filter drops an open of fp with the syscall's flags. */
static __always_inline bool open_dropped(struct file *fp, __u64 sysflags, const char *user_path)
{
	__u32 zero = 0;
	struct open_filter_conf *c = bpf_map_lookup_elem(&open_filter, &zero);
	if (!c || !c->on || !fp)
		return false;
	struct file *f = bpf_rdonly_cast(fp, bpf_core_type_id_kernel(struct file));
	__u32 acc = sysflags & O_ACCMODE;
	if (c->writes && (acc || (sysflags & (O_CREAT | O_TRUNC))))
		return false;
	if (acc == O_WRONLY)
		return true; /* writes only: no read rule applies */
	struct inode *ino = f->f_inode;
	if ((ino->i_mode & S_IFMT) == S_IFREG && ino->__i_nlink > 1)
		return false;
	if (c->namespaces && ino->i_sb->s_magic == NSFS_MAGIC)
		return false;
	struct dentry *d = f->f_path.dentry;
	struct open_name k = {};
	bpf_probe_read_kernel_str(k.name, sizeof(k.name), d->d_name.name);
	__u8 first = k.name[0];
	if (first_in(c->name_first, first) && name_kind(&k, OPEN_NAME))
		return false;
	bool may_prefix = first_in(c->prefix_first, first);
	for (int i = 0; i < OPEN_PREFIX_LENS && may_prefix; i++) {
		if (i >= c->nprefix)
			break;
		struct open_name p;
		prefix_of(&p, &k, c->prefix_len[i]);
		if (name_kind(&p, OPEN_PREFIX))
			return false;
	}
	struct dentry *parent = d->d_parent;
	if (parent && parent != d) {
		const unsigned char *pname = parent->d_name.name;
		__u8 pfirst = 0;
		bpf_probe_read_kernel(&pfirst, 1, pname);
		if (first_in(c->dir_first, pfirst)) {
			struct open_name dk = {};
			bpf_probe_read_kernel_str(dk.name, sizeof(dk.name), pname);
			if (name_kind(&dk, OPEN_DIR))
				return false;
		}
	}
	if (c->traversal && has_traversal(user_path))
		return false;
	return true;
}
