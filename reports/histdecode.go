package reports

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Bounds on the geometry of a histogram read from a report. poolbench
// writes 1 µs .. 1 h at 3 significant digits (harness.NewHistogram), about
// 23k counters; a crafted header asking for 5 digits up to 2^62 would make
// a 64-byte string allocate 48 MB and cost a second to merge, so a report
// file could exhaust memory with a few hundred modes.
const (
	maxHistDigits  = 3
	maxHistHighest = 1 << 40 // µs: 12 days; with 3 digits, about 30k counters
)

// DecodeHistogram decodes a V2-compressed, base64 histogram from a report,
// refusing, before anything is allocated for it, a geometry beyond the
// bounds poolbench itself writes within.
func DecodeHistogram(enc string) (*hdrhistogram.Histogram, error) {
	raw, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return nil, fmt.Errorf("histogram: %w", err)
	}
	// 8 bytes of cookie and length, then a zlib stream whose first 40
	// bytes are the header: cookie, payload length, normalizing offset,
	// significant digits (int32 at 12), lowest (int64 at 16), highest
	// (int64 at 24), conversion ratio.
	if len(raw) < 8 {
		return nil, fmt.Errorf("histogram: %d bytes, too short", len(raw))
	}
	zr, err := zlib.NewReader(bytes.NewReader(raw[8:]))
	if err != nil {
		return nil, fmt.Errorf("histogram: %w", err)
	}
	var hdr [40]byte
	_, err = io.ReadFull(zr, hdr[:])
	zr.Close()
	if err != nil {
		return nil, fmt.Errorf("histogram: header: %w", err)
	}
	digits := int32(binary.BigEndian.Uint32(hdr[12:16]))
	highest := int64(binary.BigEndian.Uint64(hdr[24:32]))
	if digits > maxHistDigits || highest > maxHistHighest {
		return nil, fmt.Errorf("histogram: %d significant digits up to %d: want at most %d digits up to %d", digits, highest, maxHistDigits, int64(maxHistHighest))
	}
	return hdrhistogram.Decode([]byte(enc))
}
