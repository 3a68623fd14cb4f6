package client

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Sentinel errors that an *APIError matches with errors.Is, by status.
var (
	ErrUnauthorized = errors.New("unauthorized")       // 401: no, an unknown, a revoked or an expired credential
	ErrForbidden    = errors.New("forbidden")          // 403: the credential lacks the permission
	ErrNotFound     = errors.New("not found")          // 404: missing, or outside the credential's workspace or subject
	ErrConflict     = errors.New("conflict")           // 409: a duplicate, or a state change the current state does not allow
	ErrInvalid      = errors.New("invalid request")    // 400 or 422: the request or the pushed content does not validate
	ErrUnavailable  = errors.New("server unavailable") // 503
)

// APIError is an error response of the server: an RFC 9457 problem.
type APIError struct {
	Status   int    `json:"status"`
	Type     string `json:"type"`
	Title    string `json:"title"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// Errors says which request fields are wrong (400 and 422).
	Errors []FieldError `json:"errors,omitempty"`
	// Diagnostics are validation findings on a pushed extension (422).
	Diagnostics []Diagnostic `json:"diagnostics,omitempty"`
}

// FieldError is one invalid part of a request: Location is
// "body/path/to/field", "path.name" or "query.name".
type FieldError struct {
	Location string `json:"location"`
	Message  string `json:"message"`
}

// Diagnostic is one validation finding, with where it is.
type Diagnostic struct {
	Rule     string `json:"rule,omitempty"`
	Severity string `json:"severity,omitempty"`
	File     string `json:"file,omitempty"`
	Line     int    `json:"line,omitempty"`
	Col      int    `json:"col,omitempty"`
	Message  string `json:"message,omitempty"`
	Hint     string `json:"hint,omitempty"`
}

// String formats d as "file:line:col: severity: message [rule]".
func (d Diagnostic) String() string {
	var b strings.Builder
	if d.File != "" {
		b.WriteString(d.File)
		if d.Line > 0 {
			fmt.Fprintf(&b, ":%d", d.Line)
			if d.Col > 0 {
				fmt.Fprintf(&b, ":%d", d.Col)
			}
		}
		b.WriteString(": ")
	}
	if d.Severity != "" {
		b.WriteString(d.Severity + ": ")
	}
	b.WriteString(d.Message)
	if d.Rule != "" {
		b.WriteString(" [" + d.Rule + "]")
	}
	return b.String()
}

func (e *APIError) Error() string {
	title := e.Title
	if title == "" {
		title = http.StatusText(e.Status)
	}
	msg := fmt.Sprintf("server: %d %s", e.Status, title)
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	if len(e.Errors) > 0 {
		parts := make([]string, len(e.Errors))
		for i, fe := range e.Errors {
			parts[i] = fe.Location + " " + fe.Message
		}
		msg += " (" + strings.Join(parts, "; ") + ")"
	}
	return msg
}

// Is matches the sentinel errors by status.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized
	case ErrForbidden:
		return e.Status == http.StatusForbidden
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrConflict:
		return e.Status == http.StatusConflict
	case ErrInvalid:
		return e.Status == http.StatusBadRequest || e.Status == http.StatusUnprocessableEntity
	case ErrUnavailable:
		return e.Status == http.StatusServiceUnavailable
	}
	return false
}
