package manifest

import (
	"fmt"
	"math"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/forgehq/forge/internal/capability"

	// Time zones must not depend on the machine's tzdata.
	_ "time/tzdata"

	"github.com/agnivade/levenshtein"
	"gopkg.in/yaml.v3"

	"github.com/forgehq/forge/internal/wasm"
)

// Patterns of names and values, compiled on first use: most forge commands
// never parse a manifest, and start-up should not pay for them.
var (
	extNameRE   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`) })
	secretRE    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,63}$`) })
	configRE    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z][a-zA-Z0-9_]{0,62}$`) })
	eventTypeRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}(\.[a-z][a-z0-9_-]{0,62}){0,7}$`)
	})
	digestRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^sha256:[0-9a-f]{64}$`) })
	semverRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`)
	})
)

// Known fields of each mapping, in documentation order.
var (
	topFields        = []string{"apiVersion", "name", "version", "description", "module", "triggers", "secrets", "egress", "config", "capabilities", "limits"}
	moduleFields     = []string{"go", "wasm"}
	triggerFields    = []string{"name", "schedule", "event"}
	scheduleFields   = []string{"cron", "timezone"}
	eventFields      = []string{"type"}
	secretFields     = []string{"name", "description", "hosts"}
	egressFields     = []string{"scheme", "host", "port", "pathPrefix"}
	configFields     = []string{"name", "type", "default", "description"}
	capabilityFields = []string{"id", "digest"}
	limitFields      = []string{"memory", "timeout", "httpCalls"}
)

var ruleSeverity = func() map[string]Severity {
	m := map[string]Severity{}
	for _, r := range rules {
		m[r.ID] = r.Severity
	}
	return m
}()

type parser struct {
	file  string
	diags []Diagnostic
}

func (p *parser) report(rule string, at Pos, hint, format string, args ...any) {
	sev := ruleSeverity[rule]
	if sev == "" {
		sev = SeverityError
	}
	p.diags = append(p.diags, Diagnostic{
		Rule: rule, Severity: sev, File: p.file, Line: at.Line, Col: at.Col,
		Message: fmt.Sprintf(format, args...), Hint: hint,
	})
}

func pos(n *yaml.Node) Pos { return Pos{Line: n.Line, Col: n.Column} }

// resolve follows aliases (checkAliases has ruled out cycles).
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func kindName(n *yaml.Node) string {
	n = resolve(n)
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.DocumentNode:
		return "a document"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!str":
			return "a string"
		case "!!int", "!!float":
			return "a number"
		case "!!bool":
			return "a boolean"
		case "!!null":
			return "null (an empty value)"
		case "!!binary":
			return "binary data"
		case "!!timestamp":
			return "a timestamp"
		}
		return "a value tagged " + n.Tag
	}
	return "an unknown node"
}

