package capability

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func mk(name, desc string) Capability {
	return Capability{
		Name: name, Kind: KindOpenAPI, Effect: EffectRead, Description: desc,
		InputSchema: json.RawMessage(`{"type":"object","properties":{"b":{"type":"string"},"a":{"type":"integer"}}}`),
		Target:      Target{Server: "https://api.example.com", Method: "GET", Path: "/" + name},
	}
}

func sealed(t *testing.T, src string, cs ...Capability) []Capability {
	t.Helper()
	for i := range cs {
		if err := cs[i].Seal(src); err != nil {
			t.Fatal(err)
		}
	}
	return cs
}

func TestSealCanonicalizesAndDigests(t *testing.T) {
	a := mk("get", "Get it.")
	b := mk("get", "Get it.")
	b.InputSchema = json.RawMessage("{\n \"properties\": {\"a\": {\"type\": \"integer\"}, \"b\": {\"type\":\"string\"}},\n \"type\": \"object\"}")
	sealed(t, "src", a)
	if err := a.Seal("src"); err != nil {
		t.Fatal(err)
	}
	if err := b.Seal("src"); err != nil {
		t.Fatal(err)
	}
	if a.ID != "src.get" || a.Source != "src" {
		t.Fatalf("id = %q source = %q", a.ID, a.Source)
	}
	if string(a.InputSchema) != `{"properties":{"a":{"type":"integer"},"b":{"type":"string"}},"type":"object"}` {
		t.Fatalf("not canonical: %s", a.InputSchema)
	}
	if a.Digest != b.Digest || !strings.HasPrefix(a.Digest, "sha256:") || len(a.Digest) != 71 {
		t.Fatalf("digests differ or malformed: %s %s", a.Digest, b.Digest)
	}
	// Every part of the definition is covered by the digest.
	for name, change := range map[string]func(*Capability){
		"description": func(c *Capability) { c.Description += " Also deletes everything." },
		"schema":      func(c *Capability) { c.InputSchema = json.RawMessage(`{"type":"object"}`) },
		"target":      func(c *Capability) { c.Target.Server = "https://evil.example.com" },
		"effect":      func(c *Capability) { c.Effect = EffectDestructive },
		"name":        func(c *Capability) { c.Name = "get2" },
	} {
		c := mk("get", "Get it.")
		change(&c)
		if err := c.Seal("src"); err != nil {
			t.Fatal(err)
		}
		if c.Digest == a.Digest {
			t.Errorf("changing the %s does not change the digest", name)
		}
	}
}

func TestSealRejectsInvalidSchema(t *testing.T) {
	c := mk("x", "")
	c.InputSchema = json.RawMessage(`{"type":`)
	if err := c.Seal("s"); err == nil {
		t.Fatal("want error for invalid schema JSON")
	}
	c.InputSchema = json.RawMessage(`{} {}`)
	if err := c.Seal("s"); err == nil {
		t.Fatal("want error for trailing data")
	}
}

