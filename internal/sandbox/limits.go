package sandbox

import (
	"fmt"
	"strconv"
	"time"

	"github.com/forgehq/forge/internal/manifest"
)

// pageSize is the size of a WebAssembly memory page.
const pageSize = 64 << 10

// Fixed limits of ABI version 1 (docs/abi.md, section 6). They are part of
// the contract rather than of an operator's configuration.
const (
	maxInputBytes       = 1 << 20  // invocation envelope
	maxLogLineBytes     = 8 << 10  // one log line; longer lines are truncated
	maxRequestBodyBytes = 10 << 20 // HTTP request body
	maxRandomFill       = 65536    // random_fill length
	maxDiagnosticBytes  = 1024     // diagnostic left in the result buffer
	httpRequestTimeout  = 10 * time.Second
	maxSecretNameBytes  = 128
	maxStateKeyBytes    = 512
)

// Limit names, as they appear in LimitError.Limit and in the docs.
const (
	LimitTimeout   = "timeout"
	LimitMemory    = "memory"
	LimitHTTPCalls = "http-calls"
	LimitLog       = "log"
	LimitResponse  = "response"
	LimitOutput    = "output"
	LimitState     = "state"
	LimitInput     = "input"
)

// Limits bound one invocation. The same type, with the same defaults, is
// used by `forge run`, `forge dev` and the server, so that an extension
// behaves the same everywhere. A zero field means the default.
type Limits struct {
	// MemoryBytes caps the guest's linear memory; rounded up to 64 KiB pages.
	MemoryBytes int64
	// Timeout is the wall-clock time of one invocation, including the time
	// spent blocked in host calls (HTTP, sleeps).
	Timeout time.Duration
	// HTTPCalls is the number of forge.http_send calls per invocation.
	HTTPCalls int
	// LogBytes is the number of log bytes kept per invocation (forge.log,
	// stdout and stderr together); further lines are dropped after a notice.
	LogBytes int
	// ResponseBytes caps each HTTP response body.
	ResponseBytes int64
	// OutputBytes caps the invocation output.
	OutputBytes int
	// StateValueBytes caps one state value.
	StateValueBytes int
	// StateTotalBytes caps the sum of key and value sizes of a namespace.
	StateTotalBytes int64
	// StateKeys caps the number of keys of a namespace.
	StateKeys int
}

// DefaultLimits returns the defaults of docs/abi.md, section 6 (and, for the
// state total, docs/sandbox.md).
func DefaultLimits() Limits {
	return Limits{
		MemoryBytes:     4096 * pageSize, // 256 MiB
		Timeout:         30 * time.Second,
		HTTPCalls:       50,
		LogBytes:        1 << 20,
		ResponseBytes:   10 << 20,
		OutputBytes:     1 << 20,
		StateValueBytes: 1 << 20,
		StateTotalBytes: 64 << 20,
		StateKeys:       10000,
	}
}

// withDefaults fills zero fields from DefaultLimits and rounds memory up to
// whole pages.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MemoryBytes <= 0 {
		l.MemoryBytes = d.MemoryBytes
	}
	l.MemoryBytes = roundPages(l.MemoryBytes)
	if l.Timeout <= 0 {
		l.Timeout = d.Timeout
	}
	if l.HTTPCalls <= 0 {
		l.HTTPCalls = d.HTTPCalls
	}
	if l.LogBytes <= 0 {
		l.LogBytes = d.LogBytes
	}
	if l.ResponseBytes <= 0 {
		l.ResponseBytes = d.ResponseBytes
	}
	if l.OutputBytes <= 0 {
		l.OutputBytes = d.OutputBytes
	}
	if l.StateValueBytes <= 0 {
		l.StateValueBytes = d.StateValueBytes
	}
	if l.StateTotalBytes <= 0 {
		l.StateTotalBytes = d.StateTotalBytes
	}
	if l.StateKeys <= 0 {
		l.StateKeys = d.StateKeys
	}
	return l
}

