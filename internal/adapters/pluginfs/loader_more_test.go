package pluginfs

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestLoader_Load_twice_returns_the_same_signatures(t *testing.T) {
	fx := plugins(t)
	dir := t.TempDir()
	link(t, filepath.Join(fx, "good.so"), filepath.Join(dir, "good.so"))
	l := New(Config{}, nil)
	first := l.Load(context.Background(), []string{dir})
	second := New(Config{}, nil).Load(context.Background(), []string{dir})
	if !slices.Equal(ids(first.Signatures), []string{"TEST-1", "TEST-2"}) || !slices.Equal(ids(first.Signatures), ids(second.Signatures)) {
		t.Fatalf("first %v, second %v", ids(first.Signatures), ids(second.Signatures))
	}
	if len(first.Problems)+len(second.Problems) != 0 {
		t.Fatalf("problems: %v %v", first.Problems, second.Problems)
	}
}

func TestLoader_Load_host_without_plugin_support_says_so_once(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.so"), "x")
	writeFile(t, filepath.Join(dir, "b.so"), "x")
	l := New(Config{}, nil)
	l.host.Unsupported = pluginSupport(false, "linux", nil, nil)
	res := l.Load(context.Background(), []string{dir})
	if len(res.Problems) != 1 || !strings.Contains(res.Problems[0].Cause, "built without cgo (CGO_ENABLED=0); 2 plugin(s) not loaded") {
		t.Fatalf("problems: %v", res.Problems)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "no signatures found") {
		t.Fatalf("warnings: %v", res.Warnings)
	}
}

func TestLoader_Load_stops_when_cancelled(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.so"), "x")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := New(Config{}, nil).Load(ctx, []string{dir})
	if len(res.Problems) != 0 {
		t.Fatalf("problems: %v", res.Problems)
	}
}

func TestDefaultDir_is_next_to_the_executable(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	exe, _ = filepath.EvalSymlinks(exe)
	if got, want := DefaultDir(), filepath.Join(filepath.Dir(exe), "signatures"); got != want {
		t.Fatalf("DefaultDir() = %q, want %q", got, want)
	}
}
