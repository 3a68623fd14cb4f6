package validate

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/forgehq/forge/internal/capability"
	"github.com/forgehq/forge/internal/gobuild"
	"github.com/forgehq/forge/internal/source"
	"github.com/forgehq/forge/internal/source/openapi"
)

// shared is what the tests of one run share: a registry built from
// testdata/registry and the modules built from Go source, both under one
// temporary directory that TestMain removes.
var shared struct {
	dir string

	regOnce sync.Once
	reg     *capability.Registry
	regErr  error

	buildMu sync.Mutex
	builds  map[string][]byte
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "forge-validate-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	shared.dir = dir
	shared.builds = map[string][]byte{}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// importInto imports the OpenAPI document at dir/file as source name and
// pins it in reg.
func importInto(ctx context.Context, reg *capability.Registry, name, dir, file string) error {
	spec := source.Spec{Name: name, Kind: capability.KindOpenAPI, Location: file}
	res, err := openapi.Importer{}.Import(ctx, spec, source.Options{Dir: dir})
	if err != nil {
		return err
	}
	for i := range res.Capabilities {
		if err := res.Capabilities[i].Seal(name); err != nil {
			return err
		}
	}
	return reg.Put(capability.SourceRecord{SourceSpec: spec, Digest: res.Digest, Provenance: res.Provenance}, res.Capabilities)
}

// testRegistry returns the test registry: sources billing and slack from
// testdata/registry, and a source "corrupt" whose capability file is
// garbage (for registry/unreadable).
func testRegistry(t testing.TB) *capability.Registry {
	t.Helper()
	shared.regOnce.Do(func() {
		dir := filepath.Join(shared.dir, "registry")
		reg, err := capability.Open(dir)
		if err != nil {
			shared.regErr = err
			return
		}
		for _, name := range []string{"billing", "slack"} {
			if err := importInto(context.Background(), reg, name, "testdata/registry", name+".yaml"); err != nil {
				shared.regErr = err
				return
			}
		}
		if err := importInto(context.Background(), reg, "corrupt", "testdata/registry", "slack.yaml"); err != nil {
			shared.regErr = err
			return
		}
		if err := os.WriteFile(filepath.Join(dir, "corrupt.jsonl"), []byte("not a capability\n"), 0o644); err != nil {
			shared.regErr = err
			return
		}
		shared.reg = reg
	})
	if shared.regErr != nil {
		t.Fatalf("test registry: %v", shared.regErr)
	}
	return shared.reg
}

// buildGo builds the Go main package in dir (relative to this package,
// inside the forge module so that it can import pkg/sdk) as a wasip1
// reactor, once per test run, and returns the module's bytes.
func buildGo(t testing.TB, dir string) []byte {
	t.Helper()
	shared.buildMu.Lock()
	defer shared.buildMu.Unlock()
	if b, ok := shared.builds[dir]; ok {
		return b
	}
	start := time.Now()
	b, err := gobuild.Build(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("built %s in %v", dir, time.Since(start).Round(time.Millisecond))
	shared.builds[dir] = b
	return b
}

// assemble builds a WebAssembly module from a line-based description, for
// modules the Go toolchain cannot produce:
//
//	import MODULE NAME [PARAM...] -> [RESULT...]   a function import
//	func NAME [PARAM...] -> [RESULT...]            a defined, exported function
//	memory                                         a memory of one page, exported as "memory"
//	# comment
//
// Value types are i32, i64, f32 and f64; functions return zeros.
func assemble(src string) ([]byte, error) {
	type fn struct {
		module, name    string
		params, results []byte
	}
	var imports, funcs []fn
	memory := false
	for n, line := range strings.Split(src, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		bad := fmt.Errorf("line %d: cannot assemble %q", n+1, line)
		sig := func(toks []string) (params, results []byte, err error) {
			arrow := false
			for _, tok := range toks {
				var vt byte
				switch tok {
				case "->":
					arrow = true
					continue
				case "i32":
					vt = 0x7f
				case "i64":
					vt = 0x7e
				case "f32":
					vt = 0x7d
				case "f64":
					vt = 0x7c
				default:
					return nil, nil, bad
				}
				if arrow {
					results = append(results, vt)
				} else {
					params = append(params, vt)
				}
			}
			if !arrow {
				return nil, nil, bad
			}
			return params, results, nil
		}
		switch {
		case f[0] == "import" && len(f) >= 4:
			p, r, err := sig(f[3:])
			if err != nil {
				return nil, err
			}
			imports = append(imports, fn{module: f[1], name: f[2], params: p, results: r})
		case f[0] == "func" && len(f) >= 3:
			p, r, err := sig(f[2:])
			if err != nil {
				return nil, err
			}
			funcs = append(funcs, fn{name: f[1], params: p, results: r})
		case f[0] == "memory" && len(f) == 1:
			memory = true
		default:
			return nil, bad
		}
	}
	uleb := func(b []byte, v int) []byte {
		for {
			c := byte(v & 0x7f)
			v >>= 7
			if v != 0 {
				b = append(b, c|0x80)
				continue
			}
			return append(b, c)
		}
	}
	name := func(b []byte, s string) []byte { return append(uleb(b, len(s)), s...) }
	vec := func(b []byte, vs []byte) []byte { return append(uleb(b, len(vs)), vs...) }
	section := func(out []byte, id byte, body []byte) []byte {
		return append(uleb(append(out, id), len(body)), body...)
	}
	out := []byte("\x00asm\x01\x00\x00\x00")
	all := append(append([]fn(nil), imports...), funcs...)
	var types []byte
	types = uleb(types, len(all))
	for _, f := range all {
		types = vec(vec(append(types, 0x60), f.params), f.results)
	}
	out = section(out, 1, types)
	if len(imports) > 0 {
		body := uleb(nil, len(imports))
		for i, f := range imports {
			body = uleb(append(name(name(body, f.module), f.name), 0x00), i)
		}
		out = section(out, 2, body)
	}
	body := uleb(nil, len(funcs))
	for i := range funcs {
		body = uleb(body, len(imports)+i)
	}
	out = section(out, 3, body)
	if memory {
		out = section(out, 5, []byte{1, 0x00, 1})
	}
	exports := uleb(nil, len(funcs)+boolInt(memory))
	for i, f := range funcs {
		exports = uleb(append(name(exports, f.name), 0x00), len(imports)+i)
	}
	if memory {
		exports = append(name(exports, "memory"), 0x02, 0x00)
	}
	out = section(out, 7, exports)
	code := uleb(nil, len(funcs))
	for _, f := range funcs {
		fb := []byte{0x00} // no locals
		for _, r := range f.results {
			fb = append(fb, map[byte]byte{0x7f: 0x41, 0x7e: 0x42, 0x7d: 0x43, 0x7c: 0x44}[r])
			switch r {
			case 0x7d:
				fb = append(fb, 0, 0, 0, 0)
			case 0x7c:
				fb = append(fb, 0, 0, 0, 0, 0, 0, 0, 0)
			default:
				fb = append(fb, 0)
			}
		}
		fb = append(fb, 0x0b)
		code = append(uleb(code, len(fb)), fb...)
	}
	return section(out, 10, code), nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// testPolicy is the forge.yaml policy of the rule tests.
func testPolicy() Policy {
	return Policy{
		Events:              []string{"invoice.created", "invoice.paid"},
		MinScheduleInterval: time.Hour,
		MaxMemory:           128 << 20,
		MaxTimeout:          30 * time.Second,
		MaxHTTPCalls:        50,
		MaxModuleBytes:      16 << 20,
	}
}

// applyPolicy overrides p with the "key: value" lines of a case's
// policy.txt.
func applyPolicy(p *Policy, text string) error {
	for _, line := range strings.Split(text, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(k) {
		case "strict":
			p.Strict = v == "true"
		case "maxModuleBytes":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return err
			}
			p.MaxModuleBytes = n
		default:
			return fmt.Errorf("unknown policy key %q", k)
		}
	}
	return nil
}
