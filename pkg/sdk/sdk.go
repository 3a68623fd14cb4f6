package sdk

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/forgehq/forge/pkg/sdk/internal/hostabi"
)

// ABIVersion is the version of the Forge guest ABI this SDK implements.
// The SDK exports it as forge_abi_version from every module that links it.
const ABIVersion = 1

// Handler handles one invocation of a trigger. A non-nil error fails the
// invocation; its message becomes the invocation's output.
type Handler func(ctx *Context) error

// Context is one invocation of a trigger.
type Context struct {
	input Input
	h     hostabi.Host
}

// Input is what started the invocation.
type Input struct {
	// Trigger is the name of the trigger, as in forge_on_<trigger>.
	Trigger string
	// Event is the event payload as JSON, or nil when the trigger carries
	// no event (scheduled triggers).
	Event json.RawMessage
	// ScheduledAt is the time a scheduled run was due; zero otherwise.
	ScheduledAt time.Time
}

// Input returns what started the invocation.
func (c *Context) Input() Input { return c.input }

// Trigger returns the name of the trigger being handled.
func (c *Context) Trigger() string { return c.input.Trigger }

// Event decodes the event payload into v. It returns an error matching
// ErrNotFound when the invocation has no event.
func (c *Context) Event(v any) error {
	if len(c.input.Event) == 0 {
		return &Error{Op: "event", Code: CodeNotFound, Msg: "trigger " + c.input.Trigger + " has no event"}
	}
	if err := json.Unmarshal(c.input.Event, v); err != nil {
		return fmt.Errorf("forge: event: %w", err)
	}
	return nil
}

// Output sets the result of the invocation to v encoded as JSON. A later
// call replaces it.
func (c *Context) Output(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("forge: output: %w", err)
	}
	return c.write(b)
}

// OutputText sets the result of the invocation to the text s.
func (c *Context) OutputText(s string) error { return c.write([]byte(s)) }

func (c *Context) write(b []byte) error {
	if code := c.h.OutputWrite(b); code < 0 {
		return hostError("output", code, nil)
	}
	return nil
}

// Logf logs at info level; see Log.
func (c *Context) Logf(format string, args ...any) { Log.Infof(format, args...) }

// Run runs handler for the current invocation and returns the value the
// forge_on_<trigger> export must return: 0 on success, 1 when the handler
// returns an error, 2 when it panics. On failure the output is the error
// message. Use it as the whole body of each trigger export:
//
//	//go:wasmexport forge_on_weekly
//	func weekly() int32 { return sdk.Run(handleWeekly) }
func Run(handler Handler) int32 {
	h := host()
	ctx := &Context{h: h}
	code, err := run(ctx, handler)
	if err != nil {
		h.OutputWrite([]byte(err.Error()))
		if s, ok := h.(hostabi.ErrorSink); ok {
			s.HandlerError(err)
		}
	}
	return code
}

// PanicError is the error of a handler that panicked.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

func run(ctx *Context, handler Handler) (code int32, err error) {
	defer func() {
		if r := recover(); r != nil {
			pe := &PanicError{Value: r, Stack: debug.Stack()}
			Log.Errorf("%v\n%s", pe, pe.Stack)
			code, err = 2, pe
		}
	}()
	raw, c := ctx.h.Input()
	if c < 0 {
		return 1, hostError("input", c, raw)
	}
	var env hostabi.Envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return 1, fmt.Errorf("forge: input: %w", err)
	}
	ctx.input.Trigger = env.Trigger
	if len(env.Event) > 0 && string(env.Event) != "null" {
		ctx.input.Event = env.Event
	}
	if env.ScheduledAt != nil {
		ctx.input.ScheduledAt = *env.ScheduledAt
	}
	if handler == nil {
		return 1, errors.New("forge: nil handler")
	}
	if err := handler(ctx); err != nil {
		return 1, err
	}
	return 0, nil
}
