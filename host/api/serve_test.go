package api

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/warden-sh/warden/shared"
)

func TestListenAddress(t *testing.T) {
	for _, tt := range []struct{ in, want, errHas string }{
		{in: "127.0.0.1:8090", want: "127.0.0.1:8090"},
		{in: ":9000", want: "127.0.0.1:9000"},
		{in: "localhost:8090", want: "localhost:8090"},
		{in: "[::1]:8090", want: "[::1]:8090"},
		{in: "0.0.0.0:8090", want: "0.0.0.0:8090"},
		{in: "8090", errHas: "expect host:port"},
		{in: "example.com:8090", errHas: `"example.com" is not an IP address`},
	} {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ListenAddress(tt.in)
			if tt.errHas != "" {
				require.ErrorContains(t, err, tt.errHas)
				require.ErrorContains(t, err, tt.in)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestCheckExposure(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:8090", "127.0.0.2:8090", "[::1]:8090", "localhost:8090", "[::ffff:127.0.0.1]:8090"} {
		require.NoError(t, CheckExposure(addr, false), addr)
	}
	for _, addr := range []string{"0.0.0.0:8090", "[::]:8090", "192.168.1.5:8090", "10.0.0.1:8090"} {
		err := CheckExposure(addr, false)
		require.ErrorContains(t, err, addr)
		require.ErrorContains(t, err, "--reachable-from-network")
		require.ErrorContains(t, err, "ssh -L")
		require.NoError(t, CheckExposure(addr, true), "the flag says the user meant it")
	}
}

func TestServeOnShutsDownWithStreamsOpen(t *testing.T) {
	svc := newFakeService()
	svc.live = make(chan shared.Event)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serveOn(ctx, ln, newTestServer(t, svc), testLogger(t), nil) }()

	base := "http://" + ln.Addr().String()
	get := func(url string) (*http.Response, error) {
		req, err := http.NewRequest("GET", url, nil)
		require.NoError(t, err)
		req.Host = "localhost:8090"
		req.Header.Set("Authorization", "Bearer "+testToken)
		return http.DefaultClient.Do(req)
	}
	resp, err := get(base + "/api/v1/health")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.JSONEq(t, `{"status":"ok"}`, string(body))

	stream, err := get(base + "/api/v1/projects/web/events?follow=1")
	require.NoError(t, err)
	defer stream.Body.Close()
	require.Equal(t, http.StatusOK, stream.StatusCode)

	cancel()
	select {
	case err := <-served:
		require.NoError(t, err)
	case <-time.After(shutdownGrace + time.Second):
		t.Fatal("serveOn did not return after its context ended")
	}
	_, err = io.ReadAll(stream.Body)
	require.NoError(t, err, "the open stream ends cleanly")
}
