package pluginfs

import (
	"debug/elf"
	"os"
	"runtime"
	"runtime/debug"
)

// host is what a plugin must match, read once from the running binary.
type host struct {
	Exe       string
	BuildInfo *debug.BuildInfo // nil when the binary carries none
	// Unsupported explains why this binary cannot open plugins at all; nil when it can.
	Unsupported *mismatch
}

func readHost() host {
	h := host{}
	h.Exe, _ = os.Executable()
	if bi, ok := debug.ReadBuildInfo(); ok {
		h.BuildInfo = bi
	}
	h.Unsupported = pluginSupport(cgoPlugins, runtime.GOOS, h.BuildInfo, isDynamic(h.Exe))
	return h
}

// pluginSupport says why a binary cannot open Go plugins, or nil. dynamic is nil when unknown.
func pluginSupport(cgo bool, goos string, bi *debug.BuildInfo, dynamic *bool) *mismatch {
	switch {
	case goos != "linux" && goos != "darwin" && goos != "freebsd":
		return &mismatch{Cause: "this tracee cannot load plugins: Go supports plugins only on Linux, macOS and FreeBSD, not " + goos,
			Fix: "run tracee on Linux"}
	case !cgo || (bi != nil && setting(bi, "CGO_ENABLED") == "0"):
		return &mismatch{Cause: "this tracee cannot load plugins: it was built without cgo (CGO_ENABLED=0)",
			Fix: "use a tracee built with CGO_ENABLED=1 and a C compiler (make), or run without --signatures-dir"}
	case dynamic != nil && !*dynamic:
		return &mismatch{Cause: "this tracee cannot load plugins: it is statically linked (no dynamic loader)",
			Fix: "use a dynamically linked tracee (make builds one: no -extldflags=-static), or run without --signatures-dir"}
	}
	return nil
}

// isDynamic reports whether an ELF executable asks for a dynamic loader (PT_INTERP), which
// dlopen and so plugin.Open need. nil when the file cannot be read or is not ELF.
func isDynamic(exe string) *bool {
	if exe == "" {
		return nil
	}
	f, err := elf.Open(exe)
	if err != nil {
		return nil
	}
	defer f.Close()
	dynamic := false
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			dynamic = true
		}
	}
	return &dynamic
}
