// Package wait holds the one way the host's loops pause.
package wait

import (
	"context"
	"time"
)

// Sleep waits for d or until ctx ends; it returns ctx's error in the
// second case, nil in the first.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
