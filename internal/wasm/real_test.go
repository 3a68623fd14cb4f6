package wasm

import (
	"context"
	"testing"

	"github.com/tetratelabs/wazero"
)

// TestRealModuleIsValid proves the hand-assembled seed module is a real
// module: wazero compiles it, and the reader and wazero agree on its
// interface and it passes the ABI checks.
func TestRealModuleIsValid(t *testing.T) {
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer r.Close(ctx)
	b := realModule()
	cm, err := r.CompileModule(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	m := mustRead(t, b)
	if v := append(CheckImports(m), CheckExports(m)...); len(v) != 0 {
		t.Errorf("violations: %v", v)
	}
	exp := cm.ExportedFunctions()
	for _, e := range m.Exports {
		if e.Kind != KindFunc {
			continue
		}
		d, ok := exp[e.Name]
		if !ok {
			t.Errorf("wazero does not see export %s", e.Name)
			continue
		}
		if len(d.ParamTypes()) != len(e.Type.Params) || len(d.ResultTypes()) != len(e.Type.Results) {
			t.Errorf("%s: wazero %v -> %v, reader %s", e.Name, d.ParamTypes(), d.ResultTypes(), e.Type)
		}
	}
	imps := cm.ImportedFunctions()
	if len(imps) != 1 || len(m.Imports) != 1 {
		t.Fatalf("imports: wazero %d, reader %d", len(imps), len(m.Imports))
	}
	if mod, name, _ := imps[0].Import(); mod != m.Imports[0].Module || name != m.Imports[0].Name {
		t.Errorf("import: wazero %s.%s, reader %s.%s", mod, name, m.Imports[0].Module, m.Imports[0].Name)
	}
}
