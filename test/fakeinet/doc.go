// Package fakeinet is the test suites' stand-in for the internet: an
// authoritative DNS server for a small zone that records every question it
// is asked, and echo (TCP and UDP, port 7) and HTTP (port 80) servers on the
// zone's addresses. The namespace suites run it in-process inside a network
// namespace; the Docker suites run cmd/fakeinet in a container.
package fakeinet
