package engine

import (
	"errors"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// connReads are the methods of tcp.Conn and tcp.Listener package engine may call: they
// read state and change nothing. Every call that acts on a socket (send, read, close,
// shutdown, abort, accept, an option) goes through the typed call layer, tcp.Sockets,
// whose one caller here is appsockets.go.
var connReads = map[string]bool{
	"State": true, "Deleted": true, "Buffered": true, "Tuple": true, "ISS": true,
	"AcceptQueueLen": true, "SynQueueLen": true,
}

// hostCalls are the methods of tcp.Host that are socket calls or act on every socket
// (a reboot): only the call layer makes them. (Seeding the Fast Open cookie cache, as
// an earlier visit would have, is the host's state, not a call.)
var hostCalls = map[string]bool{
	"Listen": true, "Connect": true, "ConnectMaxSeg": true, "ConnectOpts": true,
	"ConnectFastOpen": true, "Reboot": true,
}

// TestCallsGoThroughSockets type-checks the packages that tell stories (engine, and the
// TLS and QUIC carriers of engine/carry and engine/handshakes; test files aside) and
// checks that they make every socket call through tcp.Sockets: no call on a tcp.Conn
// or tcp.Listener but the reads in connReads, none of hostCalls; and in package engine
// no tcp.Sockets method outside appsockets.go, its one door to the call layer.
func TestCallsGoThroughSockets(t *testing.T) {
	for _, dir := range []string{".", "carry", "handshakes"} {
		checkCalls(t, dir)
	}
}

func checkCalls(t *testing.T, dir string) {
	out, err := exec.Command("go", "list", "-export", "-deps", "-f", "{{.ImportPath}}\t{{.Export}}", "./"+dir).Output()
	if errors.Is(err, exec.ErrNotFound) {
		t.Skipf("no go command here: %v", err)
	}
	if err != nil {
		t.Fatalf("go list -export -deps ./%s: %v", dir, err)
	}
	exports := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		path, file, _ := strings.Cut(line, "\t")
		exports[path] = file
	}
	fset := token.NewFileSet()
	names, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	conf := types.Config{Importer: importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		if exports[path] == "" {
			return nil, errors.New("no export data for " + path)
		}
		return os.Open(exports[path])
	})}
	info := &types.Info{Selections: map[*ast.SelectorExpr]*types.Selection{}}
	path := "synack/engine"
	if dir != "." {
		path += "/" + dir
	}
	if _, err := conf.Check(path, fset, files, info); err != nil {
		t.Fatalf("type-checking %s: %v", path, err)
	}
	var bad []string
	sockets := 0
	for sel, s := range info.Selections {
		if s.Kind() != types.MethodVal {
			continue
		}
		recv := s.Recv()
		if p, ok := recv.(*types.Pointer); ok {
			recv = p.Elem()
		}
		named, ok := recv.(*types.Named)
		if !ok || named.Obj().Pkg() == nil || named.Obj().Pkg().Path() != "synack/engine/tcp" {
			continue
		}
		pos := fset.Position(sel.Pos())
		typ, m := named.Obj().Name(), sel.Sel.Name
		switch {
		case (typ == "Conn" || typ == "Listener") && !connReads[m],
			typ == "Host" && hostCalls[m],
			typ == "Sockets" && dir == "." && filepath.Base(pos.Filename) != "appsockets.go":
			bad = append(bad, pos.String()+": calls tcp."+typ+"."+m+" (make the call through tcp.Sockets)")
		case typ == "Sockets":
			sockets++
		}
	}
	sort.Strings(bad)
	for _, b := range bad {
		t.Error(b)
	}
	if sockets == 0 && dir != "handshakes" {
		t.Errorf("%s calls no tcp.Sockets method: is the check looking at it?", path)
	}
}
