package capability

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
)

// FuzzRegistry reads a registry made of an index and the capability file
// s.jsonl. So that mutations get past the digests, the index may say
// "@FILE@" for the digest of the file, "@COUNT@" for its number of lines and
// "@ENTRIES@" for the entries of its lines (read naively, not by the code
// under test). Nothing may panic; Load and Get report a damaged registry
// as a *CorruptError; when Load accepts a source, Get returns exactly its
// capabilities and nothing else; when Verify accepts the registry, Open,
// Load and Get do too.
func FuzzRegistry(f *testing.F) {
	f.Add([]byte(fuzzIndex), []byte(fuzzFile(f)))
	f.Fuzz(func(t *testing.T, index, jsonl []byte) {
		index = fillIndex(index, jsonl)
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, IndexFile), index, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "s.jsonl"), jsonl, 0o644); err != nil {
			t.Fatal(err)
		}
		_, probs := Verify(index, map[string][]byte{"s.jsonl": jsonl})
		r, err := Open(dir)
		if err != nil {
			if probs == nil {
				t.Fatalf("Verify accepts what Open refuses: %v", err)
			}
			return
		}
		for _, s := range r.Index.Sources {
			caps, err := r.Load(s.Name)
			if err != nil {
				var ce *CorruptError
				if !errors.As(err, &ce) && !errors.Is(err, fs.ErrNotExist) {
					t.Fatalf("Load(%s): not a CorruptError: %v", s.Name, err)
				}
				if probs == nil {
					t.Fatalf("Verify accepts what Load refuses: %v", err)
				}
				continue
			}
			for i := range caps {
				got, err := r.Get(caps[i].ID)
				if err != nil {
					t.Fatalf("Load has %s, Get: %v", caps[i].ID, err)
				}
				if !reflect.DeepEqual(*got, caps[i]) {
					t.Fatalf("Get(%s) = %+v, Load has %+v", caps[i].ID, *got, caps[i])
				}
				for _, missing := range []string{caps[i].ID + "~", caps[i].ID[:len(caps[i].ID)-1]} {
					if i+1 < len(caps) && caps[i+1].ID == missing || i > 0 && caps[i-1].ID == missing {
						continue
					}
					var nf *NotFoundError
					if _, err := r.Get(missing); !errors.As(err, &nf) {
						t.Fatalf("Get(%s), which Load does not have: %v", missing, err)
					}
				}
			}
		}
		// Get of any id a line names agrees with Load.
		for _, line := range bytes.Split(jsonl, []byte("\n")) {
			var e Entry
			if json.Unmarshal(line, &e) != nil {
				continue
			}
			c, err := r.Get(e.ID)
			var nf *NotFoundError
			var ce *CorruptError
			switch {
			case err == nil:
				if c.ID != e.ID || c.Digest != c.ComputeDigest() {
					t.Fatalf("Get(%s) returned %+v", e.ID, c)
				}
			case errors.As(err, &nf), errors.As(err, &ce), errors.Is(err, fs.ErrNotExist):
			default:
				t.Fatalf("Get(%s): not a NotFoundError or CorruptError: %v", e.ID, err)
			}
		}
	})
}

// fillIndex replaces the placeholders of a fuzzed index (see FuzzRegistry).
func fillIndex(index, jsonl []byte) []byte {
	var entries []Entry
	n := 0
	for _, line := range bytes.Split(jsonl, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		n++
		var e Entry
		if json.Unmarshal(line, &e) == nil {
			entries = append(entries, e)
		}
	}
	list, _ := json.Marshal(entries)
	index = bytes.ReplaceAll(index, []byte("@FILE@"), []byte(DigestBytes(jsonl)))
	index = bytes.ReplaceAll(index, []byte(`"@COUNT@"`), []byte(strconv.Itoa(n)))
	return bytes.ReplaceAll(index, []byte(`"@ENTRIES@"`), list)
}

const fuzzIndex = `{"version":1,"sources":[{"name":"s","kind":"openapi","digest":"sha256:0","capabilities":"@COUNT@","file":"s.jsonl","fileDigest":"@FILE@"}],"capabilities":"@ENTRIES@"}`

func fuzzFile(tb testing.TB) string {
	caps := []Capability{mk("a", "A."), mk("b", "B."), mk("c", "C.")}
	for i := range caps {
		if err := caps[i].Seal("s"); err != nil {
			tb.Fatal(err)
		}
	}
	data, err := EncodeCapabilities(caps)
	if err != nil {
		tb.Fatal(err)
	}
	return string(data)
}
