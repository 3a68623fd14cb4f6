// Package hostabi is the seam between the SDK and whatever implements the
// Forge host ABI: the real forge host functions when running as
// WebAssembly, or the in-memory host of package sdktest in native tests. It
// also holds the JSON wire types of docs/abi.md.
package hostabi

import (
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"
)

// Host mirrors the forge host module of docs/abi.md at the level of Go
// byte slices. Functions that produce data return it with code 0; on
// failure they return a negative ABI error code and, optionally, a short
// diagnostic message instead of data.
type Host interface {
	Log(level int32, msg []byte)
	Input() ([]byte, int32)
	OutputWrite(b []byte) int32
	SecretGet(name []byte) ([]byte, int32)
	ConfigGet(key []byte) ([]byte, int32)
	StateGet(key []byte) ([]byte, int32)
	StatePut(key, val []byte) int32
	StateDelete(key []byte) int32
	StateList(prefix []byte) ([]byte, int32)
	HTTPSend(req []byte) ([]byte, int32)
	ClockNow() int64
	RandomFill(b []byte) int32
}

// ErrorSink is implemented by test hosts that want the handler's error
// value itself, not only the message written as output.
type ErrorSink interface {
	HandlerError(err error)
}

var (
	bindMu  sync.Mutex
	current atomic.Pointer[Host]
)

// Bind makes h the host of every SDK call until release is called.
// Bindings are exclusive: a second Bind waits for the first release, so
// invocations in parallel tests are serialized.
func Bind(h Host) (release func()) {
	bindMu.Lock()
	current.Store(&h)
	return func() {
		current.Store(nil)
		bindMu.Unlock()
	}
}

// Current returns the bound host, or nil.
func Current() Host {
	if p := current.Load(); p != nil {
		return *p
	}
	return nil
}

// Envelope is the JSON document returned by forge.input.
type Envelope struct {
	Trigger     string          `json:"trigger"`
	Event       json.RawMessage `json:"event"`
	ScheduledAt *time.Time      `json:"scheduledAt"`
}

// Request is the JSON document passed to forge.http_send.
type Request struct {
	Method  string              `json:"method"`
	URL     string              `json:"url"`
	Headers map[string][]string `json:"headers,omitempty"`
	Body    []byte              `json:"body,omitempty"`
}

// Response is the JSON document forge.http_send returns.
type Response struct {
	Status  int                 `json:"status"`
	Headers map[string][]string `json:"headers"`
	Body    []byte              `json:"body"`
}

// Log levels of forge.log.
const (
	LevelDebug int32 = 0
	LevelInfo  int32 = 1
	LevelWarn  int32 = 2
	LevelError int32 = 3
)

// Error codes of docs/abi.md.
const (
	CodeNotFound        int32 = -1
	CodeDenied          int32 = -2
	CodeLimitExceeded   int32 = -3
	CodeInvalidArgument int32 = -4
	CodeTooLarge        int32 = -5
	CodeInternal        int32 = -6
	CodeNoResult        int32 = -7
	CodeUnavailable     int32 = -8
)

// MaxRandomFill is the largest length forge.random_fill accepts in one call.
const MaxRandomFill = 64 << 10
