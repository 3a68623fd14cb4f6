package localrun

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"

	"github.com/forgehq/forge/internal/atomicfile"
	"github.com/forgehq/forge/internal/egress"
)

// RecordingVersion is the version of the --record file format.
const RecordingVersion = 1

// Exchange is one recorded HTTP request and its response. Request headers
// are not stored (they carry credentials); secret values are replaced by
// "[secret NAME]" everywhere.
type Exchange struct {
	Method            string              `json:"method"`
	URL               string              `json:"url"`
	RequestBodySHA256 string              `json:"requestBodySha256,omitempty"`
	Status            int                 `json:"status"`
	Header            map[string][]string `json:"header,omitempty"`
	Body              []byte              `json:"body"`
}

// Recording is the file written by --record and read by --replay.
type Recording struct {
	Version   int        `json:"version"`
	Exchanges []Exchange `json:"exchanges"`
}

// Recorder records the HTTP exchanges of a run. It is the egress guard's
// transport wrapper (egress.GuardConfig.WrapTransport, see Wrap): every
// check of the guard applies, and each request the guard sends, every hop
// of a redirect chain, is recorded with its response.
type Recorder struct {
	path    string
	next    http.RoundTripper
	redact  *egress.Redactor
	maxBody int64

	mu  sync.Mutex
	rec Recording
}

// NewRecorder returns a recorder writing to path on Save. Secret values are
// replaced with redact; a response body is recorded up to maxBody+1 bytes
// (enough for the guard to refuse it as too large on replay too).
func NewRecorder(path string, redact *egress.Redactor, maxBody int64) *Recorder {
	return &Recorder{path: path, redact: redact, maxBody: maxBody, rec: Recording{Version: RecordingVersion, Exchanges: []Exchange{}}}
}

// Wrap makes next the transport the recorder sends through and returns the
// recorder: pass it as egress.GuardConfig.WrapTransport.
func (r *Recorder) Wrap(next http.RoundTripper) http.RoundTripper {
	r.next = next
	return r
}

// RoundTrip sends req and records the exchange.
func (r *Recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := readBody(req)
	if err != nil {
		return nil, err
	}
	resp, err := r.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, r.maxBody+1))
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	ex := Exchange{Method: req.Method, URL: r.redact.Redact(req.URL.String()), Status: resp.StatusCode, Body: []byte(r.redact.Redact(string(data)))}
	if len(body) > 0 {
		ex.RequestBodySHA256 = digest(r.redact.Redact(string(body)))
	}
	if len(resp.Header) > 0 {
		ex.Header = map[string][]string{}
		for k, vs := range resp.Header {
			for _, v := range vs {
				ex.Header[k] = append(ex.Header[k], r.redact.Redact(v))
			}
		}
	}
	r.mu.Lock()
	r.rec.Exchanges = append(r.rec.Exchanges, ex)
	r.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(data))
	resp.ContentLength = int64(len(data))
	return resp, nil
}

// Save writes the recording atomically.
func (r *Recorder) Save() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	data, err := json.MarshalIndent(r.rec, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(r.path, append(data, '\n'), 0o600)
}

// Replay answers requests from a recording, in order per method and URL,
// with no network. It is the egress guard's transport
// (egress.GuardConfig.Transport), so the guard's rule, secret, redirect and
// size checks apply as in a live run. A request the recording does not
// have fails.
type Replay struct {
	redact *egress.Redactor

	mu   sync.Mutex
	ex   []Exchange
	used []bool
}

// LoadReplay reads a recording. redact must replace secrets as the
// recorder's did, for requests to match the recorded ones.
func LoadReplay(path string, redact *egress.Redactor) (*Replay, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, unwrapPath(err))
	}
	var rec Recording
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rec); err != nil {
		return nil, fmt.Errorf("%s: not a forge recording: %w", path, err)
	}
	if rec.Version != RecordingVersion {
		return nil, fmt.Errorf("%s: recording version %d is not supported (want %d)", path, rec.Version, RecordingVersion)
	}
	return &Replay{redact: redact, ex: rec.Exchanges, used: make([]bool, len(rec.Exchanges))}, nil
}

// ErrNotRecorded is returned for a request the recording does not hold.
var ErrNotRecorded = errors.New("no recorded exchange")

// RoundTrip answers req from the recording.
func (r *Replay) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := readBody(req)
	if err != nil {
		return nil, err
	}
	u := r.redact.Redact(req.URL.String())
	var bodyDigest string
	if len(body) > 0 {
		bodyDigest = digest(r.redact.Redact(string(body)))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, ex := range r.ex {
		if r.used[i] || ex.Method != req.Method || ex.URL != u || ex.RequestBodySHA256 != bodyDigest {
			continue
		}
		r.used[i] = true
		return &http.Response{
			StatusCode: ex.Status, Status: fmt.Sprintf("%d %s", ex.Status, http.StatusText(ex.Status)),
			Header: http.Header(ex.Header), Body: io.NopCloser(bytes.NewReader(ex.Body)),
			ContentLength: int64(len(ex.Body)), Request: req, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		}, nil
	}
	// Without the query, as the guard shows URLs in messages.
	return nil, fmt.Errorf("%w for %s %s", ErrNotRecorded, req.Method, r.redact.Redact(egress.ShowURL(req.URL)))
}

func readBody(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	body, err := io.ReadAll(req.Body)
	_ = req.Body.Close()
	if err != nil {
		return nil, err
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return body, nil
}

func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
