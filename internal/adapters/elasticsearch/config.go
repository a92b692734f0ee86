package elasticsearch

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/seed-428f5ad7/tracee/internal/redact"
)

// DefaultSpoolDir is where alerts wait on disk while Elasticsearch cannot take them.
const DefaultSpoolDir = "/var/lib/tracee/spool/elasticsearch"

// Config configures the sink. Secrets are read from files or environment variables by
// ParseOutputSpec; they are never printed (Config implements slog.LogValuer and fmt.Stringer).
type Config struct {
	Addresses   []string // http(s)://host:port, one or more nodes of one cluster
	IndexPrefix string   // daily indices PREFIX-YYYY.MM.DD; default tracee-alerts

	Username    string
	Password    string // secret
	APIKey      string // secret: the base64 "id:key" form Elasticsearch hands out
	BearerToken string // secret: a service-account or OAuth token

	CAFile             string // PEM bundle of CAs to trust
	CertFile, KeyFile  string // client certificate for mutual TLS
	InsecureSkipVerify bool   // turn certificate checks off: only by explicit option

	SpoolDir      string        // default DefaultSpoolDir
	SpoolMaxBytes int64         // disk budget of the spool; past it the oldest alerts go; default 1 GiB
	SpoolSync     SpoolSync     // when the spool is fsynced; default SpoolSyncBatch
	QueueSize     int           // alerts held in memory before spilling to disk; default 10000
	RetentionDays int           // delete daily indices older than this; 0 keeps everything
	Replicas      int           // index.number_of_replicas of new indices; -1 keeps the cluster default
	AllEvents     bool          // index base events too (event.kind=event); default alerts only
	FlushInterval time.Duration // how long a partly filled bulk request may wait; default 1s
	FlushBytes    int           // size of one bulk request; default 5 MiB
	Workers       int           // concurrent bulk requests; default 2
	Timeout       time.Duration // per request; default 30s
	MaxBackoff    time.Duration // ceiling of the retry backoff; default 30s

	// SecretFiles are the files the secrets were read from; New warns about any that its group or
	// others can read.
	SecretFiles []string

	// Identity names the agent and the real host in every document; New detects it when zero.
	Identity Identity
}

// SpoolSync says when the spool is fsynced. Either way every alert is written to the spool
// (write(2)) before Write returns, so a killed agent loses nothing; fsync is about power loss.
type SpoolSync string

const (
	// SpoolSyncBatch fsyncs as a group, at most every 100 ms or 1,000 alerts (the default).
	SpoolSyncBatch SpoolSync = "batch"
	// SpoolSyncNone never fsyncs: a power loss or kernel crash can lose the last alerts the
	// page cache held; for hosts where that is acceptable, or for measuring what fsync costs.
	SpoolSyncNone SpoolSync = "none"
)

// DefaultConfig returns a Config for a local cluster with every default filled in.
func DefaultConfig() Config {
	return Config{
		Addresses: []string{"http://127.0.0.1:9200"}, IndexPrefix: DefaultIndexPrefix,
		SpoolDir: DefaultSpoolDir, SpoolMaxBytes: 1 << 30, SpoolSync: SpoolSyncBatch, QueueSize: 10000, Replicas: -1,
		FlushInterval: time.Second, FlushBytes: 5 << 20, Workers: 2, Timeout: 30 * time.Second,
		MaxBackoff: 30 * time.Second,
	}
}

// withDefaults fills zero fields.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if len(c.Addresses) == 0 {
		c.Addresses = d.Addresses
	}
	if c.IndexPrefix == "" {
		c.IndexPrefix = d.IndexPrefix
	}
	if c.SpoolDir == "" {
		c.SpoolDir = d.SpoolDir
	}
	if c.SpoolMaxBytes <= 0 {
		c.SpoolMaxBytes = d.SpoolMaxBytes
	}
	if c.SpoolSync == "" {
		c.SpoolSync = d.SpoolSync
	}
	if c.QueueSize <= 0 {
		c.QueueSize = d.QueueSize
	}
	if c.FlushInterval <= 0 {
		c.FlushInterval = d.FlushInterval
	}
	if c.FlushBytes <= 0 {
		c.FlushBytes = d.FlushBytes
	}
	if c.Workers <= 0 {
		c.Workers = d.Workers
	}
	if c.Timeout <= 0 {
		c.Timeout = d.Timeout
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = d.MaxBackoff
	}
	return c
}

