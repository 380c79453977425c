package api

import (
	"net"
	"net/http"
	"net/url"
)

const loginShape = `expect {"code": "<the code after # in the login address>"}`

// loginBody is the body of POST /login.
type loginBody struct {
	Code string `json:"code"`
}

// login spends a one-time code and answers with a session cookie. The
// guard has already refused another origin; a wrong, spent or expired code
// gets 401 and no cookie.
func (s *server) login(w http.ResponseWriter, r *http.Request) {
	var body loginBody
	if code, e := decodeBody(w, r, &body, loginShape); e != nil {
		writeError(w, code, *e)
		return
	}
	id, ok := s.auth.redeem(body.Code)
	if !ok {
		writeError(w, http.StatusUnauthorized, apiError{
			Message: "this login address is unknown, used already or expired (each works once, for " + LoginCodeTTL.String() +
				"); run `warden ui` for a new one",
		})
		return
	}
	http.SetCookie(w, sessionCookie(id, int(SessionTTL.Seconds())))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// logout ends the caller's session and clears its cookie.
func (s *server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(SessionCookie); err == nil {
		s.auth.endSession(c.Value)
	}
	http.SetCookie(w, sessionCookie("", -1))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// newLoginCode answers POST /api/v1/login-codes (what `warden ui` calls)
// with a fresh login address.
func (s *server) newLoginCode(w http.ResponseWriter, r *http.Request) {
	lc, err := s.auth.NewLoginCode()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, lc)
}

// portOfOrigin is the port of http://host:port, or "".
func portOfOrigin(origin string) string {
	u, err := url.Parse(origin)
	if err != nil {
		return ""
	}
	_, port, err := net.SplitHostPort(u.Host)
	if err != nil {
		return ""
	}
	return port
}
