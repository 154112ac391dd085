// Package scenarios defines what a poolbench run does: the workload, the
// emulated network, how the mock server behaves, the protocol, the client
// modes to compare and the thresholds a gate checks; the built-in catalog
// of named scenarios; and the loader of scenario files.
//
// A scenario file is YAML of the same shape as Scenario. Every field is
// optional except that the result must validate; a zero field takes the
// default documented on it (SetDefaults). Durations are Go durations with a
// unit ("250ms", "2s"); a bare number other than 0 is refused, since
// nanoseconds are never what a scenario means.
//
//	name: wan-tls12                  # default: the file's base name
//	description: one line for listings and reports
//	workload:
//	  model: closed                  # closed (default) or open
//	  requests: 2000                 # N per mode (default 2000 without a duration)
//	  concurrency: 8                 # C: workers (closed), most in flight (open); default 8
//	  duration: 30s                  # bound each mode's sending time
//	  rate: 500                      # open model only: requests per second
//	  warmup: 0s                     # requests sent before each mode, not measured (0: start cold)
//	network:
//	  rtt: 25ms                      # round trip added by the mock's listener
//	server:
//	  latency:                       # service time of each request
//	    model: lognormal             # fixed (default), uniform (min, max) or lognormal
//	    median: 2ms
//	    sigma: 0.5
//	  idle_timeout: 1s               # close keep-alive connections idle longer
//	  max_requests_per_conn: 100     # close an HTTP/1.1 connection after that many
//	  seed: 1                        # latency samples are reproducible
//	  faults:                        # percent of requests, adding up to at most 100
//	    server_error_percent: 1      # 500
//	    too_many_requests_percent: 1 # 429 with Retry-After
//	    retry_after: 1s
//	    reset_percent: 0.5           # TCP RST before any answer
//	    slow_body_percent: 0.5       # half the body, a pause, the rest
//	    slow_body_delay: 200ms
//	    close_mid_response_percent: 0.5
//	protocol:
//	  http: http1                    # http1 (default) or http2
//	  tls: "1.3"                     # 1.3 (default) or 1.2
//	modes: [per-request, singleton]  # the first is the baseline
//	thresholds:                      # evaluated by the gate
//	  - singleton.dials <= concurrency
//
// Decoding is strict: an unknown field, a value of the wrong type or a
// second document is an error located by file:line:col, and validation
// reports every problem at once, each located at its value (or, for a value
// that is missing, at the section that lacks it).
package scenarios
