package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// DefaultUserAgent is the User-Agent of requests unless WithUserAgent
// replaces it.
const DefaultUserAgent = "forge-client/1"

// maxResponseBytes caps the response bodies the client reads (a registry
// document is the largest).
const maxResponseBytes = 128 << 20

// Client calls one Forge server with one credential. It is safe for
// concurrent use.
type Client struct {
	base       *url.URL
	credential string
	hc         *http.Client
	userAgent  string
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sends requests through hc (timeouts, proxies, TLS roots,
// client certificates). The default is http.DefaultClient.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.hc = hc
		}
	}
}

// WithUserAgent sets the User-Agent header of every request.
func WithUserAgent(ua string) Option {
	return func(c *Client) {
		if ua != "" {
			c.userAgent = ua
		}
	}
}

// New returns a client of the server at baseURL (http or https, with an
// optional path prefix) that authenticates with credential. An empty
// credential can call only the public operations (Health, Ready, OpenAPI).
func New(baseURL, credential string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil {
		return nil, fmt.Errorf("client: invalid server URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("client: invalid server URL %q: want http(s)://host[:port]", baseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("client: invalid server URL %q: no user, query or fragment allowed", baseURL)
	}
	if strings.ContainsAny(credential, " \t\r\n") {
		return nil, errors.New("client: the credential contains white space")
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	c := &Client{base: u, credential: credential, hc: http.DefaultClient, userAgent: DefaultUserAgent}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// BaseURL returns the server's base URL.
func (c *Client) BaseURL() string { return c.base.String() }

// seg escapes one path segment.
func seg(s string) string { return url.PathEscape(s) }

// wsPath is /v1/workspaces/{ws} followed by more path segments, each
// escaped.
func wsPath(ws string, segs ...string) string {
	var b strings.Builder
	b.WriteString("/v1/workspaces/")
	b.WriteString(seg(ws))
	for _, s := range segs {
		b.WriteByte('/')
		b.WriteString(seg(s))
	}
	return b.String()
}

func extPath(ws, subject, name string, segs ...string) string {
	return wsPath(ws, append([]string{"subjects", subject, "extensions", name}, segs...)...)
}

// do sends a request. in, when not nil, is sent as JSON; out, when not
// nil, receives the JSON response. want is the success status.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in, out any, want int) error {
	raw, err := c.doRaw(ctx, method, path, query, in, want)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("client: %s %s: decode response: %w", method, path, err)
	}
	return nil
}

func (c *Client) doRaw(ctx context.Context, method, path string, query url.Values, in any, want int) ([]byte, error) {
	// path is escaped (seg): it is the raw path, and Path is what it
	// decodes to, so that a segment's %2F or %20 is sent as written.
	unescaped, err := url.PathUnescape(path)
	if err != nil {
		return nil, fmt.Errorf("client: %s %s: %w", method, path, err)
	}
	u := *c.base
	u.Path = c.base.Path + unescaped
	u.RawPath = c.base.EscapedPath() + path
	if len(query) > 0 {
		u.RawQuery = query.Encode()
	}
	var body io.Reader = http.NoBody
	if in != nil {
		js, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("client: %s %s: encode request: %w", method, path, err)
		}
		body = bytes.NewReader(js)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	req.Header.Set("Accept", "application/json, application/problem+json")
	req.Header.Set("User-Agent", c.userAgent)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.credential != "" {
		req.Header.Set("Authorization", "Bearer "+c.credential)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, maxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("client: %s %s: read response: %w", method, path, err)
	}
	if len(raw) > maxResponseBytes {
		return nil, fmt.Errorf("client: %s %s: response larger than %d bytes", method, path, maxResponseBytes)
	}
	if res.StatusCode != want {
		if res.StatusCode >= 200 && res.StatusCode < 300 {
			return nil, fmt.Errorf("client: %s %s: unexpected status %d (want %d)", method, path, res.StatusCode, want)
		}
		return nil, apiError(res, raw)
	}
	return raw, nil
}

// apiError builds the error of a failed response: the problem document
// when there is one, else the status alone (the body of a proxy's error
// page is not repeated).
func apiError(res *http.Response, raw []byte) *APIError {
	e := &APIError{Status: res.StatusCode}
	ct, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type"))
	if ct == "application/problem+json" || ct == "application/json" {
		var p APIError
		if json.Unmarshal(raw, &p) == nil {
			e = &p
			e.Status = res.StatusCode
		}
	}
	if e.Title == "" {
		e.Title = http.StatusText(res.StatusCode)
	}
	return e
}
