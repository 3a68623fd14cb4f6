package wasm

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// abiDoc is what the machine-readable tables of docs/abi.md say.
type abiDoc struct {
	funcs   map[string]string // "module.name" -> signature
	stubs   map[string]bool   // "module.name" of stubbed WASI functions
	exports map[string]string // export name -> signature or "memory"
	codes   map[int32]string  // error code -> name
}

var (
	funcRow   = regexp.MustCompile("^\\| `((?:forge|wasi_snapshot_preview1)\\.[a-z0-9_]+)` \\| `([^`]+)` \\| (.*)\\|$")
	exportRow = regexp.MustCompile("^\\| `([a-z_<>]+)` \\| (?:`([^`]+)`|(memory)) \\|")
	codeRow   = regexp.MustCompile("^\\| (-[0-9]+) \\| `([a-z_]+)` \\|")
)

func readABIDoc(t testing.TB) *abiDoc {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "docs", "abi.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := &abiDoc{funcs: map[string]string{}, stubs: map[string]bool{}, exports: map[string]string{}, codes: map[int32]string{}}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			section = line
		}
		if m := funcRow.FindStringSubmatch(line); m != nil {
			if _, dup := d.funcs[m[1]]; dup {
				t.Errorf("docs/abi.md lists %s twice", m[1])
			}
			d.funcs[m[1]] = m[2]
			if strings.HasPrefix(strings.TrimSpace(m[3]), "stub") {
				d.stubs[m[1]] = true
			}
			continue
		}
		if m := exportRow.FindStringSubmatch(line); m != nil && strings.HasPrefix(section, "## 2. Exports") {
			d.exports[m[1]] = m[2] + m[3]
			continue
		}
		if m := codeRow.FindStringSubmatch(line); m != nil {
			c, _ := strconv.Atoi(m[1])
			d.codes[int32(c)] = m[2]
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(d.funcs) == 0 || len(d.exports) == 0 || len(d.codes) == 0 {
		t.Fatalf("docs/abi.md: tables not found (funcs %d, exports %d, codes %d)", len(d.funcs), len(d.exports), len(d.codes))
	}
	return d
}

// TestABIDocMatchesCode keeps docs/abi.md and abi.go from drifting.
func TestABIDocMatchesCode(t *testing.T) {
	d := readABIDoc(t)
	code := map[string]string{}
	for _, f := range append(append([]Func{}, HostFuncs...), WASIFuncs...) {
		key := f.Module + "." + f.Name
		code[key] = f.Type.String()
		if d.stubs[key] != f.Stub {
			t.Errorf("%s: stub in docs = %v, in abi.go = %v", key, d.stubs[key], f.Stub)
		}
	}
	for k, sig := range d.funcs {
		if code[k] != sig {
			t.Errorf("%s: docs/abi.md says %q, abi.go %q", k, sig, code[k])
		}
	}
	for k := range code {
		if _, ok := d.funcs[k]; !ok {
			t.Errorf("%s is in abi.go but not documented in docs/abi.md", k)
		}
	}
	wantExports := map[string]string{
		ExportMemory:                      "memory",
		ExportInitialize:                  InitializeType.String(),
		ExportABIVersion:                  ABIVersionType.String(),
		TriggerExportPrefix + "<trigger>": TriggerType.String(),
	}
	if !mapsEqual(d.exports, wantExports) {
		t.Errorf("exports: docs/abi.md %v, abi.go %v", d.exports, wantExports)
	}
	wantCodes := map[int32]string{}
	for _, c := range ErrorCodes {
		wantCodes[int32(c.Code)] = c.Name
		if c.Code.String() != c.Name {
			t.Errorf("ErrorCode(%d).String() = %q", c.Code, c.Code.String())
		}
	}
	if !mapsEqual(d.codes, wantCodes) {
		t.Errorf("error codes: docs/abi.md %v, abi.go %v", d.codes, wantCodes)
	}
	if !strings.Contains(mustReadFile(t, filepath.Join("..", "..", "docs", "abi.md")), "version "+strconv.Itoa(ABIVersion)) {
		t.Errorf("docs/abi.md does not name ABI version %d", ABIVersion)
	}
}

