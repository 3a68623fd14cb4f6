package capability

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// isCorrupt reports whether err is a *CorruptError about the file named
// file (a base name).
func isCorrupt(err error, file string) bool {
	var ce *CorruptError
	return errors.As(err, &ce) && filepath.Base(ce.Path) == file
}

// pinned returns a registry with sources billing (three capabilities) and
// crm (one).
func pinned(t *testing.T) *Registry {
	t.Helper()
	r, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b := sealed(t, "billing", mk("createInvoice", "Create."), mk("getInvoice", "Get."), mk("listInvoices", "List."))
	for i := range b {
		b[i].Target = Target{Server: "https://api.billing.example.com", Method: "GET", Path: "/" + b[i].Name}
		b[i].Digest = b[i].ComputeDigest()
	}
	if err := r.Put(SourceRecord{SourceSpec: SourceSpec{Name: "billing", Kind: KindOpenAPI}}, b); err != nil {
		t.Fatal(err)
	}
	if err := r.Put(SourceRecord{SourceSpec: SourceSpec{Name: "crm", Kind: KindMCP}}, sealed(t, "crm", mk("contact", "A contact."))); err != nil {
		t.Fatal(err)
	}
	return r
}

func editFile(t *testing.T, path, from, to string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), from) {
		t.Fatalf("%s does not contain %s", path, from)
	}
	mustWrite(t, path, []byte(strings.Replace(string(data), from, to, 1)), 0o644)
}

// readDir returns the index and the capability files of a registry.
func readDir(t *testing.T, dir string) ([]byte, map[string][]byte) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var index []byte
	files := map[string][]byte{}
	for _, e := range ents {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if e.Name() == IndexFile {
			index = data
		} else {
			files[e.Name()] = data
		}
	}
	return index, files
}

// TestTamperedCapability changes where a pinned capability is dispatched
// and leaves its digest: Get, Load, All and Verify refuse it, naming the
// file and line.
func TestTamperedCapability(t *testing.T) {
	r := pinned(t)
	index, files := readDir(t, r.Dir)
	if _, probs := Verify(index, files); len(probs) > 0 {
		t.Fatalf("Verify of an untouched registry: %v", probs)
	}
	path := filepath.Join(r.Dir, "billing.jsonl")
	editFile(t, path, `"server":"https://api.billing.example.com","method":"GET","path":"/getInvoice"`, `"server":"https://evil.example.net","method":"GET","path":"/getInvoice"`)

	r, err := Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Get("billing.getInvoice")
	var ce *CorruptError
	if !errors.As(err, &ce) || ce.Path != path || ce.Line != 2 || !strings.Contains(err.Error(), "billing.getInvoice") {
		t.Fatalf("Get of a tampered capability: %v", err)
	}
	if !strings.HasPrefix(err.Error(), path+":2: ") {
		t.Errorf("error does not start with file:line: %v", err)
	}
	// The other lines of the file still read.
	if c, err := r.Get("billing.listInvoices"); err != nil || c.Description != "List." {
		t.Errorf("Get of an untouched line: %v, %v", c, err)
	}
	if _, err := r.Load("billing"); !errors.As(err, &ce) || ce.Path != path || ce.Line != 2 {
		t.Errorf("Load of a tampered file: %v", err)
	}
	if _, err := r.All(); !isCorrupt(err, "billing.jsonl") {
		t.Errorf("All of a tampered file: %v", err)
	}
	if caps, err := r.Load("crm"); err != nil || len(caps) != 1 {
		t.Errorf("Load of an untouched source: %v, %v", caps, err)
	}
	index, files = readDir(t, r.Dir)
	_, probs := Verify(index, files)
	if len(probs) != 2 || probs[1].File != "billing.jsonl" || probs[1].Line != 2 || probs[0].Line != 0 {
		t.Fatalf("Verify of a tampered file: want the line and the file digest, got %v", probs)
	}
}

