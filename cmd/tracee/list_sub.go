package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/seed-428f5ad7/tracee/internal/adapters/ebpf"
	"github.com/seed-428f5ad7/tracee/internal/adapters/policyfile"
	"github.com/seed-428f5ad7/tracee/internal/domain"
)

// defaultPolicyDir is where `tracee list policies` looks without paths, as in Tracee.
const defaultPolicyDir = "/etc/tracee/policies"

// newListEventsCmd: `tracee list events [filters...] [--json]`, Tracee's list-events page.
func newListEventsCmd(g *globalOptions, st streams) *cobra.Command {
	var asJSON, wide bool
	cmd := &cobra.Command{
		Use:   "events [filters...]",
		Short: "List traceable events; filters: NAME, 'open*', tag=A,B, type=syscall|detector|network|other, threat.severity=, threat.mitre.technique=, threat.mitre.tactic= (ANDed)",
		Example: `  tracee list events
  tracee list events open
  tracee list events 'open*'
  tracee list events tag=fs,network
  tracee list events type=detector threat.severity=critical
  tracee list events --json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			log := newLogger("error", st.err)
			res := dryInit(loadSignatures(cmd.Context(), signatureLoaders(g, log), signatureDirs(g)), log)
			cat := domain.NewCatalog(domain.SignatureEvents(res.Signatures), ebpf.Events())
			events, err := domain.FilterEvents(cat.All(), args)
			if err != nil {
				return err
			}
			if asJSON {
				return writeListJSON(st, events, res, nil, domain.DeadSelections(cat))
			}
			reportLoad(st.err, res)
			writeListTable(st, events, wide)
			return nil
		},
	}
	cmd.Flags().BoolVarP(&asJSON, "json", "j", false, "print as JSON (the schema of docs/list.md)")
	cmd.Flags().BoolVarP(&wide, "wide", "w", false, "show every column in full")
	return cmd
}

// newListDetectorsCmd: `tracee list detectors [paths...]`: this agent's detectors are signatures
// (Go plugins and Rego) from the paths, or from --signatures-dir / the default directory.
func newListDetectorsCmd(g *globalOptions, st streams) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "detectors [paths...]",
		Short: "List detectors: the signatures (Go plugins, Rego) found in the paths or --signatures-dir; YAML detectors are not supported",
		Example: `  tracee list detectors
  tracee list detectors ./my-signatures --json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			log := newLogger("error", st.err)
			dirs := args
			if len(dirs) == 0 {
				dirs = signatureDirs(g)
			}
			res := dryInit(loadSignatures(cmd.Context(), signatureLoaders(g, log), dirs), log)
			type detectorJSON struct {
				ID             string   `json:"id"`
				Name           string   `json:"name"`
				Severity       string   `json:"severity"`
				RequiredEvents []string `json:"required_events"`
				MitreTechnique string   `json:"mitre_technique"`
				File           string   `json:"file"`
			}
			out := struct {
				Detectors []detectorJSON `json:"detectors"`
				Lists     []struct{}     `json:"lists"`
			}{Detectors: []detectorJSON{}, Lists: []struct{}{}}
			for _, s := range res.Signatures {
				info := s.Info
				var req []string
				for _, sel := range info.Selectors {
					req = append(req, sel.Name)
				}
				out.Detectors = append(out.Detectors, detectorJSON{ID: info.Metadata.ID, Name: info.Metadata.EventName,
					Severity: strings.ToUpper(domain.SeverityName(info.Severity())), RequiredEvents: nonNil(req),
					MitreTechnique: info.ExternalID(), File: info.Origin})
			}
			if asJSON {
				enc := json.NewEncoder(st.out)
				enc.SetIndent("", "  ")
				return enc.Encode(out)
			}
			reportLoad(st.err, res)
			tw := tabwriter.NewWriter(st.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tSEVERITY\tREQUIRED EVENTS\tMITRE")
			for _, d := range out.Detectors {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", d.ID, d.Name, d.Severity, strings.Join(d.RequiredEvents, ","), d.MitreTechnique)
			}
			tw.Flush()
			fmt.Fprintln(st.out, "\nShared lists: none (YAML detectors with CEL are not supported by this agent)")
			return nil
		},
	}
	cmd.Flags().BoolVarP(&asJSON, "json", "j", false, "print as JSON")
	return cmd
}

// newListPoliciesCmd: `tracee list policies [paths...]`, Tracee's list-policies page.
func newListPoliciesCmd(st streams) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "policies [paths...]",
		Short: "List the policies in the paths (default " + defaultPolicyDir + "): name, description, scope, rules",
		Example: `  tracee list policies
  tracee list policies ./my-policies ./other.yaml
  tracee list policies --json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			paths := args
			if len(paths) == 0 {
				if _, err := os.Stat(defaultPolicyDir); err != nil {
					return fmt.Errorf("no paths given and the default %s cannot be read: %w; give a directory or file", defaultPolicyDir, err)
				}
				paths = []string{defaultPolicyDir}
			}
			policies, err := policyfile.New().Load(cmd.Context(), paths)
			if err != nil {
				return err
			}
			type policyJSON struct {
				Name        string   `json:"name"`
				Description string   `json:"description"`
				Scope       []string `json:"scope"`
				Rules       int      `json:"rules"`
				File        string   `json:"file"`
			}
			var out []policyJSON
			for _, p := range policies {
				scope := []string{}
				for _, f := range p.Scope {
					scope = append(scope, f.String())
				}
				if len(scope) == 0 {
					scope = []string{"global"}
				}
				out = append(out, policyJSON{Name: p.Name, Description: p.Description, Scope: scope, Rules: len(p.Rules), File: p.Pos})
			}
			if asJSON {
				enc := json.NewEncoder(st.out)
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]interface{}{"policies": out})
			}
			tw := tabwriter.NewWriter(st.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tDESCRIPTION\tSCOPE\tRULES")
			for _, p := range out {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", p.Name, p.Description, strings.Join(p.Scope, " "), p.Rules)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVarP(&asJSON, "json", "j", false, "print as JSON")
	return cmd
}