func roundPages(n int64) int64 {
	const maxMem = 65536 * pageSize // 4 GiB, all a 32-bit memory can address
	if n > maxMem {
		return maxMem
	}
	return (n + pageSize - 1) / pageSize * pageSize
}

// LimitsFor returns the limits of an extension: the values its manifest
// sets, over DefaultLimits, each capped by maxima (forge.yaml's maxima; a zero
// field of maxima means no maximum). A manifest value above its maximum is an
// error naming the limit, the value and where it was written; a default
// above the maximum is lowered to it.
func LimitsFor(m manifest.Limits, maxima Limits) (Limits, error) {
	l := DefaultLimits()
	if m.Memory.Set {
		l.MemoryBytes = roundPages(int64(m.Memory.Value))
		if l.MemoryBytes <= 0 {
			return l, fmt.Errorf("%slimits.memory must be positive", at(m.Memory.Pos))
		}
		if maxima.MemoryBytes > 0 && l.MemoryBytes > roundPages(maxima.MemoryBytes) {
			return l, fmt.Errorf("%slimits.memory %s is above the maximum %s", at(m.Memory.Pos), formatBytes(l.MemoryBytes), formatBytes(roundPages(maxima.MemoryBytes)))
		}
	}
	if m.Timeout.Set {
		l.Timeout = m.Timeout.Value
		if l.Timeout <= 0 {
			return l, fmt.Errorf("%slimits.timeout must be positive", at(m.Timeout.Pos))
		}
		if maxima.Timeout > 0 && l.Timeout > maxima.Timeout {
			return l, fmt.Errorf("%slimits.timeout %s is above the maximum %s", at(m.Timeout.Pos), l.Timeout, maxima.Timeout)
		}
	}
	if m.HTTPCalls.Set {
		l.HTTPCalls = m.HTTPCalls.Value
		if l.HTTPCalls <= 0 {
			return l, fmt.Errorf("%slimits.httpCalls must be positive", at(m.HTTPCalls.Pos))
		}
		if maxima.HTTPCalls > 0 && l.HTTPCalls > maxima.HTTPCalls {
			return l, fmt.Errorf("%slimits.httpCalls %d is above the maximum %d", at(m.HTTPCalls.Pos), l.HTTPCalls, maxima.HTTPCalls)
		}
	}
	capTo := func(v *int64, maxV int64) {
		if maxV > 0 && *v > maxV {
			*v = maxV
		}
	}
	capInt := func(v *int, maxV int) {
		if maxV > 0 && *v > maxV {
			*v = maxV
		}
	}
	capTo(&l.MemoryBytes, roundPages(maxima.MemoryBytes))
	if maxima.Timeout > 0 && l.Timeout > maxima.Timeout {
		l.Timeout = maxima.Timeout
	}
	capInt(&l.HTTPCalls, maxima.HTTPCalls)
	capInt(&l.LogBytes, maxima.LogBytes)
	capTo(&l.ResponseBytes, maxima.ResponseBytes)
	capInt(&l.OutputBytes, maxima.OutputBytes)
	capInt(&l.StateValueBytes, maxima.StateValueBytes)
	capTo(&l.StateTotalBytes, maxima.StateTotalBytes)
	capInt(&l.StateKeys, maxima.StateKeys)
	return l, nil
}

func at(p manifest.Pos) string {
	if !p.IsValid() {
		return ""
	}
	return p.String() + ": "
}

// LimitError is an invocation that went over one of its limits.
type LimitError struct {
	// Limit is the limit's name: "timeout", "memory", "http-calls", "log",
	// "response", "output", "state" or "input".
	Limit string
	// Value is the limit's value as configured, e.g. "5s", "256MiB", "50".
	Value string
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("limit exceeded: %s (%s)", e.Limit, e.Value)
}

// formatBytes prints a size the way manifests write it ("256MiB", "1500B").
func formatBytes(n int64) string {
	for _, u := range []struct {
		name string
		n    int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.n && n%u.n == 0 {
			return strconv.FormatInt(n/u.n, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}
