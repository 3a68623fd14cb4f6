package graphql

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/forgehq/forge/internal/capability"
	"github.com/forgehq/forge/internal/source"
)

// Importer imports a GraphQL schema: an SDL document, an introspection
// result or a live endpoint (see the package documentation).
type Importer struct{}

var _ source.Importer = Importer{}

// Format is how a location is read.
type Format string

// Formats of a GraphQL location.
const (
	FormatSDL           Format = "sdl"
	FormatIntrospection Format = "introspection"
	FormatEndpoint      Format = "endpoint"
)

// DetectFormat applies the location rule of the package documentation. For
// a local file without a known extension it returns "" (the content
// decides).
func DetectFormat(loc string) Format {
	p := loc
	if source.IsURL(loc) {
		u, err := url.Parse(loc)
		if err != nil {
			return FormatEndpoint
		}
		p = u.Path
	}
	switch strings.ToLower(path.Ext(p)) {
	case ".graphql", ".graphqls", ".gql", ".sdl":
		return FormatSDL
	case ".json":
		return FormatIntrospection
	}
	if source.IsURL(loc) {
		return FormatEndpoint
	}
	return ""
}

// Import reads the schema at spec.Location and returns one capability per
// query and mutation root field.
func (Importer) Import(ctx context.Context, spec source.Spec, opts source.Options) (*source.Result, error) {
	loc := spec.Location
	if strings.TrimSpace(loc) == "" {
		return nil, &source.InputError{File: spec.Name, Msg: "no location given", Hint: "a GraphQL source needs an SDL file, an introspection JSON file or an endpoint URL"}
	}
	f := opts.Fetcher
	if f == nil {
		f = source.NewFetcher(spec.AllowPrivateNetwork)
	}

	format := DetectFormat(loc)
	var (
		data     []byte
		err      error
		endpoint string
	)
	opts.Progressf("reading %s", loc)
	if format == FormatEndpoint {
		endpoint = loc
		data, err = introspect(ctx, f, loc)
	} else {
		data, err = f.Read(ctx, opts.Dir, loc)
	}
	if err != nil {
		return nil, err
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if format == "" {
		format = FormatSDL
		if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && t[0] == '{' {
			format = FormatIntrospection
		}
	}
	return importBytes(ctx, loc, format, endpoint, data, opts)
}

// importBytes imports data read from loc in the given format.
func importBytes(ctx context.Context, loc string, format Format, endpoint string, data []byte, opts source.Options) (*source.Result, error) {
	var (
		doc   *ast.SchemaDocument
		err   error
		where func(*ast.Position) string
	)
	switch format {
	case FormatSDL:
		opts.Progressf("parsing SDL (%d bytes)", len(data))
		if len(bytes.TrimSpace(data)) == 0 {
			return nil, &source.InputError{File: loc, Msg: "the document is empty", Hint: "name a GraphQL SDL file, an introspection JSON file or an endpoint URL"}
		}
		doc, err = parseSDL(loc, data)
		where = func(p *ast.Position) string { return posString(loc, p) }
	default:
		opts.Progressf("decoding introspection result (%d bytes)", len(data))
		var s *introSchema
		s, err = decodeIntrospection(loc, data)
		if err == nil {
			doc, err = introToDocument(loc, s)
		}
		where = func(*ast.Position) string { return loc }
	}
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	opts.Progressf("validating schema (%d types)", len(doc.Definitions))
	schema, warns, err := buildSchema(loc, doc, where)
	if err != nil {
		return nil, err
	}
	caps, cwarns, err := convertSchema(ctx, schema, endpoint, opts)
	if err != nil {
		return nil, err
	}
	warns = append(warns, cwarns...)

	prov := map[string]string{
		"format":    string(format),
		"types":     strconv.Itoa(countTypes(schema)),
		"queries":   strconv.Itoa(countEffect(caps, "query")),
		"mutations": strconv.Itoa(countEffect(caps, "mutation")),
	}
	if schema.Query != nil {
		prov["queryType"] = schema.Query.Name
	}
	if schema.Mutation != nil {
		prov["mutationType"] = schema.Mutation.Name
	}
	if schema.Subscription != nil {
		prov["subscriptionType"] = schema.Subscription.Name
	}
	if d := strings.TrimSpace(schema.Description); d != "" {
		prov["description"] = d
	}
	return &source.Result{
		Capabilities: caps,
		Warnings:     warns,
		Digest:       source.Digest(data),
		Provenance:   prov,
	}, nil
}

// countTypes counts the schema's own named types (not the built-in scalars
// and introspection types).
func countTypes(s *ast.Schema) int {
	n := 0
	for _, d := range s.Types {
		if !d.BuiltIn {
			n++
		}
	}
	return n
}

func countEffect(caps []capability.Capability, op string) int {
	n := 0
	for _, c := range caps {
		if c.Target.Operation == op {
			n++
		}
	}
	return n
}

func posString(file string, p *ast.Position) string {
	if p == nil {
		return file
	}
	return fmt.Sprintf("%s:%d:%d", file, p.Line, p.Column)
}

const endpointHint = "the URL is treated as a live GraphQL endpoint; to import a schema document instead, use a URL ending in .graphql (SDL) or .json (introspection result)"

// introspect POSTs the introspection query to a live endpoint and returns
// the response body.
func introspect(ctx context.Context, f *source.Fetcher, loc string) ([]byte, error) {
	timeout := f.Timeout
	if timeout <= 0 {
		timeout = source.DefaultTimeout
	}
	limit := f.MaxBytes
	if limit <= 0 {
		limit = source.DefaultMaxBytes
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	body, err := json.Marshal(map[string]string{"query": IntrospectionQuery, "operationName": "IntrospectionQuery"})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, loc, bytes.NewReader(body))
	if err != nil {
		return nil, &source.InputError{File: loc, Msg: "invalid URL: " + err.Error(), Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/graphql-response+json, application/json;q=0.9")
	resp, err := f.HTTPClient().Do(req)
	if err != nil {
		return nil, f.NetError(loc, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, f.NetError(loc, err)
	}
	if int64(len(data)) > limit {
		return nil, &source.InputError{File: loc, Msg: fmt.Sprintf("introspection result is larger than the %d-byte limit", limit)}
	}

	var probe struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	jsonErr := json.Unmarshal(data, &probe)
	if jsonErr == nil && len(probe.Errors) > 0 && (len(probe.Data) == 0 || string(probe.Data) == "null") {
		return nil, &source.InputError{
			File: loc,
			Msg:  fmt.Sprintf("endpoint answered the introspection query with errors (%s): %s", resp.Status, joinErrors(probe.Errors)),
			Hint: "introspection may be disabled on this server; import an SDL or introspection file instead",
		}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &source.InputError{File: loc, Msg: "endpoint answered the introspection query with " + resp.Status, Hint: endpointHint}
	}
	if jsonErr != nil {
		ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		if ct == "" {
			ct = "no content type"
		}
		return nil, &source.InputError{File: loc, Msg: fmt.Sprintf("endpoint did not answer with JSON (%s): %v", ct, jsonErr), Hint: endpointHint, Err: jsonErr}
	}
	return data, nil
}
