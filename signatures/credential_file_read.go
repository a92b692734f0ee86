package signatures

import (
	"strings"

	"github.com/seed-428f5ad7/tracee/types/protocol"
)

// CredentialFileRead (EXT-001) reports reads of password hashes and private SSH keys by programs
// that have no business reading them.
type CredentialFileRead struct{ base }

// NewCredentialFileRead returns the EXT-001 signature.
func NewCredentialFileRead() *CredentialFileRead {
	return &CredentialFileRead{newBase("EXT-001", "credential_file_read", "Credential file read by an unexpected process",
		"A program other than the login, password and SSH tools read /etc/shadow, /etc/gshadow, an SSH host key or a user's private SSH key: a step towards cracking passwords or reusing keys.",
		mitre{2, "credential-access", "OS Credential Dumping: /etc/passwd and /etc/shadow", "T1003.008"}, "security_file_open")}
}

func (s *CredentialFileRead) OnEvent(event protocol.Event) error {
	ev, err := traceEvent(&event)
	if err != nil {
		return err
	}
	p, ok := readPath(ev)
	if !ok || !isCredentialFile(p) || isCredentialTool(ev.ProcessName) {
		return nil
	}
	s.report(event, map[string]interface{}{"pathname": p})
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
func isCredentialTool(comm string) bool {
	switch comm {
	case "sshd", "sshd-session", "sshd-auth", "ssh", "ssh-add", "ssh-agent", "ssh-keygen", "scp", "sftp",
		"login", "su", "sudo", "passwd", "chpasswd", "chage", "chfn", "chsh", "unix_chkpwd", "useradd", "usermod",
		"userdel", "groupadd", "groupmod", "groupdel", "gpasswd", "newgrp", "pwck", "grpck", "vipw", "vigr",
		"pwconv", "grpconv", "cron", "crond", "systemd", "systemd-logind", "polkitd", "gdm-session-wor",
		"lightdm", "sddm-helper", "dropbear", "atd", "runuser", "accounts-daemon", "polkit-agent-he":
		return true
	}
	return false
}
