package manifest

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Cron is a parsed 5-field cron expression: minute hour day-of-month month
// day-of-week.
//
// Each field is "*", a value, a range "a-b", or a step "*/s", "a-b/s" or
// "a/s" (from a to the field's maximum), and a comma-separated list of
// these. Ranges must not wrap ("FRI-MON" is an error: write "FRI-SUN,MON").
// Months accept JAN-DEC and days of week SUN-SAT (case-insensitive); day of
// week 0 and 7 are both Sunday. As in Vixie cron, when both day-of-month and
// day-of-week are restricted (neither starts with "*"), a day matches if
// either does. The macros @yearly (@annually), @monthly, @weekly, @daily
// (@midnight) and @hourly stand for their usual expressions. Quartz
// extensions (seconds, "?", L, W, #) are not supported.
//
// Times are wall-clock times in the schedule's time zone. A wall time that
// does not exist (skipped by a DST change) fires at the instant the clocks
// change; a wall time that happens twice (clocks going back) fires once, at
// its first occurrence.
type Cron struct {
	expr                          string
	minute, hour, dom, month, dow uint64 // bit i set when value i matches; dow Sunday = 0
	domStar, dowStar              bool
}

// CronError is a cron syntax error. Offset is the byte offset in the
// expression of the field or item at fault.
type CronError struct {
	Expr   string
	Offset int
	Msg    string
}

// Error implements error.
func (e *CronError) Error() string { return fmt.Sprintf("invalid cron %q: %s", e.Expr, e.Msg) }

var cronMacros = map[string]string{
	"@yearly":   "0 0 1 1 *",
	"@annually": "0 0 1 1 *",
	"@monthly":  "0 0 1 * *",
	"@weekly":   "0 0 * * 0",
	"@daily":    "0 0 * * *",
	"@midnight": "0 0 * * *",
	"@hourly":   "0 * * * *",
}

type cronField struct {
	name     string
	min, max int
	names    []string // names[i] is value min+i
}

var (
	monthNames = []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}
	dowNames   = []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}
	cronFields = [5]cronField{
		{name: "minute", min: 0, max: 59},
		{name: "hour", min: 0, max: 23},
		{name: "day of month", min: 1, max: 31},
		{name: "month", min: 1, max: 12, names: monthNames},
		{name: "day of week", min: 0, max: 7, names: dowNames},
	}
)

// ParseCron parses a cron expression; errors are *CronError.
func ParseCron(expr string) (*Cron, error) {
	fail := func(off int, format string, args ...any) (*Cron, error) {
		return nil, &CronError{Expr: expr, Offset: off, Msg: fmt.Sprintf(format, args...)}
	}
	trimmed := strings.TrimSpace(expr)
	if trimmed == "" {
		return fail(0, "empty expression")
	}
	if strings.HasPrefix(trimmed, "@") {
		std, ok := cronMacros[strings.ToLower(trimmed)]
		if !ok {
			return fail(strings.Index(expr, "@"), "unknown macro %q (use @yearly, @monthly, @weekly, @daily or @hourly)", trimmed)
		}
		c, err := ParseCron(std)
		if err != nil {
			return nil, err
		}
		c.expr = expr
		return c, nil
	}
	// Split on spaces and tabs, keeping offsets.
	var fields []string
	var offs []int
	for i := 0; i < len(expr); {
		if expr[i] == ' ' || expr[i] == '\t' {
			i++
			continue
		}
		j := i
		for j < len(expr) && expr[j] != ' ' && expr[j] != '\t' {
			j++
		}
		fields = append(fields, expr[i:j])
		offs = append(offs, i)
		i = j
	}
	switch {
	case len(fields) == 6:
		return fail(offs[0], "6 fields: seconds are not supported, use 5 fields (minute hour day-of-month month day-of-week)")
	case len(fields) != 5:
		return fail(0, "%d fields, want 5 (minute hour day-of-month month day-of-week)", len(fields))
	}
	c := &Cron{expr: expr}
	sets := [5]*uint64{&c.minute, &c.hour, &c.dom, &c.month, &c.dow}
	for i, f := range fields {
		set, err := parseCronField(f, cronFields[i])
		if err != nil {
			return fail(offs[i]+err.off, "%s field %q: %s", cronFields[i].name, f, err.msg)
		}
		*sets[i] = set
	}
	c.domStar = strings.HasPrefix(fields[2], "*")
	c.dowStar = strings.HasPrefix(fields[4], "*")
	if c.dow&(1<<7) != 0 {
		c.dow = c.dow&^(1<<7) | 1
	}
	if !c.fires() {
		return fail(offs[2], "never fires: no month in %q has the day of month %q", fields[3], fields[2])
	}
	return c, nil
}

