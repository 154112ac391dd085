//go:build race

package audit

// raceEnabled is true in a -race build. The analysistest runs type-check
// net/http and its dependencies from source, which the race detector
// slows several times over while checking nothing: the analyzers run
// sequentially. CI runs them in its plain `go test ./...` pass.
const raceEnabled = true
