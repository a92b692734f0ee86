package pluginfs

import "github.com/seed-428f5ad7/tracee/internal/filetrust"

// AllowUnsafeFlag is the command-line flag that sets Config.AllowNonRootWritable; problems name it.
const AllowUnsafeFlag = filetrust.AllowUnsafeFlag

// checkTrust refuses a plugin that someone other than root (or the user running tracee) could
// have written (filetrust.Check: the file and every directory above it).
func checkTrust(path, real string, euid int) *mismatch {
	if p := filetrust.Check(path, real, euid); p != nil {
		return &mismatch{Cause: p.Cause, Fix: p.Fix}
	}
	return nil
}
