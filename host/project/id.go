package project

import (
	"crypto/rand"
	"encoding/hex"
)

// IDLen is the length of a project ID.
const IDLen = 12

// NewID returns a fresh random project ID: 12 lower-case hex characters.
func NewID() string {
	var b [IDLen / 2]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails; it crashes the program instead
	return hex.EncodeToString(b[:])
}

// ValidID reports whether id has the form NewID produces.
func ValidID(id string) bool {
	if len(id) != IDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
