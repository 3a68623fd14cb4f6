package validate

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/forgehq/forge/internal/bundle"
	"github.com/forgehq/forge/internal/manifest"
)

// ManifestFile is the manifest's name in an extension directory.
const ManifestFile = "extension.yaml"

// InputError is input that cannot be validated at all: a missing path, a
// manifest that is not YAML, a corrupt bundle. The CLI maps it to exit
// code 2; InputDiagnostic reports it as a finding.
type InputError struct {
	Path string
	Err  error
}

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// InputDiagnostic reports input that could not be read as a finding, so
// that every report format shows it: a manifest syntax error keeps its
// file, position and rule (manifest/syntax); anything else is
// input/unreadable at file.
func InputDiagnostic(file string, err error) Diagnostic {
	var pe *manifest.ParseError
	if errors.As(err, &pe) {
		return pe.Diagnostic() // it names the manifest file itself
	}
	return Diagnostic{
		Rule: RuleInputUnreadable, Severity: SeverityError, File: file, Message: err.Error(),
		Hint: "give an extension directory, an extension.yaml, or a bundle written by forge build",
	}
}

// Load reads the extension at path: a bundle directory (from forge build),
// an extension directory holding extension.yaml, or a manifest file. The
// module is read when the manifest points at a prebuilt one or the path is
// a bundle; a Go source module is checked only once built.
//
// shown is the path as the user gave it, for messages.
func Load(path, shown string) (Extension, error) {
	var ext Extension
	st, err := os.Stat(path)
	if err != nil {
		return ext, &InputError{Path: path, Err: fmt.Errorf("%s: %w", shown, unwrapPath(err))}
	}
	if st.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
		return ext, &InputError{Path: path, Err: fmt.Errorf("%s: is a directory, not a manifest", shown)}
	}
	if st.IsDir() && bundle.IsBundle(path) {
		b, err := bundle.Read(path)
		if err != nil {
			return ext, &InputError{Path: path, Err: err}
		}
		ext.ManifestPath = filepath.Join(path, bundle.ManifestFile)
		m, diags, err := manifest.Parse(ext.ManifestPath, b.Manifest)
		if err != nil {
			return ext, &InputError{Path: path, Err: err}
		}
		ext.Manifest, ext.ManifestDiags = m, diags
		ext.ModulePath = filepath.Join(path, bundle.ModuleFile)
		ext.Module = b.Module
		return ext, nil
	}
	mpath := path
	if st.IsDir() {
		mpath = filepath.Join(path, ManifestFile)
		if _, err := os.Stat(mpath); err != nil {
			return ext, &InputError{Path: path, Err: fmt.Errorf("%s: no %s here (and not a bundle)", shown, ManifestFile)}
		}
	}
	m, diags, err := manifest.Load(mpath)
	if err != nil {
		return ext, &InputError{Path: path, Err: err}
	}
	ext.ManifestPath, ext.Manifest, ext.ManifestDiags = mpath, m, diags
	if m != nil && m.Module.Wasm != "" {
		mod := m.Module.Resolve(filepath.Dir(mpath))
		data, err := os.ReadFile(mod)
		if err != nil {
			return ext, &InputError{Path: path, Err: fmt.Errorf("%s: module %s: %w", mpath, m.Module.Wasm, unwrapPath(err))}
		}
		ext.ModulePath, ext.Module = mod, data
	}
	return ext, nil
}

// LoadBaseline reads the manifest of a previously approved version: a
// bundle, an extension directory or a manifest file.
func LoadBaseline(path, shown string) (*manifest.Manifest, string, error) {
	ext, err := Load(path, shown)
	if err != nil {
		return nil, "", err
	}
	if ext.Manifest == nil {
		return nil, "", &InputError{Path: path, Err: fmt.Errorf("%s: baseline manifest cannot be read", shown)}
	}
	return ext.Manifest, ext.ManifestPath, nil
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
