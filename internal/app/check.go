package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"

	"github.com/seed-428f5ad7/tracee/internal/adapters/httpserver"
	"github.com/seed-428f5ad7/tracee/internal/adapters/policyfile"
)

// Check reads everything the agent reads at start (outputs, server, signatures, policies, events,
// scope) and says what it would run, without loading eBPF programs or opening any output
// (--dry-run). It fails with the first problem, as the agent would.
func Check(ctx context.Context, cfg Config, out io.Writer, log *slog.Logger) error {
	plan, err := ParseOutputs(cfg.Outputs)
	if err != nil {
		return err
	}
	server, err := httpserver.ParseFlags(cfg.Server)
	if err != nil {
		return err
	}
	// The agent's own providers, in the order fx runs them: what passes here passes at start.
	res := LoadConfiguredSignatures(ctx, cfg, log)
	cat := provideCatalog(res, cfg, log)
	policies, err := providePolicies(policyfile.NewWith(policyfile.Config{AllowUnsafe: cfg.AllowUnsafe}, log), cat, cfg)
	if err != nil {
		return err
	}
	sel, err := provideSelection(cat, policies, cfg)
	if err != nil {
		return err
	}
	var dests []string
	for _, d := range plan.Destinations {
		dests = append(dests, d.Name+"("+d.Type+")")
	}
	fmt.Fprintf(out, "config ok: %d signatures, %d policies, %d events emitted, %d source events, outputs %s, server %s\n",
		len(res.Signatures), policies.Current().Len(), len(sel.Emit), len(sel.Need), strings.Join(dests, ","), serverSummary(server))
	names := make([]string, 0, len(sel.Need))
	for n := range sel.Need {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintf(out, "source events: %s\n", strings.Join(names, ","))
	return nil
}

func serverSummary(c httpserver.Config) string {
	if !c.Enabled() {
		return "off"
	}
	return c.Address
}
