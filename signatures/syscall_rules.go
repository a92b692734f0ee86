package signatures

import (
	"path"

	"github.com/seed-428f5ad7/tracee/signatures/helpers"
	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// Detections on syscall events (the generic syscall path: entry arguments and return value).
// Their paths are as the program passed them, so relative ones are cleaned before matching.

var isSensitiveFile = nameIn("/etc/shadow", "/etc/gshadow", "/etc/sudoers", "/etc/pam.conf", "/etc/security/pwquality.conf", "/etc/passwd")
var isSensitiveBase = nameIn("shadow", "gshadow", "sudoers", "pam.conf", "pwquality.conf")

// sensitiveTarget matches a link's target: absolute paths as given; relative ones after cleaning
// ("../../etc/shadow"), and by file name when the directory they start from is unknown.
func sensitiveTarget(p string) (string, bool) {
	if p == "" {
		return "", false
	}
	if p[0] == '/' {
		if isSensitiveFile(p) {
			return p, true
		}
		if c := path.Clean(p); c != p && isSensitiveFile(c) {
			return c, true
		}
		return "", false
	}
	if c := path.Clean("/" + p); isSensitiveFile(c) {
		return c, true
	}
	if isSensitiveBase(baseName(p)) {
		return p, true
	}
	return "", false
}

// NewSymlinkOverSensitiveFile (EXT-039): symlinks pointing at credential and sudo files, or at / /etc /root.
func NewSymlinkOverSensitiveFile() detect.Signature {
	return newRule(newBase("EXT-039", "symlink_over_sensitive_file", "Symlink created to a sensitive file",
		"A symbolic link was made to /etc/shadow, /etc/sudoers, PAM configuration or to /, /etc or /root: a privileged program that follows it later reads or writes the real file.",
		mitre{2, "credential-access", "Credentials from Password Stores", "T1555"}, "symlink", "symlinkat"),
		func(ev *trace.Event) (map[string]interface{}, int, bool) {
			if ev.EventName != "symlink" && ev.EventName != "symlinkat" {
				return nil, 0, false
			}
			target, err := stringArg(ev, "target")
			if err != nil {
				return nil, 0, false
			}
			file, ok := sensitiveTarget(target)
			if !ok {
				switch target {
				case "/", "/etc", "/etc/", "/root", "/root/":
					file, ok = target, true
				}
			}
			if !ok {
				return nil, 0, false
			}
			link, _ := stringArg(ev, "linkpath")
			return map[string]interface{}{"target": file, "linkpath": link}, 2, true
		})
}

// NewHardlinkOverSensitiveFile (EXT-040): hardlinks to credential and sudo files.
func NewHardlinkOverSensitiveFile() detect.Signature {
	return newRule(newBase("EXT-040", "hardlink_over_sensitive_file", "Hardlink created to a sensitive file",
		"A hard link was made to /etc/shadow, /etc/sudoers or PAM configuration: the same inode under a name that path-based rules and permissions audits do not watch. Attempts that fail are reported too.",
		mitre{2, "credential-access", "Credentials from Password Stores", "T1555"}, "link", "linkat"),
		func(ev *trace.Event) (map[string]interface{}, int, bool) {
			if ev.EventName != "link" && ev.EventName != "linkat" {
				return nil, 0, false
			}
			old, err := stringArg(ev, "oldpath")
			if err != nil {
				return nil, 0, false
			}
			file, ok := sensitiveTarget(old)
			if !ok {
				return nil, 0, false
			}
			newp, _ := stringArg(ev, "newpath")
			return map[string]interface{}{"oldpath": file, "newpath": newp, "retval": ev.ReturnValue}, 2, true
		})
}

var isContainerRuntime = nameIn("runc", "crun", "youki", "containerd", "containerd-shim", "containerd-shim-runc-v2",
	"conmon", "dockerd", "docker", "podman", "lxc-attach", "lxc-start", "cri-o", "crio", "kubelet", "systemd", "ip",
	"cilium-cni", "calico", "flanneld", "bwrap", "firejail", "systemd-nspawn")

// NewNamespaceChange (EXT-041): setns by anything but container runtimes, and unshare in a container.
func NewNamespaceChange() detect.Signature {
	return newRule(newBase("EXT-041", "namespace_change", "Process changed namespaces",
		"A process other than a container runtime (by executable path) joined namespaces with setns, or a process in a container created new ones with unshare (unprivileged user namespaces are the usual first step of kernel exploits). Severity 2 in a container, 1 on the host.",
		mitre{2, "privilege-escalation", "Escape to Host", "T1611"}, "setns", "unshare"),
		func(ev *trace.Event) (map[string]interface{}, int, bool) {
			switch ev.EventName {
			case "setns":
				if ev.ReturnValue < 0 || trustedExe(ev, isContainerRuntime) {
					return nil, 0, false
				}
				t, err := trace.ArgVal[int32](ev.Args, "nstype")
				if err != nil {
					return nil, 0, false
				}
				return map[string]interface{}{"syscall": "setns", "nstype": t}, hostOrContainer(ev, 1, 2), true
			case "unshare":
				if !inContainer(ev) || trustedExe(ev, isContainerRuntime) {
					return nil, 0, false
				}
				f, err := trace.ArgVal[int32](ev.Args, "flags")
				if err != nil {
					return nil, 0, false
				}
				return map[string]interface{}{"syscall": "unshare", "flags": f}, 2, true
			}
			return nil, 0, false
		})
}

var isHistoryFile = nameIn(".bash_history", ".zsh_history", ".sh_history", ".ash_history", ".history", "fish_history",
	".ksh_history", ".mksh_history", ".python_history", ".mysql_history", ".psql_history", ".sqlite_history", ".node_repl_history", ".lesshst", ".viminfo")

// NewShellHistoryTampering (EXT-042): shell history deleted, renamed away, truncated or replaced by a link.
func NewShellHistoryTampering() detect.Signature {
	return newRule(newBase("EXT-042", "shell_history_tampering", "Shell history deleted or truncated",
		"A shell history file was deleted, renamed away, replaced (ln -sf /dev/null, mv; by a program other than a shell, which save history by renaming a temporary file onto it) or truncated: covering the tracks of typed commands.",
		mitre{2, "defense-evasion", "Indicator Removal: Clear Command History", "T1070.003"},
		"unlink", "unlinkat", "security_inode_rename", evFileOpen, "truncate", "symlink", "symlinkat").opens(opensWritten),
		func(ev *trace.Event) (map[string]interface{}, int, bool) {
			var p, action string
			switch ev.EventName {
			case "unlink", "unlinkat":
				p, _ = stringArg(ev, "pathname")
				action = "deleted"
			case "security_inode_rename":
				p, _ = stringArg(ev, "old_path")
				action = "renamed"
				if !isHistoryFile(baseName(p)) {
					// ln -sf and mv replace the file by renaming something onto it; shells save
					// history the same way, so they are left out of this case.
					p, _ = stringArg(ev, "new_path")
					if trustedExe(ev, isShell) {
						return nil, 0, false
					}
					action = "replaced"
				}
			case "symlink", "symlinkat":
				p, _ = stringArg(ev, "linkpath")
				action = "replaced by a symlink"
			case "truncate":
				p, _ = stringArg(ev, "path")
				action = "truncated"
			case evFileOpen:
				path, flags, ok := openArgs(ev)
				if !ok || flags&oTrunc == 0 || !helpers.IsFileWrite(flags) {
					return nil, 0, false
				}
				p, action = path, "truncated"
			default:
				return nil, 0, false
			}
			if !isHistoryFile(baseName(p)) || ev.ReturnValue < 0 {
				return nil, 0, false
			}
			return map[string]interface{}{"pathname": p, "action": action}, 2, true
		})
}

// NewNonRootSetuid (EXT-043): a process not running as root asks to change its user ID to another.
func NewNonRootSetuid() detect.Signature {
	return newRule(newBase("EXT-043", "non_root_setuid", "Non-root process called setuid",
		"A process running as a non-root user called setuid with another user ID: only a setuid program or a capability lets that succeed, so it is a privilege change worth a look. Failed attempts are reported too.",
		mitre{1, "privilege-escalation", "Abuse Elevation Control Mechanism: Setuid and Setgid", "T1548.001"}, "setuid"),
		func(ev *trace.Event) (map[string]interface{}, int, bool) {
			if ev.EventName != "setuid" || ev.UserID == 0 {
				return nil, 0, false
			}
			uid, err := trace.ArgVal[int32](ev.Args, "uid")
			if err != nil || int(uid) == ev.UserID {
				return nil, 0, false
			}
			return map[string]interface{}{"uid": ev.UserID, "target_uid": uid, "retval": ev.ReturnValue}, 1, true
		})
}
