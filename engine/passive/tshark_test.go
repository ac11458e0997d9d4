package passive

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"synack/engine"
	"synack/engine/capture"
	"synack/engine/capture/capturetest"
	"synack/lessons/stories"
)

// A connection exported from an imported TLS 1.3 capture keeps its key log: tshark
// decrypts the handshake's encrypted messages (EncryptedExtensions 8, Certificate 11,
// CertificateVerify 15, Finished 20) from the exported file alone, as it does from the
// original.
func TestExportKeepsTheKeyLog(t *testing.T) {
	tshark := capturetest.Tshark(t)
	tr, err := stories.Default().Run("https-tls13", engine.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var orig bytes.Buffer
	capture.WritePCAPNG(&orig, tr, []byte(tr.Meta.KeyLog))
	res, err := Read(bytes.NewReader(orig.Bytes()), Options{Keep: 0})
	if err != nil {
		t.Fatal(err)
	}
	var one bytes.Buffer
	if err := WritePCAPNG(&one, res.Conns[0], res.KeyLog); err != nil {
		t.Fatal(err)
	}
	types := func(b []byte) string {
		path := filepath.Join(dir, "f.pcapng")
		os.WriteFile(path, b, 0o644)
		out, err := exec.Command(tshark, "-r", path, "-T", "fields", "-e", "tls.handshake.type").Output()
		if err != nil {
			t.Fatalf("tshark: %v", err)
		}
		return strings.Join(strings.Fields(string(out)), " ")
	}
	want, got := types(orig.Bytes()), types(one.Bytes())
	if got != want || !strings.Contains(got, "2,8,11,15,20") {
		t.Errorf("tshark reads the handshake types %q from the export, %q from the original; want 2,8,11,15,20 in both", got, want)
	}
}
