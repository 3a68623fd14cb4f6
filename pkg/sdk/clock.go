package sdk

import (
	"time"

	"github.com/forgehq/forge/pkg/sdk/internal/hostabi"
)

// Now returns the host's current time.
func Now() time.Time { return time.Unix(0, host().ClockNow()) }

// Random returns n cryptographically secure random bytes from the host.
func Random(n int) ([]byte, error) {
	if n < 0 {
		return nil, &Error{Op: "random", Code: CodeInvalidArgument, Msg: "negative length"}
	}
	b := make([]byte, n)
	h := host()
	for off := 0; off < n; off += hostabi.MaxRandomFill {
		end := min(off+hostabi.MaxRandomFill, n)
		if code := h.RandomFill(b[off:end]); code < 0 {
			return nil, hostError("random", code, nil)
		}
	}
	return b, nil
}