type fieldErr struct {
	off int
	msg string
}

func parseCronField(f string, def cronField) (uint64, *fieldErr) {
	var set uint64
	off := 0
	for item := range strings.SplitSeq(f, ",") {
		s, err := parseCronItem(item, def)
		if err != nil {
			err.off += off
			return 0, err
		}
		set |= s
		off += len(item) + 1
	}
	return set, nil
}

func parseCronItem(item string, def cronField) (uint64, *fieldErr) {
	if item == "" {
		return 0, &fieldErr{0, "empty list item"}
	}
	if strings.ContainsAny(item, "?#") || def.names == nil && strings.ContainsAny(item, "LW") {
		return 0, &fieldErr{0, "Quartz syntax (?, L, W, #) is not supported"}
	}
	rng, stepStr, hasStep := strings.Cut(item, "/")
	top := def.max
	if def.name == "day of week" {
		top = 6 // "*" and "a/s" run Sunday to Saturday; 7 is only an alias
	}
	lo, hi := def.min, top
	if rng != "*" {
		a, b, isRange := strings.Cut(rng, "-")
		v, err := cronValue(a, def)
		if err != nil {
			return 0, err
		}
		lo = v
		switch {
		case isRange:
			w, err := cronValue(b, def)
			if err != nil {
				err.off += len(a) + 1
				return 0, err
			}
			if w < v {
				return 0, &fieldErr{0, fmt.Sprintf("range %s goes backwards (ranges do not wrap; split it into two)", rng)}
			}
			hi = w
		case !hasStep:
			hi = v
		default:
			hi = top // "a/s": from a to the end of the range
		}
	}
	step := 1
	if hasStep {
		n, err := strconv.Atoi(stepStr)
		if err != nil || n < 1 || len(stepStr) > 3 {
			return 0, &fieldErr{len(rng) + 1, fmt.Sprintf("invalid step %q", stepStr)}
		}
		if n > def.max-def.min+1 {
			return 0, &fieldErr{len(rng) + 1, fmt.Sprintf("step %d is larger than the field's range %d-%d", n, def.min, def.max)}
		}
		step = n
	}
	var set uint64
	for v := lo; v <= hi; v += step {
		set |= 1 << uint(v)
	}
	return set, nil
}

func cronValue(s string, def cronField) (int, *fieldErr) {
	if s == "" {
		return 0, &fieldErr{0, "missing value"}
	}
	if s[0] >= '0' && s[0] <= '9' {
		if len(s) > 2 || strings.TrimLeft(s, "0123456789") != "" {
			return 0, &fieldErr{0, fmt.Sprintf("invalid value %q", s)}
		}
		n, _ := strconv.Atoi(s)
		if n < def.min || n > def.max {
			return 0, &fieldErr{0, fmt.Sprintf("value %d out of range %d-%d", n, def.min, def.max)}
		}
		return n, nil
	}
	for i, name := range def.names {
		if strings.EqualFold(s, name) {
			return def.min + i, nil
		}
	}
	if def.names != nil {
		return 0, &fieldErr{0, fmt.Sprintf("invalid value %q (want %d-%d or %s-%s)", s, def.min, def.max, def.names[0], def.names[len(def.names)-1])}
	}
	return 0, &fieldErr{0, fmt.Sprintf("invalid value %q (want %d-%d)", s, def.min, def.max)}
}

