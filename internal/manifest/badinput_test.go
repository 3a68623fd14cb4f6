package manifest

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// wantParseError checks that err is a *ParseError saying msg, and returns
// a copy of it.
func wantParseError(t *testing.T, err error, msg string) ParseError {
	t.Helper()
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("got %v (%T), want a *ParseError", err, err)
	}
	if !strings.Contains(pe.Msg, msg) {
		t.Errorf("ParseError %q does not say %q", pe.Msg, msg)
	}
	return *pe
}

func TestTruncatedManifestsNeverPanic(t *testing.T) {
	data, err := os.ReadFile("testdata/valid/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for i := range len(data) {
		m, diags, err := Parse("cut.yaml", data[:i])
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || m != nil {
				t.Fatalf("prefix %d: %v, %v", i, m, err)
			}
			continue
		}
		if m == nil {
			t.Fatalf("prefix %d: nil manifest without error", i)
		}
		for _, d := range diags {
			if d.Line < 1 || d.Col < 1 {
				t.Fatalf("prefix %d: diagnostic without position: %s", i, d)
			}
		}
	}
}

func TestBillionLaughs(t *testing.T) {
	data, err := os.ReadFile("testdata/invalid/alias-bomb.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = Parse("bomb.yaml", data)
	wantParseError(t, err, "excessive aliasing")

	// The same bomb under a field the parser walks.
	data = append(data, "apiVersion: forge.dev/v1\nname: x\nversion: 1.0.0\nmodule: {go: .}\nsecrets:\n  - name: S\n    hosts: *i\n"...)
	_, _, err = Parse("bomb.yaml", data)
	wantParseError(t, err, "excessive aliasing")
}

func TestModestAliasingIsAllowed(t *testing.T) {
	src := "apiVersion: forge.dev/v1\nname: x\nversion: 1.0.0\ndescription: d\nmodule: {go: .}\ntriggers: [{name: t, event: {type: a.b}}]\nsecrets:\n"
	src += "  - {name: S0, hosts: &h [a.example.com, b.example.com]}\n"
	for i := 1; i < 50; i++ {
		src += "  - {name: S" + string(rune('A'+i%26)) + string(rune('A'+i/26)) + ", hosts: *h}\n"
	}
	m, diags, err := Parse("ok.yaml", []byte(src))
	if err != nil || len(diags) != 0 {
		t.Fatalf("%v %v", err, diags)
	}
	if len(m.Secrets) != 50 || len(m.Secrets[49].Hosts) != 2 {
		t.Errorf("secrets %+v", m.Secrets)
	}
}

func TestHugeInputFailsFast(t *testing.T) {
	big := bytes.Repeat([]byte("a"), 100<<20)
	_, _, err := Parse("big.yaml", big)
	wantParseError(t, err, "larger than")

	// On disk: Load refuses from the size alone (a sparse file: nothing to read).
	path := filepath.Join(t.TempDir(), "extension.yaml")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(100 << 20); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	_, _, err = Load(path)
	pe := wantParseError(t, err, "larger than")
	if pe.File != path {
		t.Errorf("File = %q", pe.File)
	}

	// Just over the limit, and exactly at it.
	over := append([]byte("a: "), bytes.Repeat([]byte("b"), MaxSize)...)
	_, _, err = Parse("over.yaml", over)
	wantParseError(t, err, "larger than")
	at := append([]byte("name: "), bytes.Repeat([]byte("b"), MaxSize-len("name: "))...)
	if _, _, err := Parse("at.yaml", at); err != nil {
		t.Errorf("a manifest of exactly MaxSize bytes: %v", err)
	}
}

func TestBinaryGarbage(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 200 {
		b := make([]byte, 1+rng.IntN(4096))
		for j := range b {
			b[j] = byte(rng.UintN(256))
		}
		m, _, err := Parse("garbage.bin", b)
		if err == nil && m == nil {
			t.Fatalf("case %d: nil manifest without error", i)
		}
	}
	_, _, err := Parse("x.bin", []byte("\x7fELF\x02\x01\x01\x00\x00\x00"))
	pe := wantParseError(t, err, "binary")
	if pe.Line != 1 || pe.Col != 1 {
		t.Errorf("position %d:%d, want 1:1", pe.Line, pe.Col)
	}
	_, _, err = Parse("x.yaml", []byte("name: ok\ndescription: caf\xe9\n"))
	pe = wantParseError(t, err, "not UTF-8")
	if pe.Line != 2 || pe.Col != 17 {
		t.Errorf("position %d:%d, want 2:17", pe.Line, pe.Col)
	}
	_, _, err = Parse("x.yaml", []byte("name: ok\x00\n"))
	wantParseError(t, err, "control character")
}

func TestEmptyAndNonMapping(t *testing.T) {
	for _, in := range []string{"", "   \n\n", "# comment\n", "---\n", "~\n", "null\n", "\xef\xbb\xbf"} {
		_, _, err := Parse("e.yaml", []byte(in))
		wantParseError(t, err, "empty manifest")
	}
	for in, kind := range map[string]string{"- a\n": "a list", "hello\n": "a string", "42\n": "a number", "*a": ""} {
		_, _, err := Parse("e.yaml", []byte(in))
		if kind == "" {
			wantParseError(t, err, "")
			continue
		}
		wantParseError(t, err, "got "+kind)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	_, _, err := Load(dir)
	pe := wantParseError(t, err, "is a directory")
	if !strings.HasPrefix(pe.Error(), dir+": ") {
		t.Errorf("Error() = %q", pe.Error())
	}
	_, _, err = Load(filepath.Join(dir, "missing.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want fs.ErrNotExist", err)
	}
}

func TestParseErrorFormat(t *testing.T) {
	for _, tc := range []struct {
		e    ParseError
		want string
	}{
		{ParseError{File: "a.yaml", Line: 3, Col: 7, Msg: "bad"}, "a.yaml:3:7: bad"},
		{ParseError{File: "a.yaml", Line: 3, Msg: "bad"}, "a.yaml:3: bad"},
		{ParseError{File: "a.yaml", Msg: "bad"}, "a.yaml: bad"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
	d := (&ParseError{File: "a.yaml", Line: 1, Col: 2, Msg: "m"}).Diagnostic()
	if d.Rule != RuleSyntax || d.Severity != SeverityError || d.Line != 1 || d.Col != 2 {
		t.Errorf("Diagnostic() = %+v", d)
	}
}
