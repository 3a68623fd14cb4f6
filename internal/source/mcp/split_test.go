package mcp

import (
	"fmt"
	"strings"
	"testing"
)

func TestSplitCommand(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"node server.js", []string{"node", "server.js"}},
		{"  node\tserver.js  stdio ", []string{"node", "server.js", "stdio"}},
		{`node 'my server.js' "a b" c\ d`, []string{"node", "my server.js", "a b", "c d"}},
		{`echo "say \"hi\" \$HOME \n" 'it''s'`, []string{"echo", `say "hi" $HOME \n`, "its"}},
		{`a '' ""`, []string{"a", "", ""}},
		{"a \\\n b", []string{"a", "b"}},
		{`x=$HOME *.js | cat`, []string{"x=$HOME", "*.js", "|", "cat"}},
		{`a'b'"c"d`, []string{"abcd"}},
	} {
		got, err := splitCommand(tc.in)
		if err != nil || fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tc.want) {
			t.Errorf("splitCommand(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"", "empty"},
		{"   ", "empty"},
		{"node 'x", "unterminated single quote"},
		{`node "x`, "unterminated double quote"},
		{`node "x\"`, "unterminated double quote"},
		{`node x\`, "backslash"},
	} {
		if _, err := splitCommand(tc.in); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("splitCommand(%q): error %v, want %q", tc.in, err, tc.want)
		}
	}
}
