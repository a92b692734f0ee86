package crio

import (
	"testing"

	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/seed-428f5ad7/tracee/internal/ports"
)

func TestModule_starts_and_stops(t *testing.T) {
	var got []ports.ContainerInspector
	app := fxtest.New(t, fx.Supply(Config{Socket: "/run/crio/crio.sock"}), Module,
		fx.Populate(fx.Annotate(&got, fx.ParamTags(`group:"container_inspectors"`))))
	app.RequireStart().RequireStop()
	if len(got) != 1 {
		t.Fatalf("got %d inspectors, want 1", len(got))
	}
}
