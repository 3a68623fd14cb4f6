package openapi

import (
	"fmt"
	"mime"
	"regexp"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/forgehq/forge/internal/capability"
	"github.com/forgehq/forge/internal/source"
)

// methods are the HTTP methods whose operations become capabilities, in the
// order they are listed within a path.
var methods = []string{"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"}

// EffectExtension is the operation extension that overrides the effect
// derived from the HTTP method.
const EffectExtension = "x-forge-effect"

// operation is one operation of the document.
type operation struct {
	path   string
	method string // upper case
	item   *openapi3.PathItem
	op     *openapi3.Operation
	name   string
}

func (o *operation) pointer() string {
	p := strings.ReplaceAll(strings.ReplaceAll(o.path, "~", "~0"), "/", "~1")
	return "#/paths/" + p + "/" + strings.ToLower(o.method)
}

func (o *operation) String() string { return o.method + " " + o.path }

func collectOperations(doc *openapi3.T) []*operation {
	if doc.Paths == nil {
		return nil
	}
	items := doc.Paths.Map()
	keys := make([]string, 0, len(items))
	for k := range items {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var ops []*operation
	for _, p := range keys {
		item := items[p]
		if item == nil {
			continue
		}
		for _, m := range methods {
			if op := item.GetOperation(m); op != nil {
				ops = append(ops, &operation{path: p, method: m, item: item, op: op})
			}
		}
	}
	return ops
}

func (im *importer) convert(doc *openapi3.T) ([]capability.Capability, error) {
	ops := collectOperations(doc)
	im.opts.Progressf("converting %d operations", len(ops))
	if err := im.assignNames(ops); err != nil {
		return nil, err
	}
	nullable := !doc.IsOpenAPI31OrLater()
	conv := newConverter(nullable, im.warn)
	caps := make([]capability.Capability, 0, len(ops))
	for i, o := range ops {
		if i%100 == 0 {
			if err := im.ctx.Err(); err != nil {
				return nil, err
			}
			if i > 0 {
				im.opts.Progressf("converting %d/%d operations", i, len(ops))
			}
		}
		caps = append(caps, capability.Capability{
			Name:        o.name,
			Kind:        capability.KindOpenAPI,
			Effect:      im.effect(o),
			Description: describe(o.op.Summary, o.op.Description),
			InputSchema: im.inputSchema(conv, o),
			Target: capability.Target{
				Server: server(doc, o),
				Method: o.method,
				Path:   o.path,
			},
		})
	}
	return caps, nil
}

// assignNames names every operation: a valid operationId as it is, then
// the others from their sanitized operationId or their method and path,
// made unique with a numeric suffix.
func (im *importer) assignNames(ops []*operation) error {
	taken := make(map[string]*operation, len(ops))
	for _, o := range ops {
		id := o.op.OperationID
		if id == "" || !capability.ValidName(id) {
			continue
		}
		if prev, dup := taken[id]; dup {
			p1, p2 := im.operationIDPos(id, 0), im.operationIDPos(id, 1)
			at := func(p position) string {
				if p.line == 0 {
					return ""
				}
				return " (" + p.String() + ")"
			}
			return im.inputErr(p2, fmt.Sprintf("duplicate operationId %q: %s%s and %s%s", id, prev, at(p1), o, at(p2)),
				"operationIds must be unique; rename one of them", nil)
		}
		taken[id] = o
		o.name = id
	}
	for _, o := range ops {
		if o.name != "" {
			continue
		}
		var base string
		if id := o.op.OperationID; id != "" {
			base = capability.SanitizeName(id)
			im.warn(CodeName, o.pointer(), fmt.Sprintf("operationId %q is not a valid capability name; using %q", id, base))
		} else {
			base = generatedName(o.method, o.path)
		}
		name := base
		for i := 2; taken[name] != nil; i++ {
			name = fmt.Sprintf("%s_%d", base, i)
		}
		if name != base {
			im.warn(CodeName, o.pointer(), fmt.Sprintf("name %q of %s is already used by %s; using %q", base, o, taken[base], name))
		}
		taken[name] = o
		o.name = name
	}
	return nil
}

// generatedName names an operation without an operationId from its method
// and path: "get /pets/{id}" becomes "get_pets_id".
func generatedName(method, path string) string {
	var b strings.Builder
	b.Grow(len(method) + len(path) + 1)
	under := false
	for _, r := range strings.ToLower(method + " " + path) {
		if ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') {
			b.WriteRune(r)
			under = false
			continue
		}
		if !under {
			b.WriteByte('_')
			under = true
		}
	}
	return capability.SanitizeName(strings.Trim(b.String(), "_"))
}

