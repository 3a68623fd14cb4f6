package mcp

import (
	"errors"
	"strings"
	"testing"

	"github.com/forgehq/forge/internal/capability"
	"github.com/forgehq/forge/internal/source"
)

func TestEffect(t *testing.T) {
	yes, no := new(bool), new(bool)
	*yes = true
	for _, tc := range []struct {
		readOnly, destructive *bool
		want                  capability.Effect
	}{
		{nil, nil, capability.EffectDestructive},
		{yes, nil, capability.EffectRead},
		{yes, yes, capability.EffectRead},
		{yes, no, capability.EffectRead},
		{no, nil, capability.EffectDestructive},
		{no, yes, capability.EffectDestructive},
		{no, no, capability.EffectWrite},
		{nil, no, capability.EffectWrite},
		{nil, yes, capability.EffectDestructive},
	} {
		if got := Effect(tc.readOnly, tc.destructive); got != tc.want {
			t.Errorf("Effect(%v, %v) = %s, want %s", fmtHint(tc.readOnly), fmtHint(tc.destructive), got, tc.want)
		}
	}
}

func fmtHint(b *bool) string {
	if b == nil {
		return "absent"
	}
	if *b {
		return "true"
	}
	return "false"
}

var target = capability.Target{Transport: "stdio", Command: "srv"}

func TestConvertToolsList(t *testing.T) {
	res, err := ConvertToolsList([]byte(`{"tools":[
		{"name":"zeta","description":"Z.","inputSchema":{"type":"object","properties":{"q":{"type":"string","x-extra":[1,2.50]}}},"annotations":{"readOnlyHint":true}},
		{"name":"has space","inputSchema":{"type":"object"}},
		{"name":"no_schema"},
		{"name":"array_type","inputSchema":{"type":"array"},"annotations":{"readOnlyHint":"yes","title":"Array"}}
	],"nextCursor":null}`), "srv", target)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, c := range res.Capabilities {
		names = append(names, c.Name+"/"+string(c.Effect)+"/"+c.Target.Tool)
	}
	if got := strings.Join(names, " "); got != "array_type/destructive/array_type has_space/destructive/has space no_schema/destructive/no_schema zeta/read/zeta" {
		t.Errorf("capabilities %s", got)
	}
	// The schema is kept as sent, extensions and number spelling included.
	if got := string(res.Capabilities[3].InputSchema); got != `{"type":"object","properties":{"q":{"type":"string","x-extra":[1,2.50]}}}` {
		t.Errorf("schema %s", got)
	}
	if got := string(res.Capabilities[2].InputSchema); got != defaultInputSchema {
		t.Errorf("default schema %s", got)
	}
	if res.Capabilities[0].Description != "Array" {
		t.Errorf("annotation title not used as description: %q", res.Capabilities[0].Description)
	}
	codes := []string{}
	for _, w := range res.Warnings {
		codes = append(codes, w.Code+"@"+w.Location)
	}
	if got := strings.Join(codes, " "); got != "mcp-tool-name@has space mcp-no-input-schema@no_schema mcp-input-schema-type@array_type mcp-annotations@array_type" {
		t.Errorf("warnings %s", got)
	}
	if !strings.HasPrefix(res.Digest, "sha256:") {
		t.Errorf("digest %q", res.Digest)
	}
}

func TestConvertDigestCanonical(t *testing.T) {
	a, err := ConvertToolsList([]byte(`{"tools":[{"name":"a","inputSchema":{"type":"object","b":1,"a":2}},{"name":"b","inputSchema":{}}]}`), "x", target)
	if err != nil {
		t.Fatal(err)
	}
	// Same tools, other order, other key order, other white space.
	b, err := ConvertToolsList([]byte(`{ "tools" : [ {"inputSchema":{},"name":"b"}, {"inputSchema":{"a":2,"type":"object","b":1},"name":"a"} ] }`), "y", target)
	if err != nil {
		t.Fatal(err)
	}
	if a.Digest != b.Digest {
		t.Errorf("digests differ: %s %s", a.Digest, b.Digest)
	}
	c, err := ConvertToolsList([]byte(`{"tools":[{"name":"a","inputSchema":{"type":"object","b":1,"a":3}},{"name":"b","inputSchema":{}}]}`), "x", target)
	if err != nil {
		t.Fatal(err)
	}
	if c.Digest == a.Digest {
		t.Error("a changed schema keeps the digest")
	}
}

func TestConvertInvalid(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`not json`, "not valid JSON"},
		{`[1]`, "is a JSON array, not an object"},
		{`null`, "is null"},
		{`{}`, `has no "tools" array`},
		{`{"tools":null}`, `"tools" in the tools/list result is a JSON null, not an array`},
		{`{"tools":[],"nextCursor":5}`, `"nextCursor" in the tools/list result is a JSON number, not a string`},
		{`{"tools":[7]}`, "tool #1: is a JSON number, not an object"},
		{`{"tools":[{"inputSchema":{}}]}`, "tool #1: has no name"},
		{`{"tools":[{"name":3}]}`, "tool #1: name is a JSON number, not a string"},
		{`{"tools":[{"name":"  "}]}`, "tool #1: has an empty name"},
		{`{"tools":[{"name":"a"},{"name":"a"}]}`, `tool "a": is listed twice (tools #1 and #2)`},
		{`{"tools":[{"name":"a","inputSchema":true}]}`, `tool "a": inputSchema is a JSON boolean, not an object`},
		{`{"tools":[{"name":"a","description":["x"]}]}`, `tool "a": description is a JSON array, not a string`},
		{`{"tools":[{"name":"a b"},{"name":"a_b"}]}`, `tool "a_b": and tool "a b" both become the capability name "a_b"`},
	} {
		_, err := ConvertToolsList([]byte(tc.in), "srv", target)
		var ie *source.InputError
		if !errors.As(err, &ie) {
			t.Errorf("%s: error %v, want *source.InputError", tc.in, err)
			continue
		}
		if ie.File != "srv" || !strings.Contains(ie.Msg, tc.want) || ie.Hint == "" {
			t.Errorf("%s: error %q (file %q, hint %q), want %q", tc.in, ie.Msg, ie.File, ie.Hint, tc.want)
		}
	}
}

func TestDescribe(t *testing.T) {
	for _, tc := range []struct{ title, desc, want string }{
		{"", "", ""},
		{"", "D", "D"},
		{"T", "", "T"},
		{"T", "D", "T\n\nD"},
		{"Same", "Same", "Same"},
	} {
		if got := describe(tc.title, tc.desc); got != tc.want {
			t.Errorf("describe(%q, %q) = %q, want %q", tc.title, tc.desc, got, tc.want)
		}
	}
}
