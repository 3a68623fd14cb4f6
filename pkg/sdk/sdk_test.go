package sdk_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/forgehq/forge/pkg/sdk"
	"github.com/forgehq/forge/pkg/sdk/sdktest"
)

type invoice struct {
	ID     string `json:"id"`
	Amount int    `json:"amount"`
}

// handleSummary uses secrets, config, state, HTTP, clock, random, logging
// and output.
func handleSummary(ctx *sdk.Context) error {
	token, err := sdk.Secret("SLACK_TOKEN")
	if err != nil {
		return err
	}
	limit, err := sdk.ConfigInt("limit", 10)
	if err != nil {
		return err
	}
	keys, err := sdk.State.List("invoice/")
	if err != nil {
		return err
	}
	total := 0
	for _, k := range keys[:min(limit, len(keys))] {
		var inv invoice
		if err := sdk.State.GetJSON(k, &inv); err != nil {
			return err
		}
		total += inv.Amount
	}
	req := sdk.NewRequest("POST", "https://slack.com/api/chat.postMessage", nil)
	req.Header.Set("authorization", "Bearer "+token)
	req.Body = fmt.Appendf(nil, `{"channel":%q,"total":%d}`, sdk.ConfigString("channel", "#general"), total)
	resp, err := sdk.HTTP.Do(req)
	if err != nil {
		return err
	}
	var ack struct {
		OK bool `json:"ok"`
	}
	if err := resp.JSON(&ack); err != nil {
		return err
	}
	nonce, err := sdk.Random(70000)
	if err != nil {
		return err
	}
	if err := sdk.State.Put("last_run", []byte(sdk.Now().UTC().Format(time.RFC3339))); err != nil {
		return err
	}
	if err := sdk.State.Delete("invoice/old"); err != nil {
		return err
	}
	ctx.Logf("posted %d invoices (%s)", len(keys), ctx.Trigger())
	return ctx.Output(map[string]any{"ok": ack.OK, "invoices": len(keys), "total": total, "nonce": len(nonce), "req": resp.Header.Get("x-request-id")})
}

func TestSDKUnderSDKTest(t *testing.T) {
	h := sdktest.New()
	h.Secrets["SLACK_TOKEN"] = "xoxb-secret"
	h.Config["channel"] = "#billing"
	h.Config["limit"] = "2"
	h.State["invoice/1"] = []byte(`{"id":"1","amount":100}`)
	h.State["invoice/2"] = []byte(`{"id":"2","amount":250}`)
	h.State["invoice/3"] = []byte(`{"id":"3","amount":1000}`)
	h.State["invoice/old"] = []byte(`{}`)
	h.State["other"] = []byte(`x`)
	h.Egress = []string{"slack.com"}
	h.Clock = func() time.Time { return time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC) }
	var got *sdk.Request
	h.HTTP = func(req *sdk.Request) (*sdk.Response, error) {
		got = req
		return &sdk.Response{Status: 200, Header: sdk.Header{"X-Request-Id": {"r1"}}, Body: []byte(`{"ok":true}`)}, nil
	}
	out, err := h.InvokeScheduled("weekly", time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC), handleSummary)
	if err != nil {
		t.Fatalf("Invoke: %v (output %s)", err, out)
	}
	// invoice/old is listed (limit 2 covers invoice/1 and invoice/2) and
	// then deleted.
	var res map[string]any
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("output %s: %v", out, err)
	}
	want := map[string]any{"ok": true, "invoices": 4.0, "total": 350.0, "nonce": 70000.0, "req": "r1"}
	if fmt.Sprint(res) != fmt.Sprint(want) {
		t.Errorf("output = %v, want %v", res, want)
	}
	if got == nil || got.Method != "POST" || got.Header.Get("Authorization") != "Bearer xoxb-secret" ||
		string(got.Body) != `{"channel":"#billing","total":350}` {
		t.Errorf("request = %+v", got)
	}
	if string(h.State["last_run"]) != "2025-06-02T09:00:00Z" {
		t.Errorf("last_run = %q", h.State["last_run"])
	}
	if _, ok := h.State["invoice/old"]; ok {
		t.Error("invoice/old not deleted")
	}
	if len(h.Logs) != 1 || h.Logs[0].Level != sdk.LevelInfo || h.Logs[0].Message != "posted 4 invoices (weekly)" {
		t.Errorf("logs = %+v", h.Logs)
	}
	for _, l := range h.Logs {
		if strings.Contains(l.Message, "xoxb-secret") {
			t.Error("secret value logged")
		}
	}
}

