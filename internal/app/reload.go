package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/internal/ports"
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

	countsMu sync.Mutex
	counts   map[[2]string]uint64 // part, result
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
		err := step.Run(ctx)
		r.count(step.Name, err)
		if err != nil {
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

func (r *Reloader) count(part string, err error) {
	result := "ok"
	if err != nil {
		result = "failed"
	}
	r.countsMu.Lock()
	defer r.countsMu.Unlock()
	if r.counts == nil {
		r.counts = map[[2]string]uint64{}
	}
	r.counts[[2]string{part, result}]++
}

// Stats counts the reloads of each part by result ("ok", "failed"), ordered by part and result.
func (r *Reloader) Stats() []ports.ReloadCount {
	r.countsMu.Lock()
	defer r.countsMu.Unlock()
	out := make([]ports.ReloadCount, 0, len(r.counts))
	for k, n := range r.counts {
		out = append(out, ports.ReloadCount{Part: k[0], Result: k[1], Count: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Part != out[j].Part {
			return out[i].Part < out[j].Part
		}
		return out[i].Result < out[j].Result
	})
	return out
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
