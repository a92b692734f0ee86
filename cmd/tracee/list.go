package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/seed-428f5ad7/tracee/internal/app"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/seed-428f5ad7/tracee/internal/adapters/ebpf"
	"github.com/seed-428f5ad7/tracee/internal/adapters/policyfile"
	"github.com/seed-428f5ad7/tracee/internal/domain"
)

type listOptions struct {
	wide        bool
	asJSON      bool
	tags        []string
	minSeverity int
	technique   string
	name        string
	kind        string
	policies    []string
}

// listJSON is the stable schema of `tracee list --json` (documented in docs/list.md).
type listJSON struct {
	SchemaVersion int                    `json:"schemaVersion"`
	Events        []listEventJSON        `json:"events"`
	Policies      []domain.PolicySummary `json:"policies,omitempty"`
	Problems      []domain.LoadProblem   `json:"problems"`
	Warnings      []string               `json:"warnings"`
	// DeadSelections are events signatures select that never reach them (unknown or unavailable).
	DeadSelections []domain.DeadSelection `json:"deadSelections"`
}

type listEventJSON struct {
	Name         string        `json:"name"`
	ID           int           `json:"id"`
	Kind         string        `json:"kind"`
	Sets         []string      `json:"sets"`
	Arguments    []listArgJSON `json:"arguments"`
	Dependencies []string      `json:"dependencies"`
	Signature    *listSigJSON  `json:"signature,omitempty"`
	// Unavailable says why the live source cannot produce the event; absent when it can.
	Unavailable string `json:"unavailable,omitempty"`
	// KernelOnly marks a syscall this kernel has that Tracee v0.24.1 does not define.
	KernelOnly bool `json:"kernelOnly,omitempty"`
}

type listArgJSON struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

type listSigJSON struct {
	ID          string   `json:"id"`
	Version     string   `json:"version"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Severity    int      `json:"severity"`
	Category    string   `json:"category"`
	Technique   string   `json:"technique"`
	MitreID     string   `json:"mitreId"`
	Tags        []string `json:"tags"`
	File        string   `json:"file"`
}

func newListCmd(g *globalOptions, st streams) *cobra.Command {
	o := &listOptions{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List every event you can trace, signature events first",
		Long: `List every event you can trace: the signature events of the loaded signatures (honouring
--signatures-dir by the same rule as the agent), then the system events the eBPF source produces.
It needs neither root nor the kernel. Signatures that fail to load are explained on stderr.`,
		Example: `  tracee list
  tracee --signatures-dir /opt/tracee/signatures list
  tracee list --kind signature --min-severity 3 --wide
  tracee list --technique T1055 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log := newLogger(g.logLevel, st.err)
			res := app.LoadConfiguredSignatures(cmd.Context(), appConfig(g, nil), log)
			res = app.DryInit(res, log)
			cat := domain.NewCatalog(domain.SignatureEvents(res.Signatures), ebpf.Events())
			dead := domain.DeadSelections(cat)
			events, err := domain.FilterEvents(cat.All(), listFilters(o))
			if err != nil {
				return err
			}
			events = slices.DeleteFunc(events, func(d *domain.EventDefinition) bool { return !techniqueMatches(d, o.technique) })
			var policies []domain.PolicySummary
			if len(o.policies) > 0 {
				loaded, err := policyfile.NewWith(policyfile.Config{AllowUnsafe: g.allowUnsafePlugins}, log).Load(cmd.Context(), o.policies)
				if err != nil {
					return err
				}
				set, err := domain.NewPolicySet(cat, loaded)
				if err != nil {
					return err
				}
				policies = set.Describe()
			}
			if o.asJSON {
				return writeListJSON(st, events, res, policies, dead)
			}
			app.ReportLoad(st.err, res)
			for _, d := range dead {
				fmt.Fprintln(st.err, "tracee: warning: "+d.String())
			}
			writePolicies(st, policies, o.wide)
			writeListTable(st, events, o.wide)
			return nil
		},
	}
	cmd.AddCommand(newListEventsCmd(g, st), newListDetectorsCmd(g, st), newListPoliciesCmd(st))
	f := cmd.Flags()
	f.BoolVarP(&o.wide, "wide", "w", false, "show every column in full, with arguments")
	f.BoolVar(&o.asJSON, "json", false, "print as JSON (stable schema, see docs/list.md); load problems are included")
	f.StringArrayVar(&o.tags, "tag", nil, "only events with this tag or set (repeatable)")
	f.IntVar(&o.minSeverity, "min-severity", -1, "only signature events of at least this severity (0-4)")
	f.StringVar(&o.technique, "technique", "", "only signature events whose MITRE technique ID or name contains this")
	f.StringVar(&o.name, "name", "", "only events whose name matches this glob (e.g. 'security_*')")
	f.StringVar(&o.kind, "kind", "", "only events of this kind: signature, syscall, other, network")
	f.StringArrayVarP(&o.policies, "policy", "p", nil, "also show these policies (FILE or DIR): scope, rules and what each selects")
	return cmd
}

