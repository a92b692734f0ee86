package policyfile

import "go.uber.org/fx"

// Module provides the policy Loader (it needs a Config and a *slog.Logger); the caller reads the
// -p/--policy paths with it.
var Module = fx.Module("policyfile", fx.Provide(NewWith))
