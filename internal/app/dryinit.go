package app

import (
	"log/slog"

	"github.com/seed-428f5ad7/tracee/internal/domain"
)

// DryInit initialises and closes every signature as the agent would, so that a signature whose
// Init fails or panics is reported (and left out) by list too.
func DryInit(res domain.LoadResult, log *slog.Logger) domain.LoadResult {
	cat := domain.NewCatalog(domain.SignatureEvents(res.Signatures))
	engine, problems := domain.NewEngine(domain.EngineConfig{DataSources: res.DataSources}, res.Signatures, cat, nil, log)
	engine.Close()
	if len(problems) == 0 {
		return res
	}
	ok := map[string]bool{}
	for _, info := range engine.Signatures() {
		ok[info.Origin+"\x00"+info.Metadata.ID] = true
	}
	kept := res.Signatures[:0:0]
	for _, s := range res.Signatures {
		if ok[s.Info.Origin+"\x00"+s.Info.Metadata.ID] {
			kept = append(kept, s)
		}
	}
	res.Signatures = kept
	res.Problems = append(res.Problems, problems...)
	return res
}
