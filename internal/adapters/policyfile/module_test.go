package policyfile

import (
	"log/slog"
	"testing"

	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"
)

func TestModule_starts_and_stops(t *testing.T) {
	var l *Loader
	fxtest.New(t, fx.Supply(Config{}, slog.New(slog.DiscardHandler)), Module, fx.Populate(&l)).RequireStart().RequireStop()
	if l == nil {
		t.Fatal("no loader")
	}
}