// operationIDPos finds the n-th (0-based) place operationId id is written.
func (im *importer) operationIDPos(id string, n int) position {
	re := regexp.MustCompile(`["']?operationId["']?\s*:\s*["']?` + regexp.QuoteMeta(id) + `(["'\s,}]|$)`)
	locs := re.FindAllIndex(im.data, n+1)
	if len(locs) <= n {
		return position{}
	}
	line, col := source.LineCol(im.data, int64(locs[n][0]))
	return position{line, col}
}

func (im *importer) effect(o *operation) capability.Effect {
	def := capability.EffectRead
	switch o.method {
	case "POST", "PUT", "PATCH":
		def = capability.EffectWrite
	case "DELETE":
		def = capability.EffectDestructive
	}
	v, ok := o.op.Extensions[EffectExtension]
	if !ok {
		return def
	}
	s, isString := v.(string)
	if !isString {
		im.warn(CodeEffect, o.pointer(), fmt.Sprintf("%s must be read, write or destructive, not %v; using %s", EffectExtension, v, def))
		return def
	}
	e, err := capability.ParseEffect(s)
	if err != nil {
		im.warn(CodeEffect, o.pointer(), fmt.Sprintf("%s: %v; using %s", EffectExtension, err, def))
		return def
	}
	return e
}

func describe(summary, description string) string {
	summary, description = strings.TrimSpace(summary), strings.TrimSpace(description)
	switch {
	case summary == "":
		return description
	case description == "" || description == summary:
		return summary
	}
	return summary + "\n\n" + description
}

// server is the first server URL that applies to o: the operation's, the
// path's, then the document's; "/" (the OpenAPI default) when none is given.
func server(doc *openapi3.T, o *operation) string {
	if o.op.Servers != nil {
		if u, ok := firstServer(*o.op.Servers); ok {
			return u
		}
	}
	if u, ok := firstServer(o.item.Servers); ok {
		return u
	}
	if u, ok := firstServer(doc.Servers); ok {
		return u
	}
	return "/"
}

func firstServer(ss openapi3.Servers) (string, bool) {
	for _, s := range ss {
		if s != nil && s.URL != "" {
			return s.URL, true
		}
	}
	return "", false
}

// paramGroups are the parameter locations, as InputSchema properties.
var paramGroups = []string{"path", "query", "header", "cookie"}

type paramGroup struct {
	props    map[string]any
	required []string
}

// inputSchema assembles the JSON Schema of o's input (see the package
// documentation for the layout).
func (im *importer) inputSchema(conv *converter, o *operation) []byte {
	var sc scope
	groups := make(map[string]*paramGroup, 4)
	for _, p := range mergeParameters(o.item.Parameters, o.op.Parameters) {
		if !slices.Contains(paramGroups, p.In) {
			im.warn(CodeParameter, o.pointer(), fmt.Sprintf("parameter %q is in %q, which is not path, query, header or cookie; it is left out", p.Name, p.In))
			continue
		}
		if p.Name == "" {
			im.warn(CodeParameter, o.pointer(), fmt.Sprintf("a %s parameter has no name; it is left out", p.In))
			continue
		}
		g := groups[p.In]
		if g == nil {
			g = &paramGroup{props: make(map[string]any)}
			groups[p.In] = g
		}
		g.props[p.Name] = im.parameterSchema(conv, p, &sc)
		if p.Required || p.In == "path" {
			g.required = append(g.required, p.Name)
		}
	}

	props := make(map[string]any, 5)
	var required []string
	for _, in := range paramGroups {
		g := groups[in]
		if g == nil {
			continue
		}
		obj := map[string]any{"type": "object", "properties": g.props}
		if len(g.required) > 0 {
			slices.Sort(g.required)
			obj["required"] = slices.Compact(g.required)
			required = append(required, in)
		}
		props[in] = obj
	}
	if rb := o.op.RequestBody; rb != nil && rb.Value != nil {
		if body := requestBody(conv, rb.Value, &sc); body != nil {
			if m, ok := body.(map[string]any); ok {
				if _, has := m["description"]; !has && strings.TrimSpace(rb.Value.Description) != "" {
					m["description"] = strings.TrimSpace(rb.Value.Description)
				}
			}
			props["body"] = body
			if rb.Value.Required {
				required = append(required, "body")
			}
		}
	}
	root := map[string]any{"type": "object", "additionalProperties": false}
	if len(props) > 0 {
		root["properties"] = props
	}
	if len(required) > 0 {
		slices.Sort(required)
		root["required"] = required
	}
	return document(root, sc.deps)
}