// short quotes s for a message, cutting it if long.
func short(s string) string {
	const maxLen = 64
	if len(s) > maxLen {
		cut := maxLen
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return fmt.Sprintf("%q", s)
}

// entry is one key/value of a mapping; node is the value as written (maybe
// an alias) and val the resolved value.
type entry struct {
	key, node, val *yaml.Node
}

func (e entry) pos() Pos { return pos(e.node) }

// object is a checked mapping: its known entries by key.
type object struct {
	node    *yaml.Node
	path    string
	entries map[string]entry
	// typos holds the known fields that an unknown key was suggested as:
	// their absence is already reported.
	typos map[string]bool
}

func (o object) has(k string) bool { _, ok := o.entries[k]; return ok }

func field(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// object checks that n is a mapping, reports duplicate and unknown keys,
// and returns its entries. ok is false when n is not a mapping.
func (p *parser) object(n *yaml.Node, path string, known []string) (object, bool) {
	o := object{node: n, path: path, entries: map[string]entry{}, typos: map[string]bool{}}
	v := resolve(n)
	if v.Kind != yaml.MappingNode {
		what := path
		if what == "" {
			what = "the manifest"
		}
		p.report(RuleWrongType, pos(n), "", "%s must be a mapping, got %s", what, kindName(v))
		return o, false
	}
	seen := map[string]*yaml.Node{}
	var merges []*yaml.Node
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], v.Content[i+1]
		k = resolve(k)
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			merges = append(merges, val)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			p.report(RuleUnknownField, pos(k), "", "%s: keys must be field names, got %s", orManifest(path), kindName(k))
			continue
		}
		name := k.Value
		if first, dup := seen[name]; dup {
			p.report(RuleDuplicateKey, pos(k), fmt.Sprintf("the first %q is at line %d; keep one", name, first.Line), "duplicate key %s in %s", short(name), orManifest(path))
			continue
		}
		seen[name] = k
		if !slices.Contains(known, name) {
			hint, guess := suggest(name, known)
			if guess != "" {
				o.typos[guess] = true
			}
			p.report(RuleUnknownField, pos(k), hint, "unknown field %s in %s", short(name), orManifest(path))
			continue
		}
		o.entries[name] = entry{key: k, node: val, val: resolve(val)}
	}
	// Merge keys ("<<: *base") add the fields a mapping does not set itself.
	for _, m := range merges {
		mv := resolve(m)
		srcs := []*yaml.Node{mv}
		if mv.Kind == yaml.SequenceNode {
			srcs = mv.Content
		}
		for _, src := range srcs {
			sub, ok := p.object(src, path, known)
			if !ok {
				continue
			}
			for k, e := range sub.entries {
				if _, set := seen[k]; !set {
					seen[k] = e.key
					o.entries[k] = e
				}
			}
		}
	}
	return o, true
}

func orManifest(path string) string {
	if path == "" {
		return "the manifest"
	}
	return path
}

// suggest returns a hint for an unknown key, and the known field it is
// probably a typo of ("" if none).
func suggest(name string, known []string) (hint, guess string) {
	best, bestD := "", math.MaxInt
	ln := strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(name))
	for _, k := range known {
		lk := strings.ToLower(k)
		if ln == lk {
			best, bestD = k, 0
			break
		}
		if len(ln) > 64 {
			continue
		}
		if d := levenshtein.ComputeDistance(ln, lk); d < bestD {
			best, bestD = k, d
		}
	}
	list := "known fields: " + strings.Join(known, ", ")
	if best != "" && bestD <= max(2, len(best)/3) {
		return fmt.Sprintf("did you mean %q? (%s)", best, list), best
	}
	return list, ""
}

// required reports the missing required fields of o.
func (p *parser) required(o object, hints map[string]string, keys ...string) {
	for _, k := range keys {
		if !o.has(k) && !o.typos[k] {
			p.report(RuleMissingField, pos(o.node), hints[k], "%s is missing the required field %q", orManifest(o.path), k)
		}
	}
}

// str returns the string value of o[k]; ok is false when absent or wrong.
func (p *parser) str(o object, k string) (string, Pos, bool) {
	e, ok := o.entries[k]
	if !ok {
		return "", Pos{}, false
	}
	if e.val.Kind != yaml.ScalarNode || e.val.Tag != "!!str" {
		hint := ""
		if e.val.Kind == yaml.ScalarNode && e.val.Tag != "!!null" {
			hint = fmt.Sprintf("quote it: %s: %q", k, e.val.Value)
		}
		p.report(RuleWrongType, e.pos(), hint, "%s must be a string, got %s", field(o.path, k), kindName(e.val))
		return "", e.pos(), false
	}
	return e.val.Value, e.pos(), true
}

// list returns the items of o[k]; ok is false when absent or not a list.
func (p *parser) list(o object, k string) ([]*yaml.Node, bool) {
	e, ok := o.entries[k]
	if !ok {
		return nil, false
	}
	if e.val.Kind != yaml.SequenceNode {
		p.report(RuleWrongType, e.pos(), "", "%s must be a list, got %s", field(o.path, k), kindName(e.val))
		return nil, false
	}
	return e.val.Content, true
}