func TestInputAndEvent(t *testing.T) {
	h := sdktest.New()
	var in sdk.Input
	var inv invoice
	out, err := h.Invoke("invoice_created", []byte(`{"id":"inv_42","amount":1200}`), func(ctx *sdk.Context) error {
		in = ctx.Input()
		if err := ctx.Event(&inv); err != nil {
			return err
		}
		return ctx.OutputText("stored " + inv.ID)
	})
	if err != nil || string(out) != "stored inv_42" {
		t.Fatalf("out %q err %v", out, err)
	}
	if in.Trigger != "invoice_created" || !in.ScheduledAt.IsZero() || inv.Amount != 1200 {
		t.Errorf("input = %+v, event = %+v", in, inv)
	}

	_, err = h.Invoke("manual", nil, func(ctx *sdk.Context) error {
		if ctx.Input().Event != nil {
			t.Errorf("event = %s, want nil", ctx.Input().Event)
		}
		return ctx.Event(&inv)
	})
	if !errors.Is(err, sdk.ErrNotFound) {
		t.Errorf("Event without event: %v", err)
	}
	if _, err := h.Invoke("Bad-Name", nil, func(*sdk.Context) error { return nil }); err == nil {
		t.Error("invalid trigger name accepted")
	}
}

func TestErrors(t *testing.T) {
	h := sdktest.New()
	h.DeclaredSecrets = []string{"DECLARED"}
	h.Egress = []string{"*.example.com"}
	h.MaxHTTPCalls = 3 // the denied request counts, the invalid one does not
	h.HTTP = func(req *sdk.Request) (*sdk.Response, error) {
		if strings.Contains(req.URL, "down") {
			return nil, errors.New("connection refused")
		}
		return &sdk.Response{Status: 503}, nil
	}
	_, err := h.Invoke("check", nil, func(ctx *sdk.Context) error {
		check := func(what string, err error, target *sdk.Error) {
			t.Helper()
			if !errors.Is(err, target) {
				t.Errorf("%s: err = %v, want %v", what, err, target)
			}
			var se *sdk.Error
			if errors.As(err, &se) && se.Code != target.Code {
				t.Errorf("%s: code %v", what, se.Code)
			}
		}
		_, err := sdk.Secret("UNDECLARED")
		check("undeclared secret", err, sdk.ErrDenied)
		_, err = sdk.Secret("DECLARED")
		check("unset secret", err, sdk.ErrNotFound)
		_, err = sdk.State.Get("missing")
		check("missing state", err, sdk.ErrNotFound)
		check("empty key", sdk.State.Put("", []byte("x")), sdk.ErrInvalid)
		_, err = sdk.HTTP.Get("https://evil.test/steal")
		check("egress", err, sdk.ErrDenied)
		_, err = sdk.HTTP.Get("file:///etc/passwd")
		check("scheme", err, sdk.ErrInvalid)
		resp, err := sdk.HTTP.Get("https://api.example.com/")
		if err != nil || resp.Status != 503 || resp.OK() {
			t.Errorf("5xx is a response: %v %v", resp, err)
		}
		_, err = sdk.HTTP.Get("https://user:pw@down.example.com/x?token=abc#frag")
		check("network", err, sdk.ErrUnavailable)
		if err == nil || !strings.Contains(err.Error(), "http GET https://down.example.com/x?…: unavailable") || strings.Contains(err.Error(), "abc") || strings.Contains(err.Error(), "pw") {
			t.Errorf("the error shows the URL's query or user info: %v", err)
		}
		_, err = sdk.HTTP.Get("https://api.example.com/")
		check("limit", err, sdk.ErrLimit)
		if _, ok := sdk.Config("nope"); ok {
			t.Error("Config of a missing key ok")
		}
		h.Config["n"] = "ten"
		_, err = sdk.ConfigInt("n", 1)
		check("ConfigInt", err, sdk.ErrInvalid)
		return fmt.Errorf("wrapped: %w", &sdk.Error{Op: "custom", Code: sdk.CodeTooLarge})
	})
	if !errors.Is(err, sdk.ErrTooLarge) {
		t.Errorf("handler error not returned as is: %v", err)
	}
	if e := (&sdk.Error{Op: "secret X", Code: sdk.CodeDenied, Msg: "not declared"}).Error(); e != "forge: secret X: denied: not declared" {
		t.Errorf("Error() = %q", e)
	}
	if len(h.Requests) != 5 {
		t.Errorf("recorded %d requests, want 5", len(h.Requests))
	}
}

