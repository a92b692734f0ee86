package domain_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/internal/domain"
	"github.com/seed-428f5ad7/tracee/types/detect"
)

const elfMagic = "\x7fELF"

// magicSig is a signature that may declare a MagicInterest and an OpenInterest.
type magicSig struct {
	*fakeSignature
	magic *domain.MagicInterest
	open  *domain.OpenInterest
}

func (s magicSig) MagicInterest() (domain.MagicInterest, bool) {
	if s.magic == nil {
		return domain.MagicInterest{}, false
	}
	return *s.magic, true
}

func (s magicSig) OpenInterest() (domain.OpenInterest, bool) {
	if s.open == nil {
		return domain.OpenInterest{}, false
	}
	return *s.open, true
}

func TestInterestOf_is_the_union_or_off(t *testing.T) {
	elf := &domain.MagicInterest{Prefixes: []string{elfMagic}}
	script := &domain.MagicInterest{Prefixes: []string{"#!"}}
	shadow := &domain.OpenInterest{Names: []string{"shadow"}}
	writes := &domain.OpenInterest{Writes: true}
	declaring := func(id, event string, m *domain.MagicInterest, o *domain.OpenInterest, selected ...string) magicSig {
		s := newSig(id, event)
		for _, e := range selected {
			s.selectors = append(s.selectors, sel(e, "*"))
		}
		return magicSig{fakeSignature: s, magic: m, open: o}
	}
	tests := []struct {
		name      string
		sigs      []magicSig
		plain     []*fakeSignature // without either method (Tracee's own, Rego)
		events    []string         // -e; none selects every signature
		wantMagic []string         // nil: off
		wantOpen  *domain.OpenInterest
	}{
		{
			name: "two declaring signatures: the union",
			sigs: []magicSig{
				declaring("S-1", "elf", elf, shadow, "magic_write", "security_file_open"),
				declaring("S-2", "script", script, writes, "magic_write", "security_file_open"),
			},
			wantMagic: []string{"#!", elfMagic},
			wantOpen:  &domain.OpenInterest{Writes: true, Names: []string{"shadow"}},
		},
		{
			name:      "a signature without the method selects the event: off",
			sigs:      []magicSig{declaring("S-1", "elf", elf, shadow, "magic_write", "security_file_open")},
			plain:     []*fakeSignature{newSig("T-1", "tracee_sig", sel("magic_write", "*"), sel("security_file_open", "*"))},
			wantMagic: nil,
			wantOpen:  nil,
		},
		{
			name:      "a signature declaring nothing: off",
			sigs:      []magicSig{declaring("S-1", "elf", nil, nil, "magic_write", "security_file_open")},
			wantMagic: nil,
			wantOpen:  nil,
		},
		{
			name:      "a signature selecting every event (*) without the method: off",
			sigs:      []magicSig{declaring("S-1", "elf", elf, shadow, "magic_write", "security_file_open")},
			plain:     []*fakeSignature{newSig("T-1", "all", sel("*", "*"))},
			wantMagic: nil,
			wantOpen:  nil,
		},
		{
			name:      "a signature without the method that selects other events does not count",
			sigs:      []magicSig{declaring("S-1", "elf", elf, shadow, "magic_write", "security_file_open")},
			plain:     []*fakeSignature{newSig("T-1", "execs", sel("sched_process_exec", "*"))},
			wantMagic: []string{elfMagic},
			wantOpen:  shadow,
		},
		{
			name:      "a signature that is not selected does not count",
			sigs:      []magicSig{declaring("S-1", "elf", elf, shadow, "magic_write", "security_file_open")},
			plain:     []*fakeSignature{newSig("T-1", "tracee_sig", sel("magic_write", "*"), sel("security_file_open", "*"))},
			events:    []string{"elf"},
			wantMagic: []string{elfMagic},
			wantOpen:  shadow,
		},
		{
			name:      "-e magic_write: the magic filter is off, the open filter stays",
			sigs:      []magicSig{declaring("S-1", "elf", elf, shadow, "magic_write", "security_file_open")},
			events:    []string{"elf", "magic_write"},
			wantMagic: nil,
			wantOpen:  shadow,
		},
		{
			name:      "-e security_file_open: the open filter is off, the magic filter stays",
			sigs:      []magicSig{declaring("S-1", "elf", elf, shadow, "magic_write", "security_file_open")},
			events:    []string{"elf", "security_file_open"},
			wantMagic: []string{elfMagic},
			wantOpen:  nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sigs []detect.Signature
			for _, s := range tt.sigs {
				sigs = append(sigs, s)
			}
			for _, s := range tt.plain {
				sigs = append(sigs, s)
			}
			loaded := domain.Builtin(sigs)
			cat := domain.NewCatalog(domain.BaseEvents(), domain.SignatureEvents(loaded))
			selection, err := domain.Select(cat, tt.events)
			require.NoError(t, err)

			mi, ok := domain.MagicInterestOf(loaded, selection)
			assert.Equal(t, tt.wantMagic != nil, ok, "magic filter on")
			if tt.wantMagic != nil {
				assert.Equal(t, tt.wantMagic, mi.Prefixes)
			}
			oi, ok := domain.OpenInterestOf(loaded, selection)
			assert.Equal(t, tt.wantOpen != nil, ok, "open filter on")
			if tt.wantOpen != nil {
				assert.Equal(t, tt.wantOpen.Writes, oi.Writes)
				assert.Equal(t, tt.wantOpen.Names, oi.Names)
			}
		})
	}
}
