package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func TestLoadPrecedence(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "a", "b")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(dir, FileName), []byte("version: 1\nregistry: pins\nimport:\n  timeout: 5s\n"), 0o644)

	// forge.yaml is found from a subdirectory; paths are relative to it.
	cfg, err := Load(sub, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Dir != dir || cfg.Registry != filepath.Join(dir, "pins") || cfg.ImportTimeout != 5*time.Second {
		t.Fatalf("cfg = %+v", cfg)
	}
	if cfg.MaxDocumentBytes != DefaultMaxDocumentBytes {
		t.Fatalf("default not applied: %d", cfg.MaxDocumentBytes)
	}

	// Environment beats the file; its relative path is relative to the
	// working directory, not to the project.
	t.Setenv("FORGE_REGISTRY", "from-env")
	t.Setenv("FORGE_IMPORT_TIMEOUT", "7s")
	cfg, err = Load(sub, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Registry != filepath.Join(sub, "from-env") || cfg.ImportTimeout != 7*time.Second {
		t.Fatalf("env ignored or resolved against the project: %+v", cfg)
	}

	// A flag beats the environment.
	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	fs.String("registry", "", "")
	if err := fs.Parse([]string{"--registry", "/abs/flag"}); err != nil {
		t.Fatal(err)
	}
	cfg, err = Load(sub, "", fs)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Registry != "/abs/flag" {
		t.Fatalf("flag ignored: %+v", cfg)
	}
}

// TestRelativeRegistry: a relative --registry or FORGE_REGISTRY is relative
// to the working directory; forge.yaml's (and the default) to the project
// directory, from any subdirectory.
func TestRelativeRegistry(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "a", "b")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("FORGE_REGISTRY", "")
	flags := func(args ...string) *pflag.FlagSet {
		fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
		fs.String("registry", "", "")
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		return fs
	}
	for _, tc := range []struct {
		name, yaml, env string
		flags           *pflag.FlagSet
		want            string
	}{
		{name: "default", flags: flags(), want: filepath.Join(dir, DefaultRegistry)},
		{name: "forge.yaml", yaml: "registry: pins\n", flags: flags(), want: filepath.Join(dir, "pins")},
		{name: "flag", yaml: "registry: pins\n", flags: flags("--registry", "../mine"), want: filepath.Join(dir, "a", "mine")},
		{name: "env", yaml: "registry: pins\n", env: "here", flags: flags(), want: filepath.Join(sub, "here")},
		{name: "flag over env", env: "here", flags: flags("--registry", "flagged"), want: filepath.Join(sub, "flagged")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mustWrite(t, filepath.Join(dir, FileName), []byte("version: 1\n"+tc.yaml), 0o644)
			t.Setenv("FORGE_REGISTRY", tc.env)
			cfg, err := Load(sub, "", tc.flags)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Registry != tc.want {
				t.Errorf("registry %s, want %s", cfg.Registry, tc.want)
			}
		})
	}
}

func TestLoadWithoutProject(t *testing.T) {
	dir := t.TempDir()
	cfg, err := Load(dir, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.File != "" || cfg.Registry != filepath.Join(dir, DefaultRegistry) {
		t.Fatalf("cfg = %+v", cfg)
	}
	// An explicit file that does not exist is an error.
	if _, err := Load(dir, "nope.yaml", nil); err == nil {
		t.Fatal("missing explicit config accepted")
	}
}

func TestBadConfig(t *testing.T) {
	for name, tc := range map[string]struct {
		yaml string
		line int
	}{
		"unknown field": {"version: 1\nregistry: r\nfoo: bar\n", 3},
		"wrong type":    {"version: 1\nimport:\n  maxDocumentBytes: lots\n", 3},
		"syntax":        {"version: 1\n  registry: [\n", 2},
		"bad version":   {"version: 7\n", 0},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			mustWrite(t, filepath.Join(dir, FileName), []byte(tc.yaml), 0o644)
			_, err := Load(dir, "", nil)
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want *config.Error", err)
			}
			if ce.Line != tc.line || ce.File != filepath.Join(dir, FileName) {
				t.Fatalf("error %q at line %d, want line %d", ce, ce.Line, tc.line)
			}
		})
	}
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, FileName), []byte("import:\n  timeout: forever\n"), 0o644)
	if _, err := Load(dir, "", nil); err == nil {
		t.Fatal("bad duration accepted")
	}
}

