// Package bundle reads and writes extension bundles: the directory
// `forge build` writes to dist/ and `forge validate --baseline` and the
// server read. A bundle holds the manifest, the WebAssembly module, the
// build record and a SHA256SUMS file:
//
//	dist/invoice-digest-1.2.0/
//	  extension.yaml
//	  module.wasm
//	  build.json
//	  SHA256SUMS
//
// Bundles are written into a temporary directory next to their final place
// and renamed into it, so dist/ never holds a partial bundle.
package bundle

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// File names inside a bundle.
const (
	ManifestFile = "extension.yaml"
	ModuleFile   = "module.wasm"
	RecordFile   = "build.json"
	SumsFile     = "SHA256SUMS"
)

// RecordVersion is the version of the build record format.
const RecordVersion = 1

// FileInfo describes one file of the bundle.
type FileInfo struct {
	File   string `json:"file"`
	Digest string `json:"digest"`
	Size   int64  `json:"size"`
}

// CapabilityRef is a registry capability the extension references, with
// the digest it had at build time.
type CapabilityRef struct {
	ID     string `json:"id"`
	Digest string `json:"digest"`
}

// ToolCall is one capability call made by the build-time agent.
type ToolCall struct {
	Capability     string `json:"capability"`
	ArgumentDigest string `json:"argumentDigest"`
}

// Record is the build record: what the build did. It has no timestamps, so
// the same inputs give the same record.
type Record struct {
	Version          int             `json:"version"`
	Extension        string          `json:"extension"`
	ExtensionVersion string          `json:"extensionVersion"`
	Manifest         FileInfo        `json:"manifest"`
	Module           FileInfo        `json:"module"`
	Toolchain        string          `json:"toolchain"`
	Forge            string          `json:"forge"`
	Capabilities     []CapabilityRef `json:"capabilities"`
	ToolCalls        []ToolCall      `json:"toolCalls"`
	Model            string          `json:"model,omitempty"`
}

// Bundle is a built extension.
type Bundle struct {
	Dir      string
	Manifest []byte
	Module   []byte
	Record   Record
}

// Digest returns "sha256:<hex>" of b.
func Digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Name is the bundle directory name for an extension version.
func Name(extension, version string) string { return extension + "-" + version }

// IsBundle reports whether dir looks like a bundle (it has a build record).
func IsBundle(dir string) bool {
	st, err := os.Stat(filepath.Join(dir, RecordFile))
	return err == nil && !st.IsDir()
}

// Write writes b into distDir/Name(...) atomically and returns its path. The
// record's manifest and module entries are filled in from the bytes.
func Write(distDir string, b *Bundle) (string, error) {
	rec := b.Record
	rec.Version = RecordVersion
	rec.Manifest = FileInfo{File: ManifestFile, Digest: Digest(b.Manifest), Size: int64(len(b.Manifest))}
	rec.Module = FileInfo{File: ModuleFile, Digest: Digest(b.Module), Size: int64(len(b.Module))}
	if rec.Capabilities == nil {
		rec.Capabilities = []CapabilityRef{}
	}
	if rec.ToolCalls == nil {
		rec.ToolCalls = []ToolCall{}
	}
	sort.Slice(rec.Capabilities, func(i, j int) bool { return rec.Capabilities[i].ID < rec.Capabilities[j].ID })
	recJSON, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return "", err
	}
	recJSON = append(recJSON, '\n')
	files := map[string][]byte{ManifestFile: b.Manifest, ModuleFile: b.Module, RecordFile: recJSON}
	var sums bytes.Buffer
	for _, name := range []string{ManifestFile, ModuleFile, RecordFile} {
		sum := sha256.Sum256(files[name])
		fmt.Fprintf(&sums, "%s  %s\n", hex.EncodeToString(sum[:]), name)
	}
	files[SumsFile] = sums.Bytes()

	if err := os.MkdirAll(distDir, 0o755); err != nil {
		return "", err
	}
	final := filepath.Join(distDir, Name(rec.Extension, rec.ExtensionVersion))
	tmp, err := os.MkdirTemp(distDir, ".tmp-"+rec.Extension+"-*")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	for name, data := range files {
		if err := writeSynced(filepath.Join(tmp, name), data); err != nil {
			return "", err
		}
	}
	// Replace an earlier bundle of the same version: move it aside first,
	// since a directory cannot be renamed over a non-empty one.
	var old string
	if _, err := os.Stat(final); err == nil {
		old = tmp + ".old"
		if err := os.Rename(final, old); err != nil {
			return "", err
		}
	}
	if err := os.Rename(tmp, final); err != nil {
		if old != "" {
			_ = os.Rename(old, final)
		}
		return "", err
	}
	if old != "" {
		_ = os.RemoveAll(old)
	}
	return final, nil
}

func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Error is a bundle that cannot be read or does not match its digests.
type Error struct {
	Dir string
	Msg string
}

func (e *Error) Error() string { return e.Dir + ": " + e.Msg }

// Read reads the bundle in dir and checks every file against SHA256SUMS and
// the build record.
func Read(dir string) (*Bundle, error) {
	read := func(name string) ([]byte, error) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &Error{Dir: dir, Msg: "not a bundle: " + name + " is missing"}
		}
		return b, err
	}
	b := &Bundle{Dir: dir}
	recJSON, err := read(RecordFile)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(recJSON))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b.Record); err != nil {
		return nil, &Error{Dir: dir, Msg: "build.json: " + err.Error()}
	}
	if b.Record.Version != RecordVersion {
		return nil, &Error{Dir: dir, Msg: fmt.Sprintf("build.json: record version %d is not supported (want %d)", b.Record.Version, RecordVersion)}
	}
	if b.Manifest, err = read(ManifestFile); err != nil {
		return nil, err
	}
	if b.Module, err = read(ModuleFile); err != nil {
		return nil, err
	}
	sums, err := read(SumsFile)
	if err != nil {
		return nil, err
	}
	want := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(sums))
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			return nil, &Error{Dir: dir, Msg: "SHA256SUMS: malformed line " + fmt.Sprintf("%q", sc.Text())}
		}
		want[name] = "sha256:" + sum
	}
	for name, data := range map[string][]byte{ManifestFile: b.Manifest, ModuleFile: b.Module, RecordFile: recJSON} {
		if got := Digest(data); want[name] != got {
			return nil, &Error{Dir: dir, Msg: fmt.Sprintf("%s does not match SHA256SUMS (the bundle was modified after it was built)", name)}
		}
	}
	if Digest(b.Manifest) != b.Record.Manifest.Digest || Digest(b.Module) != b.Record.Module.Digest {
		return nil, &Error{Dir: dir, Msg: "build.json digests do not match the bundle's files"}
	}
	return b, nil
}