func TestFailureOutputAndPanic(t *testing.T) {
	h := sdktest.New()
	out, err := h.Invoke("fail", nil, func(ctx *sdk.Context) error {
		if err := ctx.Output("partial"); err != nil {
			return err
		}
		return errors.New("boom")
	})
	if err == nil || err.Error() != "boom" || string(out) != "boom" {
		t.Errorf("out %q err %v", out, err)
	}
	out, err = h.Invoke("panics", nil, func(ctx *sdk.Context) error {
		panic("assignment to entry in nil map")
	})
	var pe *sdk.PanicError
	if !errors.As(err, &pe) || !strings.HasPrefix(string(out), "panic: assignment to entry in nil map") {
		t.Errorf("out %q err %v", out, err)
	}
	if len(h.Logs) != 1 || h.Logs[0].Level != sdk.LevelError || !strings.Contains(h.Logs[0].Message, "goroutine") {
		t.Errorf("panic not logged with stack: %+v", h.Logs)
	}
}

func TestNoHost(t *testing.T) {
	if _, err := sdk.Secret("X"); !errors.Is(err, sdk.ErrInternal) || !strings.Contains(err.Error(), "sdktest") {
		t.Errorf("Secret without host: %v", err)
	}
	if code := sdk.Run(func(*sdk.Context) error { return nil }); code != 1 {
		t.Errorf("Run without host = %d", code)
	}
	if sdk.Now().IsZero() {
		t.Error("Now without host is zero")
	}
}

func TestRandomDeterministic(t *testing.T) {
	h := sdktest.New()
	h.Rand = bytes.NewReader(bytes.Repeat([]byte{7}, 10))
	var b []byte
	if _, err := h.Invoke("r", nil, func(*sdk.Context) error {
		var err error
		b, err = sdk.Random(4)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, []byte{7, 7, 7, 7}) {
		t.Errorf("Random = %v", b)
	}
}

func TestHeader(t *testing.T) {
	h := sdk.Header{}
	h.Set("content-type", "a")
	h.Add("CONTENT-TYPE", "b")
	h.Add("x-api-key", "k")
	if h.Get("Content-Type") != "a" || len(h["Content-Type"]) != 2 || h.Get("X-Api-Key") != "k" {
		t.Errorf("header = %v", h)
	}
	h.Del("content-type")
	if h.Get("Content-Type") != "" {
		t.Error("Del")
	}
	for in, want := range map[string]string{"etag": "Etag", "x-forwarded-for": "X-Forwarded-For", "with space": "with space"} {
		if got := sdk.CanonicalHeaderKey(in); got != want {
			t.Errorf("CanonicalHeaderKey(%q) = %q", in, got)
		}
	}
}

func TestParallelInvocations(t *testing.T) {
	for i := range 4 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			h := sdktest.New()
			h.Secrets["N"] = fmt.Sprint(i)
			out, err := h.Invoke("p", nil, func(ctx *sdk.Context) error {
				v, err := sdk.Secret("N")
				if err != nil {
					return err
				}
				return ctx.OutputText(v)
			})
			if err != nil || string(out) != fmt.Sprint(i) {
				t.Errorf("out %q err %v", out, err)
			}
		})
	}
}

// TestHTTPCallsCountedBeforeEgress: as in the sandbox, a request the egress
// check denies still counts against MaxHTTPCalls.
func TestHTTPCallsCountedBeforeEgress(t *testing.T) {
	h := sdktest.New()
	h.Egress = []string{"api.example.com"}
	h.MaxHTTPCalls = 1
	h.HTTP = func(*sdk.Request) (*sdk.Response, error) { return &sdk.Response{Status: 200}, nil }
	_, err := h.Invoke("check", nil, func(*sdk.Context) error {
		if _, err := sdk.HTTP.Get("https://evil.test/"); !errors.Is(err, sdk.ErrDenied) {
			t.Errorf("undeclared host: %v", err)
		}
		if _, err := sdk.HTTP.Get("https://api.example.com/"); !errors.Is(err, sdk.ErrLimit) {
			t.Errorf("second call with MaxHTTPCalls 1: %v, want limit_exceeded", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
