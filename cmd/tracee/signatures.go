package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"

	"github.com/seed-428f5ad7/tracee/internal/adapters/opa"
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
		opa.NewSignatureLoaderWith(opa.SignatureConfig{AllowUnsafe: g.allowUnsafePlugins}, log),
	}
}

// loadSignatures runs every loader over the directories and drops duplicate IDs and event names.
func loadSignatures(ctx context.Context, loaders []ports.SignatureLoader, dirs []string) domain.LoadResult {
	var res domain.LoadResult
	for _, l := range loaders {
		one := l.Load(ctx, dirs)
		// "Nothing found" is decided over every loader together, below: one loader's empty
		// result is not the user's problem when another found signatures.
		one.Warnings = slices.DeleteFunc(one.Warnings, func(w string) bool { return strings.HasPrefix(w, noSignaturesFound) })
		res.Merge(one)
	}
	var dups []domain.LoadProblem
	res.Signatures, dups = domain.DedupeSignatures(res.Signatures)
	res.Problems = append(res.Problems, dups...)
	if len(res.Signatures) == 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%s %s: tracee keeps running, but no signature events are available",
			noSignaturesFound, strings.Join(dirs, ", ")))
	}
	return res
}

const noSignaturesFound = "no signatures found in"

// reportLoad writes one line per problem and warning.
func reportLoad(w io.Writer, res domain.LoadResult) {
	for _, p := range res.Problems {
		fmt.Fprintf(w, "tracee: signature not loaded: %s\n", p)
	}
	for _, warn := range res.Warnings {
		fmt.Fprintf(w, "tracee: warning: %s\n", warn)
	}
}
