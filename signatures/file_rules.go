package signatures

import (
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"strings"

	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// Detections on security_file_open (and renames onto a path). Paths are the kernel's resolved
// absolute paths, so relative paths, symlinks and /proc/self/fd reopenings land on the real file.

const evFileOpen = "security_file_open"

// NewDirectoryTraversalRead (EXT-027): a monitored file opened through a path that climbs with "../".
func NewDirectoryTraversalRead() detect.Signature {
	return newRule(newBase("EXT-027", "directory_traversal_read", "Sensitive file read through directory traversal",
		"A file under /etc, /root or an .ssh directory was opened through a path that climbs twice with ../ (the path the program passed, before resolution): the mark of a path traversal bug in a server being exploited.",
		mitre{2, "credential-access", "Credentials from Password Stores", "T1555"}, evFileOpen).opens(domain.OpenInterest{Traversal: true}),
		func(ev *trace.Event) (map[string]interface{}, int, bool) {
			p, ok := readPath(ev)
			if !ok {
				return nil, 0, false
			}
			raw, err := stringArg(ev, "syscall_pathname")
			if err != nil || strings.Count(raw, "../") < 2 {
				return nil, 0, false
			}
			if strings.HasPrefix(p, "/etc/") || strings.HasPrefix(p, "/root/") || strings.Contains(p, "/.ssh/") {
				return map[string]interface{}{"pathname": p, "syscall_pathname": raw}, 2, true
			}
			return nil, 0, false
		})
}

var isSSHTool = nameIn("ssh", "sshd", "sshd-session", "sshd-auth", "ssh-keygen", "ssh-add", "ssh-agent", "ssh-copy-id",
	"ssh-keyscan", "scp", "sftp", "sftp-server", "dropbear", "git", "rsync", "mosh-client", "autossh")

// NewSSHInformationRead (EXT-028): reads of ~/.ssh by programs other than the SSH tools.
func NewSSHInformationRead() detect.Signature {
	return newRule(newBase("EXT-028", "ssh_information_read", "SSH directory read by an unexpected program",
		"A program other than the SSH tools (by executable path) listed or read an .ssh directory: keys, known_hosts and config tell an intruder where else to go.",
		mitre{2, "collection", "Data from Local System", "T1005"}, evFileOpen).opens(domain.OpenInterest{Names: []string{".ssh"}, Dirs: []string{".ssh"}}),
		func(ev *trace.Event) (map[string]interface{}, int, bool) {
			p, ok := readPath(ev)
			if !ok || !(strings.Contains(p, "/.ssh/") || strings.HasSuffix(p, "/.ssh")) || trustedExe(ev, isSSHTool) {
				return nil, 0, false
			}
			return map[string]interface{}{"pathname": p}, 2, true
		})
}

var isShellConfigName = nameIn(".bashrc", ".bash_profile", ".bash_login", ".bash_logout", ".profile", ".zshrc", ".zprofile",
	".zshenv", ".zlogin", ".zlogout", ".cshrc", ".tcshrc", ".login", ".kshrc", ".mkshrc", "config.fish")

func isShellConfig(p string) bool {
	switch p {
	case "/etc/profile", "/etc/bash.bashrc", "/etc/bashrc", "/etc/environment", "/etc/zshrc", "/etc/zshenv",
		"/etc/zprofile", "/etc/csh.cshrc", "/etc/csh.login":
		return true
	}
	return underDir(p, "/etc/profile.d/") || underDir(p, "/etc/zsh/") || isShellConfigName(baseName(p))
}

// NewShellConfigModification (EXT-029): writes to shell start-up files.
func NewShellConfigModification() detect.Signature {
	return newRule(newBase("EXT-029", "shell_config_modification", "Shell configuration file modified",
		"A shell start-up file (~/.bashrc, ~/.profile, /etc/profile.d/*, /etc/bash.bashrc, ...) was written or replaced outside a package install: commands added there run in every new shell.",
		mitre{2, "persistence", "Event Triggered Execution: Unix Shell Configuration Modification", "T1546.004"}, evFileOpen, "security_inode_rename").opens(opensWritten),
		func(ev *trace.Event) (map[string]interface{}, int, bool) {
			p, ok := writtenPath(ev)
			if !ok || !isShellConfig(p) || byPackageManager(ev) {
				return nil, 0, false
			}
			return map[string]interface{}{"pathname": p}, 2, true
		})
}

const oCreat = 0o100

// openArgs reads pathname and flags of a security_file_open, whose flags keep O_CREAT and O_TRUNC
// as the program passed them (bpf/file.c adds them back to the file's f_flags, where the kernel
// has cleared them by the time the open returns).
func openArgs(ev *trace.Event) (path string, flags int, ok bool) {
	if ev.EventName != evFileOpen {
		return "", 0, false
	}
	return fileOpenArgs(ev)
}

// NewFileCreatedBelowDev (EXT-030): regular files created directly in /dev.
func NewFileCreatedBelowDev() detect.Signature {
	return newRule(newBase("EXT-030", "file_created_below_dev", "File created in /dev",
		"A program opened a new name directly in /dev with O_CREAT; /dev holds device nodes made by the kernel and udev, and a file there is a classic hiding place.",
		mitre{2, "defense-evasion", "Hide Artifacts", "T1564"}, evFileOpen).opens(opensWritten),
		func(ev *trace.Event) (map[string]interface{}, int, bool) {
			p, flags, ok := openArgs(ev)
			if !ok || flags&oCreat == 0 || ev.ReturnValue < 0 || !underDir(p, "/dev/") || strings.IndexByte(p[5:], '/') >= 0 || isDevNode(p[5:]) {
				return nil, 0, false
			}
			return map[string]interface{}{"pathname": p}, 2, true
		})
}

// isDevNode names the device nodes shells and programs open with O_CREAT by redirection.
func isDevNode(name string) bool {
	switch name {
	case "null", "zero", "full", "random", "urandom", "tty", "console", "kmsg", "ptmx", "stdin", "stdout", "stderr", "log", "fuse", "net", "watchdog":
		return true
	}
	return strings.HasPrefix(name, "tty") || strings.HasPrefix(name, "pts") || strings.HasPrefix(name, "nvidia")
}

// NewProcEnvironRead (EXT-031): reading a process's environment through /proc.
func NewProcEnvironRead() detect.Signature {
	return newRule(newBase("EXT-031", "proc_environ_read", "Process environment read from /proc",
		"A program read /proc/<pid>/environ: environments hold API keys, tokens and passwords. Severity 2 in a container; 1 on the host, where ps e and debuggers do it.",
		mitre{2, "credential-access", "Unsecured Credentials", "T1552"}, evFileOpen).opens(domain.OpenInterest{Names: []string{"environ"}}),
		func(ev *trace.Event) (map[string]interface{}, int, bool) {
			p, ok := readPath(ev)
			if !ok || !strings.HasPrefix(p, "/proc/") || !strings.HasSuffix(p, "/environ") {
				return nil, 0, false
			}
			return map[string]interface{}{"pathname": p}, hostOrContainer(ev, 1, 2), true
		})
}

var isCloudCLI = nameIn("aws", "aws_completer", "gcloud", "gsutil", "bq", "az", "terraform", "pulumi", "kubectl", "eksctl", "docker", "podman", "skopeo", "helm")

// isCloudCredentialFile names the files cloud SDKs keep long-lived credentials in.
func isCloudCredentialFile(p string) bool {
	switch {
	case strings.HasSuffix(p, "/.aws/credentials"), strings.HasSuffix(p, "/.aws/config"),
		strings.HasSuffix(p, "/gcloud/credentials.db"), strings.HasSuffix(p, "/gcloud/access_tokens.db"),
		strings.HasSuffix(p, "/gcloud/application_default_credentials.json"),
		strings.HasSuffix(p, "/.azure/accessTokens.json"), strings.HasSuffix(p, "/.azure/msal_token_cache.json"),
		strings.HasSuffix(p, "/.docker/config.json"), strings.HasSuffix(p, "/.git-credentials"):
		return true
	}
	return false
}

// NewCloudCredentialsRead (EXT-032): cloud and registry credential files read by other programs.
func NewCloudCredentialsRead() detect.Signature {
	return newRule(newBase("EXT-032", "cloud_credentials_read", "Cloud credentials file read",
		"A program other than the cloud and container CLIs (by executable path) read ~/.aws/credentials, gcloud or Azure token stores, ~/.docker/config.json or ~/.git-credentials.",
		mitre{2, "credential-access", "Unsecured Credentials: Credentials In Files", "T1552.001"}, evFileOpen).opens(domain.OpenInterest{Names: []string{"credentials", "config", "credentials.db", "access_tokens.db", "application_default_credentials.json", "accessTokens.json", "msal_token_cache.json", "config.json", ".git-credentials"}}),
		func(ev *trace.Event) (map[string]interface{}, int, bool) {
			p, ok := readPath(ev)
			if !ok || !isCloudCredentialFile(p) || trustedExe(ev, isCloudCLI) {
				return nil, 0, false
			}
			return map[string]interface{}{"pathname": p}, 2, true
		})
}

// NewBackdooredXZ (EXT-033): the backdoored xz/liblzma releases (CVE-2024-3094) loaded by any program.
func NewBackdooredXZ() detect.Signature {
	return newRule(newBase("EXT-033", "backdoored_xz_library", "Backdoored liblzma loaded (CVE-2024-3094)",
		"A program opened liblzma 5.6.0 or 5.6.1, the xz releases with a backdoor that hooks sshd's RSA key verification; any program loading it counts, not only sshd.",
		mitre{3, "initial-access", "Supply Chain Compromise: Compromise Software Supply Chain", "T1195.002"}, evFileOpen).opens(domain.OpenInterest{Writes: true, NamePrefixes: []string{"liblzma.so.5.6."}}),
		func(ev *trace.Event) (map[string]interface{}, int, bool) {
			if ev.EventName != evFileOpen {
				return nil, 0, false
			}
			p, _, ok := fileOpenArgs(ev)
			if !ok {
				return nil, 0, false
			}
			if b := baseName(p); strings.HasPrefix(b, "liblzma.so.5.6.0") || strings.HasPrefix(b, "liblzma.so.5.6.1") {
				return map[string]interface{}{"pathname": p}, 3, true
			}
			return nil, 0, false
		})
}

var accountFiles = nameIn("/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow")

// NewAccountDatabaseWrite (EXT-020): the account files written by something other than the
// account tools and package managers.
func NewAccountDatabaseWrite() detect.Signature {
	return newRule(newBase("EXT-020", "account_database_write", "Account database written directly",
		"/etc/passwd, /etc/shadow, /etc/group or /etc/gshadow was written or replaced by a program other than the account tools and package managers (by executable path): a user or password added behind their back.",
		mitre{3, "persistence", "Create Account: Local Account", "T1136.001"}, evFileOpen, "security_inode_rename").opens(opensWritten),
		func(ev *trace.Event) (map[string]interface{}, int, bool) {
			p, ok := writtenPath(ev)
			if !ok || !accountFiles(p) || trustedExe(ev, isUserMgmtTool) || byPackageManager(ev) || trustedExe(ev, isCredentialTool) {
				return nil, 0, false
			}
			return map[string]interface{}{"pathname": p}, 3, true
		})
}
