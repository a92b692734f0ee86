package opa

import (
	"log/slog"

	"go.uber.org/fx"

	"github.com/seed-428f5ad7/tracee/internal/ports"
)

// SignatureModule provides the Rego signature loader (.rego files in signature directories); the
// caller merges its result with the Go-plugin loader's.
var SignatureModule = fx.Module("opa-signatures",
	fx.Provide(fx.Annotate(func(log *slog.Logger) *SignatureLoader { return NewSignatureLoader(log) })),
	fx.Provide(fx.Annotate(func(l *SignatureLoader) ports.SignatureLoader { return l })),
)

// FindingModule provides the finding-policy evaluator as the agent's PolicyEvaluator; it needs a
// FindingConfig and a *slog.Logger.
var FindingModule = fx.Module("opa-findings",
	fx.Provide(NewFindingEvaluator),
	fx.Provide(func(e *FindingEvaluator) ports.PolicyEvaluator { return e }),
)
