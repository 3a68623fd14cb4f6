package capability

import (
	"fmt"
	"strings"
	"testing"
)

// benchRegistry pins sources capabilities of realistic size (a
// description, a schema) into a new registry and returns its directory
// and one id per source.
func benchRegistry(b *testing.B, sources, perSource int) (string, []string) {
	b.Helper()
	dir := b.TempDir()
	r, err := Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	var ids []string
	for s := 0; s < sources; s++ {
		name := fmt.Sprintf("src%02d", s)
		caps := make([]Capability, perSource)
		for i := range caps {
			caps[i] = Capability{
				Name:        fmt.Sprintf("operation%05d", i),
				Kind:        KindOpenAPI,
				Effect:      EffectRead,
				Description: strings.Repeat("Returns the thing. ", 10),
				InputSchema: []byte(`{"type":"object","properties":{"id":{"type":"string"},"limit":{"type":"integer","minimum":1,"maximum":100},"cursor":{"type":"string"}},"required":["id"]}`),
				Target:      Target{Server: "https://api.example.com/v1", Method: "GET", Path: fmt.Sprintf("/things/%d/{id}", i)},
			}
			if err := caps[i].Seal(name); err != nil {
				b.Fatal(err)
			}
		}
		if err := r.Put(SourceRecord{SourceSpec: SourceSpec{Name: name, Kind: KindOpenAPI}}, caps); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, caps[perSource*2/3].ID)
	}
	return dir, ids
}

// BenchmarkGet is one lookup by id from a fresh Open (what `forge
// capability show ID` and `forge validate` do), in a registry of 6 sources
// of 1,000 capabilities each.
func BenchmarkGet(b *testing.B) {
	dir, ids := benchRegistry(b, 6, 1000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := r.Get(ids[i%len(ids)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoad reads every capability of one source of 1,000.
func BenchmarkLoad(b *testing.B) {
	dir, _ := benchRegistry(b, 6, 1000)
	r, err := Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := r.Load("src03"); err != nil {
			b.Fatal(err)
		}
	}
}
