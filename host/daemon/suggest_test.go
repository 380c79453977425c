package daemon

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/host/project"
	"github.com/warden-sh/warden/shared"
)

func TestSuggestionsGroupByRegistrableDomain(t *testing.T) {
	p := newProject(t, "web", project.DesiredStopped)
	p.Domains = append(p.Domains, "!gist.github.com")
	env := newTestEnv(t, p)
	at := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	refused := func(min int, kind shared.EventKind, name string) shared.Event {
		return shared.Event{Time: at.Add(time.Duration(min) * time.Minute), Kind: kind, Name: name, Protocol: "udp"}
	}
	require.NoError(t, env.st.AppendEvents(p.ID, []shared.Event{
		refused(1, shared.EventDNSRefused, "a.x.example.com"),
		refused(2, shared.EventDNSRefused, "b.x.example.com"),
		refused(3, shared.EventNameRefused, "a.x.example.com"),
		refused(4, shared.EventDNSRefused, "pypi.org"),
		refused(5, shared.EventDNSRefused, "foo.github.io"),     // github.io is a public suffix
		refused(6, shared.EventDNSRefused, "x.gist.github.com"), // under a deny entry: it would still be refused
		refused(7, shared.EventDNSRefused, "api.github.com"),    // allowed by now
		refused(8, shared.EventDNSRefused, "bucket.s3.amazonaws.com"),
		refused(9, shared.EventDNSRefused, "ec2.amazonaws.com"),   // amazonaws.com has public suffixes under it
		refused(10, shared.EventDNSRefused, "com"),                // a public suffix itself
		refused(11, shared.EventDNSRefused, `evil\.name.example`), // as the sidecar escapes a name that is not one
		{Time: at, Kind: shared.EventDNSAllowed, Name: "other.example.net", Protocol: "udp", Addresses: []string{"192.0.2.1"}},
	}))
	got, err := env.d.Suggestions(context.Background(), "web")
	require.NoError(t, err)
	min := func(m int) time.Time { return at.Add(time.Duration(m) * time.Minute) }
	require.Equal(t, []Suggestion{
		{Entry: "example.com", Count: 3, LastSeen: min(3), Names: []SuggestionName{
			{Name: "a.x.example.com", Count: 2, LastSeen: min(3)},
			{Name: "b.x.example.com", Count: 1, LastSeen: min(2)},
		}},
		{Entry: "ec2.amazonaws.com", Count: 1, LastSeen: min(9), Names: []SuggestionName{{Name: "ec2.amazonaws.com", Count: 1, LastSeen: min(9)}}},
		{Entry: "bucket.s3.amazonaws.com", Count: 1, LastSeen: min(8), Names: []SuggestionName{{Name: "bucket.s3.amazonaws.com", Count: 1, LastSeen: min(8)}}},
		{Entry: "foo.github.io", Count: 1, LastSeen: min(5), Names: []SuggestionName{{Name: "foo.github.io", Count: 1, LastSeen: min(5)}}},
		{Entry: "pypi.org", Count: 1, LastSeen: min(4), Names: []SuggestionName{{Name: "pypi.org", Count: 1, LastSeen: min(4)}}},
	}, got)

	_, err = env.d.Suggestions(context.Background(), "nosuch")
	require.ErrorIs(t, err, ErrNotFound)
}
