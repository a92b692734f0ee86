package signatures

import (
	"github.com/seed-428f5ad7/tracee/types/protocol"
)

// KernelModuleLoading (TRC-1017) reports loading a kernel module, by init_module or finit_module,
// or by Tracee's module_load event when a source provides it.
type KernelModuleLoading struct{ base }

// NewKernelModuleLoading returns the TRC-1017 signature.
func NewKernelModuleLoading() *KernelModuleLoading {
	return &KernelModuleLoading{newBase("TRC-1017", "kernel_module_loading", "Kernel module loading detected",
		"A process loaded a kernel module; code in the kernel sees and can hide everything, which rootkits exploit.",
		mitre{2, "persistence", "Kernel Modules and Extensions", "T1547.006"}, "init_module", "finit_module", "module_load")}
}

func (s *KernelModuleLoading) OnEvent(event protocol.Event) error {
	ev, err := traceEvent(&event)
	if err != nil {
		return err
	}
	switch ev.EventName {
	case "init_module", "finit_module":
		params, _ := stringArg(ev, "param_values")
		s.report(event, map[string]interface{}{"syscall": ev.EventName, "param_values": params})
	case "module_load":
		name, _ := stringArg(ev, "name")
		s.report(event, map[string]interface{}{"name": name})
	}
	return nil
}
