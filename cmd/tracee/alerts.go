package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/seed-428f5ad7/tracee/internal/adapters/elasticsearch"
	"github.com/seed-428f5ad7/tracee/internal/adapters/sqlite"
	"github.com/seed-428f5ad7/tracee/internal/app/alerts"
	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/internal/ports"
	"github.com/seed-428f5ad7/tracee/internal/redact"
)

// alertsOptions are the flags of `tracee alerts search`.
type alertsOptions struct {
	since, until, severity, output, by, histogram string
	rules, ids, hosts, containers, processes      []string
	techniques, images, pods                      []string
	count, follow                                 bool
	limit                                         int
	esURL, esUser, indexPrefix, db                string
	esCA, esPasswordFile, esAPIKeyFile            string
}

// Environment variables that hold Elasticsearch secrets for `alerts search` (flags name files).
const (
	envESPassword = "TRACEE_ES_PASSWORD"
	envESAPIKey   = "TRACEE_ES_API_KEY"
)

func newAlertsCmd(st streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "alerts",
		Short: "Search the alerts the agent recorded (embedded store or Elasticsearch)",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newAlertsSearchCmd(st))
	return cmd
}

func newAlertsSearchCmd(st streams) *cobra.Command {
	o := &alertsOptions{}
	cmd := &cobra.Command{
		Use:   "search [TEXT]",
		Short: "Find, count, group or chart alerts; follow new ones",
		Long: `Search the alerts the agent recorded: by default in the embedded store on this host
(` + sqlite.DefaultPath + `), or in Elasticsearch with --elasticsearch (the daily indices the
Elasticsearch output writes). TEXT matches words of the alert's message and description and
exact rule, host, container and process names; every word must match; a trailing * matches a prefix.
Times (--since, --until) are a duration ago (10m, 2h, 7d) or a date/time (RFC 3339, YYYY-MM-DD[ HH:MM]).`,
		Example: `  # what fired in the last 10 minutes
  tracee alerts search --since 10m

  # what fired on host web-1 in the last hour, high severity and above, as JSON
  tracee alerts search --host web-1 --since 1h --severity high --output json

  # which rules fire most this week; alerts per hour today
  tracee alerts search --since 7d --by rule
  tracee alerts search --since 24h --histogram 1h

  # what did this container do; follow new alerts
  tracee alerts search --container 4f2a9c0e --follow

  # alerts of a pod, of every container of an image (agent run with --enrichment container)
  tracee alerts search --pod shop/web-1
  tracee alerts search --image docker.io/library/nginx --since 1d

  # the same on the cluster the agents ship to (secrets from files or the environment, never argv)
  tracee alerts search --elasticsearch https://es.example:9200 --ca /etc/tracee/es-ca.pem \
    --es-user tracee --password-file /run/secrets/es-password --since 1h shell
  TRACEE_ES_API_KEY=$(cat key) tracee alerts search --elasticsearch https://es.example:9200 --since 1h`,
		RunE: func(cmd *cobra.Command, args []string) error {
			req, err := o.request(strings.Join(args, " "), time.Now())
			if err != nil {
				return err
			}
			store, closeStore, err := o.store()
			if err != nil {
				return err
			}
			defer closeStore()
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			if req.Follow {
				var stop context.CancelFunc
				ctx, stop = signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
				defer stop()
			}
			return alerts.New(store, st.out).Run(ctx, req)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.since, "since", "", "alerts at or after this time: 10m, 2h, 7d ago, or a date/time")
	f.StringVar(&o.until, "until", "", "alerts before this time (same forms as --since)")
	f.StringVar(&o.severity, "severity", "", "at least this severity: 0-4 or info, low, medium, high, critical")
	f.StringSliceVar(&o.rules, "rule", nil, "rule ID, rule name or signature event name (repeatable, comma-separated)")
	f.StringSliceVar(&o.ids, "id", nil, "same as --rule")
	f.StringSliceVar(&o.hosts, "host", nil, "host name (repeatable)")
	f.StringSliceVar(&o.containers, "container", nil, "container ID, ID prefix or name (repeatable)")
	f.StringSliceVar(&o.images, "image", nil, "container image: NAME (every tag) or NAME:TAG (repeatable; needs --enrichment container on the agent)")
	f.StringSliceVar(&o.pods, "pod", nil, "Kubernetes pod: NAME or NAMESPACE/NAME (repeatable; needs --enrichment container on the agent)")
	f.StringSliceVar(&o.processes, "process", nil, "process name (repeatable)")
	f.StringSliceVar(&o.techniques, "technique", nil, "MITRE ATT&CK technique ID (T1622) or name (repeatable)")
	f.StringVarP(&o.output, "output", "o", alerts.FormatTable, "table, json or ndjson")
	f.BoolVar(&o.count, "count", false, "print only the number of matching alerts")
	f.StringVar(&o.by, "by", "", "count alerts per rule, host, technique, container or process")
	f.StringVar(&o.histogram, "histogram", "", "draw alerts over time in buckets of this width (e.g. 1h, 15m, 1d)")
	f.BoolVarP(&o.follow, "follow", "f", false, "print the newest alerts, then new ones as they are recorded (Ctrl-C stops)")
	f.IntVar(&o.limit, "limit", alerts.DefaultLimit, "most alerts to print (paged safely beyond 10,000); with --by, most groups")
	f.StringVar(&o.esURL, "elasticsearch", "", "search Elasticsearch at this URL instead of the embedded store (user@ allowed; a password is refused: use --password-file)")
	f.StringVar(&o.esUser, "es-user", "", "Elasticsearch user name (password from --password-file or $"+envESPassword+")")
	f.StringVar(&o.esPasswordFile, "password-file", "", "file holding the Elasticsearch password (else $"+envESPassword+")")
	f.StringVar(&o.esAPIKeyFile, "api-key-file", "", "file holding an Elasticsearch API key, base64 id:key (else $"+envESAPIKey+"); replaces user and password")
	f.StringVar(&o.esCA, "ca", "", "PEM file of the CAs that sign the Elasticsearch certificate (default: the system's)")
	f.StringVar(&o.indexPrefix, "index-prefix", elasticsearch.DefaultIndexPrefix, "index prefix of the Elasticsearch output (searches PREFIX-*)")
	f.StringVar(&o.db, "db", sqlite.DefaultPath, "the embedded alert store to search")
	return cmd
}

// request turns the flags into a use-case request.
func (o *alertsOptions) request(text string, now time.Time) (alerts.Request, error) {
	var r alerts.Request
	var err error
	q := &r.Query
	if q.Since, err = alerts.ParseTime(o.since, now); err != nil {
		return r, fmt.Errorf("--since: %w", err)
	}
	if q.Until, err = alerts.ParseTime(o.until, now); err != nil {
		return r, fmt.Errorf("--until: %w", err)
	}
	if o.severity != "" {
		if q.MinSeverity, err = domain.ParseSeverity(o.severity); err != nil {
			return r, fmt.Errorf("--severity: %w", err)
		}
	}
	q.Rules = append(append([]string{}, o.rules...), o.ids...)
	q.Hosts, q.Containers, q.Processes, q.Techniques = o.hosts, o.containers, o.processes, o.techniques
	q.Images, q.Pods = o.images, o.pods
	q.Text = text
	r.Limit, r.Format, r.Count, r.Follow = o.limit, o.output, o.count, o.follow
	if o.by != "" {
		if r.By, err = domain.ParseAlertField(o.by); err != nil {
			return r, fmt.Errorf("--by: %w", err)
		}
		r.BySize = o.limit
	}
	if o.histogram != "" {
		if r.Histogram, err = alerts.ParseDuration(o.histogram); err != nil || r.Histogram <= 0 {
			return r, fmt.Errorf("--histogram %q: want a bucket width such as 15m, 1h or 1d", o.histogram)
		}
	}
	return r, r.Validate()
}

// store opens the store the flags name: Elasticsearch with --elasticsearch, else the embedded store.
func (o *alertsOptions) store() (ports.AlertSearcher, func(), error) {
	if o.esURL == "" {
		s, err := sqlite.OpenReadOnly(o.db)
		if err != nil {
			return nil, nil, fmt.Errorf("%w; to search Elasticsearch instead, pass --elasticsearch URL", err)
		}
		return s, func() { _ = s.Close(context.Background()) }, nil
	}
	u, err := url.Parse(o.esURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, nil, fmt.Errorf("--elasticsearch: want a URL such as https://127.0.0.1:9200, got %q", redact.URL(o.esURL))
	}
	cfg := elasticsearch.SearchConfig{IndexPrefix: o.indexPrefix, Username: o.esUser, CAFile: o.esCA,
		Password: os.Getenv(envESPassword), APIKey: os.Getenv(envESAPIKey)}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			return nil, nil, fmt.Errorf("--elasticsearch %s: a password in the URL is visible to every user (ps); use --password-file or $%s", redact.URL(o.esURL), envESPassword)
		}
		cfg.Username = u.User.Username()
		u.User = nil
	}
	if o.esPasswordFile != "" {
		if cfg.Password, err = elasticsearch.ReadSecretFile(o.esPasswordFile); err != nil {
			return nil, nil, fmt.Errorf("--password-file: %w", err)
		}
	}
	if o.esAPIKeyFile != "" {
		if cfg.APIKey, err = elasticsearch.ReadSecretFile(o.esAPIKeyFile); err != nil {
			return nil, nil, fmt.Errorf("--api-key-file: %w", err)
		}
	}
	cfg.URLs = []string{u.String()}
	s, err := elasticsearch.NewSearcher(cfg)
	if err != nil {
		return nil, nil, err
	}
	return s, func() {}, nil
}
