package main

import (
	"io"
)

func cmdCompare(args []string, stdout, stderr io.Writer) error {
	return usageErr("compare: not available yet")
}
