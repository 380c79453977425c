package termsession

import "github.com/warden-sh/warden/host/api/termwire"

// Info describes the session as the API lists it.
func (s *Session) Info() termwire.SessionInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	info := termwire.SessionInfo{
		Name: s.cfg.Name, Kind: s.cfg.Kind, Command: append([]string{}, s.cfg.Command...),
		Started: s.started.UTC(), Clients: len(s.clients), Running: s.ended.IsZero(),
		Rows: s.rows, Cols: s.cols,
	}
	if !s.ended.IsZero() {
		info.Ended = s.ended.UTC()
		if s.code != nil {
			code := *s.code
			info.ExitCode = &code
		}
		if s.err != nil {
			info.Error = s.err.Error()
		}
	}
	return info
}
