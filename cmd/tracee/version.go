package main

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// versionInfo is what a plugin author must match: the Go version, the build settings and the
// versions of every module the host was built with.
type versionInfo struct {
	Module    string            `json:"module"`
	Version   string            `json:"version"`
	GoVersion string            `json:"goVersion"`
	Platform  string            `json:"platform"`
	Settings  map[string]string `json:"settings"`
	Deps      map[string]string `json:"dependencies"`
}

func readVersionInfo() versionInfo {
	v := versionInfo{GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH,
		Settings: map[string]string{}, Deps: map[string]string{}}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	v.Module, v.Version = bi.Main.Path, bi.Main.Version
	for _, s := range bi.Settings {
		switch s.Key {
		case "-trimpath", "-race", "CGO_ENABLED", "-buildmode", "-tags", "GOARCH", "GOOS", "GOAMD64", "vcs.revision", "vcs.modified":
			v.Settings[s.Key] = s.Value
		}
	}
	for _, d := range bi.Deps {
		ver := d.Version
		if d.Replace != nil {
			ver += " => " + d.Replace.Path + " " + d.Replace.Version
		}
		v.Deps[d.Path] = ver
	}
	return v
}

func newVersionCmd(st streams) *cobra.Command {
	var asJSON, deps bool
	cmd := &cobra.Command{
		Use:     "version",
		Aliases: []string{"v"},
		Short:   "Print the version and what a signature plugin must be built with to load",
		Long: `Print the version, the Go version and the build settings (CGO_ENABLED, -trimpath, -race) of this
binary. A signature plugin loads only if it was built by the same Go version, with the same settings and
the same versions of every package both use; --deps lists the module versions.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			v := readVersionInfo()
			if asJSON {
				enc := json.NewEncoder(st.out)
				enc.SetIndent("", "  ")
				return enc.Encode(v)
			}
			fmt.Fprintf(st.out, "tracee %s (%s)\n", v.Version, v.Module)
			fmt.Fprintf(st.out, "go:          %s %s\n", v.GoVersion, v.Platform)
			for _, k := range []string{"CGO_ENABLED", "-trimpath", "-race", "-buildmode", "-tags", "vcs.revision"} {
				if val, ok := v.Settings[k]; ok {
					fmt.Fprintf(st.out, "%-12s %s\n", k+":", val)
				}
			}
			fmt.Fprintln(st.out, "build plugins with: CGO_ENABLED=1 go build -buildmode=plugin -trimpath (same Go version and module versions)")
			if deps {
				for _, k := range sortedKeys(v.Deps) {
					fmt.Fprintf(st.out, "dep          %s %s\n", k, v.Deps[k])
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	cmd.Flags().BoolVar(&deps, "deps", false, "also list every module version")
	return cmd
}
