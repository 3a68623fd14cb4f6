package sdk_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/forgehq/forge/internal/wasm"
	"github.com/forgehq/forge/pkg/sdk"
)

var (
	buildOnce sync.Once
	fullWasm  []byte
	buildErr  string
)

// buildFull builds testdata/full, the extension using every SDK feature, as
// a wasip1 reactor (once per test binary).
func buildFull(t testing.TB) []byte {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "forge-sdk-build")
		if err != nil {
			buildErr = err.Error()
			return
		}
		defer os.RemoveAll(dir)
		out := filepath.Join(dir, "full.wasm")
		cmd := exec.CommandContext(context.Background(), gobin, "build", "-buildmode=c-shared", "-o", out, "./testdata/full")
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
		if msg, err := cmd.CombinedOutput(); err != nil {
			buildErr = err.Error() + "\n" + string(msg)
			return
		}
		fullWasm, err = os.ReadFile(out)
		if err != nil {
			buildErr = err.Error()
		}
	})
	if buildErr != "" {
		t.Fatalf("GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared ./testdata/full: %s", buildErr)
	}
	return fullWasm
}

func TestBuildWasip1(t *testing.T) {
	b := buildFull(t)
	if len(b) < 8 || string(b[:4]) != "\x00asm" {
		t.Fatalf("output is not a WebAssembly module (%d bytes)", len(b))
	}
}

func TestBuildNative(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH")
	}
	exe := filepath.Join(t.TempDir(), "full")
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	cmd := exec.CommandContext(context.Background(), gobin, "build", "-o", exe, "./testdata/full")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("native go build: %v\n%s", err, msg)
	}
}

// docTables reads the machine-readable tables of docs/abi.md: imports
// ("module.name" -> signature), exports (name -> signature or "memory") and
// error codes (SDK sentinel name -> code).
func docTables(t *testing.T) (imports, exports map[string]string, sentinels map[string]int32) {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "docs", "abi.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	funcRow := regexp.MustCompile("^\\| `((?:forge|wasi_snapshot_preview1)\\.[a-z0-9_]+)` \\| `([^`]+)` \\|")
	exportRow := regexp.MustCompile("^\\| `([a-z_<>]+)` \\| (?:`([^`]+)`|(memory)) \\|")
	codeRow := regexp.MustCompile("^\\| (-[0-9]+) \\| `[a-z_]+` \\| `(Err[A-Za-z]+)` \\|")
	imports, exports, sentinels = map[string]string{}, map[string]string{}, map[string]int32{}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			section = line
		}
		if m := funcRow.FindStringSubmatch(line); m != nil {
			imports[m[1]] = m[2]
		} else if m := exportRow.FindStringSubmatch(line); m != nil && strings.HasPrefix(section, "## 2. Exports") {
			exports[m[1]] = m[2] + m[3]
		} else if m := codeRow.FindStringSubmatch(line); m != nil {
			c, _ := strconv.Atoi(m[1])
			sentinels[m[2]] = int32(c)
		}
	}
	if len(imports) == 0 || len(exports) == 0 || len(sentinels) == 0 {
		t.Fatalf("docs/abi.md: tables not found")
	}
	return imports, exports, sentinels
}

// TestABIConformance builds the extension that uses every SDK feature and
// checks its imports and exports against the tables of docs/abi.md: every
// import is documented with the same signature, and every documented
// function is imported (the list is exactly what the SDK needs).
func TestABIConformance(t *testing.T) {
	docImports, docExports, _ := docTables(t)
	m, err := wasm.ReadModule(buildFull(t))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, imp := range m.Imports {
		key := imp.Module + "." + imp.Name
		seen[key] = true
		want, ok := docImports[key]
		switch {
		case !ok:
			t.Errorf("import %s is not in docs/abi.md", key)
		case imp.Kind != wasm.KindFunc:
			t.Errorf("import %s is a %s", key, imp.Kind)
		case imp.Type.String() != want:
			t.Errorf("import %s: signature %s, docs/abi.md %s", key, imp.Type, want)
		}
	}
	var unused []string
	for key := range docImports {
		if !seen[key] {
			unused = append(unused, key)
		}
	}
	sort.Strings(unused)
	if len(unused) > 0 {
		t.Errorf("documented but not imported by an SDK extension using every feature: %v", unused)
	}

	wantExports := map[string]string{
		"memory":                   docExports["memory"],
		"_initialize":              docExports["_initialize"],
		"forge_abi_version":        docExports["forge_abi_version"],
		"forge_on_weekly":          docExports["forge_on_<trigger>"],
		"forge_on_invoice_created": docExports["forge_on_<trigger>"],
	}
	for name, sig := range wantExports {
		e := m.Export(name)
		switch {
		case sig == "":
			t.Errorf("docs/abi.md has no signature for %s", name)
		case e == nil:
			t.Errorf("export %s missing", name)
		case sig == "memory":
			if e.Kind != wasm.KindMemory {
				t.Errorf("export %s is a %s", name, e.Kind)
			}
		case e.Type.String() != sig:
			t.Errorf("export %s: signature %s, docs/abi.md %s", name, e.Type, sig)
		}
	}
	if len(m.Exports) != len(wantExports) {
		t.Errorf("exports = %d, want %d", len(m.Exports), len(wantExports))
	}
	if v := append(wasm.CheckImports(m), wasm.CheckExports(m)...); len(v) > 0 {
		t.Errorf("ABI violations: %v", v)
	}
	if tr := wasm.Triggers(m); strings.Join(tr, ",") != "weekly,invoice_created" {
		t.Errorf("triggers = %v", tr)
	}
	if sdk.ABIVersion != wasm.ABIVersion {
		t.Errorf("sdk.ABIVersion %d, wasm.ABIVersion %d", sdk.ABIVersion, wasm.ABIVersion)
	}
}

// TestErrorCodesMatchDoc ties the SDK sentinels to the documented codes.
func TestErrorCodesMatchDoc(t *testing.T) {
	_, _, sentinels := docTables(t)
	vars := map[string]*sdk.Error{
		"ErrNotFound": sdk.ErrNotFound, "ErrDenied": sdk.ErrDenied, "ErrLimit": sdk.ErrLimit,
		"ErrInvalid": sdk.ErrInvalid, "ErrTooLarge": sdk.ErrTooLarge, "ErrInternal": sdk.ErrInternal,
		"ErrNoResult": sdk.ErrNoResult, "ErrUnavailable": sdk.ErrUnavailable,
	}
	if len(vars) != len(sentinels) {
		t.Errorf("docs/abi.md documents %d sentinels, the SDK has %d", len(sentinels), len(vars))
	}
	for name, code := range sentinels {
		v, ok := vars[name]
		if !ok {
			t.Errorf("docs/abi.md names sentinel %s, not in the SDK", name)
			continue
		}
		if int32(v.Code) != code {
			t.Errorf("%s: SDK code %d, docs/abi.md %d", name, v.Code, code)
		}
		if v.Code.String() != wasm.ErrorCode(code).String() {
			t.Errorf("%s: SDK name %q, wasm name %q", name, v.Code, wasm.ErrorCode(code))
		}
	}
}
