package httpserver_test

import (
	"log/slog"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/seed-428f5ad7/tracee/internal/adapters/httpserver"
	"github.com/seed-428f5ad7/tracee/internal/ports"
	"github.com/seed-428f5ad7/tracee/mocks"
)

func TestModule_starts_and_stops(t *testing.T) {
	mon := mocks.NewAgentMonitor(t)
	var s *httpserver.Server
	app := fxtest.New(t,
		fx.Supply(httpserver.Config{Address: "127.0.0.1:0", Healthz: true}, slog.New(slog.DiscardHandler)),
		fx.Provide(func() ports.AgentMonitor { return mon }),
		httpserver.Module,
		fx.Populate(&s),
	)
	app.RequireStart()
	if s.Addr() == nil {
		t.Fatal("not listening after start")
	}
	mon.EXPECT().Health(mock.Anything).Return(nil).Once()
	if code, _ := get(t, "http://"+s.Addr().String()+"/healthz"); code != 200 {
		t.Fatalf("healthz: %d", code)
	}
	app.RequireStop()
}
