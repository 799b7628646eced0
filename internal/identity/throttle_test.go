package identity

import (
	"testing"
	"time"
)

func TestSlowdownDoublesToItsBound(t *testing.T) {
	for failures, want := range map[int]time.Duration{
		0: 0, 4: 0, 5: time.Second, 6: 2 * time.Second, 7: 4 * time.Second, 8: 8 * time.Second, 9: 10 * time.Second, 1000: 10 * time.Second,
	} {
		if got := DefaultSettings.slowdown(failures); got != want {
			t.Errorf("after %d failures: %s, want %s", failures, got, want)
		}
	}
}
