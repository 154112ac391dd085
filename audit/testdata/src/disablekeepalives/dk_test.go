package disablekeepalives

import (
	"net/http"
	"testing"
)

// Tests may disable keep-alives to force fresh connections.
func TestFresh(t *testing.T) {
	tr := &http.Transport{DisableKeepAlives: true}
	tr.DisableKeepAlives = true
	_ = tr
}