// TestTamperedResealed changes a capability and recomputes its digest, but
// not the file's digest or the index's pin: Get cannot tell (it reads one
// line), Load and Verify can.
func TestTamperedResealed(t *testing.T) {
	r := pinned(t)
	caps, err := r.Load("billing")
	if err != nil {
		t.Fatal(err)
	}
	c := caps[1]
	old, _ := json.Marshal(c)
	c.Target.Server = "https://evil.example.net"
	c.Digest = c.ComputeDigest()
	changed, _ := json.Marshal(c)
	path := filepath.Join(r.Dir, "billing.jsonl")
	editFile(t, path, string(old), string(changed))
	if _, err := r.Load("billing"); !isCorrupt(err, "billing.jsonl") || !strings.Contains(err.Error(), "has digest") {
		t.Errorf("Load with a stale file digest: %v", err)
	}

	// Recompute the file digest too: the index still pins the old digest.
	data, _ := os.ReadFile(path)
	index := filepath.Join(r.Dir, IndexFile)
	editFile(t, index, r.Index.Sources[0].FileDigest, DigestBytes(data))
	r, _ = Open(r.Dir)
	if _, err := r.Load("billing"); !isCorrupt(err, IndexFile) || !strings.Contains(err.Error(), "billing.getInvoice") {
		t.Errorf("Load with a stale index pin: %v", err)
	}
	idx, files := readDir(t, r.Dir)
	if _, probs := Verify(idx, files); len(probs) != 1 || probs[0].File != IndexFile || probs[0].Field != "/capabilities/1" {
		t.Errorf("Verify with a stale index pin: %v", probs)
	}
}

// TestIndexKeyOrder reads indexes whose keys are not in the order
// encodeIndex writes them: sorted (jq -S), and the capability list between
// the version and the sources. A later Put keeps every source.
func TestIndexKeyOrder(t *testing.T) {
	for _, order := range [][]string{
		{"capabilities", "sources", "version"},
		{"version", "capabilities", "sources"},
		{"sources", "capabilities", "version"},
		{"version", "sources", "capabilities"},
	} {
		t.Run(strings.Join(order, ","), func(t *testing.T) {
			r := pinned(t)
			path := filepath.Join(r.Dir, IndexFile)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var fields map[string]json.RawMessage
			if err := json.Unmarshal(data, &fields); err != nil {
				t.Fatal(err)
			}
			out := "{"
			for i, k := range order {
				if i > 0 {
					out += ",\n"
				}
				out += `"` + k + `": ` + string(fields[k])
			}
			mustWrite(t, path, []byte(out+"}\n"), 0o644)

			r, err = Open(r.Dir)
			if err != nil {
				t.Fatal(err)
			}
			if r.Index.Version != IndexVersion || len(r.Index.Sources) != 2 {
				t.Fatalf("version %d, %d sources", r.Index.Version, len(r.Index.Sources))
			}
			if e, err := r.Entry("crm.contact"); err != nil || e.Effect != EffectRead {
				t.Fatalf("Entry = %v, %v", e, err)
			}
			if err := r.Put(SourceRecord{SourceSpec: SourceSpec{Name: "docs", Kind: KindMCP}}, sealed(t, "docs", mk("search", ""))); err != nil {
				t.Fatal(err)
			}
			r, err = Open(r.Dir)
			if err != nil {
				t.Fatal(err)
			}
			all, err := r.All()
			if err != nil || len(r.Index.Sources) != 3 || len(all) != 5 {
				t.Fatalf("after Put: %d sources, %v, %v", len(r.Index.Sources), ids(all), err)
			}
		})
	}
}

