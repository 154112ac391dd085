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
// Exit codes: 0 ok, 1 a gate or check failed, 2 bad input or usage.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Stdout, os.Stderr, os.Args[1:])
	stop()
	os.Exit(exitCode(err, os.Stderr))
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
