package validate

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/forgehq/forge/internal/capability"
	"github.com/forgehq/forge/internal/egress"
	"github.com/forgehq/forge/internal/manifest"
	"github.com/forgehq/forge/internal/wasm"
)

// Policy is what forge.yaml says about extensions, decoupled from the
// config package. A zero maximum or minimum means "no limit"; a nil Events
// declares no event type, so every event trigger is reported.
type Policy struct {
	// Events are the event types the host emits.
	Events []string
	// MinScheduleInterval is the smallest allowed gap between two firings
	// of a schedule.
	MinScheduleInterval time.Duration
	// MaxMemory, MaxTimeout and MaxHTTPCalls are the largest limits an
	// extension may ask for.
	MaxMemory    int64
	MaxTimeout   time.Duration
	MaxHTTPCalls int
	// MaxModuleBytes is the largest module size.
	MaxModuleBytes int64
	// Strict turns warnings that weaken the sandbox (plain http) into
	// errors.
	Strict bool
}

// Defaults of DefaultPolicy, matching the runtime limits of docs/abi.md.
const (
	DefaultMinScheduleInterval = 5 * time.Minute
	DefaultMaxMemory           = 256 << 20
	DefaultMaxTimeout          = 30 * time.Second
	DefaultMaxHTTPCalls        = 50
	DefaultMaxModuleBytes      = 32 << 20
)

// DefaultPolicy returns the policy of a forge.yaml that sets nothing: no
// event types, and the default limits.
func DefaultPolicy() Policy {
	return Policy{
		MinScheduleInterval: DefaultMinScheduleInterval,
		MaxMemory:           DefaultMaxMemory,
		MaxTimeout:          DefaultMaxTimeout,
		MaxHTTPCalls:        DefaultMaxHTTPCalls,
		MaxModuleBytes:      DefaultMaxModuleBytes,
	}
}

// Registry is what validation needs of the capability registry.
type Registry interface {
	// Digest returns the pinned digest of a capability; ok is false when
	// the id is not in the registry, err is set when the registry could
	// not be read.
	Digest(id string) (digest string, ok bool, err error)
	// Suggest returns ids close to an unknown id, best first.
	Suggest(id string) []string
}

// RegistryOf adapts a capability registry. A lookup reads only the index's
// source list and binary-searches one capability file (see
// capability.Registry.Get); once a lookup has missed, the decoded index
// answers for absent ids, so that suggestions are computed only for the
// ids reported. Results are cached per id: use one adapter per run. It is
// safe for concurrent use.
func RegistryOf(r *capability.Registry) Registry {
	return &capRegistry{r: r, cache: map[string]lookup{}}
}

type capRegistry struct {
	r  *capability.Registry
	mu sync.Mutex
	// entries is the decoded index, once a lookup has missed: later
	// misses are answered from it without reading source files.
	entries []capability.Entry
	cache   map[string]lookup
}

type lookup struct {
	digest      string
	ok          bool
	err         error
	suggestions []string
	suggested   bool
}

func (c *capRegistry) Digest(id string) (string, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.cache[id]
	if !ok {
		l = c.lookup(id)
		c.cache[id] = l
	}
	return l.digest, l.ok, l.err
}

func (c *capRegistry) lookup(id string) lookup {
	src, _, _ := capability.SplitID(id)
	if !slices.ContainsFunc(c.r.Index.Sources, func(s capability.SourceRecord) bool { return s.Name == src }) {
		return lookup{}
	}
	if c.entries != nil {
		if _, found := slices.BinarySearchFunc(c.entries, id, func(e capability.Entry, id string) int { return strings.Compare(e.ID, id) }); !found {
			return lookup{}
		}
	}
	cp, err := c.r.Get(id)
	var nf *capability.NotFoundError
	switch {
	case errors.As(err, &nf):
		if entries, err := c.r.Entries(); err == nil {
			c.entries = entries
		}
		return lookup{suggestions: nf.Suggestions, suggested: true}
	case err != nil:
		return lookup{err: err}
	}
	return lookup{digest: cp.Digest, ok: true}
}