// intValue decodes an integer scalar.
func (p *parser) intValue(o object, k string) (int64, Pos, bool) {
	e, ok := o.entries[k]
	if !ok {
		return 0, Pos{}, false
	}
	var n int64
	if e.val.Kind != yaml.ScalarNode || e.val.Tag != "!!int" || e.val.Decode(&n) != nil {
		p.report(RuleWrongType, e.pos(), "", "%s must be an integer, got %s", field(o.path, k), kindName(e.val))
		return 0, e.pos(), false
	}
	return n, e.pos(), true
}

type seenNames map[string]Pos

func (p *parser) unique(seen seenNames, kind, name string, at Pos) {
	if name == "" {
		return
	}
	if first, dup := seen[name]; dup {
		p.report(RuleDuplicateName, at, fmt.Sprintf("the first is at line %d; rename or remove one", first.Line), "duplicate %s %s", kind, short(name))
		return
	}
	seen[name] = at
}

func (p *parser) manifest(root *yaml.Node) *Manifest {
	m := &Manifest{Pos: pos(root)}
	o, _ := p.object(root, "", topFields)
	p.required(o, map[string]string{
		"apiVersion": "add apiVersion: " + APIVersion,
		"module":     "add module: {go: .} for a Go source directory, or module: {wasm: path/to/ext.wasm}",
	}, "apiVersion", "name", "version", "module")

	if v, at, ok := p.str(o, "apiVersion"); ok {
		m.APIVersion, m.APIVersionPos = v, at
		if v != APIVersion {
			p.report(RuleAPIVersion, at, "use apiVersion: "+APIVersion, "unsupported apiVersion %s", short(v))
		}
	}
	if v, at, ok := p.str(o, "name"); ok {
		m.Name, m.NamePos = v, at
		if !extNameRE().MatchString(v) {
			p.report(RuleInvalidName, at, nameHint(v, extNameRE().MatchString, "-"), "invalid extension name %s: use lower-case letters, digits and '-', starting with a letter (at most 63 characters)", short(v))
		}
	}
	if e, ok := o.entries["version"]; ok {
		// Any scalar: 1.2 is a YAML number but reads as a bad version.
		if e.val.Kind != yaml.ScalarNode || e.val.Tag == "!!null" {
			p.report(RuleWrongType, e.pos(), "", "version must be a string, got %s", kindName(e.val))
		} else {
			v := e.val.Value
			m.Version, m.VersionPos = v, e.pos()
			if !semverRE().MatchString(v) {
				p.report(RuleInvalidVersion, e.pos(), versionHint(v), "invalid version %s: want a semantic version MAJOR.MINOR.PATCH like 1.2.0", short(v))
			}
		}
	}
	if v, at, ok := p.str(o, "description"); ok {
		m.Description, m.DescriptionPos = v, at
	}
	if e, ok := o.entries["description"]; !ok || m.DescriptionPos.IsValid() && strings.TrimSpace(m.Description) == "" {
		at := m.Pos
		if ok {
			at = e.pos()
		}
		p.report(RuleMissingDescription, at, "add description: one sentence saying what the extension does, for reviewers", "the extension has no description")
	}
	if e, ok := o.entries["module"]; ok {
		m.Module = p.module(e)
	}
	items, isList := p.list(o, "triggers")
	seen := seenNames{}
	for i, n := range items {
		t := p.trigger(n, fmt.Sprintf("triggers[%d]", i))
		p.unique(seen, "trigger name", t.Name, t.NamePos)
		m.Triggers = append(m.Triggers, t)
	}
	if e, ok := o.entries["triggers"]; !ok || isList && len(items) == 0 {
		at := m.Pos
		if ok {
			at = e.pos()
		}
		p.report(RuleNoTriggers, at, "add a trigger with a schedule (cron) or an event", "the extension declares no triggers, so it never runs")
	}
	if items, ok := p.list(o, "secrets"); ok {
		seen := seenNames{}
		for i, n := range items {
			s := p.secret(n, fmt.Sprintf("secrets[%d]", i))
			p.unique(seen, "secret name", s.Name, s.NamePos)
			m.Secrets = append(m.Secrets, s)
		}
	}
	if items, ok := p.list(o, "egress"); ok {
		seen := seenNames{}
		for i, n := range items {
			e, ok := p.egress(n, fmt.Sprintf("egress[%d]", i))
			if !ok {
				continue
			}
			if first, dup := seen[e.String()]; dup {
				p.report(RuleDuplicateEgress, e.Pos, fmt.Sprintf("the first is at line %d; remove one", first.Line), "egress %s is declared twice", short(e.String()))
				continue
			}
			seen[e.String()] = e.Pos
			m.Egress = append(m.Egress, e)
		}
	}
	if items, ok := p.list(o, "config"); ok {
		seen := seenNames{}
		for i, n := range items {
			c := p.config(n, fmt.Sprintf("config[%d]", i))
			p.unique(seen, "config name", c.Name, c.NamePos)
			m.Config = append(m.Config, c)
		}
	}
	if items, ok := p.list(o, "capabilities"); ok {
		seen := seenNames{}
		for i, n := range items {
			c := p.capability(n, fmt.Sprintf("capabilities[%d]", i))
			p.unique(seen, "capability", c.ID, c.IDPos)
			m.Capabilities = append(m.Capabilities, c)
		}
	}
	if e, ok := o.entries["limits"]; ok {
		m.Limits = p.limits(e)
	}
	return m
}