// TestIndexRepeatedKeys refuses an index that repeats a key after a
// lazily skipped capability list, where Open cannot see it.
func TestIndexRepeatedKeys(t *testing.T) {
	r := pinned(t)
	path := filepath.Join(r.Dir, IndexFile)
	data, _ := os.ReadFile(path)
	s := strings.TrimRight(string(data), "}\n")
	mustWrite(t, path, []byte(s+`, "extra": {"a": [1]}, "sources": []}`), 0o644)
	r, err := Open(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Entries(); !isCorrupt(err, IndexFile) {
		t.Fatalf("Entries with a repeated key: %v", err)
	}
	mustWrite(t, path, []byte(s+`, "extra": {"a": [1]}}`), 0o644)
	if r, err = Open(r.Dir); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Entries(); err != nil {
		t.Fatalf("Entries with an unknown key after the list: %v", err)
	}
	mustWrite(t, path, []byte(s+`} {}`), 0o644)
	if r, err = Open(r.Dir); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Entries(); !isCorrupt(err, IndexFile) {
		t.Fatalf("Entries with data after the index: %v", err)
	}
}

// TestOpenChecksSources refuses an index whose source names or file names
// would let a path leave the registry directory.
func TestOpenChecksSources(t *testing.T) {
	for _, edit := range [][2]string{
		{`"file": "crm.jsonl"`, `"file": "../crm.jsonl"`},
		{`"file": "crm.jsonl"`, `"file": "billing.jsonl"`},
		{`"name": "crm"`, `"name": "../crm"`},
		{`"name": "crm"`, `"name": "billing"`},
	} {
		r := pinned(t)
		editFile(t, filepath.Join(r.Dir, IndexFile), edit[0], edit[1])
		if _, err := Open(r.Dir); !isCorrupt(err, IndexFile) {
			t.Errorf("%s: Open = %v", edit[1], err)
		}
	}
}

func TestPutChecksName(t *testing.T) {
	r, _ := Open(t.TempDir())
	for _, name := range []string{"../x", "a/b", "", "X"} {
		c := mk("op", "")
		c.Source, c.ID = name, name+".op"
		c.Digest = c.ComputeDigest()
		if err := r.Put(SourceRecord{SourceSpec: SourceSpec{Name: name}}, []Capability{c}); err == nil {
			t.Errorf("Put of source %q accepted", name)
		}
	}
	c := sealed(t, "s", mk("op", ""))
	c[0].Description = "changed after sealing"
	if err := r.Put(SourceRecord{SourceSpec: SourceSpec{Name: "s"}}, c); err == nil {
		t.Error("Put of a capability whose digest does not match accepted")
	}
}

// TestVerify checks the problems Verify reports on whole registries.
func TestVerify(t *testing.T) {
	r := pinned(t)
	index, files := readDir(t, r.Dir)
	idx, probs := Verify(index, files)
	if len(probs) > 0 || len(idx.Sources) != 2 || len(idx.Capabilities) != 4 {
		t.Fatalf("Verify = %v, %v", idx, probs)
	}
	clone := func() map[string][]byte {
		out := map[string][]byte{}
		for k, v := range files {
			out[k] = v
		}
		return out
	}
	for name, tc := range map[string]struct {
		index string
		files func(map[string][]byte)
		want  Problem
	}{
		"missing file":  {files: func(f map[string][]byte) { delete(f, "crm.jsonl") }, want: Problem{File: "crm.jsonl"}},
		"extra file":    {files: func(f map[string][]byte) { f["x.jsonl"] = nil }, want: Problem{File: "x.jsonl"}},
		"blank line":    {files: func(f map[string][]byte) { f["crm.jsonl"] = append([]byte("\n"), f["crm.jsonl"]...) }, want: Problem{File: "crm.jsonl", Line: 1}},
		"unknown field": {index: strings.Replace(string(index), `"version"`, `"extra": 1, "version"`, 1), want: Problem{File: IndexFile}},
		"version":       {index: strings.Replace(string(index), `"version": 1`, `"version": 2`, 1), want: Problem{File: IndexFile, Field: "/version"}},
		"count":         {index: strings.Replace(string(index), `"capabilities": 1`, `"capabilities": 2`, 1), want: Problem{File: IndexFile, Field: "/sources/1/capabilities"}},
		"orphan entry":  {index: strings.Replace(string(index), `"id": "crm.contact"`, `"id": "zzz.contact"`, 1), want: Problem{File: IndexFile, Field: "/capabilities/3"}},
	} {
		t.Run(name, func(t *testing.T) {
			f := clone()
			if tc.files != nil {
				tc.files(f)
			}
			in := index
			if tc.index != "" {
				in = []byte(tc.index)
			}
			_, probs := Verify(in, f)
			for _, p := range probs {
				if p.File == tc.want.File && p.Line == tc.want.Line && p.Field == tc.want.Field {
					return
				}
			}
			t.Errorf("want a problem at %s:%d#%s, got %v", tc.want.File, tc.want.Line, tc.want.Field, probs)
		})
	}
}

// TestUnsortedFile refuses a capability file whose lines are out of order
// even when its digest is pinned: Get could not find every line of it.
func TestUnsortedFile(t *testing.T) {
	r := pinned(t)
	path := filepath.Join(r.Dir, "billing.jsonl")
	data, _ := os.ReadFile(path)
	lines := strings.SplitAfter(string(data), "\n")
	swapped := lines[1] + lines[0] + lines[2]
	mustWrite(t, path, []byte(swapped), 0o644)
	editFile(t, filepath.Join(r.Dir, IndexFile), r.Index.Sources[0].FileDigest, DigestBytes([]byte(swapped)))
	r, _ = Open(r.Dir)
	var ce *CorruptError
	if _, err := r.Load("billing"); !errors.As(err, &ce) || ce.Line != 2 || !strings.Contains(err.Error(), "not sorted") {
		t.Fatalf("Load of an unsorted file: %v", err)
	}
}
