package remote

import (
	"io"
	"text/tabwriter"
	"time"
)

// Table returns a tab writer for aligned human output.
func Table(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
}

// Time formats t for human output (UTC, to the minute); the zero time and
// nil are "-".
func Time(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04Z")
}

// NonNil makes nil slices encode as [] in JSON output.
func NonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
