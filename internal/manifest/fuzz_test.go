package manifest

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*.yaml")
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	known := map[string]bool{}
	for _, r := range Rules() {
		known[r.ID] = true
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, diags, err := Parse("f.yaml", data)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError: %v", err, err)
			}
			if m != nil || diags != nil {
				t.Fatal("ParseError with a manifest or diagnostics")
			}
			if pe.Msg == "" || pe.File != "f.yaml" {
				t.Fatalf("incomplete ParseError %+v", pe)
			}
			return
		}
		if m == nil {
			t.Fatal("nil manifest without error")
		}
		failed := false
		for _, d := range diags {
			if !known[d.Rule] || d.Line < 1 || d.Col < 1 || d.Message == "" || d.File != "f.yaml" {
				t.Fatalf("bad diagnostic %+v", d)
			}
			failed = failed || d.Severity == SeverityError
		}
		m2, diags2, err2 := Parse("f.yaml", data)
		if err2 != nil || !reflect.DeepEqual(diags, diags2) || len(m2.Triggers) != len(m.Triggers) {
			t.Fatal("Parse is not deterministic")
		}
		if failed {
			return
		}
		// A manifest without errors is fully usable.
		for _, tr := range m.Triggers {
			if tr.Schedule != nil {
				if tr.Schedule.Spec == nil || tr.Schedule.Location == nil {
					t.Fatalf("trigger %s: schedule not parsed", tr.Name)
				}
				after := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
				if next := tr.Schedule.Next(after); !next.After(after) {
					t.Fatalf("trigger %s: Next = %v", tr.Name, next)
				}
			}
		}
		for _, e := range m.Egress {
			again, err := ParseEgress(e.String())
			if err != nil || again.String() != e.String() {
				t.Fatalf("egress %q does not round-trip: %v", e.String(), err)
			}
		}
		if m.Module.Kind() == "" {
			t.Fatal("a manifest without errors has no module")
		}
	})
}

func FuzzCron(f *testing.F) {
	for _, s := range []string{"* * * * *", "0 9 * * MON", "*/5 * * * *", "0 9,17 * * *", "@weekly", "5-10/2 0 1,15 JAN-MAR *", "0 0 29 2 *", "0 0 13 * FRI", "0 0 ? * MON", "0 0 30 2 *"} {
		f.Add(s)
	}
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		c, err := ParseCron(expr)
		if err != nil {
			var ce *CronError
			if !errors.As(err, &ce) || ce.Offset < 0 || ce.Offset > len(expr) {
				t.Fatalf("bad error %#v", err)
			}
			return
		}
		if c.String() != expr {
			t.Fatalf("String() = %q", c.String())
		}
		if c.MinInterval() < time.Minute {
			t.Fatalf("MinInterval = %v", c.MinInterval())
		}
		after := time.Date(2024, 3, 30, 23, 59, 0, 0, time.UTC)
		for _, loc := range []*time.Location{time.UTC, paris} {
			next := c.Next(after, loc)
			if !next.After(after) {
				t.Fatalf("Next(%v, %s) = %v", after, loc, next)
			}
			again := c.Next(next, loc)
			if !again.After(next) {
				t.Fatalf("Next(%v, %s) = %v", next, loc, again)
			}
		}
		if next := c.Next(after, time.UTC); !c.dayMatches(next) || c.hour&(1<<uint(next.Hour())) == 0 || c.minute&(1<<uint(next.Minute())) == 0 {
			t.Fatalf("Next = %v does not match %q", next, expr)
		}
	})
}
