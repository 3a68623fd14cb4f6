//go:build unix

package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/forgehq/forge/internal/server/servertest"

	"github.com/forgehq/forge/internal/audit"
	"github.com/forgehq/forge/internal/store"
	"github.com/forgehq/forge/internal/store/postgres"
	"github.com/forgehq/forge/internal/store/sqlite"
)

// The crash test's workload: crashPushers clients push new versions of
// crashExtensions, crashApprovers clients approve what was pushed; each of
// crashRounds rounds ends with a SIGKILL once it has at least
// crashRoundPushes acknowledged pushes and crashRoundApprovals acknowledged
// approvals.
const (
	crashPushers        = 4
	crashApprovers      = 2
	crashRounds         = 3
	crashRoundPushes    = 60
	crashRoundApprovals = 15
	crashDeadline       = 2 * time.Minute
)

var crashExtensions = []string{"crash-a", "crash-b", "crash-c"}

// TestCrashSafety runs the real `forge server`, SIGKILLs it while clients
// push and approve concurrently, restarts it on the same data, and checks
// that every acknowledged write survived exactly once: each acknowledged
// push is the version number it was acknowledged as, each acknowledged
// approval left its version approved (active or superseded), version
// numbers have neither gaps nor duplicates, every version has exactly one
// audit record of its push (and of its approval, if approved), and the
// audit chain verifies, through the API and in the store.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the forge binary")
	}
	bin := buildForge(t)
	for _, driver := range drivers() {
		t.Run(driver, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), crashDeadline)
			defer cancel()
			r := &crashRig{t: t, ctx: ctx, bin: bin, dataDir: t.TempDir()}
			if driver == "postgres" {
				r.database = pgSchema(t) // dropped after the server is killed (cleanups run last first)
			}
			r.run()
		})
	}
}

// buildForge builds cmd/forge into the test's temporary directory.
func buildForge(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build forge with")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "forge")
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "build", "-o", bin, "./cmd/forge")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/forge: %v\n%s", err, out)
	}
	return bin
}

// crashRig is one run of the crash test: the data, the server process of
// the moment and the ledger of what it acknowledged.
type crashRig struct {
	t        *testing.T
	ctx      context.Context
	bin      string
	dataDir  string
	database string // a PostgreSQL DSN, or "" for SQLite in dataDir
	proc     *serverProc
	starts   int

	admin, ws, key, token, subject string

	mu        sync.Mutex
	pushes    []ackPush
	approvals []ackApproval
	fiveXX    []string
	tags      atomic.Int64
}

// ackPush is a push the server acknowledged (201).
type ackPush struct {
	ext     string
	version int64
	tag     string // the manifest version, unique per push
}

// ackApproval is an approval the server acknowledged (200).
type ackApproval struct {
	ext     string
	version int64
}

func (r *crashRig) run() {
	t := r.t
	r.start()
	if r.admin == "" {
		t.Fatalf("the first start printed no admin credential:\n%s", r.proc.logs.String())
	}
	r.bootstrap()
	for round := 1; round <= crashRounds; round++ {
		r.round(round)
		r.start()
	}
	if t.Failed() {
		return
	}
	r.verifyAPI()
	// Version numbers go on from where they were: none is handed out twice.
	c := r.client()
	for _, ext := range crashExtensions {
		v := r.versions(c, ext)
		p, ok := r.push(c, ext)
		if !ok || p.version != int64(len(v))+1 {
			t.Fatalf("push of %s after the crashes: %+v, %v, want version %d", ext, p, ok, len(v)+1)
		}
	}
	r.stop()
	r.verifyStore()
}

// start starts the server on the data and waits until it listens.
func (r *crashRig) start() {
	t := r.t
	r.starts++
	args := []string{"server", "--addr", "127.0.0.1:0", "--data-dir", r.dataDir}
	if r.database != "" {
		args = append(args, "--database", r.database)
	}
	p, err := startServer(r.ctx, r.bin, args)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.kill)
	r.proc = p
	select {
	case <-p.logs.ready:
	case <-p.exited:
		t.Fatalf("start %d: the server exited (%v) before listening:\n%s", r.starts, p.waitErr, p.logs.String())
	case <-r.ctx.Done():
		t.Fatalf("start %d: the server did not listen in time:\n%s", r.starts, p.logs.String())
	}
	if r.starts == 1 {
		r.admin = p.logs.admin()
	} else if a := p.logs.admin(); a != "" {
		t.Fatalf("restart %d printed a new admin credential", r.starts-1)
	}
}

