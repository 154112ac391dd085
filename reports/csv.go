package reports

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/poolbench/poolbench/harness"
)

// CSVHeader is the header row of requests.csv.
var CSVHeader = []string{"mode", "request", "worker", "start_us", "latency_us", "ttfb_us", "result", "reused"}

// ModeRecords are the per-request records of one mode (harness
// ModeResult.Records), as requests.csv holds them.
type ModeRecords struct {
	Mode    string
	Records []harness.RequestRecord
}

// RecordsOf returns the per-request records of every mode of res that has
// any, in mode order.
func RecordsOf(res *harness.Result) []ModeRecords {
	var out []ModeRecords
	for _, m := range res.Modes {
		if len(m.Records) > 0 {
			out = append(out, ModeRecords{Mode: m.Mode, Records: m.Records})
		}
	}
	return out
}

// WriteCSV writes one row per recorded request: the mode, the request's
// number and worker, when it started (µs since its mode started), its
// latency and time to first byte (µs; empty when no byte arrived), "ok"
// or its error kind, and whether its connection was reused.
func WriteCSV(w io.Writer, modes []ModeRecords) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return fmt.Errorf("write requests CSV: %w", err)
	}
	us := func(d time.Duration) string { return strconv.FormatInt(d.Microseconds(), 10) }
	row := make([]string, len(CSVHeader))
	for _, m := range modes {
		for _, r := range m.Records {
			ttfb := ""
			if r.TTFB > 0 {
				ttfb = us(r.TTFB)
			}
			row = append(row[:0], m.Mode, strconv.Itoa(r.Index), strconv.Itoa(r.Worker),
				us(r.Start), us(r.Latency), ttfb, r.Kind, strconv.FormatBool(r.Reused))
			if err := cw.Write(row); err != nil {
				return fmt.Errorf("write requests CSV: %w", err)
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write requests CSV: %w", err)
	}
	return nil
}
