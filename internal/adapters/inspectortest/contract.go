// Package inspectortest is the contract every ports.ContainerInspector meets: run by each
// runtime adapter's tests against a real runtime, or a fake built from its documented answers.
package inspectortest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/internal/ports"
)

// Fixture is one runtime holding one known container.
type Fixture struct {
	Inspector ports.ContainerInspector
	// Known is the container the runtime holds, as Inspect must answer it (Labels are not compared;
	// an ImageDigest, when set, must match, and any digest answered must start with sha256:).
	Known domain.ContainerInfo
	// Unreachable is the same adapter pointed at a socket nobody listens on.
	Unreachable ports.ContainerInspector
}

// Run runs the contract.
func Run(t *testing.T, fx Fixture) {
	t.Helper()
	ctx := context.Background()
	tests := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"known container: name, image, digest, runtime and pod", func(t *testing.T) {
			got, err := fx.Inspector.Inspect(ctx, fx.Known.ID)
			require.NoError(t, err)
			want := fx.Known
			assert.Equal(t, want.ID, got.ID)
			assert.Equal(t, want.Name, got.Name)
			assert.Equal(t, want.Image, got.Image)
			assert.Equal(t, want.Runtime, got.Runtime)
			assert.Equal(t, want.Pod, got.Pod)
			if want.ImageDigest != "" {
				assert.Equal(t, want.ImageDigest, got.ImageDigest)
			}
			if got.ImageDigest != "" {
				assert.True(t, strings.HasPrefix(got.ImageDigest, "sha256:"), "digest %q", got.ImageDigest)
			}
		}},
		{"unknown container: ErrContainerNotFound", func(t *testing.T) {
			_, err := fx.Inspector.Inspect(ctx, strings.Repeat("0", 64))
			require.Error(t, err)
			assert.ErrorIs(t, err, domain.ErrContainerNotFound)
		}},
		{"unreachable runtime: an error that is not a miss, naming the runtime", func(t *testing.T) {
			_, err := fx.Unreachable.Inspect(ctx, fx.Known.ID)
			require.Error(t, err)
			assert.False(t, errors.Is(err, domain.ErrContainerNotFound), "%v", err)
			assert.Contains(t, err.Error(), fx.Known.Runtime)
		}},
		{"cancelled context: returns an error at once", func(t *testing.T) {
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			start := time.Now()
			_, err := fx.Inspector.Inspect(cctx, fx.Known.ID)
			require.Error(t, err)
			assert.Less(t, time.Since(start), 5*time.Second)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.run)
	}
}
