package httpserver_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/adapters/httpserver"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		values  []string
		want    httpserver.Config
		wantErr string
	}{
		{"none: no server", nil, httpserver.Config{Address: httpserver.DefaultAddress}, ""},
		{"metrics on the default address", []string{"metrics"},
			httpserver.Config{Address: "127.0.0.1:3366", Metrics: true}, ""},
		{"every endpoint on a given address", []string{"http-address=:8080", "metrics", "healthz", "pprof"},
			httpserver.Config{Address: ":8080", Metrics: true, Healthz: true, Pprof: true}, ""},
		{"address alone serves nothing", []string{"http-address=127.0.0.1:1"}, httpserver.Config{},
			"--server http-address: add an endpoint to serve: --server metrics, healthz or pprof"},
		{"address without port", []string{"http-address=localhost", "metrics"}, httpserver.Config{},
			"--server http-address=localhost: address localhost: missing port in address"},
		{"grpc-address refused", []string{"grpc-address=tcp:4466"}, httpserver.Config{},
			"--server grpc-address: not supported: this agent has no gRPC API (Tracee's gRPC services are not built); use --server http-address with metrics or healthz"},
		{"grpc refused", []string{"grpc"}, httpserver.Config{}, "--server grpc: not supported"},
		{"pyroscope refused", []string{"pyroscope"}, httpserver.Config{},
			"--server pyroscope: not supported: the Pyroscope agent is not built in; use --server pprof for profiles"},
		{"unknown", []string{"metric"}, httpserver.Config{}, `--server "metric": unknown`},
		{"endpoint with a value", []string{"metrics=true"}, httpserver.Config{}, "--server metrics takes no value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := httpserver.ParseFlags(tt.values)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
