package main

import (
	"errors"
	"github.com/seed-428f5ad7/tracee/internal/app"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/protocol"
)

type initSig struct {
	id      string
	initErr error
	closed  bool
}

func (s *initSig) GetMetadata() (detect.SignatureMetadata, error) {
	return detect.SignatureMetadata{ID: s.id, EventName: "ev_" + s.id}, nil
}
func (s *initSig) GetSelectedEvents() ([]detect.SignatureEventSelector, error) { return nil, nil }
func (s *initSig) Init(detect.SignatureContext) error                          { return s.initErr }
func (s *initSig) Close()                                                      { s.closed = true }
func (s *initSig) OnEvent(protocol.Event) error                                { return nil }
func (s *initSig) OnSignal(detect.Signal) error                                { return nil }

func TestDryInit_reports_and_drops_signatures_whose_Init_fails(t *testing.T) {
	good, bad := &initSig{id: "GOOD"}, &initSig{id: "BAD", initErr: errors.New("needs a data source")}
	var res domain.LoadResult
	for _, s := range []*initSig{good, bad} {
		md, _ := s.GetMetadata()
		res.Signatures = append(res.Signatures, domain.LoadedSignature{Signature: s,
			Info: domain.SignatureInfo{Metadata: md, Origin: "/plugins/" + s.id + ".so"}})
	}
	out := app.DryInit(res, slog.New(slog.DiscardHandler))
	require.Len(t, out.Signatures, 1)
	assert.Equal(t, "GOOD", out.Signatures[0].Info.Metadata.ID)
	require.Len(t, out.Problems, 1)
	assert.Contains(t, out.Problems[0].String(), "/plugins/BAD.so: signature BAD: Init: needs a data source")
	assert.True(t, good.closed, "list closes what it initialised")
}
