package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
	"github.com/spf13/pflag"
)

// newManCmd generates the man pages: one per command (cobra's doc package) and one per flag of the
// root command in the format of the user's `tracee --signatures-dir` page. Used by `make man`.
func newManCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "gen-man DIR",
		Short:  "Generate man pages into DIR",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			root := cmd.Root()
			root.DisableAutoGenTag = true
			// A fixed date keeps the committed pages byte-identical when regenerated.
			date := time.Date(2026, time.November, 1, 0, 0, 0, 0, time.UTC)
			hdr := &doc.GenManHeader{Title: "TRACEE", Section: "1", Source: "tracee", Manual: "Tracee Manual", Date: &date}
			if err := doc.GenManTree(root, hdr, dir); err != nil {
				return fmt.Errorf("generate command pages: %w", err)
			}
			var firstErr error
			visit := func(f *pflag.Flag) {
				if f.Hidden || f.Name == "help" || firstErr != nil {
					return
				}
				page := filepath.Join(dir, "tracee-flag-"+f.Name+".txt")
				firstErr = os.WriteFile(page, []byte(flagPage(f)), 0o644)
			}
			root.PersistentFlags().VisitAll(visit)
			root.Flags().VisitAll(visit)
			return firstErr
		},
	}
}

// flagPages hold the long text of a flag's page; the short usage comes from the flag itself.
var flagPages = map[string]struct{ description, examples, notes string }{
	"signatures-dir": {
		description: `The --signatures-dir flag names a directory to search for signature plugins in Go plugin (.so)
format. It can be given several times. Signatures are detection rules compiled as Go plugins that
implement the Tracee signature interface; they are loaded when tracee starts.
Without the flag, the default signatures are loaded from <directory of the tracee executable>/signatures.
Every directory is walked recursively and every .so file is judged on its own: a broken plugin is
reported in one line (file, cause, fix) and the others still load. Each loaded signature becomes a
signature event that policies and --events can select.`,
		examples: `- Specify a single directory:
--signatures-dir /opt/tracee/signatures
- Specify multiple directories:
--signatures-dir /opt/tracee/signatures --signatures-dir /custom/signatures
- Use with policy to trace signature events:
tracee --signatures-dir /opt/tracee/signatures --policy ./security-policy.yaml
- List available signature events:
tracee --signatures-dir /opt/tracee/signatures list`,
		notes: `- Signature plugins must be built for the same architecture and Go version as tracee, with the same
  build settings (CGO_ENABLED=1, -trimpath) and the same versions of shared packages: see 'tracee version'.
- Only .so and .rego files are read; a plugin or Rego signature (or a directory above it) owned or
  writable by a user other than root is refused unless --allow-unsafe-plugins is given; finding
  policies and YAML policies (--policy) follow the same rule.
- Rego signatures and finding policies may use only deterministic builtins and no network:
  http.send, net.lookup_ip_addr, time.now_ns, opa.runtime, rand.intn, uuid.rfc4122, io.jwt.* and the
  schema builtins are refused at load, naming the builtin.
- If no signatures are found, tracee warns and keeps running without signature events.
- The flag works with the list command to see the available signature events before running tracee.`,
	},
}

func flagPage(f *pflag.Flag) string {
	var b strings.Builder
	name := "--" + f.Name
	fmt.Fprintf(&b, "%s\nNAME\ntracee %s - %s\nSYNOPSIS\ntracee %s", f.Name, name, f.Usage, name)
	if f.Value.Type() != "bool" {
		fmt.Fprintf(&b, " <%s>", f.Value.Type())
	}
	b.WriteString("\nDESCRIPTION\n")
	page, ok := flagPages[f.Name]
	if ok {
		b.WriteString(page.description + "\n")
	} else {
		fmt.Fprintf(&b, "The %s flag: %s.\n", name, f.Usage)
	}
	if f.DefValue != "" && f.DefValue != "[]" && f.DefValue != "false" {
		fmt.Fprintf(&b, "Default: %s\n", f.DefValue)
	}
	if page.examples != "" {
		b.WriteString("EXAMPLES\n" + page.examples + "\n")
	}
	if page.notes != "" {
		b.WriteString("NOTES\n" + page.notes + "\n")
	}
	return b.String()
}
