package main

import (
	"encoding/base64"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	testESPassword = "s3cret-pass-9f2"
	testESAPIKey   = "aWQ6a2V5LXNlY3JldC03Nzc="
)

// fakeSecureES is an https Elasticsearch that answers _count with 3 for the right credentials
// and 401 otherwise, and records the Authorization header it saw.
func fakeSecureES(t *testing.T) (url, caFile string, seen func() string) {
	t.Helper()
	var mu sync.Mutex
	var last string
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		mu.Lock()
		last = auth
		mu.Unlock()
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		w.Header().Set("Content-Type", "application/json")
		basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("tracee:"+testESPassword))
		scheme, cred, _ := strings.Cut(auth, " ")
		// auth schemes are case-insensitive (the client sends "APIKey")
		if !(strings.EqualFold(scheme, "ApiKey") && cred == testESAPIKey) && auth != basic {
			w.Header().Set("WWW-Authenticate", `Basic realm="security"`)
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":{"type":"security_exception","reason":"unable to authenticate"},"status":401}`))
			return
		}
		_, _ = w.Write([]byte(`{"count":3,"_shards":{"total":1,"successful":1}}`))
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused-certificate cases are expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600))
	return srv.URL, caFile, func() string { mu.Lock(); defer mu.Unlock(); return last }
}

func secretFileT(t *testing.T, name, content string) string {
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(content+"\n"), 0o400))
	return p
}

func TestAlertsSearch_elasticsearch_credentials_like_the_sink(t *testing.T) {
	url, ca, seen := fakeSecureES(t)
	pw := secretFileT(t, "password", testESPassword)
	key := secretFileT(t, "api-key", testESAPIKey)
	wrong := secretFileT(t, "wrong", "not-the-password")
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		wantAuth string // prefix of the Authorization header the cluster saw; "" when no request is made
		wantErr  string
	}{
		{name: "api key file and CA", args: []string{"--ca", ca, "--api-key-file", key}, wantAuth: "ApiKey "},
		{name: "password file and CA", args: []string{"--ca", ca, "--es-user", "tracee", "--password-file", pw}, wantAuth: "Basic "},
		{name: "user in the URL, password file", args: []string{"--ca", ca, "--password-file", pw}, wantAuth: "Basic "},
		{name: "api key from the environment", env: map[string]string{envESAPIKey: testESAPIKey}, args: []string{"--ca", ca}, wantAuth: "ApiKey "},
		{name: "password from the environment", env: map[string]string{envESPassword: testESPassword}, args: []string{"--ca", ca, "--es-user", "tracee"}, wantAuth: "Basic "},
		{name: "wrong password: 401 in one line", args: []string{"--ca", ca, "--es-user", "tracee", "--password-file", wrong}, wantErr: "401"},
		{name: "no CA: the certificate is refused", args: []string{"--api-key-file", key}, wantErr: "certificate"},
		{name: "missing CA file", args: []string{"--ca", "/nonexistent/ca.pem", "--api-key-file", key}, wantErr: "ca"},
		{name: "empty secret file", args: []string{"--ca", ca, "--password-file", secretFileT(t, "empty", "")}, wantErr: "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(envESPassword, "")
			t.Setenv(envESAPIKey, "")
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			u := url
			if tt.name == "user in the URL, password file" {
				u = strings.Replace(url, "https://", "https://tracee@", 1)
			}
			out, err := runAlerts(t, append([]string{"--elasticsearch", u, "--count"}, tt.args...)...)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.NotContains(t, err.Error(), "\n")
				assertNoSecret(t, err.Error())
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "3", strings.TrimSpace(out))
			assert.True(t, strings.HasPrefix(strings.ToLower(seen()), strings.ToLower(tt.wantAuth)), "Authorization %q", seen())
		})
	}
}

func TestAlertsSearch_password_in_the_URL_is_refused_and_never_echoed(t *testing.T) {
	for _, u := range []string{
		"https://tracee:" + testESPassword + "@127.0.0.1:9200",
		"https://tracee:" + testESPassword + "@127.0.0.1:9200/%zz", // unparseable too
	} {
		_, err := runAlerts(t, "--elasticsearch", u, "--count")
		require.Error(t, err)
		assertNoSecret(t, err.Error())
	}
}

func assertNoSecret(t *testing.T, s string) {
	t.Helper()
	for _, secret := range []string{testESPassword, testESAPIKey, "not-the-password"} {
		assert.NotContains(t, s, secret)
	}
}

// The same flags against a real node with security on (scripts/test.d/30-elasticsearch.sh).
func TestAlertsSearch_password_file_on_a_secured_cluster(t *testing.T) {
	url := os.Getenv("ELASTICSEARCH_SECURE_URL")
	if url == "" {
		t.Skip("ELASTICSEARCH_SECURE_URL not set")
	}
	user, password := os.Getenv("ELASTICSEARCH_SECURE_USER"), os.Getenv("ELASTICSEARCH_SECURE_PASSWORD")
	t.Setenv(envESPassword, "")
	t.Setenv(envESAPIKey, "")
	right := secretFileT(t, "right", password)
	wrong := secretFileT(t, "wrong", password+"-wrong")
	// authenticated: the node answers that it holds no index of this prefix
	_, err := runAlerts(t, "--elasticsearch", url, "--es-user", user, "--password-file", right,
		"--index-prefix", "authtest-none", "--count")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no index")
	_, err = runAlerts(t, "--elasticsearch", url, "--es-user", user, "--password-file", wrong,
		"--index-prefix", "authtest-none", "--count")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "401")
	assert.NotContains(t, err.Error(), password)
}