func TestDefaultProjectParses(t *testing.T) {
	p, err := ParseProject("forge.yaml", []byte(DefaultProject))
	if err != nil {
		t.Fatal(err)
	}
	if p.Version != 1 || p.Registry != DefaultRegistry {
		t.Fatalf("%+v", p)
	}
}

func TestExtensionPolicy(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, FileName), []byte(`version: 1
events: [invoice.created, invoice.paid]
extensions:
  minScheduleInterval: 15m
  maxModuleSize: 8MiB
  maxLimits:
    memory: 64MiB
    timeout: 10s
    httpCalls: 5
`), 0o644)
	cfg, err := Load(dir, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Extensions
	if len(cfg.Events) != 2 || cfg.Events[1] != "invoice.paid" || p.MinScheduleInterval != 15*time.Minute ||
		p.MaxModuleBytes != 8<<20 || p.MaxMemoryBytes != 64<<20 || p.MaxTimeout != 10*time.Second || p.MaxHTTPCalls != 5 {
		t.Fatalf("policy = %+v events = %v", p, cfg.Events)
	}
	// Defaults apply without a forge.yaml.
	cfg, err = Load(t.TempDir(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Extensions.MinScheduleInterval != DefaultMinScheduleInterval || cfg.Extensions.MaxHTTPCalls != DefaultMaxHTTPCalls || cfg.Extensions.MaxModuleBytes != 32<<20 {
		t.Fatalf("defaults = %+v", cfg.Extensions)
	}
	for _, bad := range []string{"extensions:\n  maxModuleSize: huge\n", "extensions:\n  minScheduleInterval: -1m\n", "extensions:\n  maxLimits:\n    httpCalls: -2\n"} {
		dir := t.TempDir()
		mustWrite(t, filepath.Join(dir, FileName), []byte(bad), 0o644)
		if _, err := Load(dir, "", nil); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func mustWrite(t *testing.T, path string, data []byte, perm os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, data, perm); err != nil {
		t.Fatal(err)
	}
}

// TestBadValueOrigin: a value that does not parse is reported where it
// came from: its line in forge.yaml, or the environment variable that set
// it (which wins over the file), never the file for an environment value.
func TestBadValueOrigin(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, FileName)
	mustWrite(t, file, []byte("version: 1\nimport:\n  timeout: 5s\nextensions:\n  maxLimits:\n    memory: 64MiB\n    timeout: soon\n"), 0o644)
	var ce *Error
	_, err := Load(dir, "", nil)
	if !errors.As(err, &ce) || ce.File != file || ce.Line != 7 || ce.Error() != file+`:7: extensions.maxLimits.timeout: "soon" is not a positive duration such as 30s` {
		t.Fatalf("bad value in forge.yaml: %v", err)
	}

	mustWrite(t, file, []byte("version: 1\nimport:\n  timeout: 5s\n"), 0o644)
	t.Setenv("FORGE_IMPORT_TIMEOUT", "later")
	_, err = Load(dir, "", nil)
	if !errors.As(err, &ce) || ce.File != "environment variable FORGE_IMPORT_TIMEOUT" || ce.Line != 0 {
		t.Fatalf("bad value from the environment: %v", err)
	}
	t.Setenv("FORGE_IMPORT_TIMEOUT", "")
	t.Setenv("FORGE_EXTENSIONS_MAXLIMITS_MEMORY", "lots")
	_, err = Load(dir, "", nil)
	if !errors.As(err, &ce) || ce.File != "environment variable FORGE_EXTENSIONS_MAXLIMITS_MEMORY" {
		t.Fatalf("bad size from the environment: %v", err)
	}
}
