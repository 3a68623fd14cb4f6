// Package scaffold creates new extensions: a manifest, a Go handler, a test,
// a go.mod, and a vendored copy of the Forge SDK, so that the extension
// builds with `forge build` and tests with `go test`, offline.
package scaffold

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"text/template"

	"github.com/forgehq/forge/internal/manifest"
	"github.com/forgehq/forge/pkg"
)

//go:embed templates/*.tmpl
var templates embed.FS

// SDKDir is where the SDK is vendored inside an extension.
const SDKDir = ".forge/sdk"

// SDKModule is the module path of the vendored SDK.
const SDKModule = "github.com/forgehq/forge/pkg/sdk"

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)

// Options describe the extension to create.
type Options struct {
	Name        string
	Description string
	// Module is the Go module path (default "example.com/extensions/NAME").
	Module string
	// Dir is where to create it; it must not exist or be empty.
	Dir string
}

// Create writes the extension and returns the files written, relative to
// Dir. Files are written to a temporary directory and moved into place at
// the end, so a failure leaves nothing behind.
func Create(opts Options) ([]string, error) {
	if !nameRE.MatchString(opts.Name) {
		return nil, fmt.Errorf("invalid extension name %q: use lower-case letters, digits and '-', starting with a letter (at most 63 characters)", opts.Name)
	}
	if entries, err := os.ReadDir(opts.Dir); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("%s already exists and is not empty", opts.Dir)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if opts.Description == "" {
		opts.Description = "A Forge extension."
	}
	if opts.Module == "" {
		opts.Module = "example.com/extensions/" + opts.Name
	}
	data := map[string]string{
		"Name": opts.Name, "Description": opts.Description, "Module": opts.Module,
		"APIVersion": manifest.APIVersion, "SchemaID": manifest.SchemaID, "GoVersion": goVersion(),
	}
	files := map[string][]byte{}
	for out, tmpl := range map[string]string{
		"extension.yaml": "extension.yaml.tmpl",
		"main.go":        "main.go.tmpl",
		"main_test.go":   "main_test.go.tmpl",
		"go.mod":         "go.mod.tmpl",
	} {
		t, err := template.ParseFS(templates, "templates/"+tmpl)
		if err != nil {
			return nil, err
		}
		var b bytes.Buffer
		if err := t.Execute(&b, data); err != nil {
			return nil, err
		}
		files[out] = b.Bytes()
	}
	sdk, err := SDKFiles()
	if err != nil {
		return nil, err
	}
	for name, b := range sdk {
		files[path.Join(SDKDir, name)] = b
	}

	parent := filepath.Dir(filepath.Clean(opts.Dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(parent, ".forge-new-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	var written []string
	for name, b := range files {
		p := filepath.Join(tmp, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return nil, err
		}
		written = append(written, name)
	}
	if err := os.Remove(opts.Dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err := os.Rename(tmp, opts.Dir); err != nil {
		return nil, err
	}
	return written, nil
}

// SDKFiles returns the vendored SDK module: its go.mod and the non-test Go
// files of pkg/sdk and its sub-packages, keyed by slash-separated path.
func SDKFiles() (map[string][]byte, error) {
	out := map[string][]byte{
		"go.mod": fmt.Appendf(nil, "module %s\n\ngo %s\n", SDKModule, goVersion()),
	}
	err := fs.WalkDir(pkg.SDK, "sdk", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "testdata" {
				return fs.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		b, err := pkg.SDK.ReadFile(p)
		if err != nil {
			return err
		}
		out[strings.TrimPrefix(p, "sdk/")] = b
		return nil
	})
	return out, err
}

// goVersion is the language version written into go.mod files: the
// major.minor of the toolchain forge was built with.
func goVersion() string {
	v := strings.TrimPrefix(runtime.Version(), "go")
	parts := strings.SplitN(v, ".", 3)
	if len(parts) >= 2 {
		return parts[0] + "." + parts[1]
	}
	return "1.24"
}
