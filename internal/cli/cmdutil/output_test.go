package cmdutil

import (
	"encoding/json"
	"testing"

	"github.com/forgehq/forge/internal/capability"
)

func TestDescribeTarget(t *testing.T) {
	for _, tc := range []struct {
		c    capability.Capability
		want string
	}{
		{
			capability.Capability{Kind: capability.KindOpenAPI, Target: capability.Target{Method: "GET", Server: "https://api.example.com/v1", Path: "/invoices/{id}"}},
			"GET https://api.example.com/v1/invoices/{id}",
		},
		{
			capability.Capability{Kind: capability.KindGraphQL, Target: capability.Target{Operation: "query", Field: "viewer", Endpoint: "https://api.example.com/graphql"}},
			"query viewer at https://api.example.com/graphql",
		},
		{
			capability.Capability{Kind: capability.KindMCP, Target: capability.Target{Tool: "search", URL: "https://mcp.example.com/mcp", Transport: "streamable-http"}},
			"tool search via https://mcp.example.com/mcp (streamable-http)",
		},
	} {
		if got := DescribeTarget(&tc.c); got != tc.want {
			t.Errorf("DescribeTarget(%s) = %q, want %q", tc.c.Kind, got, tc.want)
		}
	}
}

func TestNonNil(t *testing.T) {
	var none []string
	b, err := json.Marshal(NonNil(none))
	if err != nil || string(b) != "[]" {
		t.Fatalf("NonNil(nil) encodes as %s (%v), want []", b, err)
	}
}
