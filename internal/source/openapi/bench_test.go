package openapi

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/forgehq/forge/internal/capability"
	"github.com/forgehq/forge/internal/source"
)

const githubREST = "github-rest-api.github.com.3.0.json"

// BenchmarkKinLoadGitHubREST is the reference: kin-openapi's bare load of
// the 13 MB GitHub REST description.
func BenchmarkKinLoadGitHubREST(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(corpusDir(b), "openapi", githubREST))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := openapi3.NewLoader().LoadFromData(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkImportGitHubREST is everything forge does with the same file
// short of writing the registry: read, import, seal and encode.
func BenchmarkImportGitHubREST(b *testing.B) {
	dir := filepath.Join(corpusDir(b), "openapi")
	spec := source.Spec{Name: "github", Kind: capability.KindOpenAPI, Location: githubREST}
	b.ReportAllocs()
	for b.Loop() {
		res, err := Importer{}.Import(context.Background(), spec, source.Options{Dir: dir})
		if err != nil {
			b.Fatal(err)
		}
		for i := range res.Capabilities {
			if err := res.Capabilities[i].Seal(spec.Name); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := capability.EncodeCapabilities(res.Capabilities); err != nil {
			b.Fatal(err)
		}
	}
}
