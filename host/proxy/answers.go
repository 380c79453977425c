package proxy

import (
	"cmp"
	"slices"
	"sync"
	"sync/atomic"
)

// AnswerCount is how many answers of one status the proxy gave for one
// project's previews: the dev server's, passed on, or its own pages.
type AnswerCount struct {
	Project string
	Code    int
	Count   uint64
}

// answers counts answers by project and status on every path. A count
// that exists is found without a lock, so the event loops may add to it.
type answers struct{ m sync.Map } // answerKey -> *atomic.Uint64

type answerKey struct {
	project string
	code    int
}

func (a *answers) add(project string, code int) {
	k := answerKey{project, code}
	c, ok := a.m.Load(k)
	if !ok {
		c, _ = a.m.LoadOrStore(k, new(atomic.Uint64))
	}
	c.(*atomic.Uint64).Add(1)
}

func (a *answers) list() []AnswerCount {
	var out []AnswerCount
	a.m.Range(func(k, v any) bool {
		key := k.(answerKey)
		out = append(out, AnswerCount{Project: key.project, Code: key.code, Count: v.(*atomic.Uint64).Load()})
		return true
	})
	slices.SortFunc(out, func(x, y AnswerCount) int {
		return cmp.Or(cmp.Compare(x.Project, y.Project), cmp.Compare(x.Code, y.Code))
	})
	return out
}

// Answers lists the answers given so far for previews, by project and
// status (a request whose Host names no project is left out).
func (p *Proxy) Answers() []AnswerCount { return p.answers.list() }

// countPage notes a page of the proxy's own, of code, for the request to
// host, when host names a project.
func (p *Proxy) countPage(host string, code int) {
	if h, err := ParseHost(host); err == nil {
		p.answers.add(h.ProjectID, code)
	}
}
