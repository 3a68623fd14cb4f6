package openapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"
)

// decodeError is a structural defect found while decoding, with a byte
// offset into the JSON text or a YAML line when one is known.
type decodeError struct {
	msg    string
	hint   string
	offset int64 // byte offset into the JSON text, -1 when unknown
	line   int   // YAML line, 0 when unknown
	err    error
}

func (e *decodeError) Error() string { return e.msg }

// looksLikeJSON reports whether data (without a BOM) starts like a JSON
// document. Everything else is read as YAML.
func looksLikeJSON(data []byte) bool {
	t := bytes.TrimLeft(data, " \t\r\n")
	return len(t) > 0 && (t[0] == '{' || t[0] == '[')
}

// splitTop decodes the top level of a JSON document into its members. It
// checks the whole text, so a syntax error anywhere is reported here, with its
// offset.
func splitTop(data []byte) (map[string]json.RawMessage, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, jsonDecodeError(err, "")
	}
	if top == nil {
		return nil, &decodeError{msg: "the document is null, not an object", offset: -1, hint: "an OpenAPI document is an object with an \"openapi\" (or \"swagger\") field"}
	}
	return top, nil
}

// jsonDecodeError turns an encoding/json error into a decodeError; where
// names the part of the document being decoded ("" for the whole).
func jsonDecodeError(err error, where string) *decodeError {
	prefix := ""
	if where != "" {
		prefix = where + ": "
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		// Offset counts the bytes read, the offending one included.
		off := se.Offset
		if off > 0 && !strings.Contains(se.Error(), "unexpected end") {
			off--
		}
		if where != "" {
			off = -1 // the offset is relative to a part, not the file
		}
		return &decodeError{
			msg: prefix + "malformed JSON: " + se.Error(), offset: off, err: err,
			hint: "fix the JSON syntax at this position",
		}
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		off := te.Offset
		if where != "" {
			off = -1
		}
		msg := fmt.Sprintf("%sa JSON %s is not allowed here", prefix, te.Value)
		if te.Field != "" {
			msg = fmt.Sprintf("%sfield %q: a JSON %s is not allowed here", prefix, te.Field, te.Value)
		}
		if te.Field == "" && where == "" {
			msg = "the document is a JSON " + te.Value + ", not an object"
			off = -1
		}
		return &decodeError{msg: msg, offset: off, err: err, hint: "check the document against the OpenAPI specification"}
	}
	return &decodeError{msg: prefix + err.Error(), offset: -1, err: err, hint: "check the document against the OpenAPI specification"}
}

var yamlLineRE = regexp.MustCompile(`line (\d+)`)

// yamlToJSON converts a YAML document to JSON text. Mapping keys become
// strings, timestamps stay strings (as written), merge keys ("<<") are
// applied and aliases are expanded within a size budget.
func yamlToJSON(data []byte) ([]byte, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(err)
	}
	if root.Kind == 0 || (root.Kind == yaml.DocumentNode && len(root.Content) == 0) {
		return nil, &decodeError{msg: "the document is empty", offset: -1, hint: "name an OpenAPI or Swagger document"}
	}
	node := &root
	if node.Kind == yaml.DocumentNode {
		node = node.Content[0]
	}
	if node.Kind != yaml.MappingNode {
		return nil, &decodeError{
			msg: "the document is not a mapping (object)", offset: -1, line: node.Line,
			hint: "an OpenAPI document is an object with an \"openapi\" (or \"swagger\") field",
		}
	}
	c := yamlConv{budget: int64(len(data))*16 + 1<<20}
	c.buf.Grow(len(data))
	if err := c.node(node, 0); err != nil {
		return nil, err
	}
	return c.buf.Bytes(), nil
}

func yamlError(err error) *decodeError {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = strings.Replace(msg, "line "+m[1]+": ", "", 1)
	}
	return &decodeError{
		msg: "malformed YAML: " + msg, offset: -1, line: line, err: err,
		hint: "fix the YAML syntax at this line (indentation, quoting, ':' inside values)",
	}
}

type yamlConv struct {
	buf    bytes.Buffer
	budget int64 // bytes of output allowed, against alias expansion bombs
}

const maxYAMLDepth = 512

func (c *yamlConv) node(n *yaml.Node, depth int) error {
	if depth > maxYAMLDepth {
		return &decodeError{msg: "the YAML document is nested too deeply", offset: -1, line: n.Line}
	}
	if int64(c.buf.Len()) > c.budget {
		return &decodeError{
			msg: "the YAML document expands (through aliases) to more than its size budget", offset: -1, line: n.Line,
			hint: "avoid deeply repeated anchors and aliases",
		}
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			c.buf.WriteString("null")
			return nil
		}
		return c.node(n.Content[0], depth+1)
	case yaml.AliasNode:
		if n.Alias == nil {
			c.buf.WriteString("null")
			return nil
		}
		return c.node(n.Alias, depth+1)
	case yaml.SequenceNode:
		c.buf.WriteByte('[')
		for i, e := range n.Content {
			if i > 0 {
				c.buf.WriteByte(',')
			}
			if err := c.node(e, depth+1); err != nil {
				return err
			}
		}
		c.buf.WriteByte(']')
		return nil
	case yaml.MappingNode:
		c.buf.WriteByte('{')
		first := true
		if err := c.mapping(n, depth, &first); err != nil {
			return err
		}
		c.buf.WriteByte('}')
		return nil
	case yaml.ScalarNode:
		c.scalar(n)
		return nil
	}
	return &decodeError{msg: "unsupported YAML node", offset: -1, line: n.Line}
}

