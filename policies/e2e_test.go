package policies

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/seed-428f5ad7/tracee/internal/adapters/opa"
	"github.com/seed-428f5ad7/tracee/internal/adapters/policyfile"
	"github.com/seed-428f5ad7/tracee/internal/adapters/replay"
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

// TestReplayWithShippedPolicies replays recorded events through the shipped policies, the
// built-in signatures and the shipped finding policies, wired as the agent does: the policy set
// decides what is emitted and what signatures see, the finding policies judge every finding.
func TestReplayWithShippedPolicies(t *testing.T) {
	ctx := context.Background()
	cat := builtinCatalog(t)
	ps, err := policyfile.New().Load(ctx, []string{"."})
	if err != nil {
		t.Fatal(err)
	}
	set, err := domain.NewPolicySet(cat, ps)
	if err != nil {
		t.Fatal(err)
	}
	findings, err := opa.NewFindingEvaluator(opa.FindingConfig{Paths: []string{"."}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	sel := set.Selection()
	var run []domain.LoadedSignature
	for _, s := range builtinSignatures(t) {
		if sel.Signatures[s.Info.Metadata.EventName] {
			run = append(run, s)
		}
	}

	var out []string
	var suppressed []string
	eng, problems := domain.NewEngine(domain.EngineConfig{}, run, cat, func(ev *trace.Event) {
		if emit, _ := set.Match(ev); !emit {
			return
		}
		cp := *ev
		v, err := findings.EvaluateFinding(ctx, &cp)
		if err != nil {
			t.Errorf("finding policy: %v", err)
		}
		if v.Suppress {
			suppressed = append(suppressed, v.Reason)
			return
		}
		out = append(out, describe(&cp))
	}, nil)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	src := replay.New(replay.Config{Path: "testdata/replay.jsonl", Strict: true}, slog.New(slog.DiscardHandler))
	err = src.Run(ctx, sel, func(ev *trace.Event) {
		emit, dispatch := set.Match(ev)
		if emit {
			out = append(out, describe(ev))
		}
		if dispatch {
			eng.Dispatch(ev)
		}
	})
	if err != nil {
		t.Fatal(err)
	}

	want := []string{
		"ptrace_code_injection pid=501 policies=security-policy severity=3 tags=",
		"anti_debugging pid=502 policies=security-policy severity=1 tags=",
		"sched_process_exec pid=503 policies=user-activity",
		"setuid pid=506 policies=user-activity",
		"ptrace_code_injection pid=508 policies=security-policy severity=3 tags=container image=alpine:3.20",
	}
	if strings.Join(out, "\n") != strings.Join(want, "\n") {
		t.Errorf("emitted:\n%s\nwant:\n%s", strings.Join(out, "\n"), strings.Join(want, "\n"))
	}
	if len(suppressed) != 1 || suppressed[0] != "gdb may ptrace (TRC-103)" {
		t.Errorf("suppressed = %v", suppressed)
	}
}

// describe renders what the test checks of an emitted event.
func describe(ev *trace.Event) string {
	s := fmt.Sprintf("%s pid=%d policies=%s", ev.EventName, ev.HostProcessID, strings.Join(ev.MatchedPolicies, ","))
	if ev.Metadata != nil {
		var tags []string
		for _, tag := range ev.Metadata.Tags {
			if tag == "container" {
				tags = append(tags, tag)
			}
		}
		s += fmt.Sprintf(" severity=%d tags=%s", domain.PropertyInt(ev.Metadata.Properties, "Severity"), strings.Join(tags, ","))
		if img, ok := ev.Metadata.Properties["container_image"]; ok {
			s += fmt.Sprintf(" image=%v", img)
		}
	}
	return s
}
