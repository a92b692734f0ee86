package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/seed-428f5ad7/tracee/internal/adapters/pluginfs"
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/internal/ports"
)

// signatureDirs returns the directories the user named, or the default one.
func signatureDirs(g *globalOptions) []string {
	if len(g.signatureDirs) > 0 {
		return g.signatureDirs
	}
	return []string{pluginfs.DefaultDir()}
}

// signatureLoaders are every loader that reads signatures from directories.
func signatureLoaders(g *globalOptions, log *slog.Logger) []ports.SignatureLoader {
	return []ports.SignatureLoader{
		pluginfs.New(pluginfs.Config{AllowNonRootWritable: g.allowUnsafePlugins}, log),
	}
}

// loadSignatures runs every loader over the directories and drops duplicate IDs and event names.
func loadSignatures(ctx context.Context, loaders []ports.SignatureLoader, dirs []string) domain.LoadResult {
	var res domain.LoadResult
	for _, l := range loaders {
		res.Merge(l.Load(ctx, dirs))
	}
	var dups []domain.LoadProblem
	res.Signatures, dups = domain.DedupeSignatures(res.Signatures)
	res.Problems = append(res.Problems, dups...)
	return res
}

// reportLoad writes one line per problem and warning.
func reportLoad(w io.Writer, res domain.LoadResult) {
	for _, p := range res.Problems {
		fmt.Fprintf(w, "tracee: signature not loaded: %s\n", p)
	}
	for _, warn := range res.Warnings {
		fmt.Fprintf(w, "tracee: warning: %s\n", warn)
	}
}
