package policyfile

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoad_refuses_a_policy_anyone_could_have_written(t *testing.T) {
	data, err := os.ReadFile("testdata/security-policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "policies")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "p.yaml")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	_, err = New().Load(context.Background(), []string{dir})
	if err == nil || !strings.Contains(err.Error(), path+": is writable by its group and others (mode 0666)") ||
		!strings.Contains(err.Error(), "--allow-unsafe-plugins") {
		t.Fatalf("err = %v", err)
	}

	var logs bytes.Buffer
	ps, err := NewWith(Config{AllowUnsafe: true}, slog.New(slog.NewTextHandler(&logs, nil))).Load(context.Background(), []string{dir})
	if err != nil || len(ps) != 2 {
		t.Fatalf("with the override: %v, %d policies", err, len(ps))
	}
	if !strings.Contains(logs.String(), "read anyway (--allow-unsafe-plugins)") {
		t.Fatalf("no warning: %s", logs.String())
	}
}
