package main

import (
	"github.com/spf13/cobra"

	"github.com/seed-428f5ad7/tracee/internal/adapters/pluginfs"
	"github.com/seed-428f5ad7/tracee/internal/app"
)

const signaturesBuildExamples = `  # Build the plugin module in ./mysigs into mysigs.so, matching this tracee
  tracee signatures build ./mysigs

  # Choose the output file, e.g. straight into a signatures directory
  tracee signatures build ./mysigs -o /opt/tracee/signatures/mysigs.so

  # A plugin importing github.com/seed-428f5ad7/tracee/types/... (this module's own path) needs
  # tracee's source at the revision this binary was built from (see 'tracee version')
  tracee signatures build ./mysigs --source ~/src/tracee`

func newSignaturesCmd(st streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:          "signatures",
		Short:        "Work with signature plugins",
		SilenceUsage: true,
		Args:         cobra.NoArgs,
	}
	cmd.AddCommand(newSignaturesBuildCmd(st))
	return cmd
}

func newSignaturesBuildCmd(st streams) *cobra.Command {
	var cfg pluginfs.BuildConfig
	cmd := &cobra.Command{
		Use:   "build DIR",
		Short: "Build a signature plugin module so that this tracee loads it",
		Long: `build compiles the Go module in DIR (package main exporting ExportedSignatures, and optionally
ExportedDataSources) with go build -buildmode=plugin, the way this tracee binary was built: the same
Go version (it refuses another one), -trimpath/-race/tags as this binary, cgo on, and every module
the plugin shares with tracee pinned to tracee's version. It works on a temporary copy: DIR's go.mod
is not changed. It prints the Go version, flags, pinned modules and the output path.`,
		Example:      signaturesBuildExamples,
		SilenceUsage: true,
		Args:         cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg.Dir = args[0]
			return app.BuildSignatures(cmd.Context(), cfg, st.out)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&cfg.Output, "output", "o", "", "plugin file to write (default: <base name of DIR>.so in the current directory)")
	f.StringVar(&cfg.Source, "source", "", "tracee's source tree, for a plugin importing this module's own path: built in a go.work with it")
	return cmd
}
