package runtime

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestInstanceSeparatesDataFolders(t *testing.T) {
	a := instanceOf("/home/u/.local/share/warden/sockets")
	require.Equal(t, a, instanceOf("/home/u/.local/share/warden/sockets/"), "same folder, same instance")
	require.NotEqual(t, a, instanceOf("/tmp/other/sockets"))
	require.Regexp(t, `^[0-9a-f]{12}$`, a)
}
