package graphql

import "testing"

func benchmarkCorpus(b *testing.B, file string) {
	corpusDir(b)
	b.ReportAllocs()
	for b.Loop() {
		res := importCorpus(b, file)
		if len(res.Capabilities) == 0 {
			b.Fatal("no capabilities")
		}
	}
}

func BenchmarkImportGitHubSDL(b *testing.B) {
	benchmarkCorpus(b, "github-schema.graphql")
}

func BenchmarkImportGitHubIntrospection(b *testing.B) {
	benchmarkCorpus(b, "github-introspection.json")
}

func BenchmarkImportSaleorSDL(b *testing.B) {
	benchmarkCorpus(b, "saleor-schema.graphql")
}
