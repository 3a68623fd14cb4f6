package manifest

import "testing"

func TestEgressCovers(t *testing.T) {
	for _, tc := range []struct {
		base, e string
		want    bool
	}{
		{"https://slack.com/", "https://slack.com/api/", true},
		{"https://slack.com/api/", "https://slack.com/", false},
		{"https://slack.com/api", "https://slack.com/apix", false},
		{"https://slack.com/api", "https://slack.com/api/chat", true},
		{"https://slack.com/api", "https://slack.com/api", true},
		{"https://*.slack.com/", "https://files.slack.com/", true},
		{"https://*.slack.com/", "https://*.files.slack.com/", true},
		{"https://*.slack.com/", "https://*.slack.com/x/", true},
		{"https://*.slack.com/", "https://slack.com/", false},
		{"https://*.slack.com/", "https://*.notslack.com/", false},
		{"https://files.slack.com/", "https://*.slack.com/", false},
		{"https://slack.com/", "http://slack.com/", false},
		{"https://slack.com/", "https://slack.com:8443/", false},
	} {
		b, err := ParseEgress(tc.base)
		if err != nil {
			t.Fatal(err)
		}
		e, err := ParseEgress(tc.e)
		if err != nil {
			t.Fatal(err)
		}
		if got := b.Covers(e); got != tc.want {
			t.Errorf("%s.Covers(%s) = %v", tc.base, tc.e, got)
		}
	}
}

func TestHostCovers(t *testing.T) {
	for _, tc := range []struct {
		base, h string
		want    bool
	}{
		{"slack.com", "slack.com", true},
		{"slack.com", "files.slack.com", false},
		{"slack.com", "*.slack.com", false},
		{"*.slack.com", "files.slack.com", true},
		{"*.slack.com", "a.b.slack.com", true},
		{"*.slack.com", "slack.com", false},
		{"*.slack.com", "*.slack.com", true},
		{"*.slack.com", "*.files.slack.com", true},
		{"*.files.slack.com", "*.slack.com", false},
		{"*.slack.com", "*.notslack.com", false},
		{"10.0.0.1", "10.0.0.1", true},
	} {
		b, err := ParseHost(tc.base)
		if err != nil {
			t.Fatal(err)
		}
		h, err := ParseHost(tc.h)
		if err != nil {
			t.Fatal(err)
		}
		if got := b.Covers(h); got != tc.want {
			t.Errorf("%s.Covers(%s) = %v", tc.base, tc.h, got)
		}
		e, err := ParseEgress("https://" + tc.base + "/")
		if err != nil {
			t.Fatal(err)
		}
		if got := e.CoversHost(h); got != tc.want {
			t.Errorf("egress %s.CoversHost(%s) = %v", e, tc.h, got)
		}
	}
}
