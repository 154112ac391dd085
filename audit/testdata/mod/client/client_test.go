package client

import (
	"net/http"
	"testing"
)

func TestNoReuse(t *testing.T) {
	_ = &http.Transport{DisableKeepAlives: true} // allowed in tests
}