func nameHint(v string, valid func(string) bool, sep string) string {
	cands := []string{
		strings.ToLower(v),
		strings.NewReplacer("_", sep, "-", sep, " ", sep, ".", sep).Replace(strings.ToLower(v)),
		strings.NewReplacer("-", "_", " ", "_", ".", "_").Replace(strings.ToUpper(v)),
	}
	for _, c := range cands {
		if c != v && valid(c) {
			return fmt.Sprintf("did you mean %q?", c)
		}
	}
	return ""
}

func versionHint(v string) string {
	if t := strings.TrimPrefix(strings.TrimPrefix(v, "v"), "V"); t != v && semverRE().MatchString(t) {
		return fmt.Sprintf("drop the leading v: version: %s", t)
	}
	if semverRE().MatchString(v + ".0") {
		return fmt.Sprintf("write all three parts, quoted: version: %q", v+".0")
	}
	return ""
}

func (p *parser) module(e entry) Module {
	mod := Module{Pos: e.pos()}
	o, ok := p.object(e.node, "module", moduleFields)
	if !ok {
		return mod
	}
	if v, at, ok := p.str(o, "go"); ok {
		mod.Go, mod.GoPos = v, at
		p.modulePath("module.go", v, at, false)
	}
	if v, at, ok := p.str(o, "wasm"); ok {
		mod.Wasm, mod.WasmPos = v, at
		p.modulePath("module.wasm", v, at, true)
	}
	switch {
	case o.has("go") && o.has("wasm"):
		p.report(RuleModuleSource, o.entries["wasm"].pos(), "keep go to build from source, or wasm to use a prebuilt module", "module sets both go and wasm; set exactly one")
	case !o.has("go") && !o.has("wasm") && !o.typos["go"] && !o.typos["wasm"]:
		p.report(RuleModuleSource, mod.Pos, "add go: . (a Go source directory) or wasm: path/to/ext.wasm", "module sets neither go nor wasm; set exactly one")
	}
	return mod
}

func (p *parser) modulePath(what, v string, at Pos, wasm bool) {
	clean := path.Clean(v)
	switch {
	case v == "":
		p.report(RuleInvalidPath, at, "", "%s is empty", what)
	case strings.ContainsAny(v, "\\\x00") || len(v) >= 2 && v[1] == ':':
		p.report(RuleInvalidPath, at, "write paths with '/', relative to the manifest", "%s %s is not a slash-separated relative path", what, short(v))
	case path.IsAbs(v) || clean == ".." || strings.HasPrefix(clean, "../"):
		p.report(RuleInvalidPath, at, "module paths are relative to the manifest's directory and stay inside it", "%s %s points outside the manifest's directory", what, short(v))
	case wasm && !strings.HasSuffix(clean, ".wasm"):
		p.report(RuleInvalidPath, at, "", "%s %s is not a .wasm file", what, short(v))
	}
}

