package harness

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"

	"github.com/poolbench/poolbench/execution"
)

// Error kinds, as counted in ModeResult.Errors. A failed request is data:
// it is counted under exactly one kind and the run goes on.
const (
	KindCanceled     = "canceled"       // the run was stopped while the request was in flight
	KindTimeout      = "timeout"        // the per-request timeout or a deadline expired
	KindRefused      = "refused"        // nothing listens at the target
	KindReset        = "reset"          // the peer reset the connection (HTTP/2: the stream)
	KindEOF          = "eof"            // the connection closed before the response was complete
	KindTLS          = "tls"            // handshake or certificate failure
	KindHTTP429      = "http_429"       // rate limited
	KindHTTP5xx      = "http_5xx"       // server error status
	KindHTTP4xx      = "http_4xx"       // other non-2xx status
	KindBodyTooLarge = "body_too_large" // the response exceeded the client's cap
	KindDecode       = "decode"         // the body was not the API's JSON
	KindMismatch     = "mismatch"       // the response does not belong to its request
	KindOther        = "other"          // anything else
)

// errMismatch marks a response that does not belong to its request.
var errMismatch = errors.New("response does not match its request")

// Classify returns the error kind of err ("" for nil).
func Classify(err error) string {
	if err == nil {
		return ""
	}
	var se *execution.StatusError
	var certErr *x509.CertificateInvalidError
	var uaErr x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var verr *tls.CertificateVerificationError
	var rhErr tls.RecordHeaderError
	var alert tls.AlertError
	var netErr net.Error
	switch {
	case errors.Is(err, errMismatch):
		return KindMismatch
	case errors.As(err, &se):
		switch {
		case se.Code == 429:
			return KindHTTP429
		case se.Code >= 500:
			return KindHTTP5xx
		default:
			return KindHTTP4xx
		}
	case errors.Is(err, execution.ErrBodyTooLarge):
		return KindBodyTooLarge
	case errors.Is(err, context.Canceled):
		return KindCanceled
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return KindTimeout
	case errors.As(err, &verr), errors.As(err, &certErr), errors.As(err, &uaErr),
		errors.As(err, &hostErr), errors.As(err, &rhErr), errors.As(err, &alert):
		return KindTLS
	case errors.Is(err, syscall.ECONNREFUSED):
		return KindRefused
	case errors.Is(err, syscall.ECONNRESET):
		return KindReset
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return KindEOF
	case errors.As(err, &netErr) && netErr.Timeout():
		return KindTimeout
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "decode response"):
		return KindDecode
	case strings.Contains(msg, "tls:"), strings.Contains(msg, "x509:"):
		return KindTLS
	case strings.Contains(msg, "connection reset"), strings.Contains(msg, "stream error:"):
		// "stream error: stream ID n; INTERNAL_ERROR; received from
		// peer": an HTTP/2 server reset the request's stream (the
		// analogue of a TCP reset, the connection lives on). net/http's
		// HTTP/2 error types are unexported, hence the text.
		return KindReset
	case strings.Contains(msg, "server closed idle connection"), strings.Contains(msg, "EOF"):
		return KindEOF
	case strings.Contains(msg, "Client.Timeout"), strings.Contains(msg, "timeout"):
		return KindTimeout
	}
	return KindOther
}
