package mockserver

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests when any goroutine is still running
// after they finish: a transport, a listener or a worker left behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
