package sdk

import (
	"fmt"

	"github.com/forgehq/forge/pkg/sdk/internal/hostabi"
)

// Code is an error code of the Forge host ABI (always negative).
type Code int32

// The error codes of docs/abi.md.
const (
	CodeNotFound        Code = Code(hostabi.CodeNotFound)
	CodeDenied          Code = Code(hostabi.CodeDenied)
	CodeLimitExceeded   Code = Code(hostabi.CodeLimitExceeded)
	CodeInvalidArgument Code = Code(hostabi.CodeInvalidArgument)
	CodeTooLarge        Code = Code(hostabi.CodeTooLarge)
	CodeInternal        Code = Code(hostabi.CodeInternal)
	CodeNoResult        Code = Code(hostabi.CodeNoResult)
	CodeUnavailable     Code = Code(hostabi.CodeUnavailable)
)

var codeNames = map[Code]string{
	CodeNotFound:        "not_found",
	CodeDenied:          "denied",
	CodeLimitExceeded:   "limit_exceeded",
	CodeInvalidArgument: "invalid_argument",
	CodeTooLarge:        "too_large",
	CodeInternal:        "internal",
	CodeNoResult:        "no_result",
	CodeUnavailable:     "unavailable",
}

// String returns the ABI name of the code, such as "not_found".
func (c Code) String() string {
	if s, ok := codeNames[c]; ok {
		return s
	}
	return fmt.Sprintf("error(%d)", int32(c))
}

// Error is the error of a failed host call: which operation failed, the
// ABI error code, and the host's diagnostic message if it gave one.
type Error struct {
	Op   string // "secret", "state.get", "http", ...
	Code Code
	Msg  string
}

func (e *Error) Error() string {
	s := "forge"
	if e.Op != "" {
		s += ": " + e.Op
	}
	s += ": " + e.Code.String()
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	return s
}

// Is makes errors.Is(err, sdk.ErrNotFound) (and the other sentinels) true
// for every *Error with the same code. A target with an Op must match it
// too.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	return t.Code == e.Code && (t.Op == "" || t.Op == e.Op)
}

// Sentinels for errors.Is, one per error code.
var (
	ErrNotFound    = &Error{Code: CodeNotFound}
	ErrDenied      = &Error{Code: CodeDenied}
	ErrLimit       = &Error{Code: CodeLimitExceeded}
	ErrInvalid     = &Error{Code: CodeInvalidArgument}
	ErrTooLarge    = &Error{Code: CodeTooLarge}
	ErrInternal    = &Error{Code: CodeInternal}
	ErrNoResult    = &Error{Code: CodeNoResult}
	ErrUnavailable = &Error{Code: CodeUnavailable}
)

func hostError(op string, code int32, msg []byte) error {
	return &Error{Op: op, Code: Code(code), Msg: string(msg)}
}
