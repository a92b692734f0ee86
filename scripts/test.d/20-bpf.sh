# eBPF: the toolchain that regenerates bpf/ into internal/adapters/ebpf, and a check that the
# committed objects are what the sources produce (Debian's clang 14 is byte-reproducible).
_bpf_missing=()
command -v clang >/dev/null || _bpf_missing+=(clang)
command -v llvm-strip >/dev/null || _bpf_missing+=(llvm)
[ -e /usr/include/bpf/bpf_helpers.h ] || _bpf_missing+=(libbpf-dev)
command -v bpftool >/dev/null || _bpf_missing+=(bpftool)
if ((${#_bpf_missing[@]})); then
	echo "20-bpf: installing ${_bpf_missing[*]}"
	apt-get update -qq >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${_bpf_missing[@]}" >/dev/null
fi
unset _bpf_missing

_bpf_sum() { find bpf internal/adapters/ebpf -type f \( -name '*.o' -o -name '*_bpfel.go' \) -print0 | sort -z | xargs -0 sha256sum; }
_bpf_before=$(_bpf_sum)
_bpf_dirty=$(git status --porcelain -- internal/adapters/ebpf bpf)
go generate ./internal/adapters/ebpf/...
if [ -z "$_bpf_dirty" ] && [ -n "$(git status --porcelain -- internal/adapters/ebpf bpf)" ] ||
	[ "$_bpf_before" != "$(_bpf_sum)" ]; then
	git status --porcelain -- internal/adapters/ebpf bpf >&2
	echo "20-bpf: FAIL: 'go generate ./internal/adapters/ebpf/...' changed the generated eBPF files;" \
		"regenerate them with Debian's clang 14 (make generate) and commit the result" >&2
	unset _bpf_before _bpf_dirty
	return 1
fi
unset _bpf_before _bpf_dirty
