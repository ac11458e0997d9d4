package classroom

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The QR code of a join address reads back as that address with zbarimg, a decoder
// that shares no code with the encoder.
func TestQRCodeDecodes(t *testing.T) {
	zbar, err := exec.LookPath("zbarimg")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("zbarimg is required under CI=true (apt-get install -y zbar-tools)")
		}
		t.Skip("no zbarimg: apt-get install -y zbar-tools to check the QR codes")
	}
	for _, text := range []string{"http://127.0.0.1:8080/class/ABC234", "https://synack.example.edu/class/T2HRJU"} {
		m, err := QRModules(text)
		if err != nil {
			t.Fatal(err)
		}
		const scale = 8
		n := (len(m) + 2*QRBorder) * scale
		img := image.NewGray(image.Rect(0, 0, n, n))
		for y := range n {
			for x := range n {
				mx, my := x/scale-QRBorder, y/scale-QRBorder
				c := color.Gray{255}
				if mx >= 0 && my >= 0 && my < len(m) && mx < len(m) && m[my][mx] {
					c = color.Gray{0}
				}
				img.SetGray(x, y, c)
			}
		}
		name := filepath.Join(t.TempDir(), "qr.png")
		f, _ := os.Create(name)
		png.Encode(f, img)
		f.Close()
		out, err := exec.Command(zbar, "--raw", "-q", "-Sdisable", "-Sqrcode.enable", name).Output()
		if err != nil {
			t.Fatalf("zbarimg could not read the code of %q: %v", text, err)
		}
		if got := strings.TrimSpace(string(out)); got != text {
			t.Errorf("QR code of %q reads %q", text, got)
		}
	}
}

// The SVG draws exactly the modules: every dark module is inside one of its runs.
func TestQRSVGDrawsTheModules(t *testing.T) {
	const text = "http://127.0.0.1:8080/class/ABC234"
	m, _ := QRModules(text)
	svg, err := QRSVG(text, `join "here"`)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(svg, `aria-label="join &quot;here&quot;"`) || !strings.Contains(svg, `role="img"`) {
		t.Fatalf("the SVG has no text alternative: %.200s", svg)
	}
	dark := 0
	for _, row := range m {
		for _, d := range row {
			if d {
				dark++
			}
		}
	}
	// Each run "M x y h w v1 h-w z" covers w modules.
	drawn := 0
	for _, run := range strings.Split(svg[strings.Index(svg, ` d="`)+4:], "z")[:strings.Count(svg, "z")] {
		var x, y, w, w2 int
		if _, err := fmtSscanf(run, &x, &y, &w, &w2); err == nil {
			drawn += w
		}
	}
	if drawn != dark {
		t.Fatalf("the SVG draws %d modules, the code has %d dark ones", drawn, dark)
	}
}

func fmtSscanf(run string, x, y, w, w2 *int) (int, error) {
	return fmt.Sscanf(run, "M%d %dh%dv1h-%d", x, y, w, w2)
}
