package shared

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParsePort(t *testing.T) {
	for in, want := range map[string]int{"1": 1, "53": 53, "5173": 5173, "65535": 65535} {
		got, err := ParsePort(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got)
	}
	for _, in := range []string{"", "0", "00", "080", "65536", "99999", "100000", "-1", "+80", " 80", "80 ", "8o", "0x50", "٣"} {
		_, err := ParsePort(in)
		require.Error(t, err, "%q", in)
		require.ErrorContains(t, err, "1 to 65535")
	}
}

func FuzzParsePort(f *testing.F) {
	for _, s := range []string{"1", "65535", "65536", "0", "08", "-1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParsePort(s)
		if err != nil {
			return
		}
		if n < 1 || n > 65535 || strconv.Itoa(n) != s {
			t.Fatalf("ParsePort(%q) = %d: not the one spelling of a port", s, n)
		}
	})
}
