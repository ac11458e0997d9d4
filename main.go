// Command synack is a visual explainer of how TCP connections are made and torn down.
// It serves the explainer (the default), runs scenarios on the command line, and replays
// packetdrill scripts against its TCP engine or the real kernel.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var ee exitError
		if errors.As(err, &ee) {
			if ee.msg != "" {
				fmt.Fprintln(os.Stderr, "synack:", ee.msg)
			}
			os.Exit(ee.code)
		}
		fmt.Fprintln(os.Stderr, "synack:", err)
		os.Exit(1)
	}
}

// exitError carries a process exit status: 2 for bad usage or unparsable input, 1 for a
// failed check, 3 when the kernel runner lacks privileges.
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }

func usageErr(format string, args ...any) error {
	return exitError{code: 2, msg: fmt.Sprintf(format, args...)}
}

const usage = `usage: synack [command] [flags]

commands:
  serve        serve the explainer on http://127.0.0.1:8080 (the default)
  run ID       run a scenario and print or export its trace
  scenarios    list the scenario ids
  packetdrill  replay packetdrill scripts against the engine (or --kernel)
  compare      compare TCP, TLS 1.2/1.3 and QUIC handshakes
  import FILE  explain the TCP connections of a capture (pcap, pcapng, tcpdump -n text)
  loadgen      measure the server against a bare WebSocket echo server, on loopback

Run 'synack COMMAND -h' for a command's flags.
`

// run is the whole program; main only wires it to the process.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return cmdServe(ctx, args, stdout, stderr)
	case "run":
		return cmdRun(args, stdout, stderr)
	case "scenarios":
		return cmdScenarios(args, stdout, stderr)
	case "packetdrill":
		return cmdPacketdrill(ctx, args, stdout, stderr)
	case "compare":
		return cmdCompare(args, stdout, stderr)
	case "import":
		return cmdImport(args, stdout, stderr)
	case "loadgen":
		return cmdLoadgen(ctx, args, stdout, stderr)
	case "help", "-h", "--help":
		io.WriteString(stdout, usage)
		return nil
	}
	io.WriteString(stderr, usage)
	return usageErr("unknown command %q", cmd)
}
