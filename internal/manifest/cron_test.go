package manifest

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestParseCron(t *testing.T) {
	valid := []struct {
		expr                          string
		minute, hour, dom, month, dow []int // nil: every value
	}{
		{"* * * * *", nil, nil, nil, nil, nil},
		{"0 9 * * MON", []int{0}, []int{9}, nil, nil, []int{1}},
		{"*/15 * * * *", []int{0, 15, 30, 45}, nil, nil, nil, nil},
		{"0 9,17 * * *", []int{0}, []int{9, 17}, nil, nil, nil},
		{"5-10/2 0 1,15 * *", []int{5, 7, 9}, []int{0}, []int{1, 15}, nil, nil},
		{"0 0 * jan-mar,Dec sun", []int{0}, []int{0}, nil, []int{1, 2, 3, 12}, []int{0}},
		{"0 0 * * 7", []int{0}, []int{0}, nil, nil, []int{0}},
		{"0 0 * * 5-7", []int{0}, []int{0}, nil, nil, []int{0, 5, 6}},
		{"30 2/6 * * *", []int{30}, []int{2, 8, 14, 20}, nil, nil, nil},
		{"0 0 * * 1/2", []int{0}, []int{0}, nil, nil, []int{1, 3, 5}},
		{"0\t12  29 2 *", []int{0}, []int{12}, []int{29}, []int{2}, nil},
		{"@hourly", []int{0}, nil, nil, nil, nil},
		{"@DAILY", []int{0}, []int{0}, nil, nil, nil},
		{"@midnight", []int{0}, []int{0}, nil, nil, nil},
		{"@weekly", []int{0}, []int{0}, nil, nil, []int{0}},
		{"@monthly", []int{0}, []int{0}, []int{1}, nil, nil},
		{"@yearly", []int{0}, []int{0}, []int{1}, []int{1}, nil},
		{"@annually", []int{0}, []int{0}, []int{1}, []int{1}, nil},
	}
	bitsOf := func(vals []int, lo, hi int) uint64 {
		var b uint64
		if vals == nil {
			for v := lo; v <= hi; v++ {
				b |= 1 << uint(v)
			}
			return b
		}
		for _, v := range vals {
			b |= 1 << uint(v)
		}
		return b
	}
	for _, tc := range valid {
		c, err := ParseCron(tc.expr)
		if err != nil {
			t.Errorf("ParseCron(%q): %v", tc.expr, err)
			continue
		}
		got := [5]uint64{c.minute, c.hour, c.dom, c.month, c.dow}
		want := [5]uint64{bitsOf(tc.minute, 0, 59), bitsOf(tc.hour, 0, 23), bitsOf(tc.dom, 1, 31), bitsOf(tc.month, 1, 12), bitsOf(tc.dow, 0, 6)}
		if got != want {
			t.Errorf("ParseCron(%q) sets %x, want %x", tc.expr, got, want)
		}
		if c.String() != tc.expr {
			t.Errorf("String() = %q, want %q", c.String(), tc.expr)
		}
	}

	invalid := []struct {
		expr, msg string
		offset    int
	}{
		{"", "empty", 0},
		{"   ", "empty", 0},
		{"0 9 * *", "4 fields", 0},
		{"0 0 9 * * MON", "seconds are not supported", 0},
		{"60 * * * *", "out of range 0-59", 0},
		{"0 24 * * *", "out of range 0-23", 2},
		{"0 0 0 * *", "out of range 1-31", 4},
		{"0 0 * 13 *", "out of range 1-12", 6},
		{"0 0 * * 8", "out of range 0-7", 8},
		{"0 0 * * MOM", `invalid value "MOM"`, 8},
		{"0 0 * FOO *", `invalid value "FOO"`, 6},
		{"0 0 * * FRI-MON", "goes backwards", 8},
		{"0 0 * * 1-", "missing value", 10},
		{"0 0 * * 1-x", `invalid value "x"`, 10},
		{"*/0 * * * *", `invalid step "0"`, 2},
		{"*/61 * * * *", "larger than the field's range", 2},
		{"*/x * * * *", `invalid step "x"`, 2},
		{"0 0,,1 * * *", "empty list item", 4},
		{"0 0 ? * MON", "Quartz", 4},
		{"0 0 L * *", "Quartz", 4},
		{"0 0 * * 5#3", "Quartz", 8},
		{"0 0 30 2 *", "never fires", 4},
		{"0 0 31 4,6,9,11 *", "never fires", 4},
		{"@every 5m", "unknown macro", 0},
		{"@reboot", "unknown macro", 0},
		{"0 0 * * 0001", `invalid value "0001"`, 8},
		{"-1 * * * *", "missing value", 0},
	}
	for _, tc := range invalid {
		_, err := ParseCron(tc.expr)
		var ce *CronError
		if !errors.As(err, &ce) {
			t.Errorf("ParseCron(%q) = %v, want a *CronError", tc.expr, err)
			continue
		}
		if !strings.Contains(ce.Msg, tc.msg) || ce.Offset != tc.offset {
			t.Errorf("ParseCron(%q) = %q at %d, want %q at %d", tc.expr, ce.Msg, ce.Offset, tc.msg, tc.offset)
		}
	}
}

