package capability

import (
	"bytes"
	"sort"
	"strings"
	"unicode"
)

// ChangeKind says how a capability differs between two pins.
type ChangeKind string

// Kinds of change.
const (
	Added   ChangeKind = "added"
	Removed ChangeKind = "removed"
	Changed ChangeKind = "changed"
)

// Change is one difference between the pinned capabilities of a source and
// what the source says now.
type Change struct {
	ID   string     `json:"id"`
	Kind ChangeKind `json:"change"`
	// Fields lists what changed, for Changed: description, effect,
	// inputSchema, target.
	Fields    []string `json:"fields,omitempty"`
	OldDigest string   `json:"oldDigest,omitempty"`
	NewDigest string   `json:"newDigest,omitempty"`
}

// Diff compares pinned capabilities with fresh ones, by id. The result is
// sorted by id.
func Diff(pinned, fresh []Capability) []Change {
	old := make(map[string]*Capability, len(pinned))
	for i := range pinned {
		old[pinned[i].ID] = &pinned[i]
	}
	var out []Change
	seen := make(map[string]bool, len(fresh))
	for i := range fresh {
		n := &fresh[i]
		seen[n.ID] = true
		o, ok := old[n.ID]
		if !ok {
			out = append(out, Change{ID: n.ID, Kind: Added, NewDigest: n.Digest})
			continue
		}
		if o.Digest == n.Digest && o.Kind == n.Kind {
			continue
		}
		var fields []string
		if o.Description != n.Description {
			fields = append(fields, "description")
		}
		if o.Effect != n.Effect {
			fields = append(fields, "effect")
		}
		if !bytes.Equal(o.InputSchema, n.InputSchema) {
			fields = append(fields, "inputSchema")
		}
		if o.Target != n.Target {
			fields = append(fields, "target")
		}
		if o.Name != n.Name {
			fields = append(fields, "name")
		}
		if o.Kind != n.Kind {
			fields = append(fields, "kind")
		}
		out = append(out, Change{ID: n.ID, Kind: Changed, Fields: fields, OldDigest: o.Digest, NewDigest: n.Digest})
	}
	for i := range pinned {
		if !seen[pinned[i].ID] {
			out = append(out, Change{ID: pinned[i].ID, Kind: Removed, OldDigest: pinned[i].Digest})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Shadow is a possible tool-shadowing problem: two sources offering the same
// bare name, or a description that names another source's capability (a
// tool description steering the agent towards, or away from, another
// source's tool).
type Shadow struct {
	ID      string `json:"id"`
	Other   string `json:"other"`
	Reason  string `json:"reason"` // "same-name" or "description-mentions"
	Message string `json:"message"`
}

// Shadowing reports possible tool shadowing across sources. Only findings
// that involve at least one capability of a source in focus are returned
// (all when focus is empty).
func Shadowing(all []Capability, focus ...string) []Shadow {
	inFocus := func(src string) bool {
		if len(focus) == 0 {
			return true
		}
		for _, f := range focus {
			if f == src {
				return true
			}
		}
		return false
	}
	byName := make(map[string][]*Capability)
	byID := make(map[string]*Capability, len(all))
	for i := range all {
		c := &all[i]
		byName[c.Name] = append(byName[c.Name], c)
		byID[c.ID] = c
	}
	var out []Shadow
	for _, caps := range byName {
		for i := 0; i < len(caps); i++ {
			for j := i + 1; j < len(caps); j++ {
				a, b := caps[i], caps[j]
				if a.Source == b.Source || (!inFocus(a.Source) && !inFocus(b.Source)) {
					continue
				}
				if a.ID > b.ID {
					a, b = b, a
				}
				out = append(out, Shadow{
					ID: a.ID, Other: b.ID, Reason: "same-name",
					Message: "the name " + quote(a.Name) + " is offered by sources " + quote(a.Source) + " and " + quote(b.Source),
				})
			}
		}
	}
	for i := range all {
		c := &all[i]
		if c.Description == "" {
			continue
		}
		mentioned := map[string]bool{}
		for _, tok := range tokens(c.Description) {
			if o, ok := byID[tok]; ok && o.Source != c.Source {
				mentioned[o.ID] = true
				continue
			}
			if !distinctive(tok) {
				continue
			}
			for _, o := range byName[tok] {
				if o.Source != c.Source {
					mentioned[o.ID] = true
				}
			}
		}
		for id := range mentioned {
			o := byID[id]
			if !inFocus(c.Source) && !inFocus(o.Source) {
				continue
			}
			out = append(out, Shadow{
				ID: c.ID, Other: o.ID, Reason: "description-mentions",
				Message: "the description of " + c.ID + " (source " + quote(c.Source) + ") names " + o.ID + " of source " + quote(o.Source),
			})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].ID != out[j].ID {
			return out[i].ID < out[j].ID
		}
		if out[i].Other != out[j].Other {
			return out[i].Other < out[j].Other
		}
		return out[i].Reason < out[j].Reason
	})
	return out
}

func quote(s string) string { return "\"" + s + "\"" }

// tokens splits text into identifier-like words, keeping '.', '_', '-' and
// '/' inside words so that ids and tool names survive whole.
func tokens(s string) []string {
	f := strings.FieldsFunc(s, func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '.' || r == '-' || r == '/')
	})
	out := f[:0]
	for _, t := range f {
		t = strings.Trim(t, ".-/")
		if t != "" {
			out = append(out, t)
		}
	}
	return out
}

// distinctive reports whether a bare name is specific enough that its
// appearance in prose is a reference and not an ordinary word: it joins
// several words (snake_case, kebab-case, a path, or camelCase).
func distinctive(name string) bool {
	if len(name) < 5 {
		return false
	}
	if strings.ContainsAny(name, "_-/") {
		return true
	}
	for i := 1; i < len(name); i++ {
		if unicode.IsLower(rune(name[i-1])) && unicode.IsUpper(rune(name[i])) {
			return true
		}
	}
	return false
}