// String describes the config without its secrets.
func (c Config) String() string {
	auth := "none"
	switch {
	case c.APIKey != "":
		auth = "api-key"
	case c.BearerToken != "":
		auth = "bearer"
	case c.Username != "":
		auth = "basic(" + c.Username + ")"
	}
	return fmt.Sprintf("elasticsearch %s index=%s auth=%s spool=%s", strings.Join(c.Addresses, ","),
		c.IndexPrefix, auth, c.SpoolDir)
}

// LogValue keeps secrets out of structured logs.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

// OutputScheme is the prefix of an Elasticsearch output spec.
const OutputScheme = "elasticsearch"

// ParseOutputSpec parses an output spec of the form
//
//	elasticsearch:URL[,URL...][?option=value&...]
//
// for example elasticsearch:https://es:9200?index=tracee-alerts&user=tracee&password-file=/run/secrets/es.
// Options: index, user, password-file, password-env, api-key-file, api-key-env, bearer-file,
// bearer-env, ca, cert, key, insecure-skip-verify, spool-dir, spool-max (bytes, or 512MiB, 2GiB),
// spool-sync (batch|none), queue, retention-days, replicas, events (alerts|all), flush-interval, flush-bytes, workers,
// timeout. A literal password, API key or token in the spec is refused: it would be visible in ps.
func ParseOutputSpec(spec string) (Config, error) {
	rest, ok := strings.CutPrefix(spec, OutputScheme+":")
	if !ok {
		return Config{}, fmt.Errorf("output %q: an Elasticsearch output starts with %q", redactSpec(spec), OutputScheme+":")
	}
	addrPart, query, _ := strings.Cut(rest, "?")
	cfg := DefaultConfig()
	cfg.Addresses = nil
	for _, a := range strings.Split(addrPart, ",") {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		u, err := url.Parse(a)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return Config{}, fmt.Errorf("output elasticsearch: address %q: want http://host:port or https://host:port", redact.URL(a))
		}
		if u.User != nil {
			if _, has := u.User.Password(); has {
				return Config{}, errors.New("output elasticsearch: a password in the URL is visible to every user (ps); use password-file= or password-env=")
			}
			cfg.Username = u.User.Username()
			u.User = nil
		}
		if u.Path != "" && u.Path != "/" {
			return Config{}, fmt.Errorf("output elasticsearch: address %q has a path; set the index with ?index=", a)
		}
		u.Path = ""
		cfg.Addresses = append(cfg.Addresses, u.String())
	}
	if len(cfg.Addresses) == 0 {
		return Config{}, errors.New("output elasticsearch: no address; example: elasticsearch:http://127.0.0.1:9200")
	}
	values, err := url.ParseQuery(query)
	if err != nil {
		return Config{}, fmt.Errorf("output elasticsearch: options: %w", err)
	}
	for key, vs := range values {
		v := vs[len(vs)-1]
		if err := cfg.setOption(key, v); err != nil {
			return Config{}, fmt.Errorf("output elasticsearch: option %s: %w", key, err)
		}
	}
	if (cfg.CertFile == "") != (cfg.KeyFile == "") {
		return Config{}, errors.New("output elasticsearch: cert= and key= go together (client certificate and its key)")
	}
	n := 0
	for _, s := range []string{cfg.Password, cfg.APIKey, cfg.BearerToken} {
		if s != "" {
			n++
		}
	}
	if n > 1 {
		return Config{}, errors.New("output elasticsearch: choose one of password, api-key and bearer")
	}
	if cfg.Password != "" && cfg.Username == "" {
		return Config{}, errors.New("output elasticsearch: a password needs user=")
	}
	return cfg, nil
}