// listFilters maps the bare list's flags onto the filters of `list events` (domain.FilterEvents).
func listFilters(o *listOptions) []string {
	var f []string
	if o.kind != "" {
		f = append(f, "type="+o.kind)
	}
	if o.name != "" {
		f = append(f, o.name)
	}
	if len(o.tags) > 0 {
		f = append(f, "tag="+strings.Join(o.tags, ","))
	}
	if o.minSeverity >= 0 {
		f = append(f, fmt.Sprintf("threat.severity>=%d", o.minSeverity))
	}
	return f
}

// techniqueMatches: --technique matches a substring of the MITRE ID or name (list events'
// threat.mitre.technique= matches the ID exactly).
func techniqueMatches(d *domain.EventDefinition, technique string) bool {
	if technique == "" {
		return true
	}
	if d.Signature == nil {
		return false
	}
	t := strings.ToLower(technique)
	return strings.Contains(strings.ToLower(d.Signature.ExternalID()), t) || strings.Contains(strings.ToLower(d.Signature.Technique()), t)
}

func writePolicies(st streams, policies []domain.PolicySummary, wide bool) {
	if len(policies) == 0 {
		return
	}
	fmt.Fprintf(st.out, "Policies (%d)\n", len(policies))
	tw := tabwriter.NewWriter(st.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  POLICY\tSCOPE\tEMITS\tRUNS SIGNATURES\tSOURCE EVENTS\tFILE")
	for _, p := range policies {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", p.Name, strings.Join(p.Scope, " "), clip(strings.Join(p.Emits, ","), 40, wide),
			clip(strings.Join(p.Signatures, ","), 40, wide), clip(strings.Join(p.Needs, ","), 40, wide), clipLeft(p.Pos, 40, wide))
	}
	tw.Flush()
	fmt.Fprintln(st.out)
}

