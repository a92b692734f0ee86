package app

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLogging_options(t *testing.T) {
	tests := []struct {
		opts      []string
		wantLines []string
		notLines  []string
	}{
		{[]string{"level=warn"}, []string{"a warning"}, []string{"an info"}},
		{[]string{"filters.exclude.msg=warning"}, []string{"an info"}, []string{"a warning"}},
		{[]string{"filters.include.level=error", "level=debug"}, []string{"an error"}, []string{"an info", "a debug"}},
		{[]string{"filters.include.regex=^an? (info|debug)$", "level=debug"}, []string{"an info", "a debug"}, []string{"a warning"}},
		{[]string{"format=json"}, []string{`"msg":"an info"`}, nil},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.opts, " "), func(t *testing.T) {
			o, err := ParseLogOptions(tt.opts, "info")
			require.NoError(t, err)
			var buf bytes.Buffer
			log, err := NewLogger(o, &buf)
			require.NoError(t, err)
			log.Debug("a debug")
			log.Info("an info")
			log.Warn("a warning")
			log.Error("an error")
			for _, w := range tt.wantLines {
				assert.Contains(t, buf.String(), w)
			}
			for _, n := range tt.notLines {
				assert.NotContains(t, buf.String(), n)
			}
		})
	}
	for _, bad := range []string{"level=loud", "filters.include.pkg=ebpf", "colour=red", "filters.include.regex=("} {
		_, err := ParseLogOptions([]string{bad}, "info")
		assert.Error(t, err, bad)
	}
	_ = slog.LevelInfo
}
