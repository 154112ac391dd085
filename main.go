// Command poolbench measures, publishes and guards HTTP client connection
// reuse: it drives an execution-API client under several client strategies
// against a TLS mock and compares what each costs in connections, TLS
// handshakes and latency.
//
// Usage:
//
//	poolbench                 run the default scenario and print the table
//	poolbench run [flags]     run a scenario
//	poolbench help            list the commands
//
// Exit codes: 0 ok, 1 a gate or check failed, 2 bad input or usage, 130
// stopped by SIGINT and 143 by SIGTERM (the report is still written,
// marked partial).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
)

// errUsage marks bad input: the process exits 2.
var errUsage = errors.New("usage")

// usageError returns an error that exits 2 with msg.
func usageError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}

// command is one subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, stdout, stderr io.Writer, args []string) error
}

// commands holds the subcommands; each file of a subcommand registers itself.
var commands = map[string]command{}

func main() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	// After the first signal, a second one kills the process at once.
	code := runSignals(sig, func() { signal.Reset(os.Interrupt, syscall.SIGTERM) }, os.Stdout, os.Stderr, os.Args[1:])
	os.Exit(code)
}

// Exit codes of a run stopped by a signal: 128 + the signal's number, as a
// shell reports a process killed by it.
const (
	exitSIGINT  = 130
	exitSIGTERM = 143
)

// stopped is the cause of a run's cancellation by a signal.
type stopped struct{ sig os.Signal }

func (e stopped) Error() string { return "stopped by " + signalName(e.sig) }

// ExitCode returns 130 for SIGINT, 143 for SIGTERM, 128+n for another
// signal n, and 1 for a signal without a number.
func (e stopped) ExitCode() int {
	switch e.sig {
	case os.Interrupt:
		return exitSIGINT
	case syscall.SIGTERM:
		return exitSIGTERM
	}
	if n, ok := e.sig.(syscall.Signal); ok {
		return 128 + int(n)
	}
	return 1
}

func signalName(s os.Signal) string {
	switch s {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}

// runSignals runs args as run does, stopping it at the first signal that
// arrives on sig, and returns the process's exit code. A stopped run sends
// no new request, gives the ones in flight a grace period, writes its
// report marked partial (and the --out bundle), and exits 130 (SIGINT) or
// 143 (SIGTERM). afterFirst, if set, runs once the first signal arrived.
// Tests inject sig.
func runSignals(sig <-chan os.Signal, afterFirst func(), stdout, stderr io.Writer, args []string) int {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	finished := make(chan struct{})
	watcher := make(chan struct{})
	go func() {
		defer close(watcher)
		select {
		case s := <-sig:
			cancel(stopped{s})
			if afterFirst != nil {
				afterFirst()
			}
		case <-finished:
		}
	}()
	err := run(ctx, stdout, stderr, args)
	// A signal after the run has returned does not count: the first
	// cancel wins, and this one says the run was over.
	cancel(nil)
	close(finished)
	<-watcher
	var st stopped
	if !errors.As(context.Cause(ctx), &st) {
		return exitCode(err, stderr)
	}
	if err != nil {
		exitCode(err, stderr) // prints it
		if errors.As(err, new(stopped)) {
			return st.ExitCode() // it said what stopped it
		}
	}
	// Not "the run is partial": serve, too, ends by a signal.
	fmt.Fprintf(stderr, "poolbench: %s\n", st)
	return st.ExitCode()
}

// run dispatches args to a subcommand. No subcommand (or a flag first)
// means "run".
func run(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	if len(args) == 0 || (strings.HasPrefix(args[0], "-") && !isHelp(args[0])) {
		return commands["run"].run(ctx, stdout, stderr, args)
	}
	if isHelp(args[0]) || args[0] == "help" {
		printUsage(stdout)
		return nil
	}
	c, ok := commands[args[0]]
	if !ok {
		return usageError("unknown command %q (see poolbench help)", args[0])
	}
	return c.run(ctx, stdout, stderr, args[1:])
}

func isHelp(a string) bool { return a == "-h" || a == "-help" || a == "--help" }

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "poolbench measures and guards HTTP client connection reuse.")
	fmt.Fprintln(w, "\nUsage: poolbench [command] [flags]   (no command: run the default scenario)")
	fmt.Fprintln(w, "\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'poolbench COMMAND --help' for a command's flags.")
	fmt.Fprintln(w, "Exit codes: 0 ok, 1 a gate or check failed, 2 bad input or usage.")
}

// exitCode maps err to the process exit code and prints it as one line.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "poolbench:", strings.TrimPrefix(err.Error(), errUsage.Error()+": "))
	var coded interface{ ExitCode() int }
	switch {
	case errors.As(err, &coded):
		return coded.ExitCode()
	case errors.Is(err, errUsage):
		return 2
	}
	return 1
}

// redactURL returns s with any userinfo replaced by "xxxxx" (a user name
// can be a token too), so a URL given on the command line can be quoted in
// a message. It works on strings url.Parse refuses too: everything between
// "://" and the last "@" before the path is hidden there.
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		if u.User != nil {
			u.User = url.User("xxxxx")
		}
		return u.String()
	}
	i := strings.Index(s, "://")
	if i < 0 {
		return s
	}
	rest := s[i+3:]
	end := len(rest)
	if j := strings.IndexAny(rest, "/?#"); j >= 0 {
		end = j
	}
	if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
		return s[:i+3] + "xxxxx" + rest[at:]
	}
	return s
}
