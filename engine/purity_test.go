package engine

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The house rule "the engine is sans-I/O, synchronous and deterministic" as a test: no
// non-test file under engine/ starts a goroutine, sleeps, reads the wall clock, draws
// global randomness, imports a package that reaches the outside world or registers
// anything from a func init, and nothing
// under engine/ imports the product's layers above it. Tools that touch the real world
// (the kernel packetdrill runner, the TLS and QUIC recorder) live in real/.

// impureExceptions are the packages under engine/ (paths relative to it) the purity
// rules do not hold for yet, each with the reason. The goal is an empty map.
var impureExceptions = map[string]string{}

// forbiddenTime are the functions of package time that read or wait on the wall clock.
var forbiddenTime = map[string]bool{
	"Now": true, "Since": true, "Until": true, "Sleep": true, "After": true,
	"AfterFunc": true, "Tick": true, "NewTimer": true, "NewTicker": true,
}

// allowedRand are the names of math/rand and math/rand/v2 that make or describe a seeded
// source; every other package-level name of theirs draws from the global source.
var allowedRand = map[string]bool{
	"New": true, "NewSource": true, "NewPCG": true, "NewChaCha8": true, "NewZipf": true,
	"Rand": true, "Source": true, "Source64": true, "PCG": true, "ChaCha8": true, "Zipf": true,
}

// forbiddenImport reports why an engine file may not import path, or "" if it may.
func forbiddenImport(path string) string {
	switch {
	case path == "crypto/rand":
		return "global randomness"
	case path == "os" || strings.HasPrefix(path, "os/"),
		path == "syscall" || strings.HasPrefix(path, "golang.org/x/sys/"):
		return "the operating system"
	case path == "net" || strings.HasPrefix(path, "net/") && path != "net/netip":
		return "the network"
	}
	return ""
}

// impurities returns what in one Go source file breaks the engine's purity rules, each as
// "file:line: what".
func impurities(fset *token.FileSet, f *ast.File) []string {
	var out []string
	report := func(pos token.Pos, format string, args ...any) {
		out = append(out, fmt.Sprintf("%s: %s", fset.Position(pos), fmt.Sprintf(format, args...)))
	}
	names := map[string]string{} // local name -> import path, for time and math/rand
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		if why := forbiddenImport(path); why != "" {
			report(imp.Pos(), "imports %s (%s)", path, why)
		}
		name := path[strings.LastIndex(path, "/")+1:]
		if path == "math/rand/v2" {
			name = "rand"
		}
		if imp.Name != nil {
			name = imp.Name.Name
		}
		switch path {
		case "time", "math/rand", "math/rand/v2":
			names[name] = path
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt:
			report(n.Pos(), "starts a goroutine")
		case *ast.FuncDecl:
			if n.Recv == nil && n.Name.Name == "init" {
				report(n.Pos(), "has a func init (the story catalogue is an explicit value, lessons/stories; nothing registers itself)")
			}
		case *ast.SelectorExpr:
			id, ok := n.X.(*ast.Ident)
			if !ok || id.Obj != nil { // a local variable, not a package
				return true
			}
			switch names[id.Name] {
			case "time":
				if forbiddenTime[n.Sel.Name] {
					report(n.Pos(), "calls time.%s (the wall clock)", n.Sel.Name)
				}
			case "math/rand", "math/rand/v2":
				if !allowedRand[n.Sel.Name] {
					report(n.Pos(), "uses %s.%s (global randomness; pass a seeded source)", names[id.Name], n.Sel.Name)
				}
			}
		}
		return true
	})
	return out
}

