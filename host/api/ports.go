package api

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/warden-sh/warden/host/daemon"
	"github.com/warden-sh/warden/host/proxy"
)

// PortsAnswer is GET .../ports: the daemon's view plus one chip per port
// that is declared or listening, with its preview URL.
type PortsAnswer struct {
	daemon.Ports
	Previews []PreviewChip `json:"previews"`
}

// PreviewChip is one port as the UI shows it.
type PreviewChip struct {
	Port int `json:"port"`
	// URL opens the preview (it answers only while Declared).
	URL          string `json:"url"`
	Declared     bool   `json:"declared"`
	Listening    bool   `json:"listening"`
	LoopbackOnly bool   `json:"loopbackOnly,omitempty"`
}

func (s *server) projectPorts(w http.ResponseWriter, r *http.Request) {
	ports, err := s.svc.Ports(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	listen, ok := localHost(r.Host) // the guard let only local Hosts through, or the socket
	if !ok {
		listen = s.port
	}
	writeJSON(w, http.StatusOK, PortsAnswer{Ports: ports, Previews: previewChips(ports, listen)})
}

// previewChips merges declared and listening ports, sorted by port.
func previewChips(p daemon.Ports, listen string) []PreviewChip {
	byPort := map[int]*PreviewChip{}
	chip := func(port int) *PreviewChip {
		c, ok := byPort[port]
		if !ok {
			h := proxy.Host{ProjectID: p.ID, AgentType: p.AgentType, Port: port}
			if n, err := strconv.Atoi(listen); err == nil {
				h.Listen = n
			}
			c = &PreviewChip{Port: port, URL: h.Origin() + "/"}
			byPort[port] = c
		}
		return c
	}
	for _, port := range p.Declared {
		chip(port).Declared = true
	}
	for _, l := range p.Listening {
		c := chip(l.Port)
		c.Listening, c.LoopbackOnly = true, l.LoopbackOnly
	}
	out := make([]PreviewChip, 0, len(byPort))
	for _, c := range byPort {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b PreviewChip) int { return a.Port - b.Port })
	return out
}
