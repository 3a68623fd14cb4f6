package sandbox

import (
	"strings"
	"testing"
	"time"

	"github.com/forgehq/forge/internal/manifest"
)

func TestDefaultLimits(t *testing.T) {
	d := DefaultLimits()
	if d.MemoryBytes != 256<<20 || d.Timeout != 30*time.Second || d.HTTPCalls != 50 || d.LogBytes != 1<<20 ||
		d.ResponseBytes != 10<<20 || d.OutputBytes != 1<<20 || d.StateValueBytes != 1<<20 || d.StateKeys != 10000 || d.StateTotalBytes != 64<<20 {
		t.Errorf("DefaultLimits() = %+v", d)
	}
	if (Limits{}).withDefaults() != d {
		t.Error("zero Limits do not take the defaults")
	}
	if got := (Limits{MemoryBytes: 100}).withDefaults().MemoryBytes; got != pageSize {
		t.Errorf("100 bytes rounds to %d", got)
	}
}

func TestLimitsFor(t *testing.T) {
	pos := manifest.Pos{Line: 12, Col: 11}
	m := manifest.Limits{
		Memory:    manifest.Limit[manifest.Bytes]{Value: 100*manifest.MiB + 1, Set: true},
		Timeout:   manifest.Limit[time.Duration]{Value: 5 * time.Second, Set: true},
		HTTPCalls: manifest.Limit[int]{Value: 7, Set: true},
	}
	l, err := LimitsFor(m, Limits{MemoryBytes: 512 << 20, Timeout: time.Minute, LogBytes: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if l.MemoryBytes != 100<<20+pageSize || l.Timeout != 5*time.Second || l.HTTPCalls != 7 || l.LogBytes != 1000 || l.OutputBytes != 1<<20 {
		t.Errorf("LimitsFor = %+v", l)
	}

	for _, c := range []struct {
		m    manifest.Limits
		max  Limits
		want string
	}{
		{manifest.Limits{Timeout: manifest.Limit[time.Duration]{Value: time.Hour, Set: true, Pos: pos}}, Limits{Timeout: time.Minute}, "12:11: limits.timeout 1h0m0s is above the maximum 1m0s"},
		{manifest.Limits{Memory: manifest.Limit[manifest.Bytes]{Value: manifest.GiB, Set: true}}, Limits{MemoryBytes: 256 << 20}, "limits.memory 1GiB is above the maximum 256MiB"},
		{manifest.Limits{HTTPCalls: manifest.Limit[int]{Value: 99, Set: true}}, Limits{HTTPCalls: 10}, "limits.httpCalls 99 is above the maximum 10"},
		{manifest.Limits{HTTPCalls: manifest.Limit[int]{Value: 0, Set: true}}, Limits{}, "limits.httpCalls must be positive"},
	} {
		_, err := LimitsFor(c.m, c.max)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("err = %v, want %q", err, c.want)
		}
	}
	// Defaults above a maximum are lowered to it.
	l, err = LimitsFor(manifest.Limits{}, Limits{Timeout: 10 * time.Second, HTTPCalls: 5})
	if err != nil || l.Timeout != 10*time.Second || l.HTTPCalls != 5 {
		t.Errorf("%+v %v", l, err)
	}
}

func TestLimitError(t *testing.T) {
	e := &LimitError{Limit: LimitTimeout, Value: (5 * time.Second).String()}
	if e.Error() != "limit exceeded: timeout (5s)" {
		t.Error(e)
	}
	for n, want := range map[int64]string{1 << 20: "1MiB", 1500: "1500B", 64 << 10: "64KiB", 3 << 30: "3GiB"} {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %s", n, got)
		}
	}
}
