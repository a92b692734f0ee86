// Package filetrust decides whether a file that tracee executes or obeys (a Go plugin, a Rego
// signature, a finding policy, a YAML policy) could have been written by someone other than root
// or the user running tracee. One rule for everything executable: a root agent must not run code
// or obey rules that an unprivileged user could have placed.
package filetrust

import (
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// AllowUnsafeFlag is the command-line flag that lets untrusted files load (with a warning each).
const AllowUnsafeFlag = "--allow-unsafe-plugins"

// Problem is why a file is not trusted, and how to fix it.
type Problem struct {
	Cause string
	Fix   string
}

// Check judges path: the file itself, then every directory above it up to /, both along the path
// as given and along its resolved form (real; "" to resolve it here). A root-owned sticky directory
// (like /tmp, mode 1777) is accepted as an ancestor: others may add entries to it but cannot replace
// or rename the root-owned ones below.
func Check(path, real string, euid int) *Problem {
	if real == "" {
		if r, err := filepath.EvalSymlinks(path); err == nil {
			real = r
		} else {
			real = path
		}
	}
	if p := judge(path, euid, false); p != nil {
		return p
	}
	seen := map[string]bool{}
	for _, start := range []string{path, real} {
		abs, err := filepath.Abs(start)
		if err != nil {
			continue
		}
		for dir := filepath.Dir(abs); !seen[dir]; dir = filepath.Dir(dir) {
			seen[dir] = true
			if p := judge(dir, euid, true); p != nil {
				return p
			}
			if dir == filepath.Dir(dir) {
				break
			}
		}
	}
	return nil
}

// judge checks one file or directory (symlinks followed: the target's owner and mode count; the
// link itself can only be replaced by whoever can write its directory, which is judged too).
func judge(path string, euid int, isDir bool) *Problem {
	info, err := os.Stat(path)
	if err != nil {
		return nil // reading it will fail later with a clearer message
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	// The problem's Path names the file; name the path again only when it is a directory above it.
	subject := ""
	if isDir {
		subject = "directory " + path + " above it "
	}
	if st.Uid != 0 && int(st.Uid) != euid {
		return &Problem{
			Cause: fmt.Sprintf("%sis owned by %s, not root: that user could replace code that tracee runs as root", subject, UserName(st.Uid)),
			Fix:   fmt.Sprintf("chown root %s, or pass %s", path, AllowUnsafeFlag),
		}
	}
	mode := info.Mode()
	sticky := isDir && mode&fs.ModeSticky != 0
	var who, chmod string
	switch w := mode.Perm() & 0o022; {
	case w == 0 || sticky:
		return nil
	case w == 0o022:
		who, chmod = "its group and others", "go-w"
	case w == 0o002:
		who, chmod = "others", "o-w"
	default:
		who, chmod = "its group", "g-w"
	}
	return &Problem{
		Cause: fmt.Sprintf("%sis writable by %s (mode %04o)", subject, who, PermBits(mode)),
		Fix:   fmt.Sprintf("chmod %s %s, or pass %s", chmod, path, AllowUnsafeFlag),
	}
}

// PermBits are the permission bits of mode with setuid, setgid and sticky, as chmod writes them.
func PermBits(mode fs.FileMode) uint32 {
	bits := uint32(mode.Perm())
	if mode&fs.ModeSticky != 0 {
		bits |= 0o1000
	}
	if mode&fs.ModeSetgid != 0 {
		bits |= 0o2000
	}
	if mode&fs.ModeSetuid != 0 {
		bits |= 0o4000
	}
	return bits
}

// UserName names a uid for a message: "user NAME (uid N)" or "uid N".
func UserName(uid uint32) string {
	id := strconv.FormatUint(uint64(uid), 10)
	if u, err := user.LookupId(id); err == nil {
		return fmt.Sprintf("user %s (uid %s)", u.Username, id)
	}
	return "uid " + id
}
