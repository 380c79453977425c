package agent

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzCheck feeds definitions as a plugin could send them: whatever Check
// accepts is canonical (checking it again changes nothing) and has a name a
// preview URL can carry.
func FuzzCheck(f *testing.F) {
	seed, _ := json.Marshal(validDefinition())
	f.Add(seed)
	for _, d := range builtins {
		b, _ := json.Marshal(d)
		f.Add(b)
	}
	f.Add([]byte(`{"name":"x","displayName":"X","image":"x","command":["x"],"healthCheck":["x"],"domains":["*.Example.COM."],"configFolders":["/root/./.x/"]}`))
	f.Add([]byte(`{"name":"x","displayName":"X","image":"x","command":["x"],"healthCheck":["x"],"domains":["example.com","!gist.example.com","amazonaws.com"]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var d Definition
		if json.Unmarshal(body, &d) != nil {
			return
		}
		got, err := Check(d)
		if err != nil {
			return
		}
		require.True(t, ValidName(got.Name))
		again, err := Check(got)
		require.NoError(t, err)
		require.Equal(t, got, again)
	})
}
