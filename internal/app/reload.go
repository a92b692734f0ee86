package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/seed-428f5ad7/tracee/internal/domain"
)

// ReloadStep is one part of a reload (policies, finding policies, Rego signatures). A failing step
// keeps its old version running; the other steps still run.
type ReloadStep struct {
	Name string
	Run  func(ctx context.Context) error
}

// Reloader re-reads what can change without a restart, on SIGHUP.
type Reloader struct {
	steps   []ReloadStep
	plugins map[string]time.Time // Go plugins and their modification time at load
	log     *slog.Logger
	mu      sync.Mutex
}

// NewReloader takes the steps and the loaded signatures (to notice changed Go plugins, which
// cannot be reloaded).
func NewReloader(steps []ReloadStep, sigs []domain.LoadedSignature, log *slog.Logger) *Reloader {
	r := &Reloader{steps: steps, plugins: map[string]time.Time{}, log: log.With("component", "reload")}
	for _, s := range sigs {
		if st, err := os.Stat(s.Info.Origin); err == nil && len(s.Info.Origin) > 3 && s.Info.Origin[len(s.Info.Origin)-3:] == ".so" {
			r.plugins[s.Info.Origin] = st.ModTime()
		}
	}
	return r
}

// Reload runs every step and returns their errors joined (nil when all applied).
func (r *Reloader) Reload(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var errs []error
	for _, step := range r.steps {
		if err := step.Run(ctx); err != nil {
			r.log.Error("reload failed; the running version is kept", "part", step.Name, "error", err)
			errs = append(errs, fmt.Errorf("%s: %w", step.Name, err))
			continue
		}
		r.log.Info("reloaded", "part", step.Name)
	}
	for path, loadedAt := range r.plugins {
		if st, err := os.Stat(path); err == nil && !st.ModTime().Equal(loadedAt) {
			r.log.Warn("Go plugin changed on disk; Go plugins load once per process: restart the agent to run the new version", "plugin", path)
		}
	}
	return errors.Join(errs...)
}

// PolicyReloadStep re-reads the policy files, checks the new set can run on the running source and
// signatures, and swaps it in atomically.
func PolicyReloadStep(read func(ctx context.Context) ([]domain.Policy, error), cat *domain.Catalog, running *domain.Policies) ReloadStep {
	return ReloadStep{Name: "policies", Run: func(ctx context.Context) error {
		policies, err := read(ctx)
		if err != nil {
			return err
		}
		next, err := domain.NewPolicySet(cat, policies)
		if err != nil {
			return err
		}
		if err := domain.CheckReload(running.Current(), next); err != nil {
			return err
		}
		return running.Replace(next)
	}}
}
