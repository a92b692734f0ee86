package signatures

import (
	"strings"

	"github.com/seed-428f5ad7/tracee/types/trace"
)

// Allow-lists key on the executable the kernel ran (sched_process_exec's resolved pathname, which
// the source carries on every event of the process as Executable.Path), never on comm: a copy of
// cat renamed sudo keeps its own path, and a trusted name only counts in a directory that only
// root and the package manager write.

// systemBinDir reports whether dir (ending in "/") holds the distribution's programs.
func systemBinDir(dir string) bool {
	switch dir {
	// "/" is where distroless images put their one program (/coredns, /kube-proxy); writing there
	// takes root, as writing /usr/bin does.
	case "/", "/usr/bin/", "/usr/sbin/", "/bin/", "/sbin/", "/usr/local/bin/", "/usr/local/sbin/",
		"/usr/lib/openssh/", "/usr/libexec/openssh/", "/usr/libexec/", "/usr/lib/systemd/", "/lib/systemd/",
		"/usr/lib/polkit-1/", "/usr/libexec/polkit-1/", "/usr/lib/apt/", "/usr/lib/apt/methods/":
		return true
	}
	return false
}

// trustedExe reports whether the process runs a program that is called name (per isName) and sits
// in a system binary directory. Events without an executable path (sources that do not resolve
// it, such as old recordings) fall back to comm.
func trustedExe(ev *trace.Event, isName func(string) bool) bool {
	p := ev.Executable.Path
	if p == "" {
		return isName(ev.ProcessName)
	}
	i := strings.LastIndexByte(p, '/')
	return systemBinDir(p[:i+1]) && isName(p[i+1:])
}

// exeName is the base name of the executable the kernel ran (comm when the path is unknown).
func exeName(ev *trace.Event) string {
	if ev.Executable.Path == "" {
		return ev.ProcessName
	}
	return baseName(ev.Executable.Path)
}

// execName is the base name of the program a sched_process_exec started, resolved by the kernel
// (symlinks followed), and of its argv[0] as typed: tools are recognised by either, so neither a
// symlink farm (busybox) nor a renamed copy invoked by its usual name hides them.
func execName(ev *trace.Event) (exe, arg0 string) {
	p, _ := stringArg(ev, "pathname")
	if argv, err := stringsArg(ev, "argv"); err == nil && len(argv) > 0 {
		arg0 = baseName(argv[0])
	}
	return baseName(p), arg0
}

// isPackageManager names programs whose job is to install system files.
func isPackageManager(name string) bool {
	switch name {
	case "dpkg", "apt", "apt-get", "aptitude", "rpm", "dnf", "yum", "zypper", "apk", "pacman",
		"unattended-upgrade", "unattended-upgr", "packagekitd", "snapd", "dpkg-deb", "dpkg-divert",
		"dpkg-statoverride", "dpkg-trigger", "update-alternatives", "rpmdb", "ldconfig", "ldconfig.real":
		return true
	}
	return false
}

// byPackageManager reports events of a package manager (by executable path).
func byPackageManager(ev *trace.Event) bool { return trustedExe(ev, isPackageManager) }