func writeListJSON(st streams, events []*domain.EventDefinition, res domain.LoadResult, policies []domain.PolicySummary, dead []domain.DeadSelection) error {
	out := listJSON{SchemaVersion: 1, Events: []listEventJSON{}, Policies: policies, Problems: res.Problems, Warnings: res.Warnings,
		DeadSelections: dead}
	if out.DeadSelections == nil {
		out.DeadSelections = []domain.DeadSelection{}
	}
	if out.Problems == nil {
		out.Problems = []domain.LoadProblem{}
	}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	for _, d := range events {
		e := listEventJSON{Name: d.Name, ID: d.ID, Kind: d.Kind.String(), Sets: nonNil(d.Sets),
			Arguments: []listArgJSON{}, Dependencies: nonNil(d.Dependencies), Unavailable: d.Unavailable, KernelOnly: d.KernelOnly}
		for _, p := range d.Params {
			e.Arguments = append(e.Arguments, listArgJSON{Name: p.Name, Type: p.Type})
		}
		if s := d.Signature; s != nil {
			md := s.Metadata
			e.Signature = &listSigJSON{ID: md.ID, Version: md.Version, Name: md.Name, Description: md.Description,
				Severity: s.Severity(), Category: domain.PropertyString(md.Properties, "Category"),
				Technique: s.Technique(), MitreID: s.ExternalID(), Tags: nonNil(md.Tags), File: s.Origin}
		}
		out.Events = append(out.Events, e)
	}
	enc := json.NewEncoder(st.out)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// writeListTable prints the sections. On a terminal the arguments column is cut to its width; in a
// pipe (or with -w) every column is printed in full.
func writeListTable(st streams, events []*domain.EventDefinition, wide bool) {
	writeListTableWidth(st, events, wide, app.TerminalWidth(st.out))
}

// writeListTableWidth is writeListTable for a terminal of width columns (0: not a terminal): the
// arguments column is cut first, then whatever still overflows is cut at the terminal's edge.
func writeListTableWidth(st streams, events []*domain.EventDefinition, wide bool, width int) {
	if width > 0 && !wide {
		var buf bytes.Buffer
		writeListRows(streams{out: &buf}, events, false, width)
		for _, line := range strings.SplitAfter(buf.String(), "\n") {
			if body := strings.TrimSuffix(line, "\n"); len(body) > width {
				line = body[:width-3] + "...\n"
			}
			io.WriteString(st.out, line)
		}
		return
	}
	writeListRows(st, events, true, 0)
}

func writeListRows(st streams, events []*domain.EventDefinition, wide bool, width int) {
	if width == 0 {
		wide = true
	}
	sections := []struct {
		title string
		kind  domain.EventKind
	}{
		{"Signature Events", domain.KindSignature},
		{"Syscall Events", domain.KindSyscall},
		{"Other Events", domain.KindOther},
		{"Network Events", domain.KindNetwork},
	}
	var unavailable []*domain.EventDefinition
	for _, d := range events {
		if d.Unavailable != "" {
			unavailable = append(unavailable, d)
		}
	}
	for _, sec := range sections {
		var rows []*domain.EventDefinition
		for _, d := range events {
			if d.Kind == sec.kind && d.Unavailable == "" {
				rows = append(rows, d)
			}
		}
		if len(rows) == 0 {
			continue
		}
		fmt.Fprintf(st.out, "%s (%d)\n", sec.title, len(rows))
		tw := tabwriter.NewWriter(st.out, 0, 4, 2, ' ', 0)
		if sec.kind == domain.KindSignature {
			fmt.Fprintln(tw, "  EVENT\tID\tSIG ID\tVERSION\tSEVERITY\tMITRE\tSELECTS\tSETS/TAGS\tFILE")
			for _, d := range rows {
				s := d.Signature
				md := s.Metadata
				mitre := s.ExternalID()
				if wide && s.Technique() != "" {
					mitre = strings.TrimSpace(mitre + " " + s.Technique())
				}
				sev := "-"
				if n := s.Severity(); n >= 0 {
					sev = fmt.Sprint(n)
				}
				fmt.Fprintf(tw, "  [sig] %s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.Name, d.ID, md.ID, md.Version, sev, mitre,
					clip(strings.Join(d.Dependencies, ","), 40, wide), clip(strings.Join(append(append([]string{}, d.Sets...), md.Tags...), ","), 30, wide),
					clipLeft(s.Origin, 40, wide))
			}
		} else {
			fmt.Fprintln(tw, "  EVENT\tID\tSETS\tARGUMENTS")
			argWidth := 60
			if width > 0 {
				nameW, idW, setsW := len("EVENT"), len("ID"), len("SETS")
				for _, d := range rows {
					nameW = max(nameW, len(d.Name)+len(" [kernel]"))
					idW = max(idW, len(fmt.Sprint(d.ID)))
					setsW = max(setsW, len(strings.Join(d.Sets, ",")))
				}
				argWidth = max(12, width-(2+nameW+2+idW+2+setsW+2)-1)
			}
			for _, d := range rows {
				argText := make([]string, 0, len(d.Params))
				for _, p := range d.Params {
					argText = append(argText, p.Type+" "+p.Name)
				}
				name := d.Name
				if d.KernelOnly {
					name += " [kernel]" // a syscall Tracee v0.24.1 does not define
				}
				fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\n", name, d.ID, strings.Join(d.Sets, ","), clip(strings.Join(argText, ", "), argWidth, wide))
			}
		}
		tw.Flush()
		fmt.Fprintln(st.out)
	}
	if len(unavailable) > 0 {
		fmt.Fprintf(st.out, "Unavailable Events (%d): Tracee defines them; this agent cannot produce them here\n", len(unavailable))
		tw := tabwriter.NewWriter(st.out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  EVENT\tID\tWHY")
		for _, d := range unavailable {
			fmt.Fprintf(tw, "  %s\t%d\t%s\n", d.Name, d.ID, clip(d.Unavailable, 90, wide))
		}
		tw.Flush()
		fmt.Fprintln(st.out)
	}
}

func clip(s string, n int, wide bool) string {
	if wide || len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}

func clipLeft(s string, n int, wide bool) string {
	if wide || len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n+3:]
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
