package server

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/forgehq/forge/internal/auth"
)

//go:embed openapi.yaml
var openapiYAML []byte

// Who may call an operation: the x-forge-permission of the OpenAPI document.
const (
	permPublic = "public" // no credential
	permAny    = "any"    // any valid credential; the operation only describes the caller
	permAdmin  = "admin"  // the admin credential only
	permKey    = "key"    // a workspace API key only
	permRead   = "read"   // auth.PermRead (API keys, build tokens with read)
	permBuild  = "build"
	permManage = "manage"
)

// apiDoc is the loaded OpenAPI document.
type apiDoc struct {
	doc  *openapi3.T
	json []byte // what GET /v1/openapi.json serves
}

// loadAPI parses and validates the embedded document.
func loadAPI() (*apiDoc, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openapiYAML)
	if err != nil {
		return nil, fmt.Errorf("server: openapi document: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("server: openapi document: %w", err)
	}
	js, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("server: openapi document: %w", err)
	}
	return &apiDoc{doc: doc, json: js}, nil
}

// handlerFunc handles one operation. Returning an error writes it as a
// problem (see problemOf); a handler that returns nil has written the
// response.
type handlerFunc func(w http.ResponseWriter, r *http.Request, c *call) error

// operation is one operation of the document, bound to its handler.
type operation struct {
	id      string
	method  string
	path    string
	route   *routers.Route
	perm    string
	admin   bool // the admin credential may call it too
	maxBody int64
	hasBody bool
	params  []string
	handle  handlerFunc
	// fast, when set, accepts a request whose only inputs are its path
	// parameters with validators compiled once; false means "use the full
	// openapi3filter validation" (which also reports the errors).
	fast func(r *http.Request) bool
}

// call is one authorized request.
type call struct {
	op      *operation
	p       auth.Principal
	ws      string // the {ws} path parameter, if any
	subject string // the {subject} path parameter, if any
	body    []byte
}

// actor is what the audit log records as the caller: the credential's kind
// and store id, never the credential.
func (c *call) actor() string {
	return string(c.p.Kind) + ":" + c.p.CredentialID
}

// routes binds every operation of the document to its handler and
// registers it on the mux.
func (s *Server) routes() error {
	handlers := s.handlers()
	s.mux = http.NewServeMux()
	seen := map[string]bool{}
	paths := s.api.doc.Paths.InMatchingOrder()
	sort.Strings(paths)
	for _, path := range paths {
		item := s.api.doc.Paths.Value(path)
		for method, op := range item.Operations() {
			h, ok := handlers[op.OperationID]
			if !ok {
				return fmt.Errorf("server: operation %s (%s %s) has no handler", op.OperationID, method, path)
			}
			seen[op.OperationID] = true
			o := &operation{
				id:     op.OperationID,
				method: method,
				path:   path,
				route:  &routers.Route{Spec: s.api.doc, Path: path, PathItem: item, Method: method, Operation: op},
				handle: h,
			}
			o.perm, _ = op.Extensions["x-forge-permission"].(string)
			switch o.perm {
			case permPublic, permAdmin, permKey, permRead, permBuild, permManage, permAny:
			default:
				return fmt.Errorf("server: operation %s has no valid x-forge-permission", op.OperationID)
			}
			o.admin, _ = op.Extensions["x-forge-admin"].(bool)
			o.maxBody = s.maxBody
			if v, ok := op.Extensions["x-forge-max-body"].(float64); ok && v > 0 {
				o.maxBody = int64(v)
			}
			o.hasBody = op.RequestBody != nil
			for _, p := range append(item.Parameters, op.Parameters...) {
				if p.Value != nil && p.Value.In == openapi3.ParameterInPath {
					o.params = append(o.params, p.Value.Name)
				}
			}
			// An operation any credential may call skips the scope and
			// permission checks, so it must not address a resource.
			if o.perm == permAny && (len(item.Parameters)+len(op.Parameters) > 0 || o.hasBody) {
				return fmt.Errorf("server: operation %s (x-forge-permission: any) takes parameters or a body; it may only describe the caller", op.OperationID)
			}
			fast, err := fastPathValidator(append(item.Parameters, op.Parameters...), o.hasBody)
			if err != nil {
				return fmt.Errorf("server: operation %s: %w", op.OperationID, err)
			}
			o.fast = fast
			s.mux.Handle(method+" "+path, s.pipeline(o))
		}
	}
	for id := range handlers {
		if !seen[id] {
			return fmt.Errorf("server: handler %s has no operation in the document", id)
		}
	}
	s.mux.Handle("/", http.HandlerFunc(s.notFound))
	return nil
}

// notFound answers requests no operation matches: 405 when the path exists
// with other methods, 404 otherwise.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "" && pattern != "/" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		s.writeProblem(w, r, &problem{Status: http.StatusMethodNotAllowed, Detail: fmt.Sprintf("%s is not allowed here (allowed: %s)", r.Method, strings.Join(allow, ", "))})
		return
	}
	s.writeProblem(w, r, &problem{Status: http.StatusNotFound, Detail: "no such endpoint"})
}

