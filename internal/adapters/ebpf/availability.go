package ebpf

import (
	"fmt"
	"strings"

	"github.com/seed-428f5ad7/tracee/internal/domain"
)

// Events returns every base event with Unavailable set for those this source cannot produce on
// this kind of kernel, each with the reason.
func Events() []domain.EventDefinition {
	defs := domain.BaseEvents()
	for i := range defs {
		if defs[i].Unavailable == "" {
			defs[i].Unavailable = unavailable(defs[i])
		}
	}
	return defs
}

// unavailable explains why def has no hook here, from the probes Tracee uses for it.
func unavailable(def domain.EventDefinition) string {
	if len(hooksFor(def)) > 0 {
		return ""
	}
	for _, p := range def.Probes {
		if !p.Required {
			continue
		}
		switch p.Kind {
		case "kprobe", "kretprobe":
			return fmt.Sprintf("Tracee builds it from a %s on %s; this kernel refuses kprobes and no tracepoint gives the same", p.Kind, p.Target)
		case "uprobe", "uretprobe":
			return fmt.Sprintf("Tracee builds it from a %s on its own binary (%s)", p.Kind, p.Target)
		case "cgroup_skb":
			return "Tracee builds it from packets (cgroup skb programs); packet capture is not built into this agent"
		case "tracepoint", "raw_tracepoint":
			if strings.Contains(p.Target, "module") {
				return fmt.Sprintf("needs the %s tracepoint; this kernel has no loadable-module support", p.Target)
			}
			return fmt.Sprintf("its %s %s is not built into this agent", p.Kind, p.Target)
		}
	}
	if len(def.Probes) == 0 {
		return "Tracee derives it in userspace from other events; not built into this agent"
	}
	return "not built into this agent"
}
