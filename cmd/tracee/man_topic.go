package main

import (
	"fmt"
	"github.com/seed-428f5ad7/tracee/internal/app"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/seed-428f5ad7/tracee/internal/adapters/ebpf"
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// manAliases are the short names Tracee's man page gives its flag pages.
var manAliases = map[string]string{
	"a": "artifacts", "C": "capabilities", "c": "config", "d": "detectors", "E": "enrichment", "e": "events",
	"l": "logging", "o": "output", "p": "policy", "s": "scope",
}

// newManTopicCmd: `tracee man FLAG|EVENT` prints the page of a flag (or of a command such as
// list-events) or of an event, signature events included.
func newManTopicCmd(g *globalOptions, st streams) *cobra.Command {
	return &cobra.Command{
		Use:     "man FLAG|COMMAND|EVENT",
		Aliases: []string{"m"},
		Short:   "Show the manual page of a flag, a command (list-events ...) or an event",
		Example: `  tracee man events
  tracee man e
  tracee man list-events
  tracee man openat
  tracee --signatures-dir /opt/tracee/signatures man anti_debugging`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			topic := args[0]
			if long, ok := manAliases[topic]; ok {
				topic = long
			}
			root := cmd.Root()
			if f := lookupFlag(root, topic); f != nil {
				fmt.Fprint(st.out, flagPage(f))
				return nil
			}
			if c, _, err := root.Find(strings.Split(strings.ReplaceAll(topic, "-", " "), " ")); err == nil && c != root {
				c.SetOut(st.out)
				return c.Help()
			}
			log := newLogger("error", st.err)
			res := app.LoadConfiguredSignatures(cmd.Context(), appConfig(g, nil), log)
			cat := domain.NewCatalog(domain.SignatureEvents(res.Signatures), ebpf.Events())
			if d, ok := cat.Lookup(topic); ok {
				fmt.Fprint(st.out, eventPage(d))
				return nil
			}
			candidates := cat.Names()
			root.Flags().VisitAll(func(f *pflag.Flag) { candidates = append(candidates, f.Name) })
			root.PersistentFlags().VisitAll(func(f *pflag.Flag) { candidates = append(candidates, f.Name) })
			msg := fmt.Sprintf("no manual page for %q: not a flag, a command or an event", topic)
			if s := domain.Suggest(topic, candidates); len(s) > 0 {
				msg += "; did you mean " + strings.Join(s, ", ") + "?"
			}
			return fmt.Errorf("%s (run 'tracee list events' to see every event)", msg)
		},
	}
}

func lookupFlag(root *cobra.Command, name string) *pflag.Flag {
	if f := root.Flags().Lookup(name); f != nil && !f.Hidden {
		return f
	}
	if f := root.PersistentFlags().Lookup(name); f != nil && !f.Hidden {
		return f
	}
	return nil
}

// eventPage renders an event's manual page in the seed's format.
func eventPage(d *domain.EventDefinition) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\nNAME\n%s - %s event %d\n", d.Name, d.Name, d.Kind, d.ID)
	b.WriteString("SYNOPSIS\ntracee --events " + d.Name + "\n")
	b.WriteString("DESCRIPTION\n")
	if s := d.Signature; s != nil {
		md := s.Metadata
		fmt.Fprintf(&b, "%s (%s %s): %s\n", md.Name, md.ID, md.Version, md.Description)
		fmt.Fprintf(&b, "Severity: %s. MITRE ATT&CK: %s %s. Loaded from %s.\n", domain.SeverityName(s.Severity()), s.ExternalID(), s.Technique(), s.Origin)
		fmt.Fprintf(&b, "Selects: %s\n", strings.Join(d.Dependencies, ", "))
	} else if d.Nr >= 0 {
		fmt.Fprintf(&b, "The %s system call (x86-64 number %d), with its arguments read at entry and its return value at exit.\n", d.Name, d.Nr)
		if d.KernelOnly {
			b.WriteString("This kernel has it; Tracee v0.24.1 does not define it, so its name and arguments are the kernel's.\n")
		}
	} else {
		fmt.Fprintf(&b, "Tracee v0.24.1's %s event.\n", d.Name)
	}
	if d.Unavailable != "" {
		fmt.Fprintf(&b, "UNAVAILABLE here: %s.\n", d.Unavailable)
	}
	if len(d.Sets) > 0 {
		fmt.Fprintf(&b, "Sets: %s\n", strings.Join(d.Sets, ", "))
	}
	if len(d.Params) > 0 {
		b.WriteString("ARGUMENTS\n")
		for _, p := range d.Params {
			fmt.Fprintf(&b, "- %s (%s)\n", p.Name, p.Type)
		}
	}
	b.WriteString("EXAMPLES\n")
	fmt.Fprintf(&b, "- Trace it:\ntracee --events %s\n", d.Name)
	if len(d.Params) > 0 && d.Signature == nil {
		p := d.Params[max(0, slices.IndexFunc(d.Params, func(p trace.ArgMeta) bool { return p.Type == "string" }))]
		fmt.Fprintf(&b, "- Trace it when an argument matches:\ntracee --events '%s.data.%s=VALUE'\n", d.Name, p.Name)
	}
	return b.String()
}
