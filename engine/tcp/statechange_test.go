package tcp

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// The house rule "one choke point for state changes" as a test: in the engine's non-test
// files, a Conn's state field is assigned only in setState (which records the change) and
// given its birth state only in newConn.
func TestStateChangesGoThroughSetState(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.AssignStmt:
					for _, lhs := range n.Lhs {
						if sel, ok := lhs.(*ast.SelectorExpr); ok && sel.Sel.Name == "state" && fn.Name.Name != "setState" {
							t.Errorf("%s: %s assigns .state; change state through setState", fset.Position(n.Pos()), fn.Name.Name)
						}
					}
				case *ast.IncDecStmt:
					if sel, ok := n.X.(*ast.SelectorExpr); ok && sel.Sel.Name == "state" {
						t.Errorf("%s: %s changes .state; change state through setState", fset.Position(n.Pos()), fn.Name.Name)
					}
				case *ast.KeyValueExpr:
					if id, ok := n.Key.(*ast.Ident); ok && id.Name == "state" && fn.Name.Name != "newConn" {
						t.Errorf("%s: %s gives a TCB a state in a literal; only newConn sets the birth state", fset.Position(n.Pos()), fn.Name.Name)
					}
				}
				return true
			})
		}
	}
}