// TestEngineIsPure checks every non-test Go file under engine/. A package whose name
// ends in "test" (capture/capturetest) is test support, held to the rule that only test
// files import it.
func TestEngineIsPure(t *testing.T) {
	fset := token.NewFileSet()
	checked := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		dir := filepath.ToSlash(filepath.Dir(path))
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") ||
			strings.HasSuffix(dir, "test") || impureExceptions[dir] != "" {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		checked++
		for _, p := range impurities(fset, f) {
			t.Error(p)
		}
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); strings.HasSuffix(p, "test") && strings.HasPrefix(p, "synack/") {
				t.Errorf("%s: imports the test-support package %s outside a test", fset.Position(imp.Pos()), p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 30 {
		t.Fatalf("checked only %d files; is the walk looking at engine/?", checked)
	}
}

// TestEngineImportsNothingAbove checks the import graph of every package under engine/
// (test files aside): none of them may reach the web layer, the views, the lessons and
// their story catalogue, the browser assets or the real-world tools.
func TestEngineImportsNothingAbove(t *testing.T) {
	cmd := exec.Command("go", "list", "-e", "-deps", "-f", "{{.ImportPath}}", "./...")
	out, err := cmd.Output()
	if errors.Is(err, exec.ErrNotFound) {
		t.Skipf("no go command here: %v", err)
	}
	if err != nil {
		t.Fatalf("go list -deps ./...: %v", err)
	}
	above := []string{"synack/web", "synack/templates", "synack/lessons", "synack/static", "synack/real"}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps gave only %v", deps)
	}
	for _, dep := range deps {
		for _, a := range above {
			if dep == a || strings.HasPrefix(dep, a+"/") {
				t.Errorf("a package under engine/ depends on %s", dep)
			}
		}
	}
}

// TestEndpointStandsAlone checks that engine/tcp, the sans-I/O endpoint, depends on no
// other package of the module: not the simulator and its stories (engine), not the trace
// writers, diagram, wire, packetdrill, capture, lessons, web or real. Everything above it
// reaches it through its API; it reaches nothing.
func TestEndpointStandsAlone(t *testing.T) {
	cmd := exec.Command("go", "list", "-e", "-deps", "-f", "{{.ImportPath}}", "./tcp")
	out, err := cmd.Output()
	if errors.Is(err, exec.ErrNotFound) {
		t.Skipf("no go command here: %v", err)
	}
	if err != nil {
		t.Fatalf("go list -deps ./tcp: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 5 || deps[len(deps)-1] != "synack/engine/tcp" {
		t.Fatalf("go list -deps ./tcp gave %v", deps)
	}
	for _, dep := range deps {
		if dep != "synack/engine/tcp" && (dep == "synack" || strings.HasPrefix(dep, "synack/")) {
			t.Errorf("engine/tcp depends on %s", dep)
		}
	}
}

// The checker itself: each forbidden thing is caught, and the pure uses the engine needs
// (durations, net/netip, a seeded source) are not.
func TestImpuritiesCaught(t *testing.T) {
	bad := map[string]string{
		"goroutine":        "package p\nfunc f() { go func() {}() }",
		"sleep":            "package p\nimport \"time\"\nfunc f() { time.Sleep(1) }",
		"now":              "package p\nimport \"time\"\nvar x = time.Now()",
		"since, renamed":   "package p\nimport tm \"time\"\nvar x = tm.Since(tm.Time{})",
		"after":            "package p\nimport \"time\"\nvar x = time.After(1)",
		"timer":            "package p\nimport \"time\"\nvar x = time.NewTimer(1)",
		"ticker":           "package p\nimport \"time\"\nvar x = time.NewTicker(1)",
		"global rand":      "package p\nimport \"math/rand\"\nvar x = rand.Intn(3)",
		"global rand v2":   "package p\nimport \"math/rand/v2\"\nvar x = rand.N(3)",
		"crypto/rand":      "package p\nimport _ \"crypto/rand\"",
		"os":               "package p\nimport \"os\"\nvar x = os.Args",
		"os/exec":          "package p\nimport _ \"os/exec\"",
		"net":              "package p\nimport _ \"net\"",
		"net/http":         "package p\nimport _ \"net/http\"",
		"syscall":          "package p\nimport _ \"syscall\"",
		"x/sys/unix":       "package p\nimport _ \"golang.org/x/sys/unix\"",
		"goroutine method": "package p\ntype T struct{}\nfunc (T) run() {}\nfunc f(t T) { go t.run() }",
		"init":             "package p\nvar m = map[string]int{}\nfunc init() { m[\"x\"] = 1 }",
	}
	for name, src := range bad {
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, name+".go", src, 0)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := impurities(fset, f); len(got) == 0 {
			t.Errorf("%s: not caught", name)
		}
	}
	good := map[string]string{
		"duration":    "package p\nimport \"time\"\nvar x = 3 * time.Millisecond\nvar d time.Duration",
		"netip":       "package p\nimport \"net/netip\"\nvar x = netip.MustParseAddr(\"192.0.2.1\")",
		"seeded rand": "package p\nimport \"math/rand/v2\"\nvar r = rand.New(rand.NewPCG(1, 2))\nvar x = r.IntN(3)",
		"local time":  "package p\nfunc f() { type c struct{ Now int }; var time c; _ = time.Now }",
	}
	for name, src := range good {
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, name+".go", src, 0)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := impurities(fset, f); len(got) != 0 {
			t.Errorf("%s: flagged %v", name, got)
		}
	}
}
