package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/forgehq/forge/internal/egress"
)

// Default limits for reading documents.
const (
	DefaultMaxBytes = 64 << 20 // 64 MiB
	DefaultTimeout  = 30 * time.Second
)

// Fetcher reads local files and remote http(s) documents with a size cap,
// a timeout and the egress guard (no loopback, private or link-local
// addresses unless AllowPrivate is set).
type Fetcher struct {
	MaxBytes     int64
	Timeout      time.Duration
	AllowPrivate bool
	// Client overrides the HTTP client (tests); it must apply its own guard.
	Client *http.Client
}

// NewFetcher returns a Fetcher with default limits.
func NewFetcher(allowPrivate bool) *Fetcher {
	return &Fetcher{MaxBytes: DefaultMaxBytes, Timeout: DefaultTimeout, AllowPrivate: allowPrivate}
}

// IsURL reports whether loc is an http or https URL.
func IsURL(loc string) bool {
	return strings.HasPrefix(loc, "http://") || strings.HasPrefix(loc, "https://")
}

// HTTPClient returns the guarded HTTP client the fetcher uses.
func (f *Fetcher) HTTPClient() *http.Client {
	if f.Client != nil {
		return f.Client
	}
	return egress.Policy{AllowPrivate: f.AllowPrivate}.Client(f.timeout())
}

func (f *Fetcher) timeout() time.Duration {
	if f.Timeout > 0 {
		return f.Timeout
	}
	return DefaultTimeout
}

func (f *Fetcher) maxBytes() int64 {
	if f.MaxBytes > 0 {
		return f.MaxBytes
	}
	return DefaultMaxBytes
}

// Read returns the bytes of loc, a file path (relative to dir) or an http(s)
// URL. Errors are *InputError naming loc.
func (f *Fetcher) Read(ctx context.Context, dir, loc string) ([]byte, error) {
	if IsURL(loc) {
		return f.readURL(ctx, loc)
	}
	if strings.Contains(loc, "://") {
		u, _ := url.Parse(loc)
		scheme := loc
		if u != nil {
			scheme = u.Scheme
		}
		return nil, &InputError{File: loc, Msg: fmt.Sprintf("unsupported URL scheme %q", scheme), Hint: "use a file path or an http(s) URL"}
	}
	path := loc
	if !filepath.IsAbs(path) && dir != "" {
		path = filepath.Join(dir, path)
	}
	return f.readFile(loc, path)
}

func (f *Fetcher) readFile(name, path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		msg := err.Error()
		if pe := (*os.PathError)(nil); errors.As(err, &pe) {
			msg = pe.Err.Error()
		}
		return nil, &InputError{File: name, Msg: "cannot read: " + msg, Err: err}
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, &InputError{File: name, Msg: "cannot read: " + err.Error(), Err: err}
	}
	if st.IsDir() {
		return nil, &InputError{File: name, Msg: "is a directory, not a document", Hint: "name the specification file itself"}
	}
	if st.Size() > f.maxBytes() {
		return nil, &InputError{File: name, Msg: fmt.Sprintf("file is %d bytes, more than the %d-byte limit", st.Size(), f.maxBytes())}
	}
	data, err := io.ReadAll(io.LimitReader(fh, f.maxBytes()+1))
	if err != nil {
		return nil, &InputError{File: name, Msg: "cannot read: " + err.Error(), Err: err}
	}
	if int64(len(data)) > f.maxBytes() {
		return nil, &InputError{File: name, Msg: fmt.Sprintf("file is larger than the %d-byte limit", f.maxBytes())}
	}
	return data, nil
}

func (f *Fetcher) readURL(ctx context.Context, loc string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, f.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, loc, nil)
	if err != nil {
		return nil, &InputError{File: loc, Msg: "invalid URL: " + err.Error(), Err: err}
	}
	req.Header.Set("Accept", "application/json, application/yaml;q=0.9, */*;q=0.5")
	resp, err := f.HTTPClient().Do(req)
	if err != nil {
		return nil, f.netError(loc, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &InputError{File: loc, Msg: fmt.Sprintf("server answered %s", resp.Status)}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, f.maxBytes()+1))
	if err != nil {
		return nil, f.netError(loc, err)
	}
	if int64(len(data)) > f.maxBytes() {
		return nil, &InputError{File: loc, Msg: fmt.Sprintf("document is larger than the %d-byte limit", f.maxBytes())}
	}
	return data, nil
}

// NetError turns a network error into an *InputError with a hint.
func (f *Fetcher) netError(loc string, err error) error {
	ie := &InputError{File: loc, Msg: err.Error(), Err: err}
	switch {
	case errors.Is(err, egress.ErrForbiddenAddress):
		ie.Msg = "refused to connect: " + forbiddenReason(err)
		ie.Hint = "the address is loopback, private or link-local; pass --allow-private-network if this is intended"
	case errors.Is(err, context.DeadlineExceeded):
		ie.Msg = fmt.Sprintf("timed out after %s", f.timeout())
	}
	return ie
}

// NetError is the exported form of netError for importers that make their
// own requests.
func (f *Fetcher) NetError(loc string, err error) error { return f.netError(loc, err) }

// forbiddenReason returns the innermost message that starts with the
// guard's own wording, without the net/http and url wrapping around it.
func forbiddenReason(err error) string {
	reason := err.Error()
	for e := err; e != nil; e = errors.Unwrap(e) {
		if s := e.Error(); strings.HasPrefix(s, egress.ErrForbiddenAddress.Error()) {
			reason = s
		}
	}
	return reason
}