// pipeline runs the steps every request goes through: authenticate,
// scope to the workspace and subject (404 outside them), check the
// permission (403), read the body (413, 415), validate the request against
// the document (400), then the handler.
func (s *Server) pipeline(o *operation) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := infoOf(r)
		info.op = o.id
		c := &call{op: o, ws: r.PathValue("ws"), subject: r.PathValue("subject")}
		err := s.prepare(r, c)
		if err == nil {
			err = o.handle(w, r, c)
		}
		if err != nil {
			s.writeError(w, r, err)
		}
	})
}

func (s *Server) prepare(r *http.Request, c *call) error {
	o := c.op
	if o.perm != permPublic {
		p, err := s.authenticate(r)
		if err != nil {
			return err
		}
		c.p = p
		infoOf(r).actor = c.actor()
		if err := authorize(o, c); err != nil {
			return err
		}
	}
	if o.hasBody {
		body, err := readBody(r, o.maxBody)
		if err != nil {
			return err
		}
		c.body = body
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	return s.validateRequest(r, c)
}

// authenticate finds the principal of the request's bearer credential.
// Every request looks the credential up in the store, so that revocation
// and expiry take effect on the next request (invariant 6).
func (s *Server) authenticate(r *http.Request) (auth.Principal, error) {
	unauthorized := func(detail string) error {
		return &problem{
			Status: http.StatusUnauthorized, Detail: detail,
			headers: map[string]string{"WWW-Authenticate": `Bearer realm="forge"`},
		}
	}
	tok, ok := auth.BearerToken(r)
	if !ok {
		return auth.Principal{}, unauthorized("an Authorization: Bearer credential is required")
	}
	kind, err := auth.Parse(tok)
	if err != nil {
		return auth.Principal{}, unauthorized(strings.TrimPrefix(err.Error(), "malformed credential: ") + " (malformed credential)")
	}
	ctx := r.Context()
	hash := auth.Hash(tok)
	const invalid = "the credential is unknown, revoked or expired"
	switch kind {
	case auth.KindAdmin:
		a, err := s.st.LookupAdminCredential(ctx, hash)
		if err != nil {
			return auth.Principal{}, lookupErr(err, unauthorized(invalid))
		}
		return auth.Principal{Kind: auth.KindAdmin, Admin: true, CredentialID: a.ID}, nil
	case auth.KindAPIKey:
		k, err := s.st.LookupAPIKey(ctx, hash)
		if err != nil {
			return auth.Principal{}, lookupErr(err, unauthorized(invalid))
		}
		return auth.Principal{Kind: auth.KindAPIKey, WorkspaceID: k.WorkspaceID, CredentialID: k.ID}, nil
	case auth.KindBuildToken:
		t, err := s.st.LookupBuildToken(ctx, hash, s.clock())
		if err != nil {
			return auth.Principal{}, lookupErr(err, unauthorized(invalid))
		}
		return auth.Principal{
			Kind: auth.KindBuildToken, WorkspaceID: t.WorkspaceID, SubjectID: t.SubjectID,
			Permissions: t.Permissions, CredentialID: t.ID, ExpiresAt: t.ExpiresAt,
		}, nil
	}
	return auth.Principal{}, unauthorized("a signing secret does not authenticate requests")
}

func lookupErr(err, notFound error) error {
	if isNotFound(err) {
		return notFound
	}
	return err
}

// authorize applies the workspace and subject scopes, then the permission.
// Outside its scope a credential sees 404, exactly like a missing resource
// (invariant 1); inside it, a missing permission is 403. An operation of
// any valid credential has nothing to scope (routes refuses one with
// parameters): it only describes the caller.
func authorize(o *operation, c *call) error {
	p := c.p
	forbidden := func(detail string) error { return &problem{Status: http.StatusForbidden, Detail: detail} }
	if o.perm == permAny {
		return nil
	}
	if p.Admin {
		if o.perm == permAdmin || o.admin {
			return nil
		}
		return forbidden("the admin credential only manages workspaces; use a workspace API key")
	}
	if c.ws != "" && !p.CanActOnWorkspace(c.ws) {
		return notFound("workspace")
	}
	if c.subject != "" && !p.CanActOnSubject(c.subject) {
		return notFound("subject")
	}
	switch o.perm {
	case permAdmin:
		return forbidden("this operation needs the admin credential")
	case permKey:
		if p.Kind != auth.KindAPIKey || !p.Can(auth.PermManage) {
			return forbidden("this operation needs a workspace API key; a build token cannot do it")
		}
	case permRead, permBuild, permManage:
		if !p.Can(auth.Permission(o.perm)) {
			return forbidden(fmt.Sprintf("the credential lacks the %s permission", o.perm))
		}
	}
	return nil
}

// readBody checks the content type and reads the body up to limit.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || mt != "application/json" {
		return nil, &problem{Status: http.StatusUnsupportedMediaType, Detail: "the request body must be JSON (Content-Type: application/json)"}
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &problem{Status: http.StatusRequestEntityTooLarge, Detail: fmt.Sprintf("the request body is larger than the %d byte limit", limit)}
		}
		return nil, &problem{Status: http.StatusBadRequest, Detail: "the request body could not be read"}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, &problem{Status: http.StatusBadRequest, Detail: "the request body is empty; send a JSON object"}
	}
	if !json.Valid(body) {
		return nil, &problem{Status: http.StatusBadRequest, Detail: "the request body is not valid JSON" + syntaxWhere(body)}
	}
	if jsonDepth(body) > maxJSONDepth {
		return nil, &problem{Status: http.StatusBadRequest, Detail: fmt.Sprintf("the request body nests deeper than %d levels", maxJSONDepth)}
	}
	return body, nil
}