func mustReadFile(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mapsEqual[K comparable](a, b map[K]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestCheckImportsHandBuilt(t *testing.T) {
	m := newModule()
	m.section(SectionType, vec(
		functype([]ValType{I32, I32, I32}, nil),
		functype([]ValType{I32, I32}, []ValType{I32}),
		functype(nil, []ValType{I32}),
	))
	m.section(SectionImport, vec(
		importFunc("forge", "log", 0),                                 // ok
		importFunc("forge", "secret_get", 1),                          // ok
		importFunc("forge", "input", 1),                               // wrong signature
		importFunc("forge", "capability_call", 1),                     // not in the ABI
		importFunc("wasi_snapshot_preview1", "path_open", 1),          // file system
		importFunc("wasi_snapshot_preview1", "sock_accept", 1),        // sockets
		importFunc("wasi_snapshot_preview1", "fd_prestat_get", 1),     // allowed stub
		importFunc("env", "abort", 2),                                 // foreign module
		cat(str("forge"), str("memory"), []byte{0x02, 0x00}, uleb(1)), // not a function
	))
	mod := mustRead(t, m.b)
	var got []string
	for _, v := range CheckImports(mod) {
		got = append(got, v.String())
	}
	want := []string{
		"import forge.input (func): signature (i32, i32) -> i32, want () -> i32",
		"import forge.capability_call (func): no such function in Forge ABI version 1",
		"import wasi_snapshot_preview1.path_open (func): file system access is forbidden",
		"import wasi_snapshot_preview1.sock_accept (func): sockets are forbidden; use forge.http_send",
		`import env.abort (func): module "env" is not importable (only "forge" and "wasi_snapshot_preview1")`,
		"import forge.memory (memory): no such function in Forge ABI version 1",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("violations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestCheckExportsHandBuilt(t *testing.T) {
	m := newModule()
	m.section(SectionType, vec(functype(nil, []ValType{I32}), functype(nil, nil), functype([]ValType{I32}, []ValType{I32})))
	m.section(SectionFunction, vec(uleb(0), uleb(1), uleb(2)))
	m.section(SectionMemory, vec([]byte{0x00, 0x01}))
	m.section(SectionExport, vec(
		export("_initialize", KindFunc, 0), // wrong signature
		export("forge_on_weekly", KindFunc, 0),
		export("forge_on_Bad", KindFunc, 0),
		export("forge_on_args", KindFunc, 2),
		export("forge_debug", KindFunc, 1),
		export("_start", KindFunc, 1),
		export("helper", KindFunc, 1),
	))
	mod := mustRead(t, m.b)
	var got []string
	for _, v := range CheckExports(mod) {
		got = append(got, v.String())
	}
	want := []string{
		"export memory (memory): missing",
		"export _initialize (func): signature () -> i32, want () -> ()",
		"export forge_abi_version (func): missing",
		"export forge_on_Bad (func): invalid trigger name (want ^[a-z][a-z0-9_]{0,62}$)",
		"export forge_on_args (func): signature (i32) -> i32, want () -> i32",
		"export forge_debug (func): the forge_ export namespace is reserved",
		"export _start (func): modules must be WASI reactors (-buildmode=c-shared), not commands",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("violations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if tr := Triggers(mod); len(tr) != 1 || tr[0] != "weekly" {
		t.Errorf("Triggers = %v", tr)
	}
}

func TestTriggerNames(t *testing.T) {
	if TriggerExport("weekly") != "forge_on_weekly" {
		t.Error(TriggerExport("weekly"))
	}
	for name, ok := range map[string]bool{
		"weekly": true, "invoice_created": true, "a": true, "a" + strings.Repeat("b", 62): true,
		"": false, "Weekly": false, "1st": false, "a-b": false, "a" + strings.Repeat("b", 63): false, "_x": false,
	} {
		if ValidTrigger(name) != ok {
			t.Errorf("ValidTrigger(%q) = %v", name, !ok)
		}
	}
}

var (
	buildMu    sync.Mutex
	buildCache = map[string][]byte{}
)

// buildReactor builds the Go package in dir (relative to this package) as
// a wasip1 reactor and returns the module bytes.
func buildReactor(t testing.TB, dir string) []byte {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH")
	}
	buildMu.Lock()
	defer buildMu.Unlock()
	if b, ok := buildCache[dir]; ok {
		return b
	}
	out := filepath.Join(t.TempDir(), "module.wasm")
	cmd := exec.CommandContext(t.Context(), gobin, "build", "-buildmode=c-shared", "-o", out, "./"+filepath.ToSlash(dir))
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", dir, err, msg)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	buildCache[dir] = b
	return b
}

func importNames(m *Module, module string) []string {
	seen := map[string]bool{}
	var out []string
	for _, i := range m.Imports {
		if i.Module == module && !seen[i.Name] {
			seen[i.Name] = true
			out = append(out, i.Name)
		}
	}
	sort.Strings(out)
	return out
}

// TestMinimalGoReactor checks the empirical claim of docs/abi.md: a bare Go
// reactor imports exactly the implemented WASI functions, and nothing else.
func TestMinimalGoReactor(t *testing.T) {
	m := mustRead(t, buildReactor(t, "testdata/minimal"))
	var want []string
	for _, f := range WASIFuncs {
		if !f.Stub {
			want = append(want, f.Name)
		}
	}
	sort.Strings(want)
	if got := importNames(m, WASIModule); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("WASI imports of a bare Go reactor:\n got %v\nwant %v", got, want)
	}
	if v := CheckImports(m); len(v) != 0 {
		t.Errorf("violations: %v", v)
	}
	// Without the SDK there is no forge_abi_version export.
	if v := CheckExports(m); len(v) != 1 || v[0].Name != ExportABIVersion {
		t.Errorf("export violations = %v", v)
	}
}

// TestForbiddenPrograms builds Go programs that reach for files and
// sockets and checks that CheckImports names the offending imports.
func TestForbiddenPrograms(t *testing.T) {
	for _, c := range []struct {
		dir  string
		want []string
	}{
		{"readfile", []string{"path_open", "fd_read"}},
		{"open", []string{"path_open"}},
		{"dial", []string{"path_open"}},
		{"listen", []string{"sock_accept", "path_open"}},
	} {
		t.Run(c.dir, func(t *testing.T) {
			m := mustRead(t, buildReactor(t, "testdata/forbidden/"+c.dir))
			bad := map[string]string{}
			for _, v := range CheckImports(m) {
				bad[v.Name] = v.String()
			}
			for _, name := range c.want {
				if _, ok := bad[name]; !ok {
					t.Errorf("CheckImports did not name %s; violations: %v", name, bad)
				}
			}
			for _, name := range importNames(m, "forge") {
				if _, ok := bad[name]; ok {
					t.Errorf("forge.%s flagged", name)
				}
			}
			t.Logf("%s: %d violations: %v", c.dir, len(bad), bad)
		})
	}
}

// BenchmarkReadModule reads the interface of the SDK's full example
// extension, a Go-built module of about 3.6 MB.
func BenchmarkReadModule(b *testing.B) {
	mod := buildReactor(b, "../../pkg/sdk/testdata/full")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadModule(mod); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(mod)), "module-bytes")
}
