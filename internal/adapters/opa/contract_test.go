package opa

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/adapters/loadertest"
)

func TestSignatureLoader_contract(t *testing.T) {
	loadertest.Run(t, func(t *testing.T) loadertest.Harness {
		return loadertest.Harness{
			Loader: NewSignatureLoader(nil),
			Good: func(t *testing.T, dir string) []string {
				src := strings.Replace(regoSig(`true`), `"T-1"`, `"REGO-CONTRACT"`, 1)
				require.NoError(t, os.WriteFile(filepath.Join(dir, "good.rego"), []byte(src), 0o644))
				return []string{"REGO-CONTRACT"}
			},
			Broken: func(t *testing.T, dir string) string {
				path := filepath.Join(dir, "broken.rego")
				require.NoError(t, os.WriteFile(path, []byte("package signatures.broken\n\ntracee_match if {\n"), 0o644))
				return path
			},
		}
	})
}