// maxJSONDepth bounds the nesting of request bodies: no API document comes
// close, and deep nesting costs the validator time out of proportion to
// the body's size.
const maxJSONDepth = 64

// jsonDepth returns the deepest nesting of arrays and objects in b, which
// is valid JSON.
func jsonDepth(b []byte) int {
	depth, deepest, inString, escaped := 0, 0, false, false
	for _, c := range b {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			deepest = max(deepest, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return deepest
}

// syntaxWhere says where a JSON syntax error is, without quoting the input.
func syntaxWhere(body []byte) string {
	var v any
	err := json.Unmarshal(body, &v)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := lineCol(body, se.Offset)
		return fmt.Sprintf(" (line %d, column %d)", line, col)
	}
	return ""
}

func lineCol(b []byte, off int64) (line, col int) {
	line, col = 1, 1
	for i := int64(0); i < off && i < int64(len(b)); i++ {
		if b[i] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

// validateRequest validates the path, query and body against the document.
func (s *Server) validateRequest(r *http.Request, c *call) error {
	if c.op.fast != nil && c.op.fast(r) {
		return nil
	}
	params := map[string]string{}
	for _, name := range c.op.params {
		params[name] = r.PathValue(name)
	}
	in := &openapi3filter.RequestValidationInput{
		Request:    r,
		PathParams: params,
		Route:      c.op.route,
		Options: &openapi3filter.Options{
			AuthenticationFunc:  openapi3filter.NoopAuthenticationFunc,
			MultiError:          true,
			SkipSettingDefaults: true,
		},
	}
	err := openapi3filter.ValidateRequest(context.WithoutCancel(r.Context()), in)
	if c.body != nil {
		r.Body = io.NopCloser(bytes.NewReader(c.body))
	}
	if err == nil {
		return nil
	}
	return &problem{Status: http.StatusBadRequest, Detail: "the request does not match the API description", Errors: requestErrors(err)}
}

// decode decodes the validated body into v, rejecting unknown fields (the
// document rejects them already; this keeps the Go types honest).
func decode(c *call, v any) error {
	dec := json.NewDecoder(bytes.NewReader(c.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &problem{Status: http.StatusBadRequest, Detail: "the request body does not match the expected shape"}
	}
	return nil
}

// fastPathValidator returns a check of the path parameters against their
// schemas, compiled once, for operations without a body or query
// parameters; nil for the others. kin-openapi compiles a JSON Schema
// validator (regexps included) for every parameter of every request of an
// OpenAPI 3.1 document; this skips that for valid requests. Invalid ones
// still go through openapi3filter, which reports the errors.
func fastPathValidator(params openapi3.Parameters, hasBody bool) (func(*http.Request) bool, error) {
	if hasBody {
		return nil, nil
	}
	type pathParam struct {
		name    string
		integer bool
		schema  *jsonschema.Schema
	}
	var pps []pathParam
	for _, p := range params {
		if p.Value == nil || p.Value.Schema == nil || p.Value.Schema.Value == nil {
			return nil, nil
		}
		if p.Value.In != openapi3.ParameterInPath {
			return nil, nil
		}
		js, err := json.Marshal(p.Value.Schema.Value)
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
		if err != nil {
			return nil, err
		}
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft2020)
		const url = "param.json"
		if err := c.AddResource(url, doc); err != nil {
			return nil, err
		}
		sch, err := c.Compile(url)
		if err != nil {
			return nil, err
		}
		pps = append(pps, pathParam{name: p.Value.Name, integer: p.Value.Schema.Value.Type.Is("integer"), schema: sch})
	}
	return func(r *http.Request) bool {
		if r.URL.RawQuery != "" {
			return false
		}
		for _, p := range pps {
			var v any = r.PathValue(p.name)
			if p.integer {
				n, err := strconv.ParseInt(r.PathValue(p.name), 10, 64)
				if err != nil {
					return false
				}
				v = n
			}
			if p.schema.Validate(v) != nil {
				return false
			}
		}
		return true
	}, nil
}