// daysIn is the most days each month can have (February: 29).
var daysIn = [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// fires reports whether some day of some year matches.
func (c *Cron) fires() bool {
	if !c.dowStar && !c.domStar {
		return true // any matching weekday will do
	}
	for m := 1; m <= 12; m++ {
		if c.month&(1<<uint(m)) == 0 {
			continue
		}
		if c.dom&(1<<(uint(daysIn[m])+1)-1) != 0 {
			return true
		}
	}
	return false
}

// String returns the expression as written.
func (c *Cron) String() string { return c.expr }

// MarshalText returns the expression as written.
func (c *Cron) MarshalText() ([]byte, error) { return []byte(c.expr), nil }

func (c *Cron) dayMatches(t time.Time) bool {
	if c.month&(1<<uint(t.Month())) == 0 {
		return false
	}
	dom := c.dom&(1<<uint(t.Day())) != 0
	dow := c.dow&(1<<uint(t.Weekday())) != 0
	if !c.domStar && !c.dowStar {
		return dom || dow
	}
	return dom && dow
}

// searchDays bounds Next: a schedule that fires at all fires within 8 years
// (February 29 skips at most 8 years, around 2100).
const searchDays = 366 * 9

// Next returns the first firing time strictly after after, in loc (UTC when
// nil). It returns the zero Time only for a schedule that never fires,
// which ParseCron rejects.
func (c *Cron) Next(after time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	start := after.In(loc)
	// Wall-clock search, starting at the minute after start's wall time.
	y, mo, d := start.Date()
	startMin := start.Hour()*60 + start.Minute() + 1
	day := time.Date(y, mo, d, 0, 0, 0, 0, time.UTC) // a wall date, as UTC
	for n := 0; n < searchDays; n++ {
		if c.dayMatches(day) {
			from := 0
			if n == 0 {
				from = startMin
			}
			for m := from; m < 24*60; m++ {
				h, mi := m/60, m%60
				if c.hour&(1<<uint(h)) == 0 {
					m = h*60 + 59
					continue
				}
				if c.minute&(1<<uint(mi)) == 0 {
					continue
				}
				if t, ok := instant(day.Year(), day.Month(), day.Day(), h, mi, loc); ok && t.After(after) {
					return t
				}
			}
		}
		day = day.AddDate(0, 0, 1)
	}
	return time.Time{}
}

// instant returns the first instant at which loc's clocks show the wall
// time; for a wall time skipped by a DST change, the instant of the change.
// ok is false only if loc reports no such change.
func instant(y int, mo time.Month, d, h, mi int, loc *time.Location) (time.Time, bool) {
	wall := time.Date(y, mo, d, h, mi, 0, 0, time.UTC)
	t := time.Date(y, mo, d, h, mi, 0, 0, loc)
	// Candidates: the wall time at each offset in effect around t.
	var best time.Time
	for _, probe := range [...]time.Time{t.Add(-3 * time.Hour), t, t.Add(3 * time.Hour)} {
		_, off := probe.Zone()
		u := wall.Add(-time.Duration(off) * time.Second).In(loc)
		if sameWall(u, wall) && (best.IsZero() || u.Before(best)) {
			best = u
		}
	}
	if !best.IsZero() {
		return best, true
	}
	// A gap: fire when the clocks change. t lies on one side of the
	// transition; the zone bounds of t give the transition instant.
	start, end := t.ZoneBounds()
	if wallAfter(t, wall) {
		return start, !start.IsZero()
	}
	return end, !end.IsZero()
}

func sameWall(u, wall time.Time) bool {
	y, m, d := u.Date()
	wy, wm, wd := wall.Date()
	return y == wy && m == wm && d == wd && u.Hour() == wall.Hour() && u.Minute() == wall.Minute()
}

func wallAfter(u, wall time.Time) bool {
	y, m, d := u.Date()
	return time.Date(y, m, d, u.Hour(), u.Minute(), 0, 0, time.UTC).After(wall)
}

// MinInterval returns the smallest gap between two consecutive firings,
// computed on wall-clock time (as in UTC, so without DST changes) over eight
// years, which covers every pattern of weekdays, month lengths and leap
// years. "*/5 * * * *" gives 5m, "0 9,17 * * *" 8h, "0 9 * * MON" 168h.
func (c *Cron) MinInterval() time.Duration {
	// Minutes of the day that fire, ascending.
	var times []int
	for h := 0; h < 24; h++ {
		if c.hour&(1<<uint(h)) == 0 {
			continue
		}
		for m := 0; m < 60; m++ {
			if c.minute&(1<<uint(m)) != 0 {
				times = append(times, h*60+m)
			}
		}
	}
	if len(times) == 0 {
		return 0
	}
	best := -1
	for i := 1; i < len(times); i++ {
		if g := times[i] - times[i-1]; best < 0 || g < best {
			best = g
		}
	}
	span := times[len(times)-1] - times[0]
	day := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	prev := -1
	for n := 0; n < 366*8+2; n++ {
		if c.dayMatches(day) {
			if prev >= 0 {
				if g := (n-prev)*24*60 - span; best < 0 || g < best {
					best = g
				}
			}
			prev = n
		}
		day = day.AddDate(0, 0, 1)
	}
	if best < 0 {
		return 0
	}
	return time.Duration(best) * time.Minute
}
