package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"

	"github.com/forgehq/forge/internal/audit"
	"github.com/forgehq/forge/internal/store"
	"github.com/forgehq/forge/internal/validate"
)

// problem is an RFC 9457 problem detail. Its Detail and Errors never hold
// request values: secrets arrive in request bodies (invariant 7).
type problem struct {
	Status      int                   `json:"status"`
	Type        string                `json:"type"`
	Title       string                `json:"title"`
	Detail      string                `json:"detail,omitempty"`
	Instance    string                `json:"instance,omitempty"`
	Errors      []fieldError          `json:"errors,omitempty"`
	Diagnostics []validate.Diagnostic `json:"diagnostics,omitempty"`

	headers map[string]string
}

// fieldError says what is wrong where: location is "body/path/to/field",
// "path.name" or "query.name".
type fieldError struct {
	Location string `json:"location"`
	Message  string `json:"message"`
}

func (p *problem) Error() string { return fmt.Sprintf("%d %s", p.Status, p.Detail) }

func notFound(what string) error {
	return &problem{Status: http.StatusNotFound, Detail: "no such " + what}
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// problemOf maps an error to the problem the client sees: problems as they
// are, a credential the audit log refuses as 422, store errors by kind, anything else as a 500 whose detail says
// nothing (the log has the error).
func problemOf(err error) *problem {
	var p *problem
	if errors.As(err, &p) {
		return p
	}
	var ce *audit.CredentialError
	if errors.As(err, &ce) {
		// The value is never quoted: it is a credential.
		return &problem{
			Status: http.StatusUnprocessableEntity,
			Detail: fmt.Sprintf("the request puts a forge credential (cwa_, cws_, atk_ or adm_) into %s of the %s audit record; names, descriptions and reasons must hold no credentials", ce.Field, ce.Action),
		}
	}
	msg := strings.TrimPrefix(err.Error(), "store: ")
	switch {
	case errors.Is(err, store.ErrNotFound):
		return &problem{Status: http.StatusNotFound, Detail: msg}
	case errors.Is(err, store.ErrConflict):
		return &problem{Status: http.StatusConflict, Detail: msg}
	case errors.Is(err, store.ErrInvalidState):
		return &problem{Status: http.StatusConflict, Detail: msg}
	case errors.Is(err, store.ErrInvalid):
		return &problem{Status: http.StatusUnprocessableEntity, Detail: msg}
	}
	return &problem{Status: http.StatusInternalServerError, Detail: "internal error; the server log has the details"}
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	p := problemOf(err)
	if p.Status >= 500 {
		infoOf(r).err = err.Error()
	}
	s.writeProblem(w, r, p)
}

func (s *Server) writeProblem(w http.ResponseWriter, r *http.Request, p *problem) {
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	p.Instance = r.URL.EscapedPath()
	for k, v := range p.headers {
		w.Header().Set(k, v)
	}
	s.writeJSONType(w, "application/problem+json", p.Status, p)
}

func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	s.writeJSONType(w, "application/json", status, v)
}

