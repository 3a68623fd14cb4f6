package sdk

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/forgehq/forge/pkg/sdk/internal/hostabi"
)

// Header is a set of HTTP header fields. Keys are canonicalized by Set, Add
// and Get ("content-type" becomes "Content-Type").
type Header map[string][]string

// Get returns the first value of key, or "".
func (h Header) Get(key string) string {
	if v := h[CanonicalHeaderKey(key)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Set replaces the values of key with value.
func (h Header) Set(key, value string) { h[CanonicalHeaderKey(key)] = []string{value} }

// Add appends value to the values of key.
func (h Header) Add(key, value string) {
	k := CanonicalHeaderKey(key)
	h[k] = append(h[k], value)
}

// Del removes key.
func (h Header) Del(key string) { delete(h, CanonicalHeaderKey(key)) }

// CanonicalHeaderKey returns the canonical form of a header name, as
// net/http does: the first letter and each letter after a hyphen upper
// case, the rest lower case. Names with characters other than letters,
// digits, '-' and '_' are returned unchanged.
func CanonicalHeaderKey(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return s
		}
	}
	b := []byte(s)
	upper := true
	for i, c := range b {
		if upper && c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		} else if !upper && c >= 'A' && c <= 'Z' {
			b[i] = c - 'A' + 'a'
		}
		upper = c == '-'
	}
	return string(b)
}

// Request is an outbound HTTP request. The host sends it only to hosts the
// extension's manifest declares.
type Request struct {
	Method string // "GET" when empty
	URL    string // absolute http or https URL
	Header Header
	Body   []byte
}

// NewRequest returns a request with an empty header.
func NewRequest(method, url string, body []byte) *Request {
	return &Request{Method: method, URL: url, Header: Header{}, Body: body}
}

// Response is the response to a Request. Any status, including 4xx and
// 5xx, is a response, not an error.
type Response struct {
	Status int
	Header Header
	Body   []byte
}

// OK reports whether the status is 2xx.
func (r *Response) OK() bool { return r.Status >= 200 && r.Status <= 299 }

// JSON decodes the body into v.
func (r *Response) JSON(v any) error {
	if err := json.Unmarshal(r.Body, v); err != nil {
		return fmt.Errorf("forge: http response (status %d): %w", r.Status, err)
	}
	return nil
}

// HTTPClient sends outbound HTTP requests through the host.
type HTTPClient struct{}

// HTTP is the outbound HTTP client. Requests to hosts the manifest does not
// declare fail with ErrDenied; too many requests in one invocation with
// ErrLimit; network failures and timeouts with ErrUnavailable.
var HTTP HTTPClient

// Do sends req and returns the response.
func (HTTPClient) Do(req *Request) (*Response, error) {
	if req == nil {
		return nil, &Error{Op: "http", Code: CodeInvalidArgument, Msg: "nil request"}
	}
	w := hostabi.Request{Method: req.Method, URL: req.URL, Headers: req.Header, Body: req.Body}
	if w.Method == "" {
		w.Method = "GET"
	}
	b, err := json.Marshal(w)
	if err != nil {
		return nil, &Error{Op: "http", Code: CodeInvalidArgument, Msg: err.Error()}
	}
	out, code := host().HTTPSend(b)
	if code < 0 {
		return nil, hostError("http "+w.Method+" "+showURL(req.URL), code, out)
	}
	var r hostabi.Response
	if err := json.Unmarshal(out, &r); err != nil {
		return nil, &Error{Op: "http", Code: CodeInternal, Msg: "bad response from host: " + err.Error()}
	}
	if r.Headers == nil {
		r.Headers = map[string][]string{}
	}
	return &Response{Status: r.Status, Header: r.Headers, Body: r.Body}, nil
}

// showURL is u as errors show it: without user info, query or fragment,
// which often carry credentials ("?…" marks a dropped query).
func showURL(u string) string {
	u, _, _ = strings.Cut(u, "#")
	u, _, hasQuery := strings.Cut(u, "?")
	if scheme, rest, ok := strings.Cut(u, "://"); ok {
		authority, path, hasPath := strings.Cut(rest, "/")
		if i := strings.LastIndexByte(authority, '@'); i >= 0 {
			authority = authority[i+1:]
		}
		u = scheme + "://" + authority
		if hasPath {
			u += "/" + path
		}
	}
	if hasQuery {
		u += "?…"
	}
	return u
}

// Get sends a GET request to url.
func (c HTTPClient) Get(url string) (*Response, error) {
	return c.Do(NewRequest("GET", url, nil))
}

// PostJSON sends v encoded as JSON to url with Content-Type
// application/json.
func (c HTTPClient) PostJSON(url string, v any) (*Response, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, &Error{Op: "http", Code: CodeInvalidArgument, Msg: err.Error()}
	}
	req := NewRequest("POST", url, bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
	req.Header.Set("Content-Type", "application/json")
	return c.Do(req)
}