func (p *parser) trigger(n *yaml.Node, path string) Trigger {
	t := Trigger{Pos: pos(n)}
	o, ok := p.object(n, path, triggerFields)
	if !ok {
		return t
	}
	p.required(o, nil, "name")
	if v, at, ok := p.str(o, "name"); ok {
		t.Name, t.NamePos = v, at
		// The trigger's name is part of its handler's export name: the
		// rule is the ABI's (internal/wasm).
		if !wasm.ValidTrigger(v) {
			p.report(RuleInvalidName, at, nameHint(v, wasm.ValidTrigger, "_"), "invalid trigger name %s: use lower-case letters, digits and '_', starting with a letter (at most 63 characters); the module exports %s<name>", short(v), wasm.TriggerExportPrefix)
		}
	}
	if e, ok := o.entries["schedule"]; ok {
		t.Schedule = p.schedule(e, path+".schedule")
	}
	if e, ok := o.entries["event"]; ok {
		t.Event = p.event(e, path+".event")
	}
	switch {
	case o.has("schedule") && o.has("event"):
		p.report(RuleTriggerKind, pos(o.entries["event"].key), "split it into two triggers", "%s sets both schedule and event; set exactly one", path)
	case !o.has("schedule") && !o.has("event") && !o.typos["schedule"] && !o.typos["event"]:
		p.report(RuleTriggerKind, t.Pos, "add schedule: {cron: \"0 9 * * MON\"} or event: {type: ...}", "%s sets neither schedule nor event; set exactly one", path)
	}
	return t
}

func (p *parser) schedule(e entry, path string) *Schedule {
	s := &Schedule{Pos: e.pos()}
	o, ok := p.object(e.node, path, scheduleFields)
	if !ok {
		return s
	}
	p.required(o, map[string]string{"cron": `add cron: "0 9 * * MON" (minute hour day-of-month month day-of-week)`}, "cron")
	if v, at, ok := p.str(o, "cron"); ok {
		s.Cron, s.CronPos = v, at
		c, err := ParseCron(v)
		if err != nil {
			ce := err.(*CronError)
			errAt := at
			if n := o.entries["cron"].val; n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 && !strings.ContainsAny(v, "\\'\n") {
				errAt.Col += 1 + ce.Offset
			} else if n.Style == 0 && !strings.Contains(v, "\n") {
				errAt.Col += ce.Offset
			}
			p.report(RuleInvalidCron, errAt, cronHint(v), "%s.cron: %s", path, ce.Msg)
		} else {
			s.Spec = c
		}
	}
	s.Location = time.UTC
	if v, at, ok := p.str(o, "timezone"); ok {
		s.Timezone, s.TimezonePos = v, at
		loc, err := loadLocation(v)
		if err != nil {
			s.Location = nil
			p.report(RuleInvalidTimezone, at, `use an IANA time zone name like "Europe/Paris", "America/New_York" or "UTC"`, "%s.timezone: unknown time zone %s", path, short(v))
		} else {
			s.Location = loc
		}
	} else if o.has("timezone") {
		s.Location = nil
	}
	return s
}

func cronHint(v string) string {
	if strings.HasPrefix(strings.TrimSpace(v), "@") {
		return "macros are @yearly, @monthly, @weekly, @daily and @hourly"
	}
	return `five fields: minute hour day-of-month month day-of-week, e.g. "0 9 * * MON" (Mondays at 09:00) or "*/15 * * * *"`
}

