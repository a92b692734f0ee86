package signatures

import (
	"strings"

	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// Detections on sched_process_exec. Programs are recognised by the file the kernel ran and by
// argv[0], never by comm alone.

const evExec = "sched_process_exec"

// toolStarted reports an exec of a program isName accepts (by the resolved file or argv[0]);
// where is "container" or "host" to restrict it, "" for anywhere.
func toolStarted(ev *trace.Event, isName func(string) bool, where string) (tool string, argv []string, ok bool) {
	p, argv, ok := execArgs(ev)
	if !ok || (where == "container" && !inContainer(ev)) || (where == "host" && inContainer(ev)) {
		return "", nil, false
	}
	tool, ok = programIs(p, argv, isName)
	return tool, argv, ok
}

// NewExecFromTempDir (EXT-010): a program run from /dev/shm (anywhere) or /tmp, /var/tmp (in a container).
func NewExecFromTempDir() detect.Signature {
	return newRule(newBase("EXT-010", "exec_from_temp_dir", "Program run from /dev/shm or a temp dir",
		"A program was run from /dev/shm, or from /tmp or /var/tmp inside a container: world-writable, often memory-backed places where droppers stage payloads. On the host /tmp is left out (compilers and test runners run binaries from there).",
		mitre{2, "execution", "Command and Scripting Interpreter", "T1059"}, evExec),
		func(ev *trace.Event) (map[string]interface{}, int, bool) {
			p, _, ok := execArgs(ev)
			if !ok {
				return nil, 0, false
			}
			if strings.HasPrefix(p, "/dev/shm/") || strings.HasPrefix(p, "/run/shm/") ||
				(inContainer(ev) && (strings.HasPrefix(p, "/tmp/") || strings.HasPrefix(p, "/var/tmp/"))) {
				return map[string]interface{}{"pathname": p}, 2, true
			}
			return nil, 0, false
		})
}

var isNetcat = nameIn("nc", "ncat", "netcat", "nc.openbsd", "nc.traditional", "pwncat")

// NewNetcatRemoteCodeExecution (EXT-012): netcat asked to run a program for the connection.
func NewNetcatRemoteCodeExecution() detect.Signature {
	return newRule(newBase("EXT-012", "netcat_remote_code_execution", "Netcat runs a program for a connection",
		"netcat was started with -e, -c, --exec, --sh-exec or --lua-exec, which hands a shell or program to whoever is at the other end of the connection.",
		mitre{3, "execution", "Command and Scripting Interpreter: Unix Shell", "T1059.004"}, evExec),
		func(ev *trace.Event) (map[string]interface{}, int, bool) {
			p, argv, ok := execArgs(ev)
			if !ok {
				return nil, 0, false
			}
			tool, ok := programIs(p, argv, isNetcat)
			if !ok {
				return nil, 0, false
			}
			for _, a := range argv[min(1, len(argv)):] {
				switch {
				case a == "--exec" || a == "--sh-exec" || a == "--lua-exec" || strings.HasPrefix(a, "--exec=") || strings.HasPrefix(a, "--sh-exec="):
				case len(a) >= 2 && a[0] == '-' && a[1] != '-' && strings.ContainsAny(a[1:], "ec"):
				default:
					continue
				}
				return map[string]interface{}{"tool": tool, "argv": argv}, 3, true
			}
			return nil, 0, false
		})
}

// keyContentMarkers appear in searches for key material by content.
var keyContentMarkers = []string{"BEGIN RSA PRIVATE", "BEGIN OPENSSH PRIVATE", "BEGIN PRIVATE KEY", "BEGIN EC PRIVATE",
	"BEGIN DSA PRIVATE", "BEGIN ENCRYPTED PRIVATE", "BEGIN PGP PRIVATE", "aws_secret_access_key", "aws_access_key_id", "AWS_SECRET_ACCESS_KEY"}

// keyFileNames appear in searches for key and credential files by name.
var keyFileNames = []string{"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", ".pem", ".ppk", ".p12", ".pfx", ".key", "credentials",
	".aws", ".git-credentials", ".netrc", "wallet.dat", ".kube/config", "private"}

var isSearchTool = nameIn("find", "grep", "egrep", "fgrep", "rg", "ag", "ack", "locate", "mlocate", "plocate", "fd", "fdfind")

// NewPrivateKeySearch (EXT-013): searching the file system for private keys or cloud credentials.
func NewPrivateKeySearch() detect.Signature {
	return newRule(newBase("EXT-013", "private_key_search", "Search for private keys or credentials",
		"A program was started to search files for private key material or cloud credentials: by content (BEGIN ... PRIVATE KEY, aws_secret_access_key), whatever the tool, or by file name (id_rsa, *.pem, .aws/credentials) with find, grep -r, locate and the like.",
		mitre{2, "credential-access", "Unsecured Credentials: Credentials In Files", "T1552.001"}, evExec),
		func(ev *trace.Event) (map[string]interface{}, int, bool) {
			p, argv, ok := execArgs(ev)
			if !ok || len(argv) < 2 {
				return nil, 0, false
			}
			for _, a := range argv[1:] {
				for _, m := range keyContentMarkers {
					if strings.Contains(a, m) {
						return map[string]interface{}{"pattern": m, "argv": argv}, 2, true
					}
				}
			}
			if _, ok := programIs(p, argv, isSearchTool); !ok {
				return nil, 0, false
			}
			for _, a := range argv[1:] {
				if len(a) > 0 && a[0] == '-' {
					continue
				}
				for _, m := range keyFileNames {
					if strings.Contains(a, m) {
						return map[string]interface{}{"pattern": m, "argv": argv}, 2, true
					}
				}
			}
			return nil, 0, false
		})
}

var isWiper = nameIn("shred", "wipe", "srm", "sfill", "sdmem", "sswap", "scrub", "wipefs", "blkdiscard")

// NewDataDestruction (EXT-014): secure-deletion and wiping tools.
func NewDataDestruction() detect.Signature {
	return newRule(newBase("EXT-014", "data_destruction", "Data wiping tool run",
		"shred, wipe, srm, scrub, wipefs or blkdiscard was run: they destroy file or disk contents beyond recovery, to cover tracks or to sabotage.",
		mitre{2, "impact", "Data Destruction", "T1485"}, evExec),
		func(ev *trace.Event) (map[string]interface{}, int, bool) {
			if tool, argv, ok := toolStarted(ev, isWiper, ""); ok {
				return map[string]interface{}{"tool": tool, "argv": argv}, 2, true
			}
			return nil, 0, false
		})
}

var isDebugfs = nameIn("debugfs")

// NewDebugfsInContainer (EXT-015): debugfs, which reads and writes a block device's file system
// directly, run in a container.
func NewDebugfsInContainer() detect.Signature {
	return newRule(newBase("EXT-015", "debugfs_in_container", "debugfs run in a container",
		"debugfs was run inside a container; with a privileged container it opens the host's disk and reads or changes any file on it.",
		mitre{3, "privilege-escalation", "Escape to Host", "T1611"}, evExec),
		func(ev *trace.Event) (map[string]interface{}, int, bool) {
			if _, argv, ok := toolStarted(ev, isDebugfs, "container"); ok {
				return map[string]interface{}{"argv": argv}, 3, true
			}
			return nil, 0, false
		})
}

// NewSystemUserInteractive (EXT-016): a shell on a terminal for a system account.
func NewSystemUserInteractive() detect.Signature {
	return newRule(newBase("EXT-016", "system_user_interactive", "Interactive shell of a system account",
		"A shell started on a terminal with a user ID below 1000 other than root: service accounts (www-data, daemon, nobody) never log in, so someone is using a compromised service's identity.",
		mitre{2, "persistence", "Valid Accounts: Local Accounts", "T1078.003"}, evExec),
		func(ev *trace.Event) (map[string]interface{}, int, bool) {
			p, argv, ok := execArgs(ev)
			if !ok || ev.UserID <= 0 || ev.UserID >= 1000 {
				return nil, 0, false
			}
			if _, ok := programIs(p, argv, isShell); !ok || !stdinIsTerminal(ev) {
				return nil, 0, false
			}
			return map[string]interface{}{"uid": ev.UserID, "shell": p}, 2, true
		})
}

// NewTerminalShellInContainer (EXT-017): an interactive shell inside a container.
func NewTerminalShellInContainer() detect.Signature {
	return newRule(newBase("EXT-017", "terminal_shell_in_container", "Terminal shell in a container",
		"A shell started in a container with a terminal on its standard input (kubectl exec -it, docker exec -it): hands-on activity inside a workload.",
		mitre{2, "execution", "Command and Scripting Interpreter: Unix Shell", "T1059.004"}, evExec),
		func(ev *trace.Event) (map[string]interface{}, int, bool) {
			p, argv, ok := execArgs(ev)
			if !ok || !inContainer(ev) {
				return nil, 0, false
			}
			if _, ok := programIs(p, argv, isShell); !ok || !stdinIsTerminal(ev) {
				return nil, 0, false
			}
			return map[string]interface{}{"shell": p}, 2, true
		})
}

var isUserMgmtTool = nameIn("useradd", "usermod", "userdel", "groupadd", "groupmod", "groupdel", "adduser", "deluser",
	"addgroup", "delgroup", "chpasswd", "chgpasswd", "newusers", "chage", "gpasswd", "vipw", "vigr", "pwconv", "pwunconv",
	"grpconv", "grpunconv", "systemd-sysusers", "passwd", "chsh", "chfn")

// NewUserManagementTool (EXT-019): account management programs run on the host.
func NewUserManagementTool() detect.Signature {
	return newRule(newBase("EXT-019", "user_management_tool", "User management program run",
		"A program that creates, changes or deletes accounts or groups (useradd, usermod, chpasswd, ...) was run on the host, outside a package install.",
		mitre{1, "persistence", "Create Account: Local Account", "T1136.001"}, evExec),
		func(ev *trace.Event) (map[string]interface{}, int, bool) {
			if tool, argv, ok := toolStarted(ev, isUserMgmtTool, "host"); ok && tool != "passwd" && tool != "chsh" && tool != "chfn" {
				return map[string]interface{}{"tool": tool, "argv": argv}, 1, true
			}
			return nil, 0, false
		})
}

var isNetworkTool = nameIn("nc", "ncat", "netcat", "nc.openbsd", "nc.traditional", "nmap", "masscan", "zmap", "tcpdump",
	"tshark", "ngrep", "telnet", "socat", "mitmproxy", "mitmdump", "hping3", "arpspoof", "ettercap", "dsniff", "pwncat", "rustscan")

// NewNetworkToolLaunched (EXT-021): scanners, sniffers and raw connection tools.
func NewNetworkToolLaunched() detect.Signature {
	return newRule(newBase("EXT-021", "network_tool_launched", "Network scanning or sniffing tool run",
		"nc, nmap, masscan, tcpdump, socat, telnet and similar tools were run; inside a container, where they have no business, this is reported at severity 2, on the host at 1.",
		mitre{2, "discovery", "Network Service Discovery", "T1046"}, evExec),
		func(ev *trace.Event) (map[string]interface{}, int, bool) {
			if tool, argv, ok := toolStarted(ev, isNetworkTool, ""); ok {
				return map[string]interface{}{"tool": tool, "argv": argv}, hostOrContainer(ev, 1, 2), true
			}
			return nil, 0, false
		})
}

var isIngressTool = nameIn("curl", "wget", "aria2c", "axel", "ftp", "tftp", "lftp", "fetch")
var isRemoteCopyTool = nameIn("rsync", "scp", "sftp", "dcp", "rclone", "curl", "wget", "aria2c", "axel", "ftp", "tftp", "lftp")

// NewRemoteFileCopyInContainer (EXT-022): file transfer tools run in a container.
func NewRemoteFileCopyInContainer() detect.Signature {
	return newRule(newBase("EXT-022", "remote_file_copy_in_container", "Remote file copy tool run in a container",
		"curl, wget, rsync, scp, sftp and similar tools were run inside a container: downloading tools into a running workload, or copying data out of it.",
		mitre{2, "command-and-control", "Ingress Tool Transfer", "T1105"}, evExec),
		func(ev *trace.Event) (map[string]interface{}, int, bool) {
			tool, argv, ok := toolStarted(ev, isRemoteCopyTool, "container")
			if !ok {
				return nil, 0, false
			}
			dir := "transfer"
			if isIngressTool(tool) {
				dir = "ingress"
			}
			return map[string]interface{}{"tool": tool, "direction": dir, "argv": argv}, 2, true
		})
}

var isPackageTool = nameIn("apt", "apt-get", "aptitude", "dpkg", "yum", "dnf", "microdnf", "rpm", "apk", "zypper", "pacman",
	"pip", "pip3", "npm", "gem", "yarn", "pnpm", "composer", "cargo", "conda")

// NewPackageManagementInContainer (EXT-023): package managers run in a running container.
func NewPackageManagementInContainer() detect.Signature {
	return newRule(newBase("EXT-023", "package_management_in_container", "Package manager run in a container",
		"A package manager (apt, dpkg, yum, apk, pip, npm ...) was run inside a running container: images are immutable, so software installed at run time is drift, often tooling for an attack.",
		mitre{2, "persistence", "Software Deployment Tools", "T1072"}, evExec),
		func(ev *trace.Event) (map[string]interface{}, int, bool) {
			if tool, argv, ok := toolStarted(ev, isPackageTool, "container"); ok {
				return map[string]interface{}{"tool": tool, "argv": argv}, 2, true
			}
			return nil, 0, false
		})
}

// NewHTTPProxyEnv (EXT-024): a program run with an HTTP proxy set in its environment.
func NewHTTPProxyEnv() detect.Signature {
	return newRule(newBase("EXT-024", "http_proxy_env", "Program run with an HTTP proxy in its environment",
		"A program was started with HTTP_PROXY, HTTPS_PROXY or ALL_PROXY set: traffic, and the credentials in it, go through that proxy. Common with corporate proxies, hence severity 1.",
		mitre{1, "command-and-control", "Proxy", "T1090"}, evExec),
		func(ev *trace.Event) (map[string]interface{}, int, bool) {
			if ev.EventName != evExec {
				return nil, 0, false
			}
			env, err := stringsArg(ev, "env")
			if err != nil {
				return nil, 0, false
			}
			for _, name := range [...]string{"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"} {
				if v, ok := envValue(env, name); ok && v != "" {
					return map[string]interface{}{"variable": name, "value": v}, 1, true
				}
			}
			return nil, 0, false
		})
}

// NewGlibcTunablesEnv (EXT-025): GLIBC_TUNABLES on exec, the vector of CVE-2023-4911 (Looney Tunables).
func NewGlibcTunablesEnv() detect.Signature {
	return newRule(newBase("EXT-025", "glibc_tunables_env", "Program run with GLIBC_TUNABLES",
		"A program was started with GLIBC_TUNABLES in its environment; against a setuid program this is how CVE-2023-4911 (Looney Tunables) gets root, and it is reported at severity 3 then.",
		mitre{2, "privilege-escalation", "Exploitation for Privilege Escalation", "T1068"}, evExec),
		func(ev *trace.Event) (map[string]interface{}, int, bool) {
			if ev.EventName != evExec {
				return nil, 0, false
			}
			env, err := stringsArg(ev, "env")
			if err != nil {
				return nil, 0, false
			}
			v, ok := envValue(env, "GLIBC_TUNABLES")
			if !ok {
				return nil, 0, false
			}
			sev := 2
			if mode, _ := trace.ArgVal[uint16](ev.Args, "inode_mode"); mode&(modeSetuid|modeSetgid) != 0 {
				sev = 3
			}
			p, _ := stringArg(ev, "pathname")
			return map[string]interface{}{"value": v, "pathname": p}, sev, true
		})
}

// NewArchiveToStdoutInContainer (EXT-026): tar writing an archive to its standard output in a
// container, which is how `kubectl cp` copies files out.
func NewArchiveToStdoutInContainer() detect.Signature {
	return newRule(newBase("EXT-026", "archive_to_stdout_in_container", "Archive streamed out of a container",
		"tar created an archive on its standard output inside a container (tar cf - ...), what `kubectl cp` from a pod runs: files leave the container through the control plane.",
		mitre{2, "exfiltration", "Automated Exfiltration", "T1020"}, evExec),
		func(ev *trace.Event) (map[string]interface{}, int, bool) {
			p, argv, ok := execArgs(ev)
			if !ok || !inContainer(ev) || stdinIsTerminal(ev) {
				return nil, 0, false
			}
			if _, ok := programIs(p, argv, nameIn("tar", "bsdtar")); !ok || !tarCreatesToStdout(argv) {
				return nil, 0, false
			}
			return map[string]interface{}{"argv": argv}, 2, true
		})
}

// tarCreatesToStdout reports a tar command line that creates an archive written to "-" (or to no
// file at all, which is standard output).
func tarCreatesToStdout(argv []string) bool {
	create, file, toStdout := false, false, false
	for i, a := range argv[min(1, len(argv)):] {
		switch {
		case a == "--create":
			create = true
		case a == "-f" || a == "--file":
			file = true
			toStdout = i+2 < len(argv) && argv[i+2] == "-"
		case strings.HasPrefix(a, "--file="):
			file, toStdout = true, a == "--file=-"
		case len(a) > 1 && a[0] != '-' && i == 0, len(a) > 1 && a[0] == '-' && a[1] != '-':
			// old-style "cf" or short options "-czf"
			if strings.ContainsRune(a, 'c') {
				create = true
			}
			if strings.HasSuffix(a, "f") {
				file = true
				toStdout = i+2 < len(argv) && argv[i+2] == "-"
			}
		}
	}
	return create && (!file || toStdout)
}
