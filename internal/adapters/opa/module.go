package opa

import (
	"go.uber.org/fx"

	"github.com/seed-428f5ad7/tracee/internal/ports"
)

// SignatureModule provides the Rego signature loader (.rego files in signature directories), as
// itself (for Reload) and as a ports.SignatureLoader; the caller merges its result with the
// Go-plugin loader's. It needs a *slog.Logger.
var SignatureModule = fx.Module("opa-signatures",
	fx.Provide(NewSignatureLoader),
	fx.Provide(func(l *SignatureLoader) ports.SignatureLoader { return l }),
)

// FindingModule provides the finding-policy evaluator, as itself (for Reload) and as the agent's
// ports.PolicyEvaluator. It needs a FindingConfig and a *slog.Logger.
var FindingModule = fx.Module("opa-findings",
	fx.Provide(NewFindingEvaluator),
	fx.Provide(func(e *FindingEvaluator) ports.PolicyEvaluator { return e }),
)