func TestCronNext(t *testing.T) {
	paris := mustLoc(t, "Europe/Paris")
	ny := mustLoc(t, "America/New_York")
	tests := []struct {
		expr  string
		loc   *time.Location
		after string // RFC 3339
		want  []string
	}{
		{"0 9 * * MON", time.UTC, "2024-03-27T10:00:00Z", []string{"2024-04-01T09:00:00Z", "2024-04-08T09:00:00Z"}},
		// Strictly after: a firing at exactly "after" is not returned.
		{"0 9 * * MON", time.UTC, "2024-04-01T09:00:00Z", []string{"2024-04-08T09:00:00Z"}},
		{"0 9 * * MON", time.UTC, "2024-04-01T08:59:59.999Z", []string{"2024-04-01T09:00:00Z"}},
		// 09:00 Paris is 08:00 UTC in winter and 07:00 UTC in summer (DST
		// starts on 2024-03-31).
		{"0 9 * * MON", paris, "2024-03-20T00:00:00Z", []string{"2024-03-25T08:00:00Z", "2024-04-01T07:00:00Z"}},
		// A wall time skipped by the spring change fires when the clocks
		// change (02:00 CET -> 03:00 CEST is 01:00 UTC).
		{"30 2 * * *", paris, "2024-03-30T12:00:00Z", []string{"2024-03-31T01:00:00Z", "2024-04-01T00:30:00Z"}},
		{"*/20 * * * *", paris, "2024-03-31T00:30:00Z", []string{"2024-03-31T00:40:00Z", "2024-03-31T01:00:00Z", "2024-03-31T01:20:00Z"}},
		// A wall time repeated by the autumn change fires once, at its first
		// occurrence (02:30 CEST = 00:30 UTC; 02:30 CET = 01:30 UTC is skipped).
		{"30 2 * * *", paris, "2024-10-26T12:00:00Z", []string{"2024-10-27T00:30:00Z", "2024-10-28T01:30:00Z"}},
		{"0,30 * * * *", paris, "2024-10-27T00:15:00Z", []string{"2024-10-27T00:30:00Z", "2024-10-27T02:00:00Z", "2024-10-27T02:30:00Z"}},
		// Starting inside the repeated hour, after its first occurrence.
		{"45 2 * * *", paris, "2024-10-27T01:10:00Z", []string{"2024-10-28T01:45:00Z"}},
		{"0 9 * * *", ny, "2024-03-09T15:00:00Z", []string{"2024-03-10T13:00:00Z", "2024-03-11T13:00:00Z"}},
		// Day of month OR day of week when both are restricted.
		{"0 0 13 * FRI", time.UTC, "2024-09-01T00:00:00Z", []string{"2024-09-06T00:00:00Z", "2024-09-13T00:00:00Z", "2024-09-20T00:00:00Z"}},
		// AND when one starts with "*".
		{"0 0 */2 * MON", time.UTC, "2024-09-01T00:00:00Z", []string{"2024-09-09T00:00:00Z", "2024-09-23T00:00:00Z"}},
		{"0 12 29 2 *", time.UTC, "2024-03-01T00:00:00Z", []string{"2028-02-29T12:00:00Z", "2032-02-29T12:00:00Z"}},
		{"0 0 29 2 *", time.UTC, "2096-03-01T00:00:00Z", []string{"2104-02-29T00:00:00Z"}},
		{"59 23 31 12 *", time.UTC, "2024-12-31T23:59:00Z", []string{"2025-12-31T23:59:00Z"}},
		{"* * * * *", time.UTC, "2024-01-01T00:00:30Z", []string{"2024-01-01T00:01:00Z", "2024-01-01T00:02:00Z"}},
	}
	for _, tc := range tests {
		c, err := ParseCron(tc.expr)
		if err != nil {
			t.Fatal(err)
		}
		at, err := time.Parse(time.RFC3339Nano, tc.after)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			at = c.Next(at, tc.loc)
			if got := at.UTC().Format(time.RFC3339); got != w {
				t.Errorf("%q in %s: Next = %s, want %s", tc.expr, tc.loc, got, w)
				break
			}
		}
	}
}

func TestCronNextNilLocationIsUTC(t *testing.T) {
	c, err := ParseCron("0 0 * * *")
	if err != nil {
		t.Fatal(err)
	}
	got := c.Next(time.Date(2024, 1, 1, 5, 0, 0, 0, time.UTC), nil)
	if want := time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("Next = %v, want %v", got, want)
	}
}

func TestCronMinInterval(t *testing.T) {
	tests := []struct {
		expr string
		want time.Duration
	}{
		{"* * * * *", time.Minute},
		{"*/5 * * * *", 5 * time.Minute},
		{"0,50 * * * *", 10 * time.Minute},
		{"0 9 * * MON", 168 * time.Hour},
		{"0 9,17 * * *", 8 * time.Hour},
		{"0 9 * * MON-FRI", 24 * time.Hour},
		{"0 23 * * MON,TUE", 24 * time.Hour},
		{"@hourly", time.Hour},
		{"@daily", 24 * time.Hour},
		{"@weekly", 168 * time.Hour},
		{"@monthly", 28 * 24 * time.Hour},
		{"@yearly", 365 * 24 * time.Hour},
		{"0 0 31 * *", 31 * 24 * time.Hour},
		{"0 0 1,31 * *", 24 * time.Hour},
		{"0 12 29 2 *", 1461 * 24 * time.Hour},
		{"59 23 * * *", 24 * time.Hour},
		{"0,59 23 * * *", 59 * time.Minute},
		{"0 0 13 * FRI", 24 * time.Hour},
	}
	for _, tc := range tests {
		c, err := ParseCron(tc.expr)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.MinInterval(); got != tc.want {
			t.Errorf("MinInterval(%q) = %v, want %v", tc.expr, got, tc.want)
		}
	}
}
