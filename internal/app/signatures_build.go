package app

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/seed-428f5ad7/tracee/internal/adapters/pluginfs"
)

// BuildSignatures builds a signature plugin module so that this tracee can load it, and prints
// what it did: Go version, flags, environment, pinned modules and the output path.
func BuildSignatures(ctx context.Context, cfg pluginfs.BuildConfig, out io.Writer) error {
	rep, err := pluginfs.Build(ctx, cfg)
	if err != nil {
		return fmt.Errorf("signatures build: %w", err)
	}
	fmt.Fprintf(out, "go version:  %s (the same as this tracee)\n", rep.GoVersion)
	fmt.Fprintf(out, "go build:    %s\n", strings.Join(rep.Flags, " "))
	fmt.Fprintf(out, "environment: %s\n", strings.Join(rep.Env, " "))
	if rep.Workspace != "" {
		fmt.Fprintf(out, "workspace:   %s\n", rep.Workspace)
	}
	if len(rep.Pinned) == 0 {
		fmt.Fprintln(out, "pinned:      none (every module shared with tracee is already at tracee's version)")
	} else {
		fmt.Fprintln(out, "pinned to tracee's versions (in a temporary copy; your go.mod is unchanged):")
		for _, p := range rep.Pinned {
			fmt.Fprintf(out, "  %s\n", p)
		}
	}
	for _, w := range rep.Warnings {
		fmt.Fprintf(out, "warning:     %s\n", w)
	}
	fmt.Fprintf(out, "wrote:       %s\n", rep.Output)
	if len(rep.Problems) > 0 {
		return fmt.Errorf("signatures build: %s was built but this tracee would refuse it: %s", rep.Output, strings.Join(rep.Problems, "; "))
	}
	return nil
}