// mapping writes the members of n. Merged mappings are written first so that
// the keys written explicitly win (encoding/json keeps the last duplicate).
func (c *yamlConv) mapping(n *yaml.Node, depth int, first *bool) error {
	if depth > maxYAMLDepth {
		return &decodeError{msg: "the YAML document is nested too deeply", offset: -1, line: n.Line}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			v = resolveAlias(v)
			var merges []*yaml.Node
			switch v.Kind {
			case yaml.MappingNode:
				merges = []*yaml.Node{v}
			case yaml.SequenceNode:
				for _, e := range slices.Backward(v.Content) {
					merges = append(merges, resolveAlias(e))
				}
			}
			for _, m := range merges {
				if m.Kind != yaml.MappingNode {
					return &decodeError{msg: "a merge key (<<) must refer to a mapping", offset: -1, line: k.Line}
				}
				if err := c.mapping(m, depth+1, first); err != nil {
					return err
				}
			}
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolveAlias(n.Content[i]), n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			continue
		}
		if k.Kind != yaml.ScalarNode {
			return &decodeError{
				msg: "a mapping key must be a plain value", offset: -1, line: k.Line,
				hint: "use strings as keys",
			}
		}
		if !*first {
			c.buf.WriteByte(',')
		}
		*first = false
		writeJSONString(&c.buf, k.Value)
		c.buf.WriteByte(':')
		if err := c.node(v, depth+1); err != nil {
			return err
		}
	}
	return nil
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 64; i++ {
		n = n.Alias
	}
	return n
}

func (c *yamlConv) scalar(n *yaml.Node) {
	v := n.Value
	switch n.ShortTag() {
	case "!!null":
		c.buf.WriteString("null")
		return
	case "!!bool":
		switch strings.ToLower(v) {
		case "true", "yes", "on", "y":
			c.buf.WriteString("true")
			return
		case "false", "no", "off", "n":
			c.buf.WriteString("false")
			return
		}
	case "!!int":
		clean := strings.ReplaceAll(v, "_", "")
		if isJSONNumber(clean) {
			c.buf.WriteString(clean)
			return
		}
		if i, err := strconv.ParseInt(clean, 0, 64); err == nil {
			c.buf.WriteString(strconv.FormatInt(i, 10))
			return
		}
		if u, err := strconv.ParseUint(clean, 0, 64); err == nil {
			c.buf.WriteString(strconv.FormatUint(u, 10))
			return
		}
	case "!!float":
		if isJSONNumber(v) {
			c.buf.WriteString(v)
			return
		}
		if f, err := strconv.ParseFloat(strings.ReplaceAll(v, "_", ""), 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			c.buf.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
			return
		}
	}
	writeJSONString(&c.buf, v)
}

// isJSONNumber reports whether s is a number in JSON syntax.
func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	if i >= len(s) {
		return false
	}
	switch {
	case s[i] == '0':
		i++
	case '1' <= s[i] && s[i] <= '9':
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		j := i
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		if i == j {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := i
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		if i == j {
			return false
		}
	}
	return i == len(s)
}

func writeJSONString(buf *bytes.Buffer, s string) {
	b, _ := json.Marshal(s) // a string always marshals; invalid UTF-8 becomes U+FFFD
	buf.Write(b)
}

// parallel runs fn(i) for i in [0, n) on up to GOMAXPROCS goroutines and
// returns the error of the lowest index that failed.
func parallel(n int, fn func(i int) error) error {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range n {
			if err := fn(i); err != nil {
				return err
			}
		}
		return nil
	}
	errs := make([]error, n)
	var next int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			defer func() {
				if r := recover(); r != nil {
					mu.Lock()
					errs[0] = errors.Join(errs[0], fmt.Errorf("internal error while decoding: %v", r))
					mu.Unlock()
				}
			}()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					mu.Lock()
					errs[i] = err
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

type rawEntry struct {
	key string
	raw json.RawMessage
}

func sortedEntries(m map[string]json.RawMessage) []rawEntry {
	out := make([]rawEntry, 0, len(m))
	for k, v := range m {
		out = append(out, rawEntry{k, v})
	}
	slices.SortFunc(out, func(a, b rawEntry) int { return strings.Compare(a.key, b.key) })
	return out
}