func (s *Server) writeJSONType(w http.ResponseWriter, contentType string, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		s.log.Error("encode response", "error", err.Error())
		http.Error(w, `{"type":"about:blank","title":"Internal Server Error","status":500}`, http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func noContent(w http.ResponseWriter) error {
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// requestErrors turns a validation error of openapi3filter into field
// errors. Messages are built from the failing keyword and the schema, never
// from the value: the JSON Schema 2020-12 validator quotes values in its
// own messages, and a value may be a secret.
func requestErrors(err error) []fieldError {
	var out []fieldError
	collectErrors("request", err, &out)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Location < out[j].Location })
	return slices.Compact(out)
}

func collectErrors(loc string, err error, out *[]fieldError) {
	switch e := err.(type) {
	case openapi3.MultiError:
		for _, x := range e {
			collectErrors(loc, x, out)
		}
		return
	case *openapi3filter.RequestError:
		l := "body"
		if e.Parameter != nil {
			l = e.Parameter.In + "." + e.Parameter.Name
		}
		if e.Err == nil {
			*out = append(*out, fieldError{Location: l, Message: safeReason(e.Reason)})
			return
		}
		collectErrors(l, e.Err, out)
		return
	case *openapi3.SchemaError:
		var ve *jsonschema.ValidationError
		if errors.As(e, &ve) {
			n := len(*out)
			leafErrors(loc, ve, out)
			if len(*out) > n {
				return
			}
		}
		*out = append(*out, fieldError{Location: pointer(loc, e.JSONPointer()), Message: schemaMessage(e)})
		return
	case *openapi3filter.ParseError:
		*out = append(*out, fieldError{Location: loc, Message: "cannot be parsed as the declared type"})
		return
	}
	switch {
	case errors.Is(err, openapi3filter.ErrInvalidRequired):
		*out = append(*out, fieldError{Location: loc, Message: "is required"})
	case errors.Is(err, openapi3filter.ErrInvalidEmptyValue):
		*out = append(*out, fieldError{Location: loc, Message: "must not be empty"})
	case errors.Unwrap(err) != nil:
		collectErrors(loc, errors.Unwrap(err), out)
	default:
		*out = append(*out, fieldError{Location: loc, Message: "is not valid"})
	}
}

// schemaMessage describes a SchemaError of the built-in validator from the
// schema's side only.
func schemaMessage(e *openapi3.SchemaError) string {
	sc := e.Schema
	switch e.SchemaField {
	case "required", "additionalProperties":
		return e.Reason // names fields, never values
	case "pattern":
		if sc != nil {
			return "does not match the pattern " + sc.Pattern
		}
	case "type":
		if sc != nil && sc.Type != nil {
			return "must be " + strings.Join(sc.Type.Slice(), " or ")
		}
	case "maxLength":
		if sc != nil && sc.MaxLength != nil {
			return fmt.Sprintf("is longer than %d characters", *sc.MaxLength)
		}
	case "minLength":
		if sc != nil {
			return fmt.Sprintf("is shorter than %d characters", sc.MinLength)
		}
	case "oneOf", "anyOf":
		return "matches none of the allowed forms"
	}
	return "does not satisfy " + e.SchemaField
}

// safeReason keeps the fixed messages of openapi3filter that carry no value.
func safeReason(reason string) string {
	switch {
	case strings.Contains(reason, "value is required"), strings.Contains(reason, "must have a value"):
		return "is required"
	case strings.Contains(reason, "header Content-Type"):
		return "has an unsupported content type"
	}
	return "is not valid"
}

// leafErrors collects the innermost validation errors of ve.
func leafErrors(loc string, ve *jsonschema.ValidationError, out *[]fieldError) {
	if len(ve.Causes) > 0 {
		if _, oneOf := ve.ErrorKind.(*kind.OneOf); oneOf {
			// "matches none of the alternatives" is clearer than every
			// alternative's complaint.
			*out = append(*out, fieldError{Location: pointer(loc, ve.InstanceLocation), Message: "matches none of the allowed forms"})
			return
		}
		for _, c := range ve.Causes {
			leafErrors(loc, c, out)
		}
		return
	}
	*out = append(*out, fieldError{Location: pointer(loc, ve.InstanceLocation), Message: kindMessage(ve.ErrorKind)})
}

func pointer(loc string, path []string) string {
	if len(path) == 0 {
		return loc
	}
	return loc + "/" + strings.Join(path, "/")
}

// kindMessage describes a failed keyword from the schema's side only.
func kindMessage(k jsonschema.ErrorKind) string {
	switch k := k.(type) {
	case *kind.Required:
		return "is missing required field(s) " + strings.Join(k.Missing, ", ")
	case *kind.AdditionalProperties:
		return "has unknown field(s) " + strings.Join(k.Properties, ", ")
	case *kind.Type:
		return fmt.Sprintf("is %s, want %s", k.Got, strings.Join(k.Want, " or "))
	case *kind.MinLength:
		return fmt.Sprintf("is shorter than %d characters", k.Want)
	case *kind.MaxLength:
		return fmt.Sprintf("is longer than %d characters", k.Want)
	case *kind.Pattern:
		return "does not match the pattern " + k.Want
	case *kind.Enum:
		want := make([]string, len(k.Want))
		for i, v := range k.Want {
			b, _ := json.Marshal(v)
			want[i] = string(b)
		}
		return "must be one of " + strings.Join(want, ", ")
	case *kind.Minimum:
		return "must be at least " + k.Want.RatString()
	case *kind.Maximum:
		return "must be at most " + k.Want.RatString()
	case *kind.MinItems:
		return fmt.Sprintf("must have at least %d items", k.Want)
	case *kind.MaxItems:
		return fmt.Sprintf("must have at most %d items", k.Want)
	case *kind.MaxProperties:
		return fmt.Sprintf("must have at most %d entries", k.Want)
	case *kind.Format:
		return "is not a valid " + k.Want
	case *kind.UniqueItems:
		return "must not repeat items"
	}
	return "does not match the schema"
}
