package main

import (
	"context"
	"io"
)

func cmdPacketdrill(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return usageErr("packetdrill: not available yet")
}

func cmdCompare(args []string, stdout, stderr io.Writer) error {
	return usageErr("compare: not available yet")
}
