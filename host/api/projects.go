package api

import (
	"net/http"
	"net/url"

	"github.com/warden-sh/warden/host/api/wire"

	"github.com/warden-sh/warden/host/project"
)

const (
	specShape = `expect {"name": "...", "workspace": "/abs/path", "agentType": "claude-code", ` +
		`"runtimes": ["node"], "mode": "restricted", "domains": ["github.com"], "ports": [5173], ` +
		`"image": "...", "env": {"KEY": "value"}, "allowSharedSuffixes": false}`
	patchShape = `expect any of {"name", "mode", "domains", "addDomains", "removeDomains", ` +
		`"ports", "addPorts", "removePorts", "image", "env", "setEnv", "unsetEnv", "runtimes", "allowSharedSuffixes"}`
)

// ProjectResult is the API's wire type (host/api/wire).
type ProjectResult = wire.ProjectResult

func (s *server) health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *server) presets(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.svc.Presets())
}

func (s *server) listProjects(w http.ResponseWriter, r *http.Request) {
	ps, err := s.svc.List(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if ps == nil {
		ps = []project.Project{}
	}
	writeJSON(w, http.StatusOK, ps)
}

func (s *server) createProject(w http.ResponseWriter, r *http.Request) {
	var spec project.Spec
	if code, e := decodeBody(w, r, &spec, specShape); e != nil {
		writeError(w, code, *e)
		return
	}
	p, err := s.svc.Create(r.Context(), spec)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", Prefix+"/projects/"+url.PathEscape(p.ID))
	writeJSON(w, http.StatusCreated, p)
}

func (s *server) getProject(w http.ResponseWriter, r *http.Request) {
	p, err := s.svc.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *server) updateProject(w http.ResponseWriter, r *http.Request) {
	var patch project.Patch
	if code, e := decodeBody(w, r, &patch, patchShape); e != nil {
		writeError(w, code, *e)
		return
	}
	if dry, e := dryRunRequested(r); e != nil || dry {
		if e != nil {
			writeError(w, http.StatusBadRequest, *e)
			return
		}
		s.dryRunProject(w, r, patch)
		return
	}
	p, push, err := s.svc.Update(r.Context(), r.PathValue("id"), patch)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ProjectResult{Project: p, Push: &push})
}

func (s *server) deleteProject(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.Delete(r.Context(), r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) startProject(w http.ResponseWriter, r *http.Request) {
	p, push, err := s.svc.Start(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ProjectResult{Project: p, Push: &push})
}

func (s *server) stopProject(w http.ResponseWriter, r *http.Request) {
	p, err := s.svc.Stop(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ProjectResult{Project: p})
}

func (s *server) restartProject(w http.ResponseWriter, r *http.Request) {
	p, push, err := s.svc.Restart(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ProjectResult{Project: p, Push: &push})
}

func (s *server) projectStatus(w http.ResponseWriter, r *http.Request) {
	st, err := s.svc.Status(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}
