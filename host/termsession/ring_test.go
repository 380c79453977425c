package termsession

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRingKeepsTheLastBytes(t *testing.T) {
	tests := []struct {
		name   string
		size   int
		writes []string
		want   string
	}{
		{"empty", 4, nil, ""},
		{"under size", 8, []string{"ab", "cd"}, "abcd"},
		{"exactly full", 4, []string{"ab", "cd"}, "abcd"},
		{"wraps once", 4, []string{"abc", "def"}, "cdef"},
		{"wraps many times", 3, []string{"a", "b", "c", "d", "e", "f", "g"}, "efg"},
		{"one write larger than the ring", 4, []string{"ab", "0123456789"}, "6789"},
		{"write after a large one", 4, []string{"0123456789", "xy"}, "89xy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRing(tt.size)
			var all strings.Builder
			for _, w := range tt.writes {
				r.Write([]byte(w))
				all.WriteString(w)
				// After every write the ring holds the tail of all written.
				s := all.String()
				want := s[max(0, len(s)-tt.size):]
				require.Equal(t, want, string(r.Bytes()))
			}
			require.Equal(t, tt.want, string(r.Bytes()))
		})
	}
}
