package main

import (
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"
)

// globalOptions are the flags every command shares.
type globalOptions struct {
	signatureDirs      []string
	allowUnsafePlugins bool
	logLevel           string
}

// runOptions are the flags of the agent itself (the root command).
type runOptions struct {
	events  []string
	outputs []string
	replay  string
	strict  bool

	ringBufferMiB int
	policies      []string
	alertsDB      string
}

type streams struct {
	in       io.Reader
	out, err io.Writer
}

const rootExamples = `  # Run with the default signatures (<dir of tracee>/signatures), printing findings as a table
  sudo tracee

  # Specify a single directory of signature plugins
  sudo tracee --signatures-dir /opt/tracee/signatures

  # Specify multiple directories
  sudo tracee --signatures-dir /opt/tracee/signatures --signatures-dir /custom/signatures

  # Use with a policy to trace signature events
  sudo tracee --signatures-dir /opt/tracee/signatures --policy ./security-policy.yaml

  # List available signature events
  tracee --signatures-dir /opt/tracee/signatures list

  # Replay recorded events (Tracee JSON lines) through the signatures, no kernel needed
  tracee --replay events.json --output json`

func newRootCmd(in io.Reader, out, errOut io.Writer) *cobra.Command {
	g := &globalOptions{}
	r := &runOptions{}
	st := streams{in: in, out: out, err: errOut}
	root := &cobra.Command{
		Use:   "tracee",
		Short: "Runtime security agent: eBPF events, Tracee-compatible signature plugins, alerts",
		Long: `tracee watches the kernel with eBPF, runs detection signatures over the events and prints or
ships their findings. Signatures are Go plugins (.so) implementing the Tracee signature interface,
loaded from every --signatures-dir, or the default signatures when none is given.`,
		Example:       rootExamples,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runAgent(cmd.Context(), g, r, st)
		},
	}
	root.SetIn(in)
	root.SetOut(out)
	root.SetErr(errOut)
	pf := root.PersistentFlags()
	pf.StringArrayVar(&g.signatureDirs, "signatures-dir", nil,
		"directory to search (recursively) for signature plugins (.so); repeatable; default: <dir of tracee>/signatures")
	pf.BoolVar(&g.allowUnsafePlugins, "allow-unsafe-plugins", false,
		"load plugins, Rego signatures and policy files even when a user other than root can write them or a directory above them (each is logged)")
	pf.StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	f := root.Flags()
	f.StringArrayVarP(&r.events, "events", "e", nil,
		"events to trace: event names, sets (e.g. signatures, default) or globs, comma-separated; default: every signature event")
	f.StringArrayVarP(&r.outputs, "output", "o", nil,
		"output: table, json, table:FILE, json:FILE, elasticsearch:URL[?options] (see docs/elasticsearch.md), none; repeatable (default table)")
	f.StringArrayVarP(&r.policies, "policy", "p", nil,
		"policy FILE or DIR: Tracee YAML policies (what to trace, where) and Rego finding policies (.rego); repeatable; SIGHUP reloads them")
	f.StringVar(&r.alertsDB, "alerts-db", "",
		"embedded alert store for 'tracee alerts search' when no Elasticsearch output is set (default /var/lib/tracee/alerts.db for live runs; 'none' disables)")
	f.StringVar(&r.replay, "replay", "", "read events from FILE (Tracee JSON lines, - for stdin) instead of the kernel; exit at end of input")
	f.BoolVar(&r.strict, "strict", false, "with --replay: stop at the first malformed line instead of skipping it")
	f.IntVar(&r.ringBufferMiB, "ring-buffer-mb", 16, "size of the kernel-to-agent ring buffer in MiB (rounded up to a power of two)")

	root.AddCommand(
		newListCmd(g, st),
		newVersionCmd(st),
		newManCmd(),
		newAlertsCmd(st),
	)
	return root
}

func newLogger(level string, w io.Writer) *slog.Logger {
	var l slog.Level
	switch strings.ToLower(level) {
	case "debug":
		l = slog.LevelDebug
	case "warn", "warning":
		l = slog.LevelWarn
	case "error":
		l = slog.LevelError
	default:
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}
