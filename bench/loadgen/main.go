// Command loadgen is the load generator of bench/server.sh: it sends
// requests to a forge server on loopback at a fixed concurrency for a
// bounded time and reports throughput and latency percentiles.
//
// Modes:
//
//	loadgen -url URL -token TOK [-c 32] [-d 10s]
//	    GET URL with Authorization: Bearer TOK; one request per worker at a
//	    time (closed loop); reports requests/s and p50/p90/p99.
//
//	loadgen -mode push-approve -url BASE -token BUILD -key APIKEY -ws WS \
//	        -subject SUBJ -bundle-body FILE [-c 4] [-d 10s]
//	    Round trips of a push (POST …/extensions, 201) then an approval of
//	    the pushed version (POST …/versions/N/approve, 200). Worker i pushes
//	    new versions of its own extension, PREFIX-wI, so approvals never race.
//
//	loadgen -mode seed -n 50 … (the push-approve flags)
//	    Pushes and approves N extensions named PREFIX-1 … PREFIX-N, once
//	    each: a realistic extensions list for the GET benchmark.
//
// FILE is a push request body ({"manifest", "module", "record"}); each
// push rewrites the manifest's name and version (and the build record's
// manifest digest, extension and extensionVersion to match).
//
// The summary is one line; -json prints a JSON object instead, and -bench
// NAME adds a benchstat line (BenchmarkNAME N ns/op … p50-ms p99-ms req/s).
// The exit status is 1 when any request failed.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/forgehq/forge/internal/bundle"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// options are the flags.
type options struct {
	mode       string
	url        string
	token      string
	key        string
	ws         string
	subject    string
	bundleBody string
	prefix     string
	c          int
	d          time.Duration
	n          int64
	json       bool
	bench      string
}

func parse(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.mode, "mode", "get", "get, push-approve or seed")
	fs.StringVar(&o.url, "url", "", "get: the URL to GET; push-approve, seed: the server's base URL")
	fs.StringVar(&o.token, "token", "", "bearer credential (get: any with read; push-approve: one that can push)")
	fs.StringVar(&o.key, "key", "", "workspace API key that approves (default: -token)")
	fs.StringVar(&o.ws, "ws", "", "workspace id")
	fs.StringVar(&o.subject, "subject", "", "subject id")
	fs.StringVar(&o.bundleBody, "bundle-body", "", "file with a push request body")
	fs.StringVar(&o.prefix, "prefix", "bench", "extension name prefix")
	fs.IntVar(&o.c, "c", 32, "concurrency: workers, each with one request in flight")
	fs.DurationVar(&o.d, "d", 10*time.Second, "duration (the run stops at the first of -d and -n)")
	fs.Int64Var(&o.n, "n", 0, "stop after this many requests or round trips (0: only -d); seed: how many extensions")
	fs.BoolVar(&o.json, "json", false, "print the result as JSON")
	fs.StringVar(&o.bench, "bench", "", "also print a benchstat line named BenchmarkNAME")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	switch {
	case fs.NArg() > 0:
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	case o.url == "" || o.token == "":
		return nil, errors.New("-url and -token are required")
	case o.c < 1 || o.d <= 0 || o.n < 0:
		return nil, errors.New("-c and -d must be positive, -n not negative")
	}
	switch o.mode {
	case "get":
	case "push-approve", "seed":
		if o.ws == "" || o.subject == "" || o.bundleBody == "" {
			return nil, fmt.Errorf("-mode %s needs -ws, -subject and -bundle-body", o.mode)
		}
		if o.mode == "seed" && o.n == 0 {
			return nil, errors.New("-mode seed needs -n")
		}
		if o.key == "" {
			o.key = o.token
		}
		o.url = strings.TrimSuffix(o.url, "/")
	default:
		return nil, fmt.Errorf("unknown -mode %q", o.mode)
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parse(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		return 2
	}
	hc := &http.Client{Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        o.c,
		MaxIdleConnsPerHost: o.c,
		MaxConnsPerHost:     o.c,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}}
	defer hc.CloseIdleConnections()
	var op func(ctx context.Context, worker int, seq int64) error
	switch o.mode {
	case "get":
		op = getOp(hc, o)
	default:
		tmpl, err := loadBundle(o.bundleBody)
		if err != nil {
			fmt.Fprintln(stderr, "loadgen:", err)
			return 2
		}
		op = pushApproveOp(hc, o, tmpl)
	}
	res := drive(ctx, o, op)
	res.Mode, res.Concurrency = o.mode, o.c
	if o.json {
		enc := json.NewEncoder(stdout)
		if err := enc.Encode(res); err != nil {
			fmt.Fprintln(stderr, "loadgen:", err)
			return 1
		}
	} else {
		fmt.Fprintln(stdout, res.summary())
	}
	if o.bench != "" {
		fmt.Fprintln(stdout, res.benchLine(o.bench))
	}
	if res.Errors > 0 {
		fmt.Fprintf(stderr, "loadgen: %d errors; the first: %s\n", res.Errors, res.FirstError)
		return 1
	}
	return 0
}