// stop shuts the server down with SIGTERM and expects a clean exit.
func (r *crashRig) stop() {
	t := r.t
	if err := r.proc.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-r.proc.exited:
		if r.proc.waitErr != nil {
			t.Fatalf("graceful stop after the crashes: %v\n%s", r.proc.waitErr, r.proc.logs.String())
		}
	case <-r.ctx.Done():
		t.Fatalf("the server did not stop on SIGTERM:\n%s", r.proc.logs.String())
	}
}

func (r *crashRig) client() *crashClient {
	return &crashClient{ctx: r.ctx, base: "http://" + r.proc.logs.addr(), hc: &http.Client{
		Transport: &http.Transport{MaxIdleConnsPerHost: crashPushers + crashApprovers + 1},
	}}
}

// bootstrap creates the workspace (with its API key), the registry and
// event types the pushed manifests use, a subject and its build token.
func (r *crashRig) bootstrap() {
	t := r.t
	c := r.client()
	defer c.hc.CloseIdleConnections()
	var ws struct {
		Workspace struct{ ID string } `json:"workspace"`
		APIKey    string              `json:"apiKey"`
	}
	c.must(t, http.StatusCreated, "POST", "/v1/workspaces", r.admin, map[string]any{"name": "crash"}, &ws)
	r.ws, r.key, r.subject = ws.Workspace.ID, ws.APIKey, "cus_crash"
	c.must(t, http.StatusCreated, "POST", r.path("/subjects"), r.key, map[string]any{"id": r.subject, "displayName": "Crash"}, nil)
	c.must(t, http.StatusOK, "PUT", r.path("/registry"), r.key, testRegistryDoc(), nil)
	c.must(t, http.StatusOK, "PUT", r.path("/events"), r.key, map[string]any{"types": []any{"invoice.created"}}, nil)
	var tok struct {
		BuildToken string `json:"buildToken"`
	}
	c.must(t, http.StatusCreated, "POST", r.path("/tokens"), r.key, map[string]any{"subject": r.subject, "permissions": []string{"build", "read"}}, &tok)
	r.token = tok.BuildToken
}

func (r *crashRig) path(p string) string { return "/v1/workspaces/" + r.ws + p }

func (r *crashRig) extPath(ext, p string) string {
	return r.path("/subjects/" + r.subject + "/extensions/" + ext + p)
}

// round runs the pushers and approvers until the round has enough
// acknowledged writes, then SIGKILLs the server while they keep going.
func (r *crashRig) round(round int) {
	t := r.t
	c := r.client()
	defer c.hc.CloseIdleConnections()
	workCtx, stopWork := context.WithCancel(r.ctx)
	defer stopWork()
	c.ctx = workCtx
	var pushes, approvals atomic.Int64
	enough := make(chan struct{})
	var once sync.Once
	check := func() {
		if pushes.Load() >= crashRoundPushes && approvals.Load() >= crashRoundApprovals {
			once.Do(func() { close(enough) })
		}
	}
	pushed := make(chan ackPush, 1024)
	var wg sync.WaitGroup
	for i := range crashPushers {
		wg.Go(func() {
			for n := 0; workCtx.Err() == nil; n++ {
				p, ok := r.push(c, crashExtensions[(i+n)%len(crashExtensions)])
				if !ok {
					continue
				}
				pushes.Add(1)
				check()
				select {
				case pushed <- p:
				default: // the approvers are behind: leave this one pending
				}
			}
		})
	}
	for range crashApprovers {
		wg.Go(func() {
			for {
				select {
				case <-workCtx.Done():
					return
				case p := <-pushed:
					if r.approve(c, p) {
						approvals.Add(1)
						check()
					}
				}
			}
		})
	}
	select {
	case <-enough:
	case <-r.ctx.Done():
		stopWork()
		wg.Wait()
		t.Fatalf("round %d: %d pushes and %d approvals acknowledged before the deadline\n%s",
			round, pushes.Load(), approvals.Load(), r.proc.logs.String())
	}
	// The clients are still pushing and approving: kill the server under them.
	r.proc.kill()
	stopWork()
	wg.Wait()
	t.Logf("round %d: SIGKILL after %d acknowledged pushes and %d approvals", round, pushes.Load(), approvals.Load())
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.fiveXX) > 0 {
		t.Fatalf("round %d: the server answered 5xx:\n%s\nlogs:\n%s", round, strings.Join(r.fiveXX, "\n"), r.proc.logs.String())
	}
}