func TestNames(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"repos/get-content", "repos/get-content"},
		{"get /pets/{id}", "get_/pets/{id}"},
		{"  weird name!! ", "weird_name"},
		{"", "unnamed"},
		{"ünïcode", "n_code"},
		{" }", "unnamed"},
		{"{id}/x", "id}/x"},
		{"/pets/{id}", "pets/{id}"},
	} {
		if got := SanitizeName(tc.in); got != tc.want {
			t.Errorf("SanitizeName(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if !ValidName(SanitizeName(tc.in)) {
			t.Errorf("SanitizeName(%q) is not valid", tc.in)
		}
	}
	for _, ok := range []string{"petstore", "a", "my-api_2"} {
		if err := ValidSourceName(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "Pet", "a.b", "1abc", "a b", strings.Repeat("a", 64)} {
		if err := ValidSourceName(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if s, n, ok := SplitID("github.repos/get.x"); !ok || s != "github" || n != "repos/get.x" {
		t.Errorf("SplitID = %q %q %v", s, n, ok)
	}
}

func TestRegistryPutGetLoadRemove(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "registry")
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	b := sealed(t, "billing", mk("listInvoices", "List."), mk("getInvoice", "Get."))
	c := sealed(t, "crm", mk("contact", "A contact."))
	if err := r.Put(SourceRecord{SourceSpec: SourceSpec{Name: "billing", Kind: KindOpenAPI, Location: "b.yaml"}, Digest: "sha256:1"}, b); err != nil {
		t.Fatal(err)
	}
	if err := r.Put(SourceRecord{SourceSpec: SourceSpec{Name: "crm", Kind: KindGraphQL, Location: "c.graphql"}, Digest: "sha256:2"}, c); err != nil {
		t.Fatal(err)
	}

	r2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := r2.Get("billing.getInvoice")
	if err != nil {
		t.Fatal(err)
	}
	if got.Digest != b[1].Digest || got.Description != "Get." {
		t.Fatalf("Get returned %+v", got)
	}
	// A prefix of an id is not that id.
	if _, err := r2.Get("billing.get"); err == nil {
		t.Fatal("prefix id found")
	}
	var nf *NotFoundError
	_, err = r2.Get("billing.getInvoic")
	if !asNotFound(err, &nf) || len(nf.Suggestions) == 0 || nf.Suggestions[0] != "billing.getInvoice" {
		t.Fatalf("want suggestion, got %v", err)
	}
	all, err := r2.All()
	if err != nil || len(all) != 3 || all[0].ID != "billing.getInvoice" || all[2].ID != "crm.contact" {
		t.Fatalf("All = %v, %v", ids(all), err)
	}
	rec, err := r2.Source("billing")
	if err != nil || rec.Capabilities != 2 || rec.File != "billing.jsonl" || !strings.HasPrefix(rec.FileDigest, "sha256:") {
		t.Fatalf("record %+v %v", rec, err)
	}

	// Re-pinning a source replaces its capabilities in the index.
	if err := r2.Put(SourceRecord{SourceSpec: SourceSpec{Name: "billing", Kind: KindOpenAPI}}, sealed(t, "billing", mk("listInvoices", "List."))); err != nil {
		t.Fatal(err)
	}
	if _, err := r2.Entry("billing.getInvoice"); err == nil {
		t.Fatal("stale index entry kept")
	}
	if err := r2.Remove("crm"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "crm.jsonl")); !os.IsNotExist(err) {
		t.Fatal("capability file not removed")
	}
	if _, err := r2.Source("crm"); err == nil {
		t.Fatal("source still present")
	}
}

func TestRegistryPutRefusesUnsealedAndDuplicates(t *testing.T) {
	r, _ := Open(t.TempDir())
	if err := r.Put(SourceRecord{SourceSpec: SourceSpec{Name: "s"}}, []Capability{mk("x", "")}); err == nil {
		t.Fatal("unsealed capability accepted")
	}
	dup := sealed(t, "s", mk("x", ""), mk("x", ""))
	if err := r.Put(SourceRecord{SourceSpec: SourceSpec{Name: "s"}}, dup); err == nil {
		t.Fatal("duplicate ids accepted")
	}
	if _, err := os.Stat(filepath.Join(r.Dir, IndexFile)); !os.IsNotExist(err) {
		t.Fatal("a refused Put wrote the index")
	}
}

func TestRegistryDeterministic(t *testing.T) {
	write := func(order []string) string {
		dir := t.TempDir()
		r, _ := Open(dir)
		caps := map[string][]Capability{
			"a": sealed(t, "a", mk("z", "Z."), mk("y", "Y.")),
			"b": sealed(t, "b", mk("x", "X <&> \u2603.")),
		}
		for _, s := range order {
			if err := r.Put(SourceRecord{SourceSpec: SourceSpec{Name: s, Kind: KindMCP}, Provenance: map[string]string{"k2": "v", "k1": "v"}}, caps[s]); err != nil {
				t.Fatal(err)
			}
		}
		var all strings.Builder
		for _, f := range []string{IndexFile, "a.jsonl", "b.jsonl"} {
			b, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			all.Write(b)
		}
		return all.String()
	}
	one, two := write([]string{"a", "b"}), write([]string{"b", "a"})
	if one != two {
		t.Fatalf("registry depends on insertion order:\n%s\n---\n%s", one, two)
	}
	if !strings.Contains(one, "X <&>") {
		t.Fatal("HTML characters were escaped")
	}
}

func TestOpenRejectsCorruptIndex(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, IndexFile), []byte(`{"version":1,`), 0o644)
	if _, err := Open(dir); !isCorrupt(err, IndexFile) {
		t.Fatalf("got %v", err)
	}
	mustWrite(t, filepath.Join(dir, IndexFile), []byte(`{"version":99}`), 0o644)
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "version 99") {
		t.Fatalf("got %v", err)
	}
}

