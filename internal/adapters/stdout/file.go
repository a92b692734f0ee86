package stdout

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// openOutputFile opens path for appending, created 0600. In a shared directory such as /tmp another
// user could have planted a symlink (to make a root agent append to a file of their choosing) or a
// file (to read what is written): a symlink is followed only when root or the agent's user owns it,
// and an existing file must belong to one of them.
func openOutputFile(path string, euid int) (*os.File, error) {
	const flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	f, err := os.OpenFile(path, flags|syscall.O_NOFOLLOW, 0o600)
	if errors.Is(err, syscall.ELOOP) { // a symlink: follow it only if a trusted user made it
		fi, lerr := os.Lstat(path)
		if lerr != nil {
			return nil, fmt.Errorf("open output file: %w", lerr)
		}
		if uid := ownerOf(fi); uid != 0 && uid != euid {
			return nil, fmt.Errorf("output file %s is a symlink owned by uid %d, not root: refusing to follow it "+
				"(another user could point it at any file); remove it or choose another path", path, uid)
		}
		f, err = os.OpenFile(path, flags, 0o600)
	}
	if err != nil {
		return nil, fmt.Errorf("open output file: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open output file: %w", err)
	}
	if uid := ownerOf(fi); uid != 0 && uid != euid {
		f.Close()
		return nil, fmt.Errorf("output file %s belongs to uid %d, not root: refusing to write alerts that user "+
			"could read; remove it or choose another path", path, uid)
	}
	return f, nil
}

func ownerOf(fi os.FileInfo) int {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid)
	}
	return -1
}
