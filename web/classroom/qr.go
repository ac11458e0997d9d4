package classroom

import (
	"fmt"
	"strings"

	qr "github.com/piglig/go-qr"
)

// QRBorder is the quiet zone around a QR code, in modules (ISO/IEC 18004 asks for 4).
const QRBorder = 4

// QRModules returns the QR code of text (error correction M: a code on a projector
// photographed from the back row) as rows of dark (true) and light modules, without
// the quiet zone.
func QRModules(text string) ([][]bool, error) {
	code, err := qr.EncodeText(text, qr.Medium)
	if err != nil {
		return nil, fmt.Errorf("classroom: QR code of %q: %w", text, err)
	}
	n := code.Size()
	rows := make([][]bool, n)
	for y := range rows {
		rows[y] = make([]bool, n)
		for x := range rows[y] {
			rows[y][x] = code.Module(x, y)
		}
	}
	return rows, nil
}

// QRSVG draws the QR code of text as an SVG image: one path of unit squares on a
// white ground with the quiet zone, scaled by CSS. label is its text alternative.
func QRSVG(text, label string) (string, error) {
	m, err := QRModules(text)
	if err != nil {
		return "", err
	}
	n := len(m) + 2*QRBorder
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-label="%s" shape-rendering="crispEdges">`, n, n, escapeAttr(label))
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	for y, row := range m {
		for x := 0; x < len(row); x++ {
			if !row[x] {
				continue
			}
			// A run of dark modules is one rectangle.
			end := x
			for end+1 < len(row) && row[end+1] {
				end++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", x+QRBorder, y+QRBorder, end-x+1, end-x+1)
			x = end
		}
	}
	b.WriteString(`"/></svg>`)
	return b.String(), nil
}

func escapeAttr(s string) string {
	return strings.NewReplacer(`&`, "&amp;", `"`, "&quot;", `<`, "&lt;", `>`, "&gt;").Replace(s)
}