// push pushes a new version of ext with a manifest version no other push
// uses, and records it if the server acknowledged it.
func (r *crashRig) push(c *crashClient, ext string) (ackPush, bool) {
	tag := fmt.Sprintf("1.0.%d", r.tags.Add(1))
	var out struct {
		Version struct {
			Version int64 `json:"version"`
		} `json:"version"`
	}
	status, err := c.call("POST", r.path("/subjects/"+r.subject+"/extensions"), r.token, servertest.PushBody(ext, tag), &out)
	if !r.acknowledged("push", status, err, http.StatusCreated) {
		return ackPush{}, false
	}
	p := ackPush{ext: ext, version: out.Version.Version, tag: tag}
	r.mu.Lock()
	r.pushes = append(r.pushes, p)
	r.mu.Unlock()
	return p, true
}

// approve approves a pushed version and records it if the server
// acknowledged it. A 409 (a newer version was approved first) is expected.
func (r *crashRig) approve(c *crashClient, p ackPush) bool {
	var out struct {
		Version int64  `json:"version"`
		State   string `json:"state"`
	}
	status, err := c.call("POST", r.extPath(p.ext, "/versions/"+strconv.FormatInt(p.version, 10)+"/approve"), r.key, nil, &out)
	if status == http.StatusConflict || !r.acknowledged("approve", status, err, http.StatusOK) {
		return false
	}
	if out.Version != p.version || out.State != string(store.StateActive) {
		r.t.Errorf("approve %s v%d answered %+v", p.ext, p.version, out)
	}
	r.mu.Lock()
	r.approvals = append(r.approvals, ackApproval{ext: p.ext, version: p.version})
	r.mu.Unlock()
	return true
}

// acknowledged reports whether a write was acknowledged with want. A
// transport error (the server was killed) is not an acknowledgement;
// 5xx answers are collected as failures, other answers fail the test.
func (r *crashRig) acknowledged(what string, status int, err error, want int) bool {
	switch {
	case err != nil && !isStatus(err):
		return false
	case status == want:
		return true
	case status >= 500:
		r.mu.Lock()
		r.fiveXX = append(r.fiveXX, fmt.Sprintf("%s: %d", what, status))
		r.mu.Unlock()
	default:
		r.t.Errorf("%s: status %d, want %d", what, status, want)
	}
	return false
}

// versionInfo is a version as GET …/versions/{n} returns it.
type versionInfo struct {
	Version    int64  `json:"version"`
	State      string `json:"state"`
	ApprovedBy string `json:"approvedBy"`
	Manifest   string `json:"manifest"`
}

// versions returns every version of ext, with its manifest, by number.
func (r *crashRig) versions(c *crashClient, ext string) []versionInfo {
	t := r.t
	var list struct {
		Versions []versionInfo `json:"versions"`
	}
	c.must(t, http.StatusOK, "GET", r.extPath(ext, "/versions"), r.key, nil, &list)
	out := make([]versionInfo, 0, len(list.Versions))
	for _, v := range list.Versions {
		var d versionInfo
		c.must(t, http.StatusOK, "GET", r.extPath(ext, "/versions/"+strconv.FormatInt(v.Version, 10)), r.key, nil, &d)
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b versionInfo) int { return int(a.Version - b.Version) })
	return out
}

var manifestVersionRE = regexp.MustCompile(`(?m)^version: (\S+)$`)

