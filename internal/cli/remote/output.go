package remote

import "time"

// Time formats t for human output (UTC, to the minute); the zero time and
// nil are "-".
func Time(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04Z")
}
