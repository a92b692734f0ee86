package configfile

import (
	"errors"
	"strings"
	"testing"
)

func TestParse_nested_list_and_JSON_agree(t *testing.T) {
	nested := `
output:
  destinations:
    - name: stdout_destination
      type: file
      format: json
      path: stdout
logging:
  level: info
enrichment:
  container:
    enabled: true
buffers:
  kernel:
    events: 2048
  pipeline: 10000
server:
  http-address: ":3366"
  metrics: true
  pprof: false
`
	list := `
output:
  - destinations.stdout_destination.type=file
  - destinations.stdout_destination.format=json
  - destinations.stdout_destination.path=stdout
logging:
  - level=info
enrichment:
  - container
buffers:
  - kernel.events=2048
  - pipeline=10000
server:
  - "http-address=:3366"
  - metrics
`
	json := `{"output": {"destinations": [{"name": "stdout_destination", "type": "file", "format": "json", "path": "stdout"}]},
 "logging": {"level": "info"}, "enrichment": {"container": {"enabled": true}},
 "buffers": {"kernel": {"events": 2048}, "pipeline": 10000},
 "server": {"http-address": ":3366", "metrics": true, "pprof": false}}`
	want := map[string]string{
		"output":     "destinations.stdout_destination.type=file destinations.stdout_destination.format=json destinations.stdout_destination.path=stdout",
		"logging":    "level=info",
		"enrichment": "container",
		"buffers":    "kernel.events=2048 pipeline=10000",
		"server":     "http-address=:3366 metrics",
	}
	for name, src := range map[string]string{"nested.yaml": nested, "list.yaml": list, "config.json": json} {
		t.Run(name, func(t *testing.T) {
			entries, err := Parse(name, []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != len(want) {
				t.Fatalf("got %d keys: %+v", len(entries), entries)
			}
			for _, e := range entries {
				if got := strings.Join(e.Values, " "); got != want[e.Key] {
					t.Errorf("%s = %q, want %q", e.Key, got, want[e.Key])
				}
				if !strings.HasPrefix(e.Pos, name+":") {
					t.Errorf("%s: position %q", e.Key, e.Pos)
				}
			}
		})
	}
}

func TestCheck(t *testing.T) {
	keys := Keys{Flags: map[string]bool{"output": true, "signatures-dir": true},
		Unsupported: map[string]string{"artifacts": "not built"}, CLIOnly: []string{"events", "scope", "policy", "config"}}
	tests := []struct {
		src, wantErr, wantWarn string
		apply                  int
	}{
		{src: "output: [json]\nsignatures-dir: [/opt/sigs]\n", apply: 2},
		{src: "ouptut: [json]\n", wantErr: `cfg.yaml:1:1: unknown key "ouptut"; did you mean output?`},
		{src: "output: [json]\nevents: [openat]\n", wantErr: "cfg.yaml:2:1: --events is CLI-only, as in Tracee"},
		{src: "policy: [p.yaml]\n", wantErr: "CLI-only"},
		{src: "artifacts:\n  - file-write\n", wantWarn: "cfg.yaml:1:1: artifacts is not supported by this agent (not built)"},
		{src: "server.http-address: x\n", wantErr: `dotted key "server.http-address" at the root is not loaded`},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			entries, err := Parse("cfg.yaml", []byte(tt.src))
			if err == nil {
				var apply []Entry
				var warnings []string
				apply, warnings, err = Check(entries, keys)
				if err == nil {
					if len(apply) != tt.apply {
						t.Errorf("apply %d entries, want %d", len(apply), tt.apply)
					}
					if tt.wantWarn != "" && (len(warnings) != 1 || !strings.HasPrefix(warnings[0], tt.wantWarn)) {
						t.Errorf("warnings %q, want %q", warnings, tt.wantWarn)
					}
				}
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got %v, want %q", err, tt.wantErr)
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Errorf("not a configfile.Error: %T", err)
			}
		})
	}
}
