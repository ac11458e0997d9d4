package packetdrill

import (
	"errors"
	"go/ast"
	goparser "go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"synack/engine/catalog"
	"synack/engine/tcp"
)

// Every message the parser and the runner can give has a key, and the catalogue says
// it word for word in English (so the page's English reads as the command line does)
// and in Chinese with the same arguments (the catalogue's own tests check those).
func TestEveryMessageHasAKeyInTheCatalogue(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fs := token.NewFileSet()
	found := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := goparser.ParseFile(fs, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(af, func(n ast.Node) bool {
			c, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			idx := -1
			switch fn := c.Fun.(type) {
			case *ast.Ident:
				if fn.Name == "fail" {
					idx = 1
				}
			case *ast.SelectorExpr:
				if fn.Sel.Name == "errf" {
					idx = 2
				}
			}
			if idx < 0 || len(c.Args) <= idx {
				return true
			}
			lit, ok := c.Args[idx].(*ast.BasicLit)
			if !ok {
				t.Errorf("%s: a message that is not a literal has no key", fs.Position(c.Pos()))
				return true
			}
			format, _ := strconv.Unquote(lit.Value)
			found++
			if format == "%v" {
				return true // passes another error on (keyed)
			}
			key, ok := messageKeys[format]
			if !ok {
				t.Errorf("%s: message %q has no key in messageKeys (keys.go) and engine/catalog/packetdrill.json", fs.Position(c.Pos()), format)
				return true
			}
			if !catalog.Has("packetdrill." + key) {
				t.Errorf("%s: key packetdrill.%s is not in the catalogue", fs.Position(c.Pos()), key)
			} else if en := catalog.T("packetdrill." + key).EN; en != format {
				t.Errorf("packetdrill.%s: catalogue's English %q, the runner's %q", key, en, format)
			}
			return true
		})
	}
	if found < 50 {
		t.Fatalf("found %d messages: the search for fail() and errf() calls is broken", found)
	}
	if en := catalog.T("packetdrill." + messageKeys[tooBigFormat]).EN; en != tooBigFormat {
		t.Errorf("too-big: catalogue's English %q, Parse's %q", en, tooBigFormat)
	}
}

// A failing run and a script that does not parse carry a key and arguments that say
// in Chinese what Msg says in English, and the failure names the packet line expected
// and what was sent instead.
func TestFailuresCarryKeyArgsAndSegments(t *testing.T) {
	_, err := Parse("bad.pkt", []byte("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < S 0:0(0) win 1000 <mss 1460> junk\n"))
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("Parse = %v, want a ParseError", err)
	}
	if pe.Key == "" || catalog.F("packetdrill."+pe.Key, pe.Args...).EN != pe.Msg {
		t.Errorf("parse error %q: key %q args %v", pe.Msg, pe.Key, pe.Args)
	}
	if zh := catalog.F("packetdrill."+pe.Key, pe.Args...).ZH; zh == pe.Msg || zh == "" {
		t.Errorf("parse error in Chinese = %q", zh)
	}

	// The stack answers a SYN with SYN-ACK; the script expects a RST on line 5.
	src := `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>
+0 > R 0:0(0)
`
	sc, err := Parse("rst.pkt", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	res := Run(sc, NewEngineStack(tcp.LinuxProfile()))
	if res.Pass || res.Line != 6 {
		t.Fatalf("Run = %s, want a failure on line 6", res)
	}
	if res.Key != "run.flags-differ" {
		t.Errorf("Key = %q, want run.flags-differ (%s)", res.Key, res.Msg)
	}
	if got := catalog.F("packetdrill."+res.Key, res.Args...); got.EN != res.Msg || !strings.Contains(got.ZH, "标志位不同") {
		t.Errorf("catalogue text = %+v, Msg %q", got, res.Msg)
	}
	if res.Expected == nil || res.Expected.Flags != tcp.RST || res.Expected.Inbound {
		t.Errorf("Expected = %+v, want the outbound R of line 6", res.Expected)
	}
	if res.Sent == nil || res.Sent.Seg.Flags != tcp.SYN|tcp.ACK {
		t.Errorf("Sent = %+v, want the SYN-ACK the stack sent", res.Sent)
	}

	// Nothing sent: the line expected, nothing instead.
	sc, _ = Parse("none.pkt", []byte(src[:strings.Index(src, "+0 < S")]+"+0 > S. 0:0(0) ack 1 <...>\n"))
	res = Run(sc, NewEngineStack(tcp.LinuxProfile()))
	if res.Pass || res.Key != "run.nothing-sent" || res.Expected == nil || res.Sent != nil {
		t.Errorf("Run = %s (key %q, expected %v, sent %v), want nothing-sent with the line and no segment", res, res.Key, res.Expected, res.Sent)
	}
}
