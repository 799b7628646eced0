package api_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// Every test in this package starts with t.Parallel() or with a comment
// saying why it cannot ("// Not parallel: it measures how long answers
// take."): each has its own database, mail server and queues, and this
// package is most of `make test`'s time (docs/performance.md), so a new
// test that forgets shows here.
func TestEveryTestSaysWhetherItRunsInParallel(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || !strings.HasPrefix(fn.Name.Name, "Test") || fn.Body == nil {
				continue
			}
			if len(fn.Body.List) > 0 && isParallelCall(fn.Body.List[0]) {
				continue
			}
			if saysWhyNot(f, fn) {
				continue
			}
			t.Errorf("%s: %s neither calls t.Parallel() first nor says why not (// Not parallel: …)", fset.Position(fn.Pos()), fn.Name.Name)
		}
	}
}

func isParallelCall(stmt ast.Stmt) bool {
	call, ok := stmt.(*ast.ExprStmt)
	if !ok {
		return false
	}
	c, ok := call.X.(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := c.Fun.(*ast.SelectorExpr)
	return ok && sel.Sel.Name == "Parallel"
}

// saysWhyNot reports whether fn's body opens with a "Not parallel:" comment.
func saysWhyNot(f *ast.File, fn *ast.FuncDecl) bool {
	first := fn.Body.Rbrace
	if len(fn.Body.List) > 0 {
		first = fn.Body.List[0].Pos()
	}
	for _, group := range f.Comments {
		if group.Pos() > fn.Body.Lbrace && group.End() < first && strings.Contains(group.Text(), "Not parallel:") {
			return true
		}
	}
	return false
}