func (c *capRegistry) Suggest(id string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.cache[id]
	if !l.suggested {
		l.suggestions, l.suggested = c.suggest(id), true
		c.cache[id] = l
	}
	return l.suggestions
}

func (c *capRegistry) suggest(id string) []string { return c.r.SuggestIDs(id, 3) }

// Extension is one extension to check.
type Extension struct {
	// ManifestPath is the manifest's path as it should be reported
	// (Manifest.File when empty).
	ManifestPath string
	// Manifest is the parsed manifest; nil when it did not parse, in which
	// case only ManifestDiags are reported.
	Manifest *manifest.Manifest
	// ManifestDiags are the findings of manifest.Parse; they are passed
	// through.
	ManifestDiags []Diagnostic
	// ModulePath names the module in messages.
	ModulePath string
	// Module is the module's bytes; nil when it is not built, which skips
	// the module/* checks.
	Module []byte
	// Baseline is the previously approved version, if any: every
	// escalation over it is reported.
	Baseline     *manifest.Manifest
	BaselinePath string
}

// Check runs every rule on ext and returns the findings — ext's
// ManifestDiags included — sorted by file, line, column and rule. A nil
// reg skips the registry checks.
func Check(ext Extension, reg Registry, pol Policy) []Diagnostic {
	out := slices.Clone(ext.ManifestDiags)
	if ext.Manifest != nil {
		c := &checker{ext: ext, m: ext.Manifest, reg: reg, pol: pol, file: ext.ManifestPath, bad: map[manifest.Pos]bool{}}
		if c.file == "" {
			c.file = ext.Manifest.File
		}
		for _, d := range ext.ManifestDiags {
			if d.Severity == SeverityError {
				c.bad[d.Pos()] = true
			}
		}
		c.capabilities()
		c.module()
		c.egress()
		c.secrets()
		c.triggers()
		c.limits()
		if ext.Baseline != nil {
			c.escalations(ext.Baseline)
		}
		out = append(out, c.out...)
	}
	Sort(out)
	return out
}

// Sort sorts diagnostics by file, line, column, rule and message.
func Sort(ds []Diagnostic) {
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i], ds[j]
		switch {
		case a.File != b.File:
			return a.File < b.File
		case a.Line != b.Line:
			return a.Line < b.Line
		case a.Col != b.Col:
			return a.Col < b.Col
		case a.Rule != b.Rule:
			return a.Rule < b.Rule
		}
		return a.Message < b.Message
	})
}

// Unreadable reports whether ds says that some input could not be read at
// all (a manifest that is not YAML, a module that is not WebAssembly, a
// broken registry): the CLI exits with the input-error code for those.
func Unreadable(ds []Diagnostic) bool {
	for _, d := range ds {
		switch d.Rule {
		case manifest.RuleSyntax, RuleModuleUnreadable, RuleRegistryError, RuleInputUnreadable:
			return true
		}
	}
	return false
}

type checker struct {
	ext  Extension
	m    *manifest.Manifest
	reg  Registry
	pol  Policy
	file string
	out  []Diagnostic
	// bad holds the positions of the values manifest.Parse already
	// reported as errors: they are not checked again.
	bad map[manifest.Pos]bool
}

func (c *checker) report(rule string, pos manifest.Pos, hint, format string, args ...any) {
	sev := SeverityError
	if r, ok := LookupRule(rule); ok {
		sev = r.Severity
	}
	if rule == RulePlainHTTP && c.pol.Strict {
		sev = SeverityError
	}
	c.out = append(c.out, Diagnostic{
		Rule: rule, Severity: sev, File: c.file, Line: pos.Line, Col: pos.Col,
		Message: fmt.Sprintf(format, args...), Hint: hint,
	})
}

