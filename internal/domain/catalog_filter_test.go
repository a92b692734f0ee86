package domain

import (
	"strings"
	"testing"
)

func TestFilterEvents(t *testing.T) {
	all := cliCatalog().All()
	tests := []struct {
		filters []string
		want    string // first names, comma-joined ("" for none); "*N" checks only the count
	}{
		{[]string{"openat"}, "openat"},
		{[]string{"open*", "type=syscall"}, "open,open_by_handle_at,open_tree,open_tree_attr,openat,openat2"},
		{[]string{"tag=fs_file_ops", "openat*"}, "openat,openat2"},
		{[]string{"type=detector", "threat.severity=high"}, "code_injection,fileless_execution,k8s_cert_theft"},
		{[]string{"threat.mitre.technique=T1055"}, "code_injection"},
		{[]string{"threat.mitre.tactic=Credential Access"}, "k8s_cert_theft"},
		{[]string{"tag=fs", "threat.severity=critical"}, ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.filters, " "), func(t *testing.T) {
			got, err := FilterEvents(all, tt.filters)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, d := range got {
				names = append(names, d.Name)
			}
			if strings.Join(names, ",") != tt.want {
				t.Errorf("got %v, want %s", names, tt.want)
			}
		})
	}
	if _, err := FilterEvents(all, []string{"type=bogus"}); err == nil {
		t.Error("type=bogus accepted")
	}
}
