package main

import (
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"github.com/seed-428f5ad7/tracee/internal/adapters/ebpf"
	"github.com/seed-428f5ad7/tracee/internal/app"
)

// globalOptions are the flags every command shares.
type globalOptions struct {
	signatureDirs      []string
	allowUnsafePlugins bool
	logLevel           string
	logging            []string
	logOpts            app.LogOptions
	config             string
}

// runOptions are the flags of the agent itself (the root command).
type runOptions struct {
	events      []string
	scopes      []string
	dryRun      bool
	findingRate int

	buffers, stores, enrichment, capabilities, artifacts, detectors []string
	// Tracee v0.24's spellings, accepted with a hint to the current one.
	oldLog, oldCapture []string
	oldContainers      bool
	oldPerfBufferSize  int
	outputs            []string
	replay             string
	strict             bool

	ringBufferMiB int
	policies      []string
	alertsDB      string
	servers       []string
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
	pf.StringArrayVarP(&g.logging, "logging", "l", nil, "logging, as Tracee's logging page: level=debug|info|warn|error (overrides --log-level), "+
		"file=PATH, format=json|text, aggregate, filters.include|exclude.msg|regex|level=V")
	pf.StringVar(&g.config, "config", "", "configuration FILE (YAML or JSON; one top-level key per flag, nested or a list of "+
		"CLI-style strings); flags override it; events, scope and policy are CLI-only")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		pf := cmd.Root().PersistentFlags()
		levelOnCLI := pf.Changed("log-level") && !pf.Changed("logging")
		if g.config != "" {
			if err := applyConfig(cmd.Root(), g.config, st.err); err != nil {
				return err
			}
		}
		if levelOnCLI {
			g.logging = nil // --log-level on the command line beats a logging key of the config file
		}
		return applyLogging(g)
	}
	f := root.Flags()
	f.StringArrayVarP(&r.events, "events", "e", nil,
		"events to trace: names, globs and sets, comma-separated ('-name' excludes); tag=SET; EVENT.data.ARG=V, EVENT.retval<0, "+
			"EVENT.scope.FIELD=V filters; threat.severity>=high, threat.mitre.technique=T1055; default: every signature event")
	f.StringArrayVarP(&r.scopes, "scope", "s", nil,
		"where to trace: uid, pid (< > <= >= = !=), mntns, pidns, tree, uts, comm, container, executable (= !=, * globs), "+
			"not-container, follow; repeatable (ANDed); comma-separated values are ORed")
	f.StringArrayVarP(&r.outputs, "output", "o", nil,
		"where events go: destinations.NAME.{type=file|webhook|elasticsearch,format=json|table|gotemplate=FILE,path=,url=}, "+
			"sort-events; short forms table, json, json:FILE, webhook:URL, elasticsearch:URL[?options], none; repeatable (default table)")
	f.StringArrayVarP(&r.policies, "policy", "p", nil,
		"policy FILE or DIR: Tracee YAML policies (what to trace, where) and Rego finding policies (.rego); repeatable; SIGHUP reloads them")
	f.StringVar(&r.alertsDB, "alerts-db", "",
		"embedded alert store for 'tracee alerts search' when no Elasticsearch output is set (default /var/lib/tracee/alerts.db for live runs; 'none' disables)")
	f.StringVar(&r.replay, "replay", "", "read events from FILE (Tracee JSON lines, - for stdin) instead of the kernel; exit at end of input")
	f.BoolVar(&r.strict, "strict", false, "with --replay: stop at the first malformed line instead of skipping it")
	f.StringArrayVar(&r.servers, "server", nil,
		"serve over HTTP: http-address=HOST:PORT (default 127.0.0.1:3366), metrics, healthz, pprof; repeatable (see docs/server.md)")
	f.StringArrayVar(&r.buffers, "buffers", nil, "buffer sizes: kernel.events=PAGES (one power-of-two ring), pipeline=N (events queued per output)")
	f.StringArrayVar(&r.stores, "stores", nil, "stores: process, process.max-processes=N (the process tree data source); dns is refused (no packet capture)")
	f.StringArrayVar(&r.enrichment, "enrichment", nil, "enrichment: container (names, images and pods from the container runtimes), container.{containerd,docker,crio,podman}.socket=PATH (default: Tracee's sockets), environment (always on); fd-paths, executable-hash, decoded-data are refused with the reason")
	f.StringArrayVar(&r.capabilities, "capabilities", nil, "capabilities: bypass=true (this agent never drops capabilities); add=/drop= are refused")
	f.StringArrayVar(&r.artifacts, "artifacts", nil, "artifact capture: not built into this agent (refused with the reason)")
	f.StringArrayVar(&r.detectors, "detectors", nil, "YAML detectors (CEL): not supported (refused with the reason)")
	f.StringArrayVar(&r.oldLog, "log", nil, "Tracee v0.24's --logging (accepted with a hint)")
	f.StringArrayVar(&r.oldCapture, "capture", nil, "Tracee v0.24's --artifacts (accepted with a hint)")
	f.BoolVar(&r.oldContainers, "containers", false, "Tracee v0.24's --enrichment container (accepted with a hint)")
	f.IntVar(&r.oldPerfBufferSize, "perf-buffer-size", 0, "Tracee v0.24's --buffers kernel.events=PAGES (accepted with a hint)")
	f.IntVar(&r.findingRate, "finding-rate", app.DefaultFindingRate,
		"findings per second one signature may report for one process or container; the rest are counted and the count goes "+
			"into the next finding's metadata (suppressedStorm); -1 for no limit")
	f.BoolVar(&r.dryRun, "dry-run", false, "read every flag, the config file, signatures and policies, say what would run, and exit without tracing")
	for _, old := range []string{"log", "capture", "containers", "perf-buffer-size"} {
		_ = f.MarkHidden(old)
	}
	f.IntVar(&r.ringBufferMiB, "ring-buffer-mb", ebpf.DefaultRingBufferBytes>>20, "size of the kernel-to-agent ring buffer in MiB (rounded up to a power of two)")

	root.AddCommand(
		newListCmd(g, st),
		newVersionCmd(st),
		newManCmd(),
		newAlertsCmd(st),
		newConfigCmd(st),
		newManTopicCmd(g, st),
		newSignaturesCmd(st),
	)
	return root
}

// applyLogging reads --logging values; level= sets the log level.
func applyLogging(g *globalOptions) error {
	opts, err := app.ParseLogOptions(g.logging, g.logLevel)
	if err != nil {
		return err
	}
	g.logOpts = opts
	for _, v := range g.logging {
		if lv, ok := strings.CutPrefix(v, "level="); ok {
			g.logLevel = strings.ToLower(lv)
		}
	}
	return nil
}

func newLogger(level string, w io.Writer) *slog.Logger {
	l, err := app.ParseLogLevel(level)
	if err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}