func firstPos(ps ...manifest.Pos) manifest.Pos {
	for _, p := range ps {
		if p.IsValid() {
			return p
		}
	}
	return manifest.Pos{}
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

func shortDigest(d string) string {
	if len(d) > len("sha256:")+12 {
		return d[:len("sha256:")+12] + "…"
	}
	return d
}

// capabilities checks that every capability is pinned with the recorded
// digest.
func (c *checker) capabilities() {
	if c.reg == nil {
		return
	}
	for _, ref := range c.m.Capabilities {
		if ref.ID == "" || c.bad[ref.IDPos] {
			continue
		}
		pos := firstPos(ref.IDPos, ref.Pos)
		digest, ok, err := c.reg.Digest(ref.ID)
		switch {
		case err != nil:
			c.report(RuleRegistryError, pos, "restore the registry from version control, or re-pin the source with `forge source remove` and `forge source add`",
				"cannot look up capability %s: %v", ref.ID, err)
		case !ok:
			msg := fmt.Sprintf("capability %s is not in the registry", ref.ID)
			if s := c.reg.Suggest(ref.ID); len(s) > 0 {
				msg += "; did you mean " + quoteList(s) + "?"
			}
			c.report(RuleUnknownCapability, pos, "an extension may use only registry capabilities: fix the id, or add its source with `forge source add`",
				"%s", msg)
		case ref.Digest != "" && ref.Digest != digest && !c.bad[ref.DigestPos]:
			c.report(RuleDigestMismatch, firstPos(ref.DigestPos, pos),
				"the capability changed since the build: review the change with `forge source diff`, then rebuild the extension against the current registry",
				"capability %s changed since the build: recorded digest %s, the registry pins %s", ref.ID, shortDigest(ref.Digest), shortDigest(digest))
		}
	}
}

// module checks the module's size, imports and exports.
func (c *checker) module() {
	b := c.ext.Module
	if b == nil {
		return
	}
	mod := c.m.Module
	pos := firstPos(mod.WasmPos, mod.GoPos, mod.Pos, c.m.Pos)
	name := c.ext.ModulePath
	if name == "" {
		name = mod.Path()
	}
	if c.pol.MaxModuleBytes > 0 && int64(len(b)) > c.pol.MaxModuleBytes {
		c.report(RuleModuleTooLarge, pos, "build with -ldflags=-s -w -trimpath, drop heavy dependencies, or raise the maximum module size in forge.yaml",
			"module %s is %s, above the maximum of %s", name, manifest.Bytes(len(b)), manifest.Bytes(c.pol.MaxModuleBytes))
	}
	m, err := wasm.ReadModule(b)
	if err != nil {
		var fe *wasm.FormatError
		if errors.As(err, &fe) {
			c.report(RuleModuleUnreadable, pos, "the file is not a WebAssembly module built for Forge: rebuild it (GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared)",
				"module %s is not a readable WebAssembly module: at byte offset %d (0x%x): %s", name, fe.Offset, fe.Offset, fe.Msg)
		} else {
			c.report(RuleModuleUnreadable, pos, "rebuild the module", "module %s is not a readable WebAssembly module: %v", name, err)
		}
		return
	}
	c.imports(m, name, pos)
	c.exports(m, name, pos)
}

const (
	hintForbiddenImport = "the sandbox has no file system, sockets or processes (docs/abi.md): remove the code that uses os file functions, net or os/exec; the SDK offers state, secrets, config and HTTP instead"
	hintUnknownImport   = "a module may import only the forge host functions and the WASI functions listed in docs/abi.md"
	hintImportSignature = "rebuild with the current SDK; a module written by hand must use the signatures of docs/abi.md"
	hintABIExport       = "build a WASI reactor with the SDK (GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared); see docs/abi.md for the exports"
)

func (c *checker) imports(m *wasm.Module, name string, pos manifest.Pos) {
	for _, v := range wasm.CheckImports(m) {
		switch {
		case wasm.LookupFunc(v.Module, v.Name) != nil:
			c.report(RuleImportSignature, pos, hintImportSignature, "module %s imports %s.%s: %s", name, v.Module, v.Name, v.Reason)
		case v.Module == wasm.WASIModule:
			c.report(RuleForbiddenImport, pos, hintForbiddenImport, "module %s imports %s.%s: %s", name, v.Module, v.Name, v.Reason)
		default:
			c.report(RuleUnknownImport, pos, hintUnknownImport, "module %s imports %s.%s: %s", name, v.Module, v.Name, v.Reason)
		}
	}
}

func (c *checker) exports(m *wasm.Module, name string, pos manifest.Pos) {
	for _, v := range wasm.CheckExports(m) {
		if strings.HasPrefix(v.Name, wasm.TriggerExportPrefix) {
			continue // trigger handlers are checked against the manifest below
		}
		c.report(RuleABIExport, pos, hintABIExport, "module %s: export %s: %s", name, v.Name, v.Reason)
	}
	for _, t := range c.m.Triggers {
		if t.Name == "" {
			continue
		}
		tpos := firstPos(t.NamePos, t.Pos)
		exp := wasm.TriggerExport(t.Name)
		hint := fmt.Sprintf("export the handler: //go:wasmexport %s on a func() int32 that returns sdk.Run(handler)", exp)
		switch e := m.Export(exp); {
		case e == nil:
			c.report(RuleMissingExport, tpos, hint, "trigger %s: module %s does not export %s", t.Name, name, exp)
		case e.Kind != wasm.KindFunc:
			c.report(RuleMissingExport, tpos, hint, "trigger %s: module %s exports %s as a %s, not a function", t.Name, name, exp, e.Kind)
		case !e.Type.Equal(&wasm.TriggerType):
			c.report(RuleMissingExport, tpos, hint, "trigger %s: module %s exports %s with signature %s, want %s", t.Name, name, exp, e.Type, &wasm.TriggerType)
		}
	}
	for _, e := range m.Exports {
		t, ok := strings.CutPrefix(e.Name, wasm.TriggerExportPrefix)
		if !ok || c.m.Trigger(t) != nil {
			continue
		}
		switch {
		case !wasm.ValidTrigger(t):
			c.report(RuleABIExport, pos, hintABIExport, "module %s: export %s: invalid trigger name (want ^[a-z][a-z0-9_]{0,62}$)", name, e.Name)
		case e.Kind != wasm.KindFunc:
			c.report(RuleABIExport, pos, hintABIExport, "module %s: export %s is a %s, not a function", name, e.Name, e.Kind)
		case !e.Type.Equal(&wasm.TriggerType):
			c.report(RuleABIExport, pos, hintABIExport, "module %s: export %s has signature %s, want %s", name, e.Name, e.Type, &wasm.TriggerType)
		default:
			c.report(RuleUndeclaredTrigger, pos, "declare the trigger in the manifest, or remove the handler from the module",
				"module %s exports %s, but the manifest declares no trigger %s", name, e.Name, t)
		}
	}
}

// privateName says why a host name only resolves on a local network, or "".
func privateName(host string) string {
	name := strings.TrimPrefix(host, "*.")
	switch {
	case name == "localhost" || strings.HasSuffix(name, ".localhost"):
		return "a loopback name"
	case strings.HasSuffix(name, ".local"):
		return "a multicast-DNS (.local) name"
	case strings.HasSuffix(name, ".internal"):
		return "a private (.internal) name, like cloud metadata services"
	case name == "home.arpa" || strings.HasSuffix(name, ".home.arpa"):
		return "a home-network (.home.arpa) name"
	case !strings.Contains(name, "."):
		return "a single-label name that only resolves on a local network"
	}
	return ""
}

func (c *checker) egress() {
	for _, e := range c.m.Egress {
		if e.Host == "" || c.bad[e.Pos] {
			continue
		}
		if e.IsIP {
			addr, err := netip.ParseAddr(e.Host)
			if err == nil && egress.Forbidden(addr) {
				c.report(RulePrivateHost, e.Pos, "extensions may reach only public services: declare the service's public host name",
					"egress %s: %s is a loopback, private, link-local, metadata or reserved address", e.Raw, e.Host)
			} else {
				c.report(RuleIPLiteral, e.Pos, "declare the service's host name: reviewers approve names, and addresses change owners",
					"egress %s: %s is an IP address, not a host name", e.Raw, e.Host)
			}
		} else if why := privateName(e.Host); why != "" {
			c.report(RulePrivateHost, e.Pos, "extensions may reach only public services: declare the service's public host name",
				"egress %s: %s is %s", e.Raw, e.Host, why)
		}
		if e.Scheme == "http" {
			c.report(RulePlainHTTP, e.Pos, "use https: plain http exposes requests, secrets included, to the network",
				"egress %s uses plain http", e.Raw)
		}
	}
}

func (c *checker) secrets() {
	for _, s := range c.m.Secrets {
		if s.Name == "" {
			continue
		}
		// A secret whose hosts Parse rejected has its error already.
		if len(s.Hosts) == 0 && !s.HostsInvalid() {
			c.report(RuleSecretUnbound, firstPos(s.NamePos, s.Pos), "list the hosts the secret may be sent to under hosts, like hosts: [slack.com]",
				"secret %s is bound to no host", s.Name)
			continue
		}
		for _, h := range s.Hosts {
			if slices.ContainsFunc(c.m.Egress, func(e manifest.Egress) bool { return e.CoversHost(h) }) {
				continue
			}
			c.report(RuleSecretHostNotEgress, firstPos(h.Pos, s.Pos), fmt.Sprintf("add an egress entry such as https://%s/, or remove the host from the secret", h.Name),
				"secret %s may be sent to %s, which no egress entry allows", s.Name, h.Name)
		}
	}
}

// fmtDuration formats d without zero trailing units: 5m, 1h, 1h30m, 168h.
func fmtDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func (c *checker) triggers() {
	for _, t := range c.m.Triggers {
		if s := t.Schedule; s != nil && s.Spec != nil && c.pol.MinScheduleInterval > 0 {
			if iv := s.Spec.MinInterval(); iv > 0 && iv < c.pol.MinScheduleInterval {
				c.report(RuleTooFrequent, firstPos(s.CronPos, s.Pos, t.Pos),
					fmt.Sprintf("schedule it at most every %s, or lower the minimum schedule interval in forge.yaml", fmtDuration(c.pol.MinScheduleInterval)),
					"trigger %s: schedule %q fires every %s, more often than the minimum interval of %s", t.Name, s.Cron, fmtDuration(iv), fmtDuration(c.pol.MinScheduleInterval))
			}
		}
		if ev := t.Event; ev != nil && ev.Type != "" && !c.bad[ev.TypePos] && !slices.Contains(c.pol.Events, ev.Type) {
			hint := "declare the event type under events in forge.yaml"
			if s := capability.Suggest(ev.Type, c.pol.Events, 1); len(s) > 0 {
				hint = fmt.Sprintf("did you mean %q? Otherwise declare the event type under events in forge.yaml", s[0])
			} else if len(c.pol.Events) == 0 {
				hint = "forge.yaml declares no event types: add this one under events"
			}
			c.report(RuleUndeclaredEvent, firstPos(ev.TypePos, ev.Pos, t.Pos), hint,
				"trigger %s: event type %s is not declared in forge.yaml", t.Name, ev.Type)
		}
	}
}

func (c *checker) limits() {
	l := c.m.Limits
	const hint = "lower the limit, or raise the maximum in forge.yaml"
	if l.Memory.Set && c.pol.MaxMemory > 0 && int64(l.Memory.Value) > c.pol.MaxMemory {
		c.report(RuleAboveMaximum, l.Memory.Pos, hint, "limits.memory %s is above the maximum of %s", l.Memory.Value, manifest.Bytes(c.pol.MaxMemory))
	}
	if l.Timeout.Set && c.pol.MaxTimeout > 0 && l.Timeout.Value > c.pol.MaxTimeout {
		c.report(RuleAboveMaximum, l.Timeout.Pos, hint, "limits.timeout %s is above the maximum of %s", fmtDuration(l.Timeout.Value), fmtDuration(c.pol.MaxTimeout))
	}
	if l.HTTPCalls.Set && c.pol.MaxHTTPCalls > 0 && l.HTTPCalls.Value > c.pol.MaxHTTPCalls {
		c.report(RuleAboveMaximum, l.HTTPCalls.Pos, hint, "limits.httpCalls %d is above the maximum of %d", l.HTTPCalls.Value, c.pol.MaxHTTPCalls)
	}
}
