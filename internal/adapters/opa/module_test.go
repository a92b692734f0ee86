package opa

import (
	"log/slog"
	"testing"

	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/seed-428f5ad7/tracee/internal/ports"
)

func TestModules_start_and_stop(t *testing.T) {
	var loader ports.SignatureLoader
	var evaluator ports.PolicyEvaluator
	app := fxtest.New(t,
		fx.Supply(slog.New(slog.DiscardHandler), FindingConfig{Paths: []string{"testdata/findings"}}),
		SignatureModule, FindingModule,
		fx.Populate(&loader, &evaluator),
	)
	app.RequireStart().RequireStop()
	if loader == nil || evaluator == nil {
		t.Fatal("modules did not provide the ports")
	}
}