// result is what a run measured. Latencies are of one operation: a GET,
// or a push and its approval.
type result struct {
	Mode        string  `json:"mode"`
	Concurrency int     `json:"concurrency"`
	Seconds     float64 `json:"seconds"`
	Ops         int64   `json:"ops"`
	PerSecond   float64 `json:"perSecond"`
	P50ms       float64 `json:"p50Ms"`
	P90ms       float64 `json:"p90Ms"`
	P99ms       float64 `json:"p99Ms"`
	MaxMs       float64 `json:"maxMs"`
	Errors      int64   `json:"errors"`
	FirstError  string  `json:"firstError,omitempty"`
}

func (r *result) unit() string {
	if r.Mode == "get" {
		return "requests"
	}
	return "round trips"
}

func (r *result) summary() string {
	return fmt.Sprintf("%s c=%d: %d %s in %.2fs = %.0f/s, p50 %.2fms p90 %.2fms p99 %.2fms max %.2fms, %d errors",
		r.Mode, r.Concurrency, r.Ops, r.unit(), r.Seconds, r.PerSecond, r.P50ms, r.P90ms, r.P99ms, r.MaxMs, r.Errors)
}

// benchLine is the result as a benchstat line: ns/op is the wall time per
// operation across all workers (1e9 / rate).
func (r *result) benchLine(name string) string {
	nsPerOp := 0.0
	if r.PerSecond > 0 {
		nsPerOp = 1e9 / r.PerSecond
	}
	return fmt.Sprintf("Benchmark%s %d %.0f ns/op %.3f p50-ms %.3f p99-ms %.1f ops/s", name, r.Ops, nsPerOp, r.P50ms, r.P99ms, r.PerSecond)
}

