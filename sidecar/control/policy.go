package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/warden-sh/warden/shared"
)

// MaxPolicyBytes caps the PUT /v1/policy body.
const MaxPolicyBytes = 1 << 20

const policyShape = `expect {"mode": "full"|"restricted"|"none", "domains": ["example.com", ...]}`

// decodePolicy reads one JSON policy from r and validates all of it. It
// refuses unknown fields, trailing data and an empty body.
func decodePolicy(r io.Reader) (shared.ValidPolicy, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var p shared.Policy
	if err := dec.Decode(&p); err != nil {
		if errors.Is(err, io.EOF) {
			return shared.ValidPolicy{}, fmt.Errorf("policy body is empty; %s", policyShape)
		}
		return shared.ValidPolicy{}, fmt.Errorf("reading policy body: %w; %s", err, policyShape)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			return shared.ValidPolicy{}, fmt.Errorf("reading policy body: %w", err)
		}
		return shared.ValidPolicy{}, fmt.Errorf("policy body has data after the JSON object; %s", policyShape)
	}
	return p.Validate()
}

func (s *Server) putPolicy(w http.ResponseWriter, r *http.Request) {
	vp, err := decodePolicy(http.MaxBytesReader(w, r.Body, MaxPolicyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge,
				fmt.Sprintf("policy body is larger than %d bytes", MaxPolicyBytes))
			return
		}
		s.log.Info("policy refused", "error", err)
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}

	s.applyMu.Lock()
	res, err := s.eng.Apply(context.WithoutCancel(r.Context()), vp)
	s.applyMu.Unlock()
	if err != nil {
		s.log.Error("applying policy", "policy", vp.String(), "error", err)
		writeError(w, http.StatusInternalServerError, fmt.Sprintf("applying policy %s: %v", vp, err))
		return
	}
	s.log.Info("policy applied", "policy", vp.String(), "durationMs", res.DurationMs)
	writeJSON(w, http.StatusOK, res)
}
