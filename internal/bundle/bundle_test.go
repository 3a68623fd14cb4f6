package bundle

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func sample() *Bundle {
	return &Bundle{
		Manifest: []byte("apiVersion: forge.dev/v1\nname: hello\nversion: 1.0.0\n"),
		Module:   []byte("\x00asm\x01\x00\x00\x00"),
		Record: Record{
			Extension: "hello", ExtensionVersion: "1.0.0", Toolchain: "go1.26.8", Forge: "dev",
			Capabilities: []CapabilityRef{{ID: "b.z", Digest: "sha256:2"}, {ID: "a.x", Digest: "sha256:1"}},
		},
	}
}

func TestWriteRead(t *testing.T) {
	dist := t.TempDir()
	path, err := Write(dist, sample())
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(path) != "hello-1.0.0" || !IsBundle(path) {
		t.Fatalf("path %s", path)
	}
	b, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(b.Module) != "\x00asm\x01\x00\x00\x00" || b.Record.Module.Digest != Digest(b.Module) || b.Record.Module.Size != 8 {
		t.Fatalf("record %+v", b.Record)
	}
	if b.Record.Capabilities[0].ID != "a.x" || b.Record.ToolCalls == nil {
		t.Fatalf("capabilities not sorted or tool calls nil: %+v", b.Record)
	}
	// The same inputs give byte-identical bundles.
	first, _ := os.ReadFile(filepath.Join(path, RecordFile))
	if _, err := Write(dist, sample()); err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(filepath.Join(path, RecordFile))
	if string(first) != string(second) {
		t.Fatal("rebuild changed build.json")
	}
	// Nothing but the bundle is left in dist/.
	entries, _ := os.ReadDir(dist)
	if len(entries) != 1 {
		t.Fatalf("dist holds %d entries", len(entries))
	}
}

func TestReadDetectsTampering(t *testing.T) {
	for _, file := range []string{ModuleFile, ManifestFile, RecordFile} {
		t.Run(file, func(t *testing.T) {
			path, err := Write(t.TempDir(), sample())
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(path, file)
			data, _ := os.ReadFile(p)
			data = append(data, ' ')
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err = Read(path)
			if err == nil || !strings.Contains(err.Error(), "does not match SHA256SUMS") {
				t.Fatalf("tampered %s: got %v", file, err)
			}
		})
	}
}

func TestReadRejectsNonBundles(t *testing.T) {
	dir := t.TempDir()
	if _, err := Read(dir); err == nil || !strings.Contains(err.Error(), "not a bundle") {
		t.Fatalf("empty dir: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, RecordFile), []byte(`{"version":1,"surprise":true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(dir); err == nil || !strings.Contains(err.Error(), "surprise") {
		t.Fatalf("unknown field: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, RecordFile), []byte(`{"version":9}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(dir); err == nil || !strings.Contains(err.Error(), "version 9") {
		t.Fatalf("version: %v", err)
	}
}