func loadLocation(name string) (*time.Location, error) {
	// "Local" would mean the server's zone; "" would silently be UTC.
	if name == "" || name == "Local" || len(name) > 64 || strings.ContainsAny(name, "\\\x00") {
		return nil, fmt.Errorf("invalid time zone %q", name)
	}
	return time.LoadLocation(name)
}

func (p *parser) event(e entry, path string) *Event {
	ev := &Event{Pos: e.pos()}
	o, ok := p.object(e.node, path, eventFields)
	if !ok {
		return ev
	}
	p.required(o, map[string]string{"type": "add type: the event's name as declared in forge.yaml, like invoice.created"}, "type")
	if v, at, ok := p.str(o, "type"); ok {
		ev.Type, ev.TypePos = v, at
		if !eventTypeRE().MatchString(v) {
			p.report(RuleInvalidEventType, at, "event types are dotted lower-case names like invoice.created", "%s.type: invalid event type %s", path, short(v))
		}
	}
	return ev
}

func (p *parser) secret(n *yaml.Node, path string) Secret {
	s := Secret{Pos: pos(n)}
	o, ok := p.object(n, path, secretFields)
	if !ok {
		return s
	}
	p.required(o, nil, "name")
	if v, at, ok := p.str(o, "name"); ok {
		s.Name, s.NamePos = v, at
		if !secretRE().MatchString(v) {
			p.report(RuleInvalidName, at, nameHint(v, secretRE().MatchString, "_"), "invalid secret name %s: use upper-case letters, digits and '_', starting with a letter (at most 64 characters)", short(v))
		}
	}
	if v, at, ok := p.str(o, "description"); ok {
		s.Description, s.DescriptionPos = v, at
	}
	items, ok := p.list(o, "hosts")
	if o.has("hosts") && !ok {
		s.hostsInvalid = true
	}
	for i, hn := range items {
		v := resolve(hn)
		if v.Kind != yaml.ScalarNode || v.Tag != "!!str" {
			p.report(RuleWrongType, pos(hn), "", "%s.hosts[%d] must be a string (a host name), got %s", path, i, kindName(v))
			s.hostsInvalid = true
			continue
		}
		if strings.Contains(v.Value, "://") {
			p.report(RuleInvalidHost, pos(hn), "write only the host name, like slack.com; the URL belongs in egress", "%s.hosts[%d]: %s is a URL, not a host", path, i, short(v.Value))
			s.hostsInvalid = true
			continue
		}
		h, err := ParseHost(v.Value)
		if err != nil {
			p.report(RuleInvalidHost, pos(hn), `a host is a name like slack.com, a wildcard like *.example.com, or an IP address`, "%s.hosts[%d]: %v", path, i, err)
			s.hostsInvalid = true
			continue
		}
		h.Pos = pos(hn)
		s.Hosts = append(s.Hosts, h)
	}
	return s
}

func (p *parser) egress(n *yaml.Node, path string) (Egress, bool) {
	v := resolve(n)
	at := pos(n)
	const hint = "write scheme://host[:port][/path-prefix], like https://api.example.com/v1/, or {scheme: https, host: api.example.com, port: 443, pathPrefix: /v1/}"
	switch {
	case v.Kind == yaml.ScalarNode && v.Tag == "!!str":
		e, err := ParseEgress(v.Value)
		if err != nil {
			p.report(RuleInvalidEgress, at, hint, "%s: %v", path, err)
			return e, false
		}
		e.Pos = at
		return e, true
	case v.Kind == yaml.MappingNode:
		o, _ := p.object(n, path, egressFields)
		p.required(o, nil, "host")
		scheme, host, prefix := "https", "", "/"
		var port int64
		okAll := o.has("host")
		if s, _, ok := p.str(o, "scheme"); ok {
			scheme = s
		} else if o.has("scheme") {
			okAll = false
		}
		if s, _, ok := p.str(o, "host"); ok {
			host = s
		} else {
			okAll = false
		}
		if n, _, ok := p.intValue(o, "port"); ok {
			port = n
			if port < 1 || port > 65535 {
				p.report(RuleInvalidEgress, o.entries["port"].pos(), "", "%s.port: %d is out of range 1-65535", path, port)
				okAll = false
			}
		} else if o.has("port") {
			okAll = false
		}
		if s, _, ok := p.str(o, "pathPrefix"); ok {
			prefix = s
		} else if o.has("pathPrefix") {
			okAll = false
		}
		if !okAll {
			return Egress{}, false
		}
		e, err := buildEgress(scheme, host, int(port), prefix)
		if err != nil {
			p.report(RuleInvalidEgress, at, hint, "%s: %v", path, err)
			return e, false
		}
		e.Pos = at
		return e, true
	}
	p.report(RuleWrongType, at, hint, "%s must be a URL string or a mapping, got %s", path, kindName(v))
	return Egress{}, false
}