func ids(cs []Capability) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

func asNotFound(err error, target **NotFoundError) bool {
	nf, ok := err.(*NotFoundError)
	if ok {
		*target = nf
	}
	return ok
}

// TestGetBinarySearch checks the sorted-file search against every id of a
// source with lines of very different lengths, and ids that fall before,
// between and after them.
func TestGetBinarySearch(t *testing.T) {
	for _, n := range []int{1, 2, 3, 17, 300} {
		r, _ := Open(t.TempDir())
		var caps []Capability
		for i := 0; i < n; i++ {
			c := mk(fmt.Sprintf("op%04d", i*2), strings.Repeat("long description ", (i*7919)%900))
			caps = append(caps, c)
		}
		caps = sealed(t, "s", caps...)
		if err := r.Put(SourceRecord{SourceSpec: SourceSpec{Name: "s", Kind: KindOpenAPI}}, caps); err != nil {
			t.Fatal(err)
		}
		r, _ = Open(r.Dir)
		for i := 0; i < n; i++ {
			id := fmt.Sprintf("s.op%04d", i*2)
			c, err := r.Get(id)
			if err != nil || c.ID != id {
				t.Fatalf("n=%d: Get(%s) = %v, %v", n, id, c, err)
			}
			for _, missing := range []string{fmt.Sprintf("s.op%04d", i*2+1), id + "x", id[:len(id)-1]} {
				if _, err := r.Get(missing); err == nil {
					t.Fatalf("n=%d: Get(%s) found a capability", n, missing)
				}
			}
		}
		if _, err := r.Get("s.a"); err == nil {
			t.Fatal("id before the first found")
		}
		if _, err := r.Get("s.zzz"); err == nil {
			t.Fatal("id after the last found")
		}
	}
}

func mustWrite(t *testing.T, path string, data []byte, perm os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, data, perm); err != nil {
		t.Fatal(err)
	}
}

// TestLazyEntries checks that Open reads only the sources of the index and
// that a damaged capability list is still reported when it is needed.
func TestLazyEntries(t *testing.T) {
	dir := t.TempDir()
	r, _ := Open(dir)
	if err := r.Put(SourceRecord{SourceSpec: SourceSpec{Name: "s", Kind: KindOpenAPI}}, sealed(t, "s", mk("a", "A."), mk("b", "B."))); err != nil {
		t.Fatal(err)
	}
	idx := filepath.Join(dir, IndexFile)
	data, err := os.ReadFile(idx)
	if err != nil {
		t.Fatal(err)
	}
	i := strings.LastIndex(string(data), `"capabilities"`) // the top-level list, not a source's count
	mustWrite(t, idx, append(data[:i:i], []byte(`"capabilities": [{"id": "s.a", "effect": tru`)...), 0o644)
	r, err = Open(dir)
	if err != nil {
		t.Fatalf("Open read the capability list: %v", err)
	}
	if c, err := r.Get("s.b"); err != nil || c.Description != "B." {
		t.Fatalf("Get = %v, %v", c, err)
	}
	if _, err := r.Entries(); !isCorrupt(err, IndexFile) {
		t.Fatalf("Entries on a damaged list: %v", err)
	}
	if err := r.Put(SourceRecord{SourceSpec: SourceSpec{Name: "t"}}, sealed(t, "t", mk("c", ""))); err == nil {
		t.Fatal("Put rewrote a damaged index")
	}
}

func TestValidNameAndID(t *testing.T) {
	for name, want := range map[string]bool{
		"listInvoices": true, "repos/get-content": true, "_x": true, "9a": true, "a.b{c}": true,
		"": false, "{id}": false, ".x": false, "-x": false, "a b": false, "ünï": false,
		strings.Repeat("a", 200): true, strings.Repeat("a", 201): false,
	} {
		if ValidName(name) != want {
			t.Errorf("ValidName(%q) = %v, want %v", name, !want, want)
		}
	}
	for id, want := range map[string]bool{
		"billing.listInvoices": true, "gh.repos/get.x": true,
		"billing": false, "Billing.x": false, "billing.": false, ".x": false, "b.{x}": false,
	} {
		if ValidID(id) != want {
			t.Errorf("ValidID(%q) = %v, want %v", id, !want, want)
		}
	}
}
