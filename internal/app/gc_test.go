package app

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestTuneGCForReplay(t *testing.T) {
	tests := []struct {
		name   string
		gogc   string
		during int
	}{
		{name: "GOGC unset: the replay's target", gogc: "", during: replayGCPercent},
		{name: "GOGC set: left as the runtime read it", gogc: "50", during: 77},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := debug.SetGCPercent(77) // stands for what the runtime took from the environment
			defer debug.SetGCPercent(before)
			restore := TuneGCForReplay(func(k string) string {
				if k == "GOGC" {
					return tt.gogc
				}
				return ""
			})
			assert.Equal(t, tt.during, debug.SetGCPercent(tt.during))
			restore()
			assert.Equal(t, 77, debug.SetGCPercent(77), "restored")
		})
	}
}
