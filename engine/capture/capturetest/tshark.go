// Package capturetest finds the tools that check our captures.
package capturetest

import (
	"os"
	"os/exec"
	"testing"
)

// Tshark returns tshark's path. Without it the test is skipped, except under CI=true,
// where it fails: CI installs tshark, so its absence is a broken machine.
func Tshark(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("tshark")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tshark is required under CI=true (apt-get install -y tshark)")
		}
		t.Skip("tshark not installed: apt-get install -y tshark to run this test")
	}
	return path
}
