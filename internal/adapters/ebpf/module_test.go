package ebpf

import (
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"

	"github.com/seed-428f5ad7/tracee/internal/ports"
)

func TestModule_provides_the_event_source(t *testing.T) {
	var src ports.EventSource
	app := fxtest.New(t,
		fx.Supply(Config{RingBufferBytes: 1 << 20}, slog.New(slog.DiscardHandler)),
		Module,
		fx.Populate(&src),
	)
	app.RequireStart().RequireStop()
	assert.IsType(t, &Source{}, src)
	assert.Equal(t, 1<<20, src.(*Source).cfg.RingBufferBytes)
}
