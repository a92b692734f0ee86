package signatures

import (
	"strings"

	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/protocol"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// Detections beyond Falco's default set that the issue asks for: exploitation primitives, miners,
// system binaries and package databases changed behind the package manager, hidden staging dirs,
// and interpreter one-liners that open connections.

// NewExecEmptyArgv (EXT-044): a program started with no argv[0], the trigger of CVE-2021-4034
// (PwnKit) in pkexec and of similar bugs in any setuid program.
func NewExecEmptyArgv() detect.Signature {
	return newRule(newBase("EXT-044", "exec_empty_argv", "Program started without arguments (argc 0)",
		"A program was executed with an empty argument list (no argv[0]; the kernel now substitutes an empty string): no shell or launcher does this, exploits of setuid programs such as pkexec (CVE-2021-4034) do. Severity 3 when the program is setuid or setgid.",
		mitre{2, "privilege-escalation", "Exploitation for Privilege Escalation", "T1068"}, evExec),
		func(ev *trace.Event) (map[string]interface{}, int, bool) {
			p, argv, ok := execArgs(ev)
			if !ok || (len(argv) > 0 && argv[0] != "") {
				return nil, 0, false
			}
			if _, err := ev.GetArgumentByName("argv", trace.GetArgOps{}); err != nil {
				return nil, 0, false // a source that does not capture argv at all
			}
			sev := 2
			if mode, _ := trace.ArgVal[uint16](ev.Args, "inode_mode"); mode&(modeSetuid|modeSetgid) != 0 {
				sev = 3
			}
			return map[string]interface{}{"pathname": p}, sev, true
		})
}

// NewUserfaultfdUse (EXT-045): userfaultfd, the usual tool for winning kernel race conditions.
func NewUserfaultfdUse() detect.Signature {
	return newRule(newBase("EXT-045", "userfaultfd_use", "userfaultfd called",
		"A process called userfaultfd, which lets user space stall the kernel on a page fault: kernel exploits use it to widen race windows. Live migration (QEMU, CRIU) uses it as root on the host (severity 1); by a non-root user or in a container it is severity 2. Refused attempts count.",
		mitre{2, "privilege-escalation", "Exploitation for Privilege Escalation", "T1068"}, "userfaultfd"),
		func(ev *trace.Event) (map[string]interface{}, int, bool) {
			if ev.EventName != "userfaultfd" {
				return nil, 0, false
			}
			flags, err := trace.ArgVal[int32](ev.Args, "flags")
			if err != nil {
				return nil, 0, false
			}
			sev := 1
			if ev.UserID != 0 || inContainer(ev) {
				sev = 2
			}
			return map[string]interface{}{"uid": ev.UserID, "flags": flags, "retval": ev.ReturnValue}, sev, true
		})
}

var minerMarkers = []string{"stratum+tcp://", "stratum+ssl://", "stratum+tls://", "stratum2+tcp://", "stratum1+tcp://",
	"--donate-level", "--cpu-max-threads-hint", "--randomx-", "cryptonight", "--coin=monero", "--algo=rx/0", "-a rx/0"}

var isMinerName = nameIn("xmrig", "xmr-stak", "xmr-stak-rx", "ccminer", "cpuminer", "cpuminer-multi", "minerd", "cgminer",
	"bfgminer", "ethminer", "t-rex", "nbminer", "lolminer", "phoenixminer", "nanominer", "gminer", "srbminer-multi", "xmrig-notls")

// NewCryptoMiner (EXT-046): a cryptocurrency miner started, recognised by its pool URL and
// miner options on the command line (any name) or by a known miner program.
func NewCryptoMiner() detect.Signature {
	return newRule(newBase("EXT-046", "crypto_miner", "Cryptocurrency miner started",
		"A program was started with a mining pool URL (stratum+tcp://, stratum+ssl://) or miner options (--donate-level, RandomX/CryptoNight algorithms) on its command line, whatever it is called, or a known miner (xmrig, ccminer, ...) was run.",
		mitre{3, "impact", "Resource Hijacking", "T1496"}, evExec),
		func(ev *trace.Event) (map[string]interface{}, int, bool) {
			p, argv, ok := execArgs(ev)
			if !ok {
				return nil, 0, false
			}
			for _, a := range argv[min(1, len(argv)):] {
				for _, m := range minerMarkers {
					if strings.Contains(a, m) {
						return map[string]interface{}{"marker": m, "pathname": p, "argv": argv}, 3, true
					}
				}
			}
			if name, ok := programIs(p, argv, isMinerName); ok {
				return map[string]interface{}{"marker": name, "pathname": p, "argv": argv}, 3, true
			}
			return nil, 0, false
		})
}

func isBinaryDir(p string) bool {
	for _, d := range [...]string{"/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/", "/usr/local/bin/", "/usr/local/sbin/", "/usr/libexec/"} {
		if underDir(p, d) {
			return true
		}
	}
	return false
}

// NewBinaryDirWrite (EXT-047): programs in the system binary directories written outside a package install.
func NewBinaryDirWrite() detect.Signature {
	return newRule(newBase("EXT-047", "binary_dir_write", "File written below a system binary directory",
		"A file in /bin, /sbin, /usr/bin, /usr/sbin, /usr/local/bin or /usr/libexec was written or renamed into place by a program other than a package manager (by executable path): a trojaned system command or a planted tool.",
		mitre{2, "persistence", "Compromise Host Software Binary", "T1554"}, evFileOpen, "security_inode_rename").opens(opensWritten),
		func(ev *trace.Event) (map[string]interface{}, int, bool) {
			p, ok := writtenPath(ev)
			if !ok || !isBinaryDir(p) || byPackageManager(ev) {
				return nil, 0, false
			}
			return map[string]interface{}{"pathname": p}, 2, true
		})
}

// NewPackageDatabaseWrite (EXT-048): the package manager's database changed by another program.
func NewPackageDatabaseWrite() detect.Signature {
	return newRule(newBase("EXT-048", "package_database_write", "Package database written outside the package manager",
		"A file under /var/lib/dpkg, /var/lib/rpm or /lib/apk/db was written or replaced by a program other than the package manager and its helpers (by executable path): hiding installed software or faking file checksums.",
		mitre{2, "defense-evasion", "Indicator Removal", "T1070"}, evFileOpen, "security_inode_rename").opens(opensWritten),
		func(ev *trace.Event) (map[string]interface{}, int, bool) {
			p, ok := writtenPath(ev)
			if !ok || !(underDir(p, "/var/lib/dpkg/") || underDir(p, "/var/lib/rpm/") || underDir(p, "/lib/apk/db/") || underDir(p, "/usr/lib/sysimage/rpm/")) || byPackageManager(ev) {
				return nil, 0, false
			}
			// dpkg-deb has tar unpack a package's control files into this scratch directory.
			if underDir(p, "/var/lib/dpkg/tmp.ci/") {
				return nil, 0, false
			}
			return map[string]interface{}{"pathname": p}, 2, true
		})
}

// hiddenPathSeverity says whether p is a hidden name made directly in a temp or system directory,
// and at what severity.
func hiddenPathSeverity(p string) (int, bool) {
	if len(p) < 3 || p[0] != '/' {
		return 0, false
	}
	i := strings.LastIndexByte(p, '/')
	name, dir := p[i+1:], p[:i+1]
	if len(name) < 2 || name[0] != '.' || name == ".." {
		return 0, false
	}
	switch name {
	case ".X11-unix", ".ICE-unix", ".font-unix", ".XIM-unix", ".Test-unix", ".pwd.lock", ".updated", ".keep", ".gitkeep":
		return 0, false
	}
	switch dir {
	case "/tmp/", "/var/tmp/", "/dev/shm/", "/run/shm/":
		return 1, true
	case "/", "/etc/", "/usr/", "/usr/bin/", "/usr/sbin/", "/bin/", "/sbin/", "/lib/", "/usr/lib/", "/lib64/", "/usr/local/", "/usr/local/bin/", "/var/", "/var/lib/", "/boot/", "/root/":
		return 2, true
	}
	return 0, false
}

// NewHiddenPathCreated (EXT-049): hidden directories and files made directly in temp and system directories.
func NewHiddenPathCreated() detect.Signature {
	return newRule(newBase("EXT-049", "hidden_path_created", "Hidden file or directory created in a system or temp directory",
		"A directory or file whose name starts with a dot was created directly in /, /etc, /usr, /bin, /lib, /boot, /var (severity 2) or /tmp, /var/tmp, /dev/shm (severity 1): droppers stage payloads in names ls does not show.",
		mitre{2, "defense-evasion", "Hide Artifacts: Hidden Files and Directories", "T1564.001"}, "mkdir", "mkdirat", evFileOpen).opens(opensWritten),
		func(ev *trace.Event) (map[string]interface{}, int, bool) {
			var p, kind string
			switch ev.EventName {
			case "mkdir", "mkdirat":
				p, _ = stringArg(ev, "pathname")
				kind = "directory"
			default:
				path, flags, ok := openArgs(ev)
				if !ok || flags&oCreat == 0 {
					return nil, 0, false
				}
				p, kind = path, "file"
			}
			if ev.ReturnValue < 0 || byPackageManager(ev) {
				return nil, 0, false
			}
			sev, ok := hiddenPathSeverity(strings.TrimSuffix(p, "/"))
			if !ok {
				return nil, 0, false
			}
			return map[string]interface{}{"pathname": p, "kind": kind}, sev, true
		})
}

var isInterpreter = nameIn("python", "python2", "python3", "perl", "ruby", "php", "node", "nodejs", "lua", "luajit", "tclsh", "awk", "gawk", "mawk", "busybox")

// isInterpreterExe also accepts versioned names (python3.11, php8.2, lua5.4).
func isInterpreterExe(name string) bool {
	if isInterpreter(name) {
		return true
	}
	for _, prefix := range [...]string{"python", "php", "lua", "ruby", "perl"} {
		if strings.HasPrefix(name, prefix) && len(name) > len(prefix) && (name[len(prefix)] >= '0' && name[len(prefix)] <= '9') {
			return true
		}
	}
	return false
}

// InterpreterOneLinerConnect (EXT-050) reports an interpreter started with inline code (python -c,
// perl -e, ruby -e, node -e, php -r) that then connects to an internet address: the reverse-shell
// and downloader one-liners. Interpreters running scripts (pip, npm) are not concerned.
type InterpreterOneLinerConnect struct {
	base
	inline map[int]string // host PID -> interpreter started with inline code
}

// NewInterpreterOneLinerConnect returns the EXT-050 signature.
func NewInterpreterOneLinerConnect() *InterpreterOneLinerConnect {
	return &InterpreterOneLinerConnect{base: newBase("EXT-050", "interpreter_one_liner_connect", "Interpreter one-liner opened a network connection",
		"An interpreter started with code on its command line (python -c, perl -e, ruby -e, node -e, php -r) connected to an internet address: how reverse shells and download cradles are typed.",
		mitre{2, "execution", "Command and Scripting Interpreter", "T1059"}, evExec, evConnect, "sched_process_exit"),
		inline: map[int]string{}}
}

func (s *InterpreterOneLinerConnect) OnEvent(event protocol.Event) error {
	ev, err := traceEvent(&event)
	if err != nil {
		return err
	}
	switch ev.EventName {
	case evExec:
		if len(s.inline) > 0 {
			delete(s.inline, ev.HostProcessID)
		}
		p, argv, ok := execArgs(ev)
		if !ok || !isInterpreterExe(baseName(p)) || !hasInlineCode(argv) {
			return nil
		}
		if len(s.inline) >= maxTrackedProcs {
			clear(s.inline)
		}
		s.inline[ev.HostProcessID] = baseName(p)
	case "sched_process_exit":
		if len(s.inline) > 0 {
			delete(s.inline, ev.HostProcessID)
		}
	case evConnect:
		interp, tracked := s.inline[ev.HostProcessID]
		if !tracked {
			return nil
		}
		ip, port, ok := inetConnect(ev)
		if !ok || port == "0" {
			return nil
		}
		s.report(event, map[string]interface{}{"interpreter": interp, "ip": ip, "port": port})
	}
	return nil
}

func hasInlineCode(argv []string) bool {
	for _, a := range argv[min(1, len(argv)):] {
		switch a {
		case "-c", "-e", "-E", "-r", "--eval", "-p", "--print":
			return true
		}
		if len(a) > 2 && a[0] == '-' && a[1] != '-' && (a[len(a)-1] == 'e' || a[len(a)-1] == 'c') {
			return true // combined flags: perl -we, python -Sc
		}
	}
	return false
}
