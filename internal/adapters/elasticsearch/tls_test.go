package elasticsearch

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSink_TLS(t *testing.T) {
	tests := []struct {
		name    string
		set     func(c *Config, caFile string)
		wantErr bool
	}{
		{name: "trusted by the given CA", set: func(c *Config, ca string) { c.CAFile = ca }},
		{name: "unknown CA refused", set: func(c *Config, ca string) {}, wantErr: true},
		{name: "checks off only when asked", set: func(c *Config, ca string) { c.InsecureSkipVerify = true }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, _ := newFakeES(t)
			srv := httptest.NewTLSServer(http.HandlerFunc(fake.serve))
			t.Cleanup(srv.Close)
			ca := filepath.Join(t.TempDir(), "ca.pem")
			require.NoError(t, os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE",
				Bytes: srv.Certificate().Raw}), 0o600))
			cfg := testConfig(t, srv.URL)
			tt.set(&cfg, ca)
			s, err := New(cfg, quietLog())
			require.NoError(t, err)
			err = s.Start(context.Background())
			require.NoError(t, err, "an unreachable or untrusted cluster is not fatal at start")
			assert.Equal(t, tt.wantErr, s.Stats().Down)
			require.NoError(t, s.Close(context.Background()))
		})
	}
}
