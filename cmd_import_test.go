package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"synack/engine"
	"synack/engine/capture"
)

// synack import lists a capture's connections as text and JSON, shows one as text, a
// trace, a diagram or a capture of its own, and refuses a broken file with the byte.
func TestCLIImport(t *testing.T) {
	dir := t.TempDir()
	tr, err := runScenario("https-tls13", engine.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "tls.pcapng")
	var b bytes.Buffer
	capture.WritePCAPNG(&b, tr, []byte(tr.Meta.KeyLog))
	os.WriteFile(file, b.Bytes(), 0o644)

	out, _, code := runCLI("import", file)
	if code != 0 || strings.Count(out, "\n") != 1 || !strings.Contains(out, "CLOSED > SYN-SENT > ESTABLISHED") {
		t.Fatalf("import: exit %d, %q", code, out)
	}
	out, _, code = runCLI("import", file, "--format", "json")
	var obj struct {
		Conn    int `json:"conn"`
		Packets int `json:"packets"`
		A       struct {
			Role   string   `json:"role"`
			States []string `json:"states"`
		} `json:"a"`
	}
	if err := json.Unmarshal([]byte(out), &obj); code != 0 || err != nil || obj.Packets != len(tr.Segments()) || obj.A.Role != "client" {
		t.Fatalf("import --format json: exit %d, %v, %q", code, err, out)
	}
	for _, f := range []struct{ format, want string }{
		{"text", "# scenario import"}, {"json", `{"t":"meta","scenario":"import"`}, {"svg", "<svg"},
	} {
		out, _, code := runCLI("import", file, "--conn", "0", "--format", f.format)
		if code != 0 || !strings.HasPrefix(out, f.want) {
			t.Errorf("--conn 0 --format %s: exit %d, %.80q", f.format, code, out)
		}
	}
	// The connection's own capture reads back with the same segments and the key log.
	one := filepath.Join(dir, "one.pcapng")
	if _, errOut, code := runCLI("import", file, "--conn", "0", "--format", "pcapng", "-o", one); code != 0 {
		t.Fatalf("--format pcapng: exit %d %s", code, errOut)
	}
	again, _, code := runCLI("import", one)
	first, _, _ := runCLI("import", file)
	if code != 0 || again != first {
		t.Errorf("the exported connection reads as\n%s\nnot\n%s", again, first)
	}
	if f, err := os.Open(one); err == nil {
		rd, err := capture.NewReader(f)
		for err == nil {
			_, err = rd.Next()
		}
		if string(rd.KeyLog()) != tr.Meta.KeyLog {
			t.Error("the exported connection lost its key log")
		}
		f.Close()
	}
	// Errors: a connection that is not there, a broken file, a bad format.
	if _, errOut, code := runCLI("import", file, "--conn", "1"); code != 2 || !strings.Contains(errOut, "has 1 connections") {
		t.Errorf("--conn 1: exit %d, %q", code, errOut)
	}
	broken := filepath.Join(dir, "broken.pcapng")
	os.WriteFile(broken, b.Bytes()[:len(b.Bytes())-10], 0o644)
	if _, errOut, code := runCLI("import", broken); code != 2 || !strings.Contains(errOut, "byte ") || !strings.Contains(errOut, "truncated") {
		t.Errorf("a truncated file: exit %d, %q", code, errOut)
	}
	if _, _, code := runCLI("import", file, "--format", "svg"); code != 2 {
		t.Errorf("--format svg without --conn: exit %d, want 2", code)
	}
}