// drive runs o.c workers calling op until -d passes or -n operations
// started, and collects the latencies of the operations that finished.
func drive(ctx context.Context, o *options, op func(ctx context.Context, worker int, seq int64) error) *result {
	ctx, cancel := context.WithTimeout(ctx, o.d)
	defer cancel()
	var (
		started, errCount atomic.Int64
		firstErr          sync.Once
		first             string
		mu                sync.Mutex
		all               []time.Duration
		wg                sync.WaitGroup
	)
	begin := time.Now()
	for w := range o.c {
		wg.Go(func() {
			lat := make([]time.Duration, 0, 4096)
			defer func() {
				mu.Lock()
				all = append(all, lat...)
				mu.Unlock()
			}()
			for ctx.Err() == nil {
				seq := started.Add(1)
				if o.n > 0 && seq > o.n {
					return
				}
				t0 := time.Now()
				err := op(ctx, w, seq)
				if ctx.Err() != nil {
					return // cut by the deadline: neither a sample nor an error
				}
				if err != nil {
					errCount.Add(1)
					firstErr.Do(func() { first = err.Error() })
					continue
				}
				lat = append(lat, time.Since(t0))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(begin)
	slices.Sort(all)
	pct := func(p float64) float64 {
		if len(all) == 0 {
			return 0
		}
		i := min(int(float64(len(all))*p), len(all)-1)
		return float64(all[i].Microseconds()) / 1000
	}
	r := &result{
		Seconds: elapsed.Seconds(), Ops: int64(len(all)),
		PerSecond: float64(len(all)) / elapsed.Seconds(),
		P50ms:     pct(0.50), P90ms: pct(0.90), P99ms: pct(0.99),
		Errors: errCount.Load(), FirstError: first,
	}
	if len(all) > 0 {
		r.MaxMs = float64(all[len(all)-1].Microseconds()) / 1000
	}
	return r
}

// send sends one request and reads the whole answer; a status other than
// want is an error.
func send(ctx context.Context, hc *http.Client, method, url, cred string, body []byte, want int) ([]byte, error) {
	var rd io.Reader = http.NoBody
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+cred)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != want {
		return nil, fmt.Errorf("%s %s: status %d: %.200s", method, req.URL.Path, res.StatusCode, b)
	}
	return b, nil
}

func getOp(hc *http.Client, o *options) func(context.Context, int, int64) error {
	return func(ctx context.Context, _ int, _ int64) error {
		_, err := send(ctx, hc, http.MethodGet, o.url, o.token, nil, http.StatusOK)
		return err
	}
}

// pushBody is a push request body.
type pushBody struct {
	Manifest string          `json:"manifest"`
	Module   string          `json:"module"`
	Record   json.RawMessage `json:"record"`
}

func loadBundle(path string) (*pushBody, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var p pushBody
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if p.Manifest == "" || p.Module == "" {
		return nil, fmt.Errorf("%s: not a push body (manifest and module are required)", path)
	}
	if len(p.Record) == 0 {
		p.Record = json.RawMessage(`{}`)
	}
	return &p, nil
}

var (
	manifestName    = regexp.MustCompile(`(?m)^name: .*$`)
	manifestVersion = regexp.MustCompile(`(?m)^version: .*$`)
)

// withNameVersion returns the body with the manifest's name and version
// replaced, and the build record made to describe the new manifest.
func (p *pushBody) withNameVersion(name, version string) ([]byte, error) {
	man := manifestName.ReplaceAllLiteralString(p.Manifest, "name: "+name)
	man = manifestVersion.ReplaceAllLiteralString(man, "version: "+version)
	var rec map[string]any
	if err := json.Unmarshal(p.Record, &rec); err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	if _, ok := rec["extension"]; ok {
		rec["extension"] = name
	}
	if _, ok := rec["extensionVersion"]; ok {
		rec["extensionVersion"] = version
	}
	if mf, ok := rec["manifest"].(map[string]any); ok {
		if _, ok := mf["digest"]; ok {
			mf["digest"] = bundle.Digest([]byte(man))
		}
		if _, ok := mf["size"]; ok {
			mf["size"] = len(man)
		}
	}
	return json.Marshal(map[string]any{"manifest": man, "module": p.Module, "record": rec})
}

func pushApproveOp(hc *http.Client, o *options, tmpl *pushBody) func(context.Context, int, int64) error {
	base := o.url + "/v1/workspaces/" + o.ws + "/subjects/" + o.subject + "/extensions"
	run := strconv.FormatInt(time.Now().Unix(), 10) // manifest versions differ between runs
	return func(ctx context.Context, worker int, seq int64) error {
		name := fmt.Sprintf("%s-w%d", o.prefix, worker)
		if o.mode == "seed" {
			name = fmt.Sprintf("%s-%d", o.prefix, seq)
		}
		body, err := tmpl.withNameVersion(name, "1."+run+"."+strconv.FormatInt(seq, 10))
		if err != nil {
			return err
		}
		b, err := send(ctx, hc, http.MethodPost, base, o.token, body, http.StatusCreated)
		if err != nil {
			return err
		}
		var pushed struct {
			Version struct {
				Version int64 `json:"version"`
			} `json:"version"`
		}
		if err := json.Unmarshal(b, &pushed); err != nil || pushed.Version.Version < 1 {
			return fmt.Errorf("push answered %.200s", b)
		}
		approve := base + "/" + name + "/versions/" + strconv.FormatInt(pushed.Version.Version, 10) + "/approve"
		_, err = send(ctx, hc, http.MethodPost, approve, o.key, nil, http.StatusOK)
		return err
	}
}