func (p *parser) config(n *yaml.Node, path string) ConfigField {
	c := ConfigField{Pos: pos(n)}
	o, ok := p.object(n, path, configFields)
	if !ok {
		return c
	}
	p.required(o, map[string]string{"type": "add type: string, int, number or bool"}, "name", "type")
	if v, at, ok := p.str(o, "name"); ok {
		c.Name, c.NamePos = v, at
		if !configRE().MatchString(v) {
			p.report(RuleInvalidName, at, nameHint(v, configRE().MatchString, "_"), "invalid config name %s: use letters, digits and '_', starting with a lower-case letter (at most 63 characters)", short(v))
		}
	}
	typeOK := false
	if v, at, ok := p.str(o, "type"); ok {
		c.Type, c.TypePos = ConfigType(v), at
		typeOK = slices.Contains(ConfigTypes, c.Type)
		if !typeOK {
			hint := "the types are string, int, number and bool"
			switch strings.ToLower(v) {
			case "integer", "int64", "int32":
				hint = `did you mean "int"?`
			case "float", "float64", "double", "decimal":
				hint = `did you mean "number"?`
			case "boolean":
				hint = `did you mean "bool"?`
			case "str", "text":
				hint = `did you mean "string"?`
			}
			p.report(RuleInvalidConfigType, at, hint, "%s.type: unknown config type %s", path, short(v))
		}
	}
	if v, at, ok := p.str(o, "description"); ok {
		c.Description, c.DescriptionPos = v, at
	}
	if e, ok := o.entries["default"]; ok {
		c.DefaultPos = e.pos()
		if typeOK {
			c.Default = p.configDefault(e, c.Type, path)
		}
	}
	return c
}

func (p *parser) configDefault(e entry, t ConfigType, path string) any {
	v := e.val
	bad := func(hint string) any {
		p.report(RuleConfigDefaultType, e.pos(), hint, "%s.default must be %s, like the field's type %s; got %s", path, article(t), t, kindName(v))
		return nil
	}
	if v.Kind != yaml.ScalarNode {
		return bad("")
	}
	switch t {
	case ConfigString:
		if v.Tag != "!!str" {
			if v.Tag == "!!null" {
				return bad(`write default: "" for an empty string`)
			}
			return bad(fmt.Sprintf("quote it: default: %q", v.Value))
		}
		return v.Value
	case ConfigInt:
		var n int64
		if v.Tag != "!!int" || v.Decode(&n) != nil {
			return bad("")
		}
		return n
	case ConfigNumber:
		var f float64
		if v.Tag != "!!int" && v.Tag != "!!float" || v.Decode(&f) != nil {
			return bad("")
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return bad("NaN and infinities are not config values")
		}
		return f
	case ConfigBool:
		var b bool
		if v.Tag != "!!bool" || v.Decode(&b) != nil {
			return bad("write true or false (unquoted)")
		}
		return b
	}
	return nil
}

func article(t ConfigType) string {
	switch t {
	case ConfigInt:
		return "an integer"
	case ConfigNumber:
		return "a number"
	case ConfigBool:
		return "a boolean"
	}
	return "a string"
}

