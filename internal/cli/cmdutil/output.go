package cmdutil

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/forgehq/forge/internal/capability"
)

// Table returns a tab writer for aligned human output.
func Table(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
}

// NonNil makes nil slices encode as [] in JSON output.
func NonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// DescribeTarget says what a capability calls, for people: the method and
// URL of an OpenAPI operation, the operation and field of a GraphQL one,
// the tool and server of an MCP tool.
func DescribeTarget(c *capability.Capability) string {
	t := c.Target
	switch c.Kind {
	case capability.KindOpenAPI:
		return fmt.Sprintf("%s %s%s", t.Method, t.Server, t.Path)
	case capability.KindGraphQL:
		s := fmt.Sprintf("%s %s", t.Operation, t.Field)
		if t.Endpoint != "" {
			s += " at " + t.Endpoint
		}
		return s
	default:
		where := t.Command
		if where == "" {
			where = t.URL
		}
		return fmt.Sprintf("tool %s via %s (%s)", t.Tool, where, t.Transport)
	}
}
