package httpserver

import (
	"errors"
	"fmt"
	"net"
	"strings"
)

// DefaultAddress is where the server listens when no http-address is given: loopback only, as in Tracee.
const DefaultAddress = "127.0.0.1:3366"

// Config says what the HTTP server serves and where.
type Config struct {
	Address string // host:port to listen on
	Metrics bool   // /metrics (Prometheus)
	Healthz bool   // /healthz
	Pprof   bool   // /debug/pprof/
}

// Enabled reports whether any endpoint was asked for.
func (c Config) Enabled() bool { return c.Metrics || c.Healthz || c.Pprof }

// ParseFlags reads the values of Tracee's repeatable --server flag: http-address=HOST:PORT,
// metrics, healthz, pprof. grpc, grpc-address= and pyroscope are recognised and refused with the
// reason. An address without an endpoint is an error: it would serve nothing.
func ParseFlags(values []string) (Config, error) {
	var c Config
	for _, v := range values {
		key, val, hasVal := strings.Cut(strings.TrimSpace(v), "=")
		switch key {
		case "http-address":
			if !hasVal || val == "" {
				return c, errors.New("--server http-address: give HOST:PORT, e.g. http-address=127.0.0.1:3366")
			}
			if _, _, err := net.SplitHostPort(val); err != nil {
				return c, fmt.Errorf("--server http-address=%s: %w", val, err)
			}
			c.Address = val
		case "metrics", "healthz", "pprof":
			if hasVal {
				return c, fmt.Errorf("--server %s takes no value", key)
			}
			switch key {
			case "metrics":
				c.Metrics = true
			case "healthz":
				c.Healthz = true
			default:
				c.Pprof = true
			}
		case "grpc", "grpc-address":
			return c, fmt.Errorf("--server %s: not supported: this agent has no gRPC API (Tracee's gRPC services are not built); use --server http-address with metrics or healthz", key)
		case "pyroscope":
			return c, errors.New("--server pyroscope: not supported: the Pyroscope agent is not built in; use --server pprof for profiles")
		default:
			return c, fmt.Errorf("--server %q: unknown; use http-address=HOST:PORT, metrics, healthz or pprof", v)
		}
	}
	if c.Address != "" && !c.Enabled() {
		return c, errors.New("--server http-address: add an endpoint to serve: --server metrics, healthz or pprof")
	}
	if c.Address == "" {
		c.Address = DefaultAddress
	}
	return c, nil
}