// verifyAPI checks what the restarted server says against the ledger.
func (r *crashRig) verifyAPI() {
	t := r.t
	c := r.client()
	defer c.hc.CloseIdleConnections()
	var ver struct {
		OK      bool `json:"ok"`
		Records int  `json:"records"`
	}
	c.must(t, http.StatusOK, "GET", r.path("/audit/verify"), r.key, nil, &ver)
	if !ver.OK || ver.Records == 0 {
		t.Errorf("audit verify = %+v", ver)
	}
	tagOwner := map[string]string{} // manifest version -> ext/version holding it
	byExt := map[string][]versionInfo{}
	for _, ext := range crashExtensions {
		vs := r.versions(c, ext)
		byExt[ext] = vs
		var ext1 struct {
			LatestVersion  int64  `json:"latestVersion"`
			CurrentVersion int64  `json:"currentVersion"`
			CurrentState   string `json:"currentState"`
		}
		c.must(t, http.StatusOK, "GET", r.extPath(ext, ""), r.key, nil, &ext1)
		if ext1.LatestVersion != int64(len(vs)) {
			t.Errorf("%s: latestVersion %d, %d versions", ext, ext1.LatestVersion, len(vs))
		}
		active := 0
		for i, v := range vs {
			if v.Version != int64(i+1) {
				t.Errorf("%s: versions %v are not 1..%d", ext, versionNumbers(vs), len(vs))
				break
			}
			m := manifestVersionRE.FindStringSubmatch(v.Manifest)
			if m == nil {
				t.Errorf("%s v%d: manifest without a version", ext, v.Version)
				continue
			}
			where := fmt.Sprintf("%s v%d", ext, v.Version)
			if other, dup := tagOwner[m[1]]; dup {
				t.Errorf("push %s stored twice: %s and %s", m[1], other, where)
			}
			tagOwner[m[1]] = where
			if v.State == string(store.StateActive) {
				active++
				if v.Version != ext1.CurrentVersion {
					t.Errorf("%s: v%d is active, current is v%d", ext, v.Version, ext1.CurrentVersion)
				}
			}
		}
		if active > 1 {
			t.Errorf("%s: %d active versions", ext, active)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.pushes {
		if want := fmt.Sprintf("%s v%d", p.ext, p.version); tagOwner[p.tag] != want {
			t.Errorf("acknowledged push %s (%s) is at %q after the crashes", p.tag, want, tagOwner[p.tag])
		}
	}
	for _, a := range r.approvals {
		vs := byExt[a.ext]
		if a.version < 1 || a.version > int64(len(vs)) {
			t.Errorf("acknowledged approval of %s v%d: no such version", a.ext, a.version)
			continue
		}
		v := vs[a.version-1]
		if (v.State != string(store.StateActive) && v.State != string(store.StateSuperseded)) || v.ApprovedBy == "" {
			t.Errorf("acknowledged approval of %s v%d: now %s (approved by %q)", a.ext, a.version, v.State, v.ApprovedBy)
		}
	}
	t.Logf("%d starts: %d acknowledged pushes and %d approvals checked; %d versions stored, %d audit records",
		r.starts, len(r.pushes), len(r.approvals), len(tagOwner), ver.Records)
}

func versionNumbers(vs []versionInfo) []int64 {
	out := make([]int64, len(vs))
	for i, v := range vs {
		out[i] = v.Version
	}
	return out
}

// verifyStore opens the stopped server's database: the audit chain
// verifies, and each version has exactly one push record and, if it was
// approved, exactly one approval record (state and audit commit together).
func (r *crashRig) verifyStore() {
	t := r.t
	var st store.Store
	var err error
	if r.database != "" {
		st, err = postgres.Open(r.ctx, r.database)
	} else {
		st, err = sqlite.Open(r.ctx, filepath.Join(r.dataDir, "forge.db"))
	}
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n, brk, err := audit.VerifyStore(r.ctx, st, r.ws)
	if err != nil || brk != nil {
		t.Fatalf("audit.VerifyStore = %d, %v, %v", n, brk, err)
	}
	recs, err := st.ListAudit(r.ctx, r.ws, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != n {
		t.Errorf("VerifyStore checked %d records of %d", n, len(recs))
	}
	type key struct {
		action, target string
		version        int64
	}
	seen := map[key]int{}
	for _, rec := range recs {
		var d struct {
			Version int64 `json:"version"`
		}
		if rec.Action == "extension.push" || rec.Action == "extension.approve" {
			if err := json.Unmarshal(rec.Details, &d); err != nil {
				t.Fatalf("audit record %d: %v", rec.Seq, err)
			}
			seen[key{rec.Action, rec.Target, d.Version}]++
		}
	}
	want := map[key]int{}
	for _, name := range crashExtensions {
		ns := store.Namespace{WorkspaceID: r.ws, SubjectID: r.subject, Extension: name}
		ext, err := st.GetExtensionByName(r.ctx, ns)
		if err != nil {
			t.Fatal(err)
		}
		vs, err := st.ListVersions(r.ctx, r.ws, ext.ID)
		if err != nil {
			t.Fatal(err)
		}
		target := "extension/" + ns.String()
		for _, v := range vs {
			want[key{"extension.push", target, v.Version}] = 1
			if v.Approved() {
				want[key{"extension.approve", target, v.Version}] = 1
			}
		}
	}
	for k, n := range seen {
		if want[k] != n {
			t.Errorf("%s %s v%d: %d audit records, want %d", k.action, k.target, k.version, n, want[k])
		}
	}
	for k := range want {
		if seen[k] == 0 {
			t.Errorf("%s %s v%d: no audit record", k.action, k.target, k.version)
		}
	}
}

// --- the server process ------------------------------------------------------------

// serverProc is a `forge server` process.
type serverProc struct {
	cmd     *exec.Cmd
	logs    *serverLog
	exited  chan struct{} // closed once the process is reaped
	waitErr error         // Wait's result, once exited is closed
}

// startServer starts the forge binary with args. It is killed when ctx ends.
func startServer(ctx context.Context, bin string, args []string) (*serverProc, error) {
	p := &serverProc{logs: newServerLog(), exited: make(chan struct{})}
	p.cmd = exec.CommandContext(ctx, bin, args...)
	p.cmd.Env = append(slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "FORGE_") }), "NO_COLOR=1")
	p.cmd.Stdout = io.Discard
	p.cmd.Stderr = p.logs
	p.cmd.WaitDelay = 10 * time.Second
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// kill SIGKILLs the process, if it still runs, and waits until it is
// reaped.
func (p *serverProc) kill() {
	_ = p.cmd.Process.Kill() // os.ErrProcessDone once reaped
	<-p.exited
}

// serverLog collects the server's standard error and notices the admin
// credential and the "server listening" record with the address.
type serverLog struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	scanned int
	listen  string
	ready   chan struct{}
}

