package wire

import (
	"time"
)

// Suggestion is an allowlist entry that would allow names the agent was
// refused: their registrable domain (never a public suffix), or the name
// itself when that domain has public suffixes under it.
type Suggestion struct {
	Entry string `json:"entry"`
	// Count is how many refusals the entry would have allowed.
	Count    int              `json:"count"`
	LastSeen time.Time        `json:"lastSeen"`
	Names    []SuggestionName `json:"names"`
}

// SuggestionName is one refused name under a suggested entry.
type SuggestionName struct {
	Name     string    `json:"name"`
	Count    int       `json:"count"`
	LastSeen time.Time `json:"lastSeen"`
}