func (p *parser) capability(n *yaml.Node, path string) CapabilityRef {
	c := CapabilityRef{Pos: pos(n)}
	o, ok := p.object(n, path, capabilityFields)
	if !ok {
		return c
	}
	p.required(o, map[string]string{"digest": "copy the digest from `forge capability show ID`"}, "id", "digest")
	if v, at, ok := p.str(o, "id"); ok {
		c.ID, c.IDPos = v, at
		if !capability.ValidID(v) {
			p.report(RuleInvalidCapability, at, "capability ids are SOURCE.NAME, like billing.listInvoices", "%s.id: invalid capability id %s", path, short(v))
		}
	}
	if v, at, ok := p.str(o, "digest"); ok {
		c.Digest, c.DigestPos = v, at
		if !digestRE().MatchString(v) {
			p.report(RuleInvalidDigest, at, "digests are sha256: followed by 64 lower-case hex digits", "%s.digest: invalid digest %s", path, short(v))
		}
	}
	return c
}

func (p *parser) limits(e entry) Limits {
	l := Limits{Pos: e.pos()}
	o, ok := p.object(e.node, "limits", limitFields)
	if !ok {
		return l
	}
	if me, ok := o.entries["memory"]; ok {
		if b, ok := p.memory(me); ok {
			l.Memory = Limit[Bytes]{Value: b, Set: true, Pos: me.pos()}
		}
	}
	if te, ok := o.entries["timeout"]; ok {
		v, at := te.val, te.pos()
		switch {
		case v.Kind == yaml.ScalarNode && v.Tag == "!!str":
			d, err := time.ParseDuration(v.Value)
			switch {
			case err != nil:
				p.report(RuleInvalidDuration, at, "durations are a number with a unit (ms, s, m, h), like 10s or 1m30s", "limits.timeout: invalid duration %s", short(v.Value))
			case d <= 0:
				p.report(RuleInvalidDuration, at, "", "limits.timeout must be positive, got %s", short(v.Value))
			default:
				l.Timeout = Limit[time.Duration]{Value: d, Set: true, Pos: at}
			}
		case v.Kind == yaml.ScalarNode && (v.Tag == "!!int" || v.Tag == "!!float"):
			p.report(RuleInvalidDuration, at, fmt.Sprintf("add a unit: timeout: %ss", v.Value), "limits.timeout %s has no unit", v.Value)
		default:
			p.report(RuleWrongType, at, "", "limits.timeout must be a duration like 10s, got %s", kindName(v))
		}
	}
	if n, at, ok := p.intValue(o, "httpCalls"); ok {
		if n < 0 || n > math.MaxInt32 {
			p.report(RuleInvalidLimit, at, "", "limits.httpCalls must be between 0 and %d, got %d", math.MaxInt32, n)
		} else {
			l.HTTPCalls = Limit[int]{Value: int(n), Set: true, Pos: at}
		}
	}
	return l
}

func (p *parser) memory(e entry) (Bytes, bool) {
	v, at := e.val, e.pos()
	var b Bytes
	switch {
	case v.Kind == yaml.ScalarNode && v.Tag == "!!int":
		var n int64
		if err := v.Decode(&n); err != nil {
			p.report(RuleInvalidSize, at, "", "limits.memory: %s is too large", short(v.Value))
			return 0, false
		}
		b = Bytes(n)
	case v.Kind == yaml.ScalarNode && v.Tag == "!!str":
		var err error
		if b, err = ParseBytes(v.Value); err != nil {
			p.report(RuleInvalidSize, at, "sizes are an integer with B, KiB, MiB or GiB, like 32MiB", "limits.memory: %v", err)
			return 0, false
		}
	default:
		p.report(RuleWrongType, at, "", "limits.memory must be a size like 32MiB or an integer of bytes, got %s", kindName(v))
		return 0, false
	}
	if b <= 0 {
		p.report(RuleInvalidSize, at, "", "limits.memory must be more than 0 bytes, got %s", short(v.Value))
		return 0, false
	}
	return b, true
}
