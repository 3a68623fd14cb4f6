package validate

import (
	"fmt"
	"slices"
	"time"

	"github.com/forgehq/forge/internal/manifest"
)

// escalations reports everything ext may do that the approved baseline b
// could not: new capabilities, egress, secrets, secret hosts and triggers,
// tighter schedules and raised limits.
func (c *checker) escalations(b *manifest.Manifest) {
	base := c.ext.BaselinePath
	if base == "" {
		base = b.File
	}
	hint := "a reviewer must approve this escalation over the approved version"
	if base != "" {
		hint += " (" + base + ")"
	}
	for _, ref := range c.m.Capabilities {
		if ref.ID == "" || slices.ContainsFunc(b.Capabilities, func(r manifest.CapabilityRef) bool { return r.ID == ref.ID }) {
			continue
		}
		c.report(RuleNewCapability, firstPos(ref.IDPos, ref.Pos), hint, "capability %s is new since the approved version", ref.ID)
	}
	for _, e := range c.m.Egress {
		if e.Host == "" || slices.ContainsFunc(b.Egress, func(be manifest.Egress) bool { return be.Covers(e) }) {
			continue
		}
		c.report(RuleNewEgress, e.Pos, hint, "egress %s is new since the approved version", e.String())
	}
	for _, s := range c.m.Secrets {
		if s.Name == "" {
			continue
		}
		bs := b.Secret(s.Name)
		if bs == nil {
			c.report(RuleNewSecret, firstPos(s.NamePos, s.Pos), hint, "secret %s is new since the approved version", s.Name)
			continue
		}
		for _, h := range s.Hosts {
			if slices.ContainsFunc(bs.Hosts, func(bh manifest.Host) bool { return bh.Covers(h) }) {
				continue
			}
			c.report(RuleNewSecretHost, firstPos(h.Pos, s.Pos), hint, "secret %s may now be sent to %s", s.Name, h.Name)
		}
	}
	for _, t := range c.m.Triggers {
		if t.Name == "" {
			continue
		}
		pos := firstPos(t.NamePos, t.Pos)
		bt := b.Trigger(t.Name)
		switch {
		case bt == nil:
			c.report(RuleNewTrigger, pos, hint, "trigger %s (%s) is new since the approved version", t.Name, describeTrigger(t))
		case (t.Event == nil) != (bt.Event == nil):
			c.report(RuleNewTrigger, pos, hint, "trigger %s is now %s, was %s", t.Name, describeTrigger(t), describeTrigger(*bt))
		case t.Event != nil && t.Event.Type != bt.Event.Type:
			c.report(RuleNewTrigger, pos, hint, "trigger %s now runs on event %s, was %s", t.Name, t.Event.Type, bt.Event.Type)
		case t.Schedule != nil && bt.Schedule != nil:
			if tighter(t.Schedule, bt.Schedule) {
				c.report(RuleTighterSchedule, firstPos(t.Schedule.CronPos, pos), hint, "trigger %s: schedule %q fires more often than the approved %q",
					t.Name, t.Schedule.Cron, bt.Schedule.Cron)
			}
		}
	}
	l, bl := c.m.Limits, b.Limits
	if l.Memory.Set && bl.Memory.Set && l.Memory.Value > bl.Memory.Value {
		c.report(RuleRaisedLimit, l.Memory.Pos, hint, "limits.memory %s is above the approved %s", l.Memory.Value, bl.Memory.Value)
	}
	if l.Timeout.Set && bl.Timeout.Set && l.Timeout.Value > bl.Timeout.Value {
		c.report(RuleRaisedLimit, l.Timeout.Pos, hint, "limits.timeout %s is above the approved %s", fmtDuration(l.Timeout.Value), fmtDuration(bl.Timeout.Value))
	}
	if l.HTTPCalls.Set && bl.HTTPCalls.Set && l.HTTPCalls.Value > bl.HTTPCalls.Value {
		c.report(RuleRaisedLimit, l.HTTPCalls.Pos, hint, "limits.httpCalls %d is above the approved %d", l.HTTPCalls.Value, bl.HTTPCalls.Value)
	}
}

func describeTrigger(t manifest.Trigger) string {
	switch {
	case t.Event != nil:
		return "event " + t.Event.Type
	case t.Schedule != nil:
		return fmt.Sprintf("schedule %q", t.Schedule.Cron)
	}
	return "no kind"
}

// tighter reports whether schedule s fires more often than the approved
// schedule b: a smaller minimum gap, or more firings over a year.
func tighter(s, b *manifest.Schedule) bool {
	if s.Spec == nil || b.Spec == nil || (s.Cron == b.Cron && s.Timezone == b.Timezone) {
		return false
	}
	si, bi := s.Spec.MinInterval(), b.Spec.MinInterval()
	if si != bi {
		return si < bi
	}
	return firings(s) > firings(b)
}

// firings counts the firings of s during 2024 in UTC, up to a cap that only
// schedules firing every few minutes reach (and those differ in their
// minimum gap, compared first).
func firings(s *manifest.Schedule) int {
	const maxFirings = 200_000
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(1, 0, 0)
	n := 0
	for t := s.Spec.Next(start.Add(-time.Second), time.UTC); !t.IsZero() && t.Before(end) && n < maxFirings; t = s.Spec.Next(t, time.UTC) {
		n++
	}
	return n
}