// mergeParameters returns the path item's parameters overridden by the
// operation's (same location and name), in declaration order.
func mergeParameters(pathParams, opParams openapi3.Parameters) []*openapi3.Parameter {
	key := func(p *openapi3.Parameter) string {
		if p.In == "header" {
			return p.In + "\x00" + strings.ToLower(p.Name)
		}
		return p.In + "\x00" + p.Name
	}
	out := make([]*openapi3.Parameter, 0, len(pathParams)+len(opParams))
	index := make(map[string]int, len(pathParams)+len(opParams))
	for _, list := range []openapi3.Parameters{pathParams, opParams} {
		for _, pr := range list {
			if pr == nil || pr.Value == nil {
				continue
			}
			k := key(pr.Value)
			if i, ok := index[k]; ok {
				out[i] = pr.Value
				continue
			}
			index[k] = len(out)
			out = append(out, pr.Value)
		}
	}
	return out
}

func (im *importer) parameterSchema(conv *converter, p *openapi3.Parameter, sc *scope) any {
	var s any = true
	switch {
	case p.Schema != nil:
		s = conv.schema(p.Schema, sc, 0)
	case len(p.Content) > 0:
		if mt := pickMediaType(p.Content); mt != "" && p.Content[mt] != nil {
			s = conv.schema(p.Content[mt].Schema, sc, 0)
		}
	}
	m, ok := s.(map[string]any)
	if !ok {
		if b, isBool := s.(bool); isBool && !b {
			return false
		}
		m = map[string]any{}
	}
	if d := strings.TrimSpace(p.Description); d != "" {
		m["description"] = d
	}
	if p.Deprecated {
		m["deprecated"] = true
	}
	if _, has := m["examples"]; !has && p.Example != nil {
		m["examples"] = []any{p.Example}
	}
	return m
}

// requestBody converts the schema of the preferred media type.
func requestBody(conv *converter, rb *openapi3.RequestBody, sc *scope) any {
	mt := pickMediaType(rb.Content)
	if mt == "" || rb.Content[mt] == nil || rb.Content[mt].Schema == nil {
		return map[string]any{}
	}
	s := conv.schema(rb.Content[mt].Schema, sc, 0)
	if b, ok := s.(bool); ok && b {
		return map[string]any{}
	}
	return s
}

func mediaBase(mt string) string {
	if base, _, err := mime.ParseMediaType(mt); err == nil {
		return strings.ToLower(base)
	}
	base, _, _ := strings.Cut(mt, ";")
	return strings.ToLower(strings.TrimSpace(base))
}

// pickMediaType prefers application/json, then any +json type, then form
// types, then the first in sorted order.
func pickMediaType(content openapi3.Content) string {
	if len(content) == 0 {
		return ""
	}
	keys := make([]string, 0, len(content))
	for k := range content {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, want := range []func(string) bool{
		func(b string) bool { return b == "application/json" },
		func(b string) bool { return strings.HasSuffix(b, "+json") },
		func(b string) bool { return b == "application/x-www-form-urlencoded" },
		func(b string) bool { return b == "multipart/form-data" },
	} {
		for _, k := range keys {
			if want(mediaBase(k)) {
				return k
			}
		}
	}
	return keys[0]
}
