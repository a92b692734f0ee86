// Package signatures is the built-in detection set: Tracee's signatures that the live events
// support, with Tracee's IDs and event names, plus detections Tracee lacks (IDs EXT-nnn). Each
// signature uses only the public types/ packages and signatures/helpers, exactly like a
// third-party plugin.
package signatures

import "github.com/seed-428f5ad7/tracee/types/detect"

// All returns fresh instances of every built-in signature.
func All() []detect.Signature {
	return []detect.Signature{
		NewStdioOverSocket(),
		NewAntiDebugging(),
		NewPtraceCodeInjection(),
		NewDynamicCodeLoading(),
		NewFilelessExecution(),
		NewCgroupNotifyOnRelease(),
		NewLdPreload(),
		NewK8sServiceAccountToken(),
		NewAslrInspection(),
		NewCgroupReleaseAgent(),
		NewCorePatternModification(),
		NewDefaultLoaderMod(),
		NewK8sAPIConnection(),
		NewDiskMount(),
		NewHiddenFileCreated(),
		NewIllegitimateShell(),
		NewKernelModuleLoading(),
		NewK8sCertTheft(),
		NewDockerAbuse(),
		NewProcKcoreRead(),
		NewDroppedExecutable(),
		NewProcMemAccess(),
		NewProcMemCodeInjection(),
		NewProcessVMWriteInject(),
		NewRcdModification(),
		NewScheduledTaskMod(),
		NewSudoersModification(),
		NewSchedDebugRecon(),
		NewSystemRequestKeyMod(),
		NewCredentialFileRead(),
		NewSSHAuthorizedKeysMod(),
		NewPamModification(),
		NewSystemdUnitMod(),
		NewReverseShell(),
		NewHostNamespaceEntry(),
		NewBpfProgramLoad(),
		NewSetuidBinaryCreated(),
		NewLogTampering(),
	}
}
