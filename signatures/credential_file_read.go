package signatures

import (
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"strings"
	"sync"

	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/protocol"
	"github.com/seed-428f5ad7/tracee/types/trace"
	"golang.org/x/sys/unix"
)

// CredentialFileRead (EXT-001) reports reads of password hashes and private SSH keys by programs
// that have no business reading them, under any name: the allow-list goes by the executable the
// kernel ran, and the files by inode as well as by path, so a hardlink to /etc/shadow is the same
// file.
type CredentialFileRead struct {
	base
	mu     sync.Mutex
	inodes map[fileID]string // credential files seen (or found at Init) -> their path
}

// fileID names a file the way the kernel does: device (MKDEV encoding) and inode.
type fileID struct {
	dev   uint32
	inode uint64
}

// NewCredentialFileRead returns the EXT-001 signature.
func NewCredentialFileRead() *CredentialFileRead {
	return &CredentialFileRead{base: newBase("EXT-001", "credential_file_read", "Credential file read by an unexpected process",
		"A program other than the login, password and SSH tools (by executable path) read /etc/shadow, /etc/gshadow, an SSH host key or a user's private SSH key, by its name or through another link to the same inode: a step towards cracking passwords or reusing keys.",
		mitre{2, "credential-access", "OS Credential Dumping: /etc/passwd and /etc/shadow", "T1003.008"}, "security_file_open").opens(domain.OpenInterest{Names: []string{"shadow", "gshadow", "shadow-", "gshadow-", "opasswd"}, NamePrefixes: []string{"ssh_host_", "id_"}}),
		inodes: map[fileID]string{}}
}

// credentialFiles are looked up at Init so that a hardlink made before the agent started is known.
var credentialFiles = []string{"/etc/shadow", "/etc/gshadow", "/etc/shadow-", "/etc/gshadow-", "/etc/security/opasswd"}

func (s *CredentialFileRead) Init(ctx detect.SignatureContext) error {
	for _, p := range credentialFiles {
		var st unix.Stat_t
		if unix.Stat(p, &st) == nil {
			s.inodes[fileID{kernelDev(st.Dev), st.Ino}] = p
		}
	}
	return s.base.Init(ctx)
}

// kernelDev converts a stat(2) device number to the kernel's MKDEV encoding that events carry.
func kernelDev(dev uint64) uint32 { return unix.Major(dev)<<20 | unix.Minor(dev) }

func (s *CredentialFileRead) OnEvent(event protocol.Event) error {
	ev, err := traceEvent(&event)
	if err != nil {
		return err
	}
	p, ok := readPath(ev)
	if !ok {
		return nil
	}
	dev, _ := trace.ArgVal[uint32](ev.Args, "dev")
	inode, _ := trace.ArgVal[uint64](ev.Args, "inode")
	id := fileID{dev, inode}
	original := ""
	if isCredentialFile(p) {
		if inode != 0 {
			s.mu.Lock()
			if _, known := s.inodes[id]; !known && len(s.inodes) < maxTrackedProcs {
				s.inodes[id] = p
			}
			s.mu.Unlock()
		}
	} else {
		if inode == 0 {
			return nil
		}
		s.mu.Lock()
		original = s.inodes[id]
		s.mu.Unlock()
		if original == "" {
			return nil
		}
	}
	if trustedExe(ev, isCredentialTool) {
		return nil
	}
	data := map[string]interface{}{"pathname": p}
	if original != "" {
		data["link_to"] = original
	}
	s.report(event, data)
	return nil
}

func isCredentialFile(p string) bool {
	switch p {
	case "/etc/shadow", "/etc/gshadow", "/etc/shadow-", "/etc/gshadow-", "/etc/security/opasswd":
		return true
	}
	b := baseName(p)
	if strings.HasSuffix(b, ".pub") {
		return false
	}
	if strings.HasPrefix(p, "/etc/ssh/") {
		return strings.HasPrefix(b, "ssh_host_") && strings.HasSuffix(b, "_key")
	}
	// ~/.ssh/id_rsa, id_ed25519, id_ecdsa ... in any home directory
	return strings.HasPrefix(b, "id_") && strings.HasSuffix(p[:len(p)-len(b)], "/.ssh/")
}

// isCredentialTool lists programs whose job includes reading these files.
func isCredentialTool(name string) bool {
	switch name {
	case "sshd", "sshd-session", "sshd-auth", "ssh", "ssh-add", "ssh-agent", "ssh-keygen", "scp", "sftp",
		"login", "su", "sudo", "passwd", "chpasswd", "chage", "chfn", "chsh", "unix_chkpwd", "useradd", "usermod",
		"userdel", "groupadd", "groupmod", "groupdel", "gpasswd", "newgrp", "pwck", "grpck", "vipw", "vigr",
		"pwconv", "grpconv", "cron", "crond", "systemd", "systemd-logind", "polkitd", "gdm-session-worker",
		"lightdm", "sddm-helper", "dropbear", "atd", "runuser", "accounts-daemon", "polkit-agent-helper-1",
		"cockpit-session", "vlock", "xscreensaver-auth", "pkexec":
		return true
	}
	return false
}
