// Package ui serves Warden's web UI: one HTML page (a Go template) and the
// plain JavaScript and CSS it loads, all embedded in the binary. There is
// no build step and nothing is fetched from elsewhere.
//
//	GET /login    page.go   trades the one-time code in the address's
//	                        fragment for a session cookie (login.js)
//	GET /         page.go   the page, only for a top-level navigation from
//	                        the UI's own origin or typed by the user; it
//	                        carries no credential
//	GET /static/  static.go the embedded scripts, styles and icon; the
//	                        same under /static/retry/<n>/, where the page
//	                        loads them again when a download failed
//	                        (static/js/boot.js)
//
//	browser ──fetch /api/v1/… (the HttpOnly session cookie)──► host/api
//	        ──fetch …/events?follow=1 (NDJSON, read as a stream)──► live feed
//
// The handler is mounted by host/api behind its guard, so it only ever
// sees requests whose Host is localhost:<port> (or 127.0.0.1, [::1]), that
// no other site sent, and (but for the login page and the static files)
// from an authenticated caller. The page itself builds every element from data
// with textContent and attributes; a project's strings never become markup.
package ui
