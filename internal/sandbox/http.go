package sandbox

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tetratelabs/wazero/api"

	"github.com/forgehq/forge/internal/egress"
)

// httpRequest and httpResponse are the JSON of docs/abi.md, section 5.2.
type httpRequest struct {
	Method  string              `json:"method"`
	URL     string              `json:"url"`
	Headers map[string][]string `json:"headers"`
	Body    string              `json:"body"`
}

type httpResponse struct {
	Status  int                 `json:"status"`
	Headers map[string][]string `json:"headers"`
	Body    []byte              `json:"body"` // base64 with padding
}

// hostManaged are request headers the host sets itself; the guest's values
// are dropped.
var hostManaged = map[string]bool{
	"Host": true, "Content-Length": true, "Connection": true, "Transfer-Encoding": true,
	"Keep-Alive": true, "Proxy-Connection": true, "Te": true, "Trailer": true, "Upgrade": true,
}

func hostHTTPSend(ctx context.Context, st *invState, mod api.Module, stack []uint64) {
	st.clear()
	raw, ok := view(mod, stack[0], stack[1])
	if !ok {
		ret(stack, codeInvalid)
		return
	}
	var in httpRequest
	if err := json.Unmarshal(raw, &in); err != nil {
		ret(stack, st.fail(codeInvalid, "http request: "+err.Error()))
		return
	}
	req, body, code, msg := buildRequest(&in)
	if code != 0 {
		ret(stack, st.fail(code, msg))
		return
	}
	// The URL is recorded as the egress guard shows URLs in messages: without
	// its query, which often carries credentials (and is redacted besides).
	call := HTTPCall{Method: req.Method, URL: egress.ShowURL(req.URL), Host: req.URL.Hostname(), BytesSent: int64(len(body))}
	record := func(code int32, msg string) {
		call.Error = msg
		st.res.HTTPCalls = append(st.res.HTTPCalls, call)
		ret(stack, code)
	}
	if st.httpCalls >= st.limits.HTTPCalls {
		record(st.limit(codeLimit, LimitHTTPCalls, strconv.Itoa(st.limits.HTTPCalls)), "limit exceeded")
		return
	}
	st.httpCalls++
	if st.inv.HTTP == nil {
		record(st.fail(codeDenied, "outbound HTTP is not enabled for this invocation"), "denied: no HTTP client")
		return
	}
	start := time.Now()
	deadline := start.Add(httpRequestTimeout)
	if d := st.deadline; d.Before(deadline) {
		deadline = d
	}
	rctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	resp, err := st.inv.HTTP.Do(req.WithContext(rctx))
	var out httpResponse
	tooLarge := false
	if err == nil {
		call.Status = resp.StatusCode
		out.Status = resp.StatusCode
		out.Headers = map[string][]string(resp.Header)
		if out.Headers == nil {
			out.Headers = map[string][]string{}
		}
		out.Body, err = io.ReadAll(io.LimitReader(resp.Body, st.limits.ResponseBytes+1))
		_ = resp.Body.Close()
		call.BytesReceived = int64(len(out.Body))
		tooLarge = err == nil && int64(len(out.Body)) > st.limits.ResponseBytes
	}
	// The invocation's ResponseBytes is the one response cap the guest is
	// told about: an HTTP client (the egress guard) that enforces a cap of
	// its own, before this one, reports the same limit.
	if tooLarge || errors.Is(err, egress.ErrResponseTooLarge) {
		call.Duration = time.Since(start)
		record(st.limit(codeTooLarge, LimitResponse, formatBytes(st.limits.ResponseBytes)), "response body over "+formatBytes(st.limits.ResponseBytes))
		return
	}
	call.Duration = time.Since(start)
	if err != nil {
		if st.phase.Load() != phaseRunning {
			panic(errStopped) // the invocation's time is up or it was canceled
		}
		code, msg := httpErrorCode(err)
		record(st.fail(code, msg), msg)
		return
	}
	b, err := json.Marshal(out)
	if err != nil {
		record(st.fail(codeInternal, "encode response: "+err.Error()), err.Error())
		return
	}
	st.res.HTTPCalls = append(st.res.HTTPCalls, call)
	ret(stack, st.set(b))
}

// buildRequest checks the guest's request; on failure it returns an ABI
// code and a diagnostic.
func buildRequest(in *httpRequest) (*http.Request, []byte, int32, string) {
	if !validMethod(in.Method) {
		return nil, nil, codeInvalid, "http request: invalid method " + strconv.Quote(in.Method)
	}
	u, err := url.Parse(in.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, nil, codeInvalid, "http request: url must be an absolute http or https URL"
	}
	if base64.StdEncoding.DecodedLen(len(in.Body)) > maxRequestBodyBytes+2 {
		return nil, nil, codeTooLarge, "http request: body over " + formatBytes(maxRequestBodyBytes)
	}
	body, err := base64.StdEncoding.DecodeString(in.Body)
	if err != nil {
		return nil, nil, codeInvalid, "http request: body is not standard base64: " + err.Error()
	}
	if len(body) > maxRequestBodyBytes {
		return nil, nil, codeTooLarge, "http request: body over " + formatBytes(maxRequestBodyBytes)
	}
	req, err := http.NewRequestWithContext(context.Background(), in.Method, u.String(), bytes.NewReader(body)) // the invocation's context is set when it is sent
	if err != nil {
		return nil, nil, codeInvalid, "http request: " + err.Error()
	}
	for name, values := range in.Headers {
		if !validToken(name) {
			return nil, nil, codeInvalid, "http request: invalid header name " + strconv.Quote(name)
		}
		if hostManaged[http.CanonicalHeaderKey(name)] {
			continue
		}
		for _, v := range values {
			if strings.ContainsAny(v, "\r\n\x00") {
				return nil, nil, codeInvalid, "http request: invalid value of header " + name
			}
			req.Header.Add(name, v)
		}
	}
	return req, body, 0, ""
}

func validMethod(m string) bool { return m != "" && validToken(m) }

// validToken reports whether s is an RFC 9110 token.
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

// httpErrorCode maps an HTTPClient error to an ABI code: egress denials to
// denied, size caps to too_large, timeouts and transport failures to
// unavailable (docs/abi.md 5.2), other egress limits (redirects) to
// limit_exceeded.
func httpErrorCode(err error) (int32, string) {
	msg := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		msg = ue.Err.Error() // without the URL, which may carry a secret
	}
	switch {
	case errors.Is(err, egress.ErrDenied):
		return codeDenied, msg
	case errors.Is(err, egress.ErrTooLarge):
		return codeTooLarge, msg
	case errors.Is(err, context.DeadlineExceeded):
		return codeUnavailable, msg
	case errors.Is(err, egress.ErrLimit):
		return codeLimit, msg
	}
	return codeUnavailable, msg
}
