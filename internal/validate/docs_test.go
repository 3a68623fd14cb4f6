package validate

import (
	"bufio"
	"os"
	"regexp"
	"strings"
	"testing"
)

// githubSlug is the anchor GitHub gives a Markdown heading: lower-cased,
// punctuation other than '-' and '_' dropped, spaces turned into '-'.
func githubSlug(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || ('a' <= r && r <= 'z') || ('0' <= r && r <= '9'):
			b.WriteRune(r)
		}
	}
	return b.String()
}

var ruleHeading = regexp.MustCompile("^### `([a-z]+/[a-z0-9-]+)`$")

// TestRulesDocumented parses docs/rules.md and fails when a rule of
// Rules() has no section (whose anchor HelpURI points to) or its section
// gives another severity, or when a documented rule does not exist.
func TestRulesDocumented(t *testing.T) {
	f, err := os.Open("../../docs/rules.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type section struct {
		anchor   string
		severity string
	}
	docs := map[string]*section{}
	var cur *section
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if m := ruleHeading.FindStringSubmatch(line); m != nil {
			if docs[m[1]] != nil {
				t.Errorf("docs/rules.md documents %s twice", m[1])
			}
			cur = &section{anchor: githubSlug(strings.TrimPrefix(line, "### "))}
			docs[m[1]] = cur
			continue
		}
		if strings.HasPrefix(line, "#") {
			cur = nil
		}
		if sev, ok := strings.CutPrefix(line, "**Severity:** "); ok && cur != nil {
			cur.severity = sev
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for _, r := range Rules() {
		s := docs[r.ID]
		switch {
		case s == nil:
			t.Errorf("rule %s is not documented in docs/rules.md (want a heading ### `%s`)", r.ID, r.ID)
			continue
		case s.anchor != Anchor(r.ID):
			t.Errorf("rule %s: heading anchor %q, HelpURI uses %q", r.ID, s.anchor, Anchor(r.ID))
		case s.severity != string(r.Severity):
			t.Errorf("rule %s: docs/rules.md says severity %q, the rule has %q", r.ID, s.severity, r.Severity)
		}
		delete(docs, r.ID)
	}
	for id := range docs {
		t.Errorf("docs/rules.md documents %s, which is not a rule", id)
	}
}
