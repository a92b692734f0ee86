package elasticsearch

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/seed-428f5ad7/tracee/internal/ports"
)

func TestModule_starts_ships_and_stops(t *testing.T) {
	f, srv := newFakeES(t)
	var sink ports.EventSink
	app := fxtest.New(t,
		fx.Supply(testConfig(t, srv.URL), quietLog()),
		Module,
		fx.Populate(&sink),
	)
	app.RequireStart()
	ev := testAlert(7, "10.0.0.1")
	require.NoError(t, sink.Write(context.Background(), &ev))
	app.RequireStop()
	assert.Equal(t, 1, f.count())
	assert.Equal(t, 1, f.templates)
}
