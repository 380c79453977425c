package api

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/warden-sh/warden/host/api/wire"
)

// How long the browser's credentials last. A login code is printed to a
// terminal and typed or clicked at once; a session lasts a working day
// and every session ends with the daemon.
const (
	LoginCodeTTL = 5 * time.Minute
	SessionTTL   = 12 * time.Hour
	// SessionCookie holds a browser's session: HttpOnly, SameSite=Strict,
	// never readable by a script.
	SessionCookie = "warden_session"
	// LoginPath is the page that turns a login code into a session.
	LoginPath = "/login"
)

// Bounds on what unauthenticated traffic could otherwise grow: codes are
// minted only by authenticated callers, sessions only from codes.
const (
	maxLoginCodes = 32
	maxSessions   = 256
)

// Auth decides who is an authenticated caller: a connection on the unix
// socket (file permissions chose who may connect), the token in an
// Authorization header, or a session cookie made from a one-time login
// code. Codes and sessions live in memory only. It is safe for concurrent
// use.
type Auth struct {
	token  []byte
	origin string // http://localhost:<port>, where login addresses point
	now    func() time.Time

	mu       sync.Mutex
	codes    map[string]time.Time // sha256 of a code → its expiry
	sessions map[string]time.Time // sha256 of a session id → its expiry
}

// NewAuth returns an Auth accepting token and minting login addresses on
// origin (such as http://localhost:8090). An empty token is never accepted.
func NewAuth(token, origin string) *Auth {
	return &Auth{
		token:    []byte(token),
		origin:   strings.TrimSuffix(origin, "/"),
		now:      time.Now,
		codes:    map[string]time.Time{},
		sessions: map[string]time.Time{},
	}
}

// LoginCode is the API's wire type (host/api/wire).
type LoginCode = wire.LoginCode

// NewLoginCode mints a code that works once, within LoginCodeTTL. The code
// travels in the address's fragment, which a browser never sends to a
// server nor puts in a Referer.
func (a *Auth) NewLoginCode() (LoginCode, error) {
	code, err := randomHex()
	if err != nil {
		return LoginCode{}, err
	}
	now := a.now()
	exp := now.Add(LoginCodeTTL)
	a.mu.Lock()
	defer a.mu.Unlock()
	prune(a.codes, now)
	dropOldest(a.codes, maxLoginCodes-1)
	a.codes[digest(code)] = exp
	return LoginCode{URL: a.origin + LoginPath + "#" + code, ExpiresAt: exp.UTC()}, nil
}

// redeem spends a login code and returns a new session id; ok is false for
// a code that is unknown, spent or expired.
func (a *Auth) redeem(code string) (session string, ok bool) {
	if code == "" {
		return "", false
	}
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	key := digest(code)
	exp, found := a.codes[key]
	delete(a.codes, key) // a code is spent by its first use, even a late one
	if !found || !now.Before(exp) {
		return "", false
	}
	id, err := randomHex()
	if err != nil {
		return "", false
	}
	prune(a.sessions, now)
	dropOldest(a.sessions, maxSessions-1)
	a.sessions[digest(id)] = now.Add(SessionTTL)
	return id, true
}

// session reports whether id is a live session.
func (a *Auth) session(id string) bool {
	if id == "" {
		return false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	exp, ok := a.sessions[digest(id)]
	return ok && a.now().Before(exp)
}

// endSession forgets id; ending one that is gone is not an error.
func (a *Auth) endSession(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.sessions, digest(id))
}

// bearer compares the token in an Authorization header in constant time.
// The token is only ever taken from that header, never from a URL.
func (a *Auth) bearer(header string) bool {
	scheme, tok, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || len(a.token) == 0 {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), a.token) == 1
}

// caller is how a request proved who sent it.
type caller int

const (
	anonymous caller = iota
	viaSocket
	viaToken
	viaSession
)

// identify names the request's credential. A request that presents a
// credential that does not hold is anonymous, whatever else it carries.
func (a *Auth) identify(r *http.Request) caller {
	if onSocket(r.Context()) {
		return viaSocket
	}
	if auth := r.Header.Values("Authorization"); len(auth) > 0 {
		if len(auth) == 1 && a.bearer(auth[0]) {
			return viaToken
		}
		return anonymous
	}
	if c, err := r.Cookie(SessionCookie); err == nil && a.session(c.Value) {
		return viaSession
	}
	return anonymous
}

// sessionCookie is the cookie that carries a session: never readable by a
// script, sent only by the UI's own site, gone when the browser closes or
// the session ends.
func sessionCookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: SessionCookie, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode,
	}
}

func randomHex() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// digest keys the maps, so a lookup's timing says nothing about the secret
// and a memory dump holds no usable code or session.
func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return string(sum[:])
}

func prune(m map[string]time.Time, now time.Time) {
	for k, exp := range m {
		if !now.Before(exp) {
			delete(m, k)
		}
	}
}

// dropOldest removes the entries that expire first until m holds at most n.
func dropOldest(m map[string]time.Time, n int) {
	for len(m) > n {
		var oldest string
		var at time.Time
		for k, exp := range m {
			if oldest == "" || exp.Before(at) {
				oldest, at = k, exp
			}
		}
		delete(m, oldest)
	}
}
