package kube

import (
	"testing"

	"github.com/warden-sh/warden/shared"
)

// TestKubeModes switches one project's pod through every mode through its
// ConfigMap and probes the fake internet from the agent container after
// each switch.
func TestKubeModes(t *testing.T) {
	e := newEnv(t)
	p := newProject(t, shared.ModeRestricted, "allowed.test")
	e.start(t, p)

	for _, tc := range []struct {
		mode               shared.Mode
		allowedOK, otherOK bool
	}{
		{shared.ModeRestricted, true, false},
		{shared.ModeFull, true, true},
		{shared.ModeNone, false, false},
		{shared.ModeRestricted, true, false},
	} {
		t.Run(string(tc.mode), func(t *testing.T) {
			e.put(t, p.ID, shared.Policy{Mode: tc.mode, Domains: []string{"allowed.test"}})
			for name, want := range map[string]bool{"allowed.test": tc.allowedOK, "other.test": tc.otherOK} {
				r := e.reach(t, p.ID, name)
				if r.OK != want {
					t.Errorf("%s mode: reaching %s: ok=%v (%s); want ok=%v", tc.mode, name, r.OK, r.Error, want)
				}
				if want && r.Status != 200 {
					t.Errorf("%s mode: %s answered %d %q; want 200 from the fake internet", tc.mode, name, r.Status, r.Reply)
				}
			}
		})
	}
}

// TestKubeLiveDomainEdit adds a name to a running project's allowlist by
// editing its ConfigMap: the name is refused before and reached after,
// without restarting anything.
func TestKubeLiveDomainEdit(t *testing.T) {
	e := newEnv(t)
	p := newProject(t, shared.ModeRestricted, "allowed.test")
	e.start(t, p)
	if r := e.reach(t, p.ID, "added.test"); r.OK {
		t.Fatalf("added.test reached before it was allowed: %+v", r)
	}
	before := e.exec(t, p.ID, "agent", "cat", "/proc/1/stat")
	e.put(t, p.ID, shared.Policy{Mode: shared.ModeRestricted, Domains: []string{"allowed.test", "added.test"}})
	if r := e.reach(t, p.ID, "added.test"); !r.OK || r.Status != 200 {
		t.Fatalf("added.test not reached after the edit: %+v", r)
	}
	// And removed again: refused at once.
	e.put(t, p.ID, shared.Policy{Mode: shared.ModeRestricted, Domains: []string{"allowed.test"}})
	if r := e.reach(t, p.ID, "added.test"); r.OK {
		t.Fatalf("added.test still reached after it was removed: %+v", r)
	}
	if after := e.exec(t, p.ID, "agent", "cat", "/proc/1/stat"); after != before {
		t.Fatalf("the agent was restarted by the edit")
	}
}
