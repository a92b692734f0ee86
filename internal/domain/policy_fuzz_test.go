package domain

import "testing"

// FuzzParseRuleFilter checks that no filter text makes the parser or the matcher panic.
func FuzzParseRuleFilter(f *testing.F) {
	for _, s := range []string{"uid>=1000", "comm=bash,*sh", "data.pathname!=*shadow*", "retval<0", "container", "tree=1", "=", "!=", "data.=x", "uid<=", "comm=*"} {
		f.Add(s)
	}
	ev := event("setuid")
	f.Fuzz(func(t *testing.T, expr string) {
		flt, err := ParseRuleFilter(expr, "f:1:1")
		if err != nil {
			return
		}
		set := &PolicySet{parents: map[int]int{}}
		set.filterMatches(&flt, ev)
	})
}
