package ui

import "embed"

// files holds the page template and everything under /static/.
//
//go:embed templates static
var files embed.FS