// decodeV3 builds an openapi3.T from the members of a JSON document. It gives
// the same document as openapi3's own unmarshalling, but decodes each path
// item and component schema once, from its own bytes, in parallel: kin's
// T.UnmarshalJSON decodes the whole text twice and Paths.UnmarshalJSON
// re-encodes every path item before decoding it again.
func decodeV3(top map[string]json.RawMessage) (*openapi3.T, error) {
	rest := make(map[string]json.RawMessage, len(top))
	for k, v := range top {
		if k != "paths" && k != "components" {
			rest[k] = v
		}
	}
	restJSON, err := json.Marshal(rest)
	if err != nil {
		return nil, jsonDecodeError(err, "")
	}
	doc := &openapi3.T{}
	if err := json.Unmarshal(restJSON, doc); err != nil {
		return nil, jsonDecodeError(err, "document")
	}

	type job struct {
		where string
		raw   json.RawMessage
		run   func(raw json.RawMessage) error
	}
	var jobs []job

	if raw, ok := top["components"]; ok && !isNull(raw) {
		var members map[string]json.RawMessage
		if err := json.Unmarshal(raw, &members); err != nil {
			return nil, jsonDecodeError(err, "components")
		}
		var schemas []rawEntry
		if s, ok := members["schemas"]; ok && !isNull(s) {
			var sm map[string]json.RawMessage
			if err := json.Unmarshal(s, &sm); err != nil {
				return nil, jsonDecodeError(err, "components.schemas")
			}
			schemas = sortedEntries(sm)
			delete(members, "schemas")
		}
		compJSON, err := json.Marshal(members)
		if err != nil {
			return nil, jsonDecodeError(err, "components")
		}
		comp := &openapi3.Components{}
		if err := json.Unmarshal(compJSON, comp); err != nil {
			return nil, jsonDecodeError(err, "components")
		}
		if schemas != nil {
			comp.Schemas = make(openapi3.Schemas, len(schemas))
			refs := make([]*openapi3.SchemaRef, len(schemas))
			for i, e := range schemas {
				refs[i] = &openapi3.SchemaRef{}
				comp.Schemas[e.key] = refs[i]
				jobs = append(jobs, job{where: "components.schemas." + e.key, raw: e.raw, run: func(raw json.RawMessage) error {
					return json.Unmarshal(raw, refs[i])
				}})
			}
		}
		doc.Components = comp
	}

	if raw, ok := top["paths"]; ok && !isNull(raw) {
		var pm map[string]json.RawMessage
		if err := json.Unmarshal(raw, &pm); err != nil {
			return nil, jsonDecodeError(err, "paths")
		}
		entries := sortedEntries(pm)
		paths := openapi3.NewPathsWithCapacity(len(entries))
		paths.Extensions = make(map[string]any)
		for _, e := range entries {
			if strings.HasPrefix(e.key, "x-") {
				var v any
				if err := json.Unmarshal(e.raw, &v); err != nil {
					return nil, jsonDecodeError(err, "paths."+e.key)
				}
				paths.Extensions[e.key] = v
				continue
			}
			item := &openapi3.PathItem{}
			paths.Set(e.key, item)
			jobs = append(jobs, job{where: "paths." + e.key, raw: e.raw, run: func(raw json.RawMessage) error {
				return item.UnmarshalJSON(raw)
			}})
		}
		doc.Paths = paths
	}

	// Large items first, so that the workers finish together.
	slices.SortStableFunc(jobs, func(a, b job) int { return len(b.raw) - len(a.raw) })
	err = parallel(len(jobs), func(i int) error {
		if err := jobs[i].run(jobs[i].raw); err != nil {
			return jsonDecodeError(err, jobs[i].where)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return doc, nil
}

func isNull(raw json.RawMessage) bool {
	return string(bytes.TrimSpace(raw)) == "null"
}

// cleanV2 drops the null entries of a Swagger 2.0 document that
// openapi2conv does not expect ("/a": null, a null parameter or operation).
func cleanV2(doc *openapi2.T) {
	maps.DeleteFunc(doc.Paths, func(_ string, p *openapi2.PathItem) bool { return p == nil })
	maps.DeleteFunc(doc.Definitions, func(_ string, s *openapi2.SchemaRef) bool { return s == nil })
	maps.DeleteFunc(doc.Parameters, func(_ string, p *openapi2.Parameter) bool { return p == nil })
	maps.DeleteFunc(doc.Responses, func(_ string, r *openapi2.Response) bool { return r == nil })
	maps.DeleteFunc(doc.SecurityDefinitions, func(_ string, s *openapi2.SecurityScheme) bool { return s == nil })
	cleanParams := func(ps openapi2.Parameters) openapi2.Parameters {
		return slices.DeleteFunc(ps, func(p *openapi2.Parameter) bool { return p == nil })
	}
	for _, item := range doc.Paths {
		item.Parameters = cleanParams(item.Parameters)
		for _, op := range []*openapi2.Operation{item.Delete, item.Get, item.Head, item.Options, item.Patch, item.Post, item.Put} {
			if op != nil {
				op.Parameters = cleanParams(op.Parameters)
			}
		}
	}
}
