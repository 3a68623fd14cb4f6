package graphql_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/forgehq/forge/internal/source"
	"github.com/forgehq/forge/internal/source/graphql"
)

func ExampleImporter_Import() {
	dir, err := os.MkdirTemp("", "graphql-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	sdl := `type Query { issue(number: Int!): String }
type Mutation { closeIssue(number: Int!, reason: String): Boolean }
type Subscription { issueClosed: Int }`
	if err := os.WriteFile(filepath.Join(dir, "schema.graphql"), []byte(sdl), 0o644); err != nil {
		fmt.Println(err)
		return
	}
	res, err := graphql.Importer{}.Import(context.Background(),
		source.Spec{Name: "tracker", Kind: "graphql", Location: "schema.graphql"},
		source.Options{Dir: dir})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range res.Capabilities {
		fmt.Printf("%s %s %s\n", c.Name, c.Effect, c.InputSchema)
	}
	// Output:
	// issue read {"additionalProperties":false,"properties":{"number":{"type":"integer","x-graphql-type":"Int!"}},"required":["number"],"type":"object"}
	// closeIssue write {"additionalProperties":false,"properties":{"number":{"type":"integer","x-graphql-type":"Int!"},"reason":{"type":["string","null"],"x-graphql-type":"String"}},"required":["number"],"type":"object"}
}