func newServerLog() *serverLog { return &serverLog{ready: make(chan struct{})} }

var adminCredentialRE = regexp.MustCompile(`adm_[a-z2-7]{52}`)

func (l *serverLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	for l.listen == "" {
		rest := l.buf.Bytes()[l.scanned:]
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			break
		}
		line := rest[:i]
		l.scanned += i + 1
		var rec struct {
			Msg  string `json:"msg"`
			Addr string `json:"addr"`
		}
		if json.Unmarshal(line, &rec) == nil && rec.Msg == "server listening" && rec.Addr != "" {
			l.listen = rec.Addr
			close(l.ready)
		}
	}
	return len(p), nil
}

func (l *serverLog) addr() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.listen
}

func (l *serverLog) admin() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return adminCredentialRE.FindString(l.buf.String())
}

func (l *serverLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.buf.String()
	if len(s) > 8000 {
		s = "…" + s[len(s)-8000:]
	}
	return adminCredentialRE.ReplaceAllString(s, "adm_…")
}

// --- HTTP --------------------------------------------------------------------------

// crashClient speaks to the server over loopback; safe for concurrent use.
type crashClient struct {
	ctx  context.Context
	base string
	hc   *http.Client
}

// call sends a request (body nil or a value sent as JSON) and decodes a
// 2xx answer into out (unless nil). err is a transport error.
func (c *crashClient) call(method, path, cred string, body, out any) (int, error) {
	var rd io.Reader = http.NoBody
	if body != nil {
		js, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequestWithContext(c.ctx, method, c.base+path, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+cred)
	res, err := c.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, err
	}
	if res.StatusCode/100 == 2 && out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return 0, fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	if res.StatusCode/100 != 2 {
		return res.StatusCode, &statusError{status: res.StatusCode, body: b}
	}
	return res.StatusCode, nil
}

// statusError is a non-2xx answer.
type statusError struct {
	status int
	body   []byte
}

func (e *statusError) Error() string { return fmt.Sprintf("status %d: %s", e.status, e.body) }

// must sends a request and fails the test unless the status is want.
func (c *crashClient) must(t *testing.T, want int, method, path, cred string, body, out any) {
	t.Helper()
	status, err := c.call(method, path, cred, body, out)
	if status != want {
		t.Fatalf("%s %s: %d, %v; want %d", method, path, status, err, want)
	}
}

// isStatus reports whether err is a non-2xx answer (not a transport error).
func isStatus(err error) bool {
	var se *statusError
	return errors.As(err, &se)
}