func (c *Config) setOption(key, v string) error {
	var err error
	switch key {
	case "index":
		if v == "" || strings.ContainsAny(v, `*?"<>|/\, #:`) || v != strings.ToLower(v) {
			return fmt.Errorf("%q is not a valid index prefix (lowercase, no * ? \" < > | / \\ , # : or space)", v)
		}
		c.IndexPrefix = v
	case "user":
		c.Username = v
	case "password", "api-key", "bearer", "token":
		return fmt.Errorf("a literal secret is visible to every user (ps); use %s-file= or %s-env=", key, key)
	case "password-file":
		c.Password, err = secretFile(v)
		c.SecretFiles = append(c.SecretFiles, v)
	case "password-env":
		c.Password, err = secretEnv(v)
	case "api-key-file":
		c.APIKey, err = secretFile(v)
		c.SecretFiles = append(c.SecretFiles, v)
	case "api-key-env":
		c.APIKey, err = secretEnv(v)
	case "bearer-file", "token-file":
		c.BearerToken, err = secretFile(v)
		c.SecretFiles = append(c.SecretFiles, v)
	case "bearer-env", "token-env":
		c.BearerToken, err = secretEnv(v)
	case "ca":
		c.CAFile, err = readableFile(v)
	case "cert":
		c.CertFile, err = readableFile(v)
	case "key":
		c.KeyFile, err = readableFile(v)
	case "insecure-skip-verify":
		c.InsecureSkipVerify, err = strconv.ParseBool(v)
	case "spool-dir":
		if v == "" {
			return errors.New("empty directory")
		}
		c.SpoolDir = v
	case "spool-max":
		c.SpoolMaxBytes, err = parseBytes(v)
	case "spool-sync":
		switch SpoolSync(v) {
		case SpoolSyncBatch, SpoolSyncNone:
			c.SpoolSync = SpoolSync(v)
		default:
			err = fmt.Errorf("%q: want batch (fsync every 100 ms or 1,000 alerts) or none (never fsync)", v)
		}
	case "queue":
		c.QueueSize, err = positiveInt(v)
	case "retention-days":
		c.RetentionDays, err = strconv.Atoi(v)
		if err == nil && c.RetentionDays < 0 {
			err = errors.New("must be 0 (keep everything) or more")
		}
	case "replicas":
		c.Replicas, err = strconv.Atoi(v)
	case "events":
		switch v {
		case "alerts":
			c.AllEvents = false
		case "all":
			c.AllEvents = true
		default:
			err = fmt.Errorf("%q: want alerts or all", v)
		}
	case "flush-interval":
		c.FlushInterval, err = time.ParseDuration(v)
	case "flush-bytes":
		var n int64
		n, err = parseBytes(v)
		c.FlushBytes = int(n)
	case "workers":
		c.Workers, err = positiveInt(v)
	case "timeout":
		c.Timeout, err = time.ParseDuration(v)
	case "max-backoff":
		c.MaxBackoff, err = time.ParseDuration(v)
	default:
		return errors.New("unknown option; known: index, user, password-file, password-env, api-key-file, " +
			"api-key-env, bearer-file, bearer-env, ca, cert, key, insecure-skip-verify, spool-dir, spool-max, " +
			"spool-sync, queue, retention-days, replicas, events, flush-interval, flush-bytes, workers, timeout, max-backoff")
	}
	return err
}

func secretFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read secret: %w", err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("secret file %s is empty", path)
	}
	return s, nil
}

// secretFileWarning says, for a secret file its group or others can read, what to do; "" if it is
// private. Such files are used (Kubernetes mounts secrets 0644 unless defaultMode says otherwise),
// with a warning.
func secretFileWarning(path string) string {
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm()&0o044 == 0 {
		return ""
	}
	who := "others"
	switch fi.Mode().Perm() & 0o044 {
	case 0o044:
		who = "its group and others"
	case 0o040:
		who = "its group"
	}
	return fmt.Sprintf("secret file %s is readable by %s (mode %04o): chmod 600 %s (Kubernetes: defaultMode: 0400)",
		path, who, fi.Mode().Perm(), path)
}

func secretEnv(name string) (string, error) {
	s, ok := os.LookupEnv(name)
	if !ok || s == "" {
		return "", fmt.Errorf("environment variable %s is not set or empty", name)
	}
	return s, nil
}

func readableFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	_ = f.Close()
	return path, nil
}

func positiveInt(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q: want a positive integer", v)
	}
	return n, nil
}

// parseBytes reads 1048576, 512KiB, 64MiB, 2GiB (also KB/MB/GB as powers of 1024).
func parseBytes(v string) (int64, error) {
	s := strings.TrimSpace(v)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
		{"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSuffix(s, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q: want a size such as 1048576, 512MiB or 2GiB", v)
	}
	return n * mult, nil
}

func redactSpec(spec string) string {
	if i := strings.Index(spec, "?"); i >= 0 {
		return spec[:i] + "?..."
	}
	return spec
}
