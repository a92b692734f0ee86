package docker

import (
	"testing"

	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/seed-428f5ad7/tracee/internal/ports"
)

func TestModule_provides_one_inspector_per_socket(t *testing.T) {
	var got []ports.ContainerInspector
	app := fxtest.New(t, fx.Supply(Configs{{Socket: "/run/docker.sock"}, {Socket: "/run/podman/podman.sock", Runtime: "podman"}}), Module,
		fx.Populate(fx.Annotate(&got, fx.ParamTags(`group:"container_inspectors"`))))
	app.RequireStart().RequireStop()
	if len(got) != 2 {
		t.Fatalf("got %d inspectors, want 2", len(got))
	}
}
