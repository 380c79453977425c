package control

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/warden-sh/warden/shared"
)

// FuzzPolicyBody checks that decoding a PUT /v1/policy body never panics and
// that whatever it accepts is a valid policy in canonical form.
func FuzzPolicyBody(f *testing.F) {
	for _, seed := range []string{
		`{"mode":"restricted","domains":["github.com","*.npmjs.org"]}`,
		`{"mode":"full","domains":[]}`,
		`{"mode":"none"}`,
		`{"mode":"restricted","domains":["https://evil.example/x"]}`,
		`{"mode":"restricted","domains":["bücher.example","xn--bcher-kva.example"]}`,
		`{"mode":"restricted","domains":["github.com","!gist.github.com","!*.Raw.GitHub.com."]}`,
		`{"mode":"restricted","domains":["!!github.com"]}`,
		`{"mode":"restricted","domains":["github.com."],"extra":1}`,
		`{"mode":"full"} {"mode":"none"}`,
		`{"Mode":"full","DOMAINS":null}`,
		`null`,
		`[]`,
		``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		vp, err := decodePolicy(bytes.NewReader(body))
		if err != nil {
			return
		}
		again, err := vp.Policy().Validate()
		require.NoError(t, err, "an accepted policy must validate again")
		require.Equal(t, vp, again, "an accepted policy is already canonical")

		var p shared.Policy
		require.NoError(t, json.Unmarshal(body, &p), "an accepted body is JSON")
		direct, err := p.Validate()
		require.NoError(t, err, "an accepted body validates on its own")
		require.Equal(t, vp, direct)
	})
}
