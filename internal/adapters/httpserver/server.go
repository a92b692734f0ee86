// Package httpserver serves the agent's Prometheus metrics, health check and pprof over HTTP, as
// Tracee's --server flag does.
package httpserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/seed-428f5ad7/tracee/internal/ports"
)

// Server is the HTTP server. Start listens and serves in the background; Stop shuts it down.
type Server struct {
	cfg  Config
	log  *slog.Logger
	srv  *http.Server
	addr net.Addr
	done chan struct{}
}

// New builds the server and its handlers; it does not listen yet.
func New(cfg Config, mon ports.AgentMonitor, log *slog.Logger) (*Server, error) {
	if !cfg.Enabled() {
		return nil, errors.New("http server: no endpoint enabled (metrics, healthz or pprof)")
	}
	if cfg.Address == "" {
		cfg.Address = DefaultAddress
	}
	s := &Server{cfg: cfg, log: log.With("component", "httpserver")}
	mux := http.NewServeMux()
	if cfg.Metrics {
		reg := prometheus.NewRegistry()
		reg.MustRegister(newCollector(mon), collectors.NewGoCollector(),
			collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: errorLog{s.log}}))
	}
	if cfg.Healthz {
		mux.Handle("/healthz", healthHandler(mon))
	}
	if cfg.Pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	return s, nil
}

// healthHandler answers 200 OK while the agent is healthy, else 503 with the reason.
func healthHandler(mon ports.AgentMonitor) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := mon.Health(time.Now()); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "NOT OK: %v\n", err)
			return
		}
		fmt.Fprint(w, "OK")
	})
}

// Start listens on the configured address and serves until Stop.
func (s *Server) Start(ctx context.Context) error {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", s.cfg.Address)
	if err != nil {
		return fmt.Errorf("--server http-address=%s: %w", s.cfg.Address, err)
	}
	s.addr = ln.Addr()
	s.done = make(chan struct{})
	s.log.Info("http server listening", "address", s.addr.String(),
		"metrics", s.cfg.Metrics, "healthz", s.cfg.Healthz, "pprof", s.cfg.Pprof)
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("http server stopped", "error", err)
		}
	}()
	return nil
}

// Stop stops accepting and waits, within ctx, for the requests in flight.
func (s *Server) Stop(ctx context.Context) error {
	if s.done == nil {
		return nil
	}
	err := s.srv.Shutdown(ctx)
	<-s.done
	if err != nil {
		return fmt.Errorf("http server shutdown: %w", err)
	}
	return nil
}

// Addr is the address the server listens on, once started (useful with port 0).
func (s *Server) Addr() net.Addr { return s.addr }

type errorLog struct{ log *slog.Logger }

func (l errorLog) Println(v ...interface{}) { l.log.Error("metrics: " + fmt.Sprint(v...)) }
