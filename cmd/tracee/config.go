package main

import (
	"fmt"
	"io"
	"slices"
	"sort"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/seed-428f5ad7/tracee/internal/adapters/configfile"
	"github.com/seed-428f5ad7/tracee/internal/redact"
)

// configKeys: what the top-level keys of a --config file may be. Keys of Tracee's configuration
// that name a flag this agent has are applied to it; the rest are warned about.
func configKeys(root *cobra.Command) configfile.Keys {
	keys := configfile.Keys{
		Flags:   map[string]bool{},
		CLIOnly: []string{"config", "events", "scope", "policy"},
		Unsupported: map[string]string{
			"buffers":      "the ring buffer size is --ring-buffer-mb",
			"stores":       "the process tree and DNS stores are not configurable here",
			"capabilities": "capabilities are not configurable here",
			"enrichment":   "enrichment is not configurable here",
			"artifacts":    "artifact capture is not built",
			"detectors":    "YAML detectors (CEL) are not supported",
		},
	}
	add := func(f *pflag.Flag) {
		if f.Name == "help" || slices.Contains(keys.CLIOnly, f.Name) {
			return
		}
		keys.Flags[f.Name] = true
		delete(keys.Unsupported, f.Name)
	}
	root.PersistentFlags().VisitAll(add)
	root.Flags().VisitAll(add)
	return keys
}

// applyConfig sets every flag the file names and the command line did not: flags override it.
func applyConfig(root *cobra.Command, path string, warn io.Writer) error {
	entries, err := configfile.Load(path)
	if err != nil {
		return err
	}
	apply, warnings, err := configfile.Check(entries, configKeys(root))
	if err != nil {
		return err
	}
	for _, w := range warnings {
		fmt.Fprintln(warn, "tracee: warning: "+w)
	}
	for _, e := range apply {
		f := root.Flags().Lookup(e.Key)
		if f == nil {
			f = root.PersistentFlags().Lookup(e.Key)
		}
		if f.Changed {
			continue
		}
		if len(e.Values) == 0 && f.Value.Type() == "bool" {
			e.Values = []string{"true"}
		}
		fs := root.Flags()
		if root.Flags().Lookup(e.Key) == nil {
			fs = root.PersistentFlags()
		}
		for _, v := range e.Values {
			if err := fs.Set(e.Key, v); err != nil {
				return fmt.Errorf("%s: %s: %w", e.Pos, e.Key, err)
			}
		}
	}
	return nil
}

// newConfigCmd: `tracee config print` shows the effective configuration (file and flags merged),
// in the CLI-style list form --config reads back, secrets redacted.
func newConfigCmd(st streams) *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Show the effective configuration"}
	cmd.AddCommand(&cobra.Command{
		Use:   "print",
		Short: "Print the effective configuration (--config file merged with flags), secrets redacted",
		Example: `  tracee --config /etc/tracee/config.yaml config print
  tracee --config config.yaml --output json config print`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			root := cmd.Root()
			keys := configKeys(root)
			names := make([]string, 0, len(keys.Flags))
			for k := range keys.Flags {
				names = append(names, k)
			}
			sort.Strings(names)
			for _, name := range names {
				f := root.Flags().Lookup(name)
				if f == nil {
					f = root.PersistentFlags().Lookup(name)
				}
				vals := flagValues(f)
				if len(vals) == 0 || (!f.Changed && f.Value.String() == f.DefValue) {
					continue
				}
				fmt.Fprintf(st.out, "%s:\n", name)
				for _, v := range vals {
					fmt.Fprintf(st.out, "  - %q\n", redact.Secrets(v))
				}
			}
			return nil
		},
	})
	return cmd
}

func flagValues(f *pflag.Flag) []string {
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		return sv.GetSlice()
	}
	if f.Value.String() == "" {
		return nil
	}
	return []string{f.Value.String()}
}
