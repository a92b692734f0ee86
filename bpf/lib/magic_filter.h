/* The magic_write prefilter: which writes the selected signatures can match, tested on the write's
 * length and first bytes before its file is looked up (domain.MagicInterest, whose Admits method is
 * the specification). Off unless userspace turns it on: then a write is sent only when its bytes
 * start with one of up to MAGIC_PREFIXES prefixes of at most MAGIC_PREFIX_MAX bytes. */
#pragma once

#include "common.h"

#define MAGIC_PREFIXES 4
#define MAGIC_PREFIX_MAX 8 /* domain.MagicPrefixMax: bytes of a write read, at most */

/* Must match magicFilterConf in internal/adapters/ebpf/magic_filter.go. */
struct magic_filter_conf {
	__u32 on;
	__u32 min_len; /* the shortest prefix: a shorter write is dropped before anything is read */
	__u32 nprefix;
	__u32 len[MAGIC_PREFIXES];
	__u64 word[MAGIC_PREFIXES]; /* a prefix's bytes as a little-endian word, zero-padded */
	__u64 mask[MAGIC_PREFIXES]; /* its len low bytes set */
};

/* Set before the programs load (read-only to them): the verifier knows every field, so with the
 * filter off the test below is removed and with it on the comparisons are against constants. */
const volatile struct magic_filter_conf magic_filter = {};

/* magic_dropped reports whether the filter drops a write of count (> 0) bytes from buf. Bytes that
 * cannot be read match no prefix but the empty one: the event could not carry them either. */
static __always_inline bool magic_dropped(const void *buf, __u64 count)
{
	if (!magic_filter.on)
		return false;
	if (count < magic_filter.min_len)
		return true;
	__u64 word = 0;
	__u32 n = count < MAGIC_PREFIX_MAX ? count : MAGIC_PREFIX_MAX;
	if (bpf_probe_read_user(&word, n, buf) < 0)
		count = 0;
	for (int i = 0; i < MAGIC_PREFIXES; i++) {
		if (i >= magic_filter.nprefix)
			break;
		if (count >= magic_filter.len[i] && (word & magic_filter.mask[i]) == magic_filter.word[i])
			return false;
	}
	return true;
}
