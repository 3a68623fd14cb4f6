package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/forgehq/forge/internal/atomicfile"
)

// Namespace is the scope of an extension's secrets, state, config and
// triggers: workspace/subject/extension. Nothing crosses namespaces.
type Namespace struct {
	Workspace, Subject, Extension string
}

// LocalNamespace is the namespace of local runs (`forge run`, `forge dev`):
// local/local/<extension>.
func LocalNamespace(extension string) Namespace {
	return Namespace{Workspace: "local", Subject: "local", Extension: extension}
}

// String returns "workspace/subject/extension".
func (ns Namespace) String() string {
	return ns.Workspace + "/" + ns.Subject + "/" + ns.Extension
}

func (ns Namespace) valid() error {
	if ns.Workspace == "" || ns.Subject == "" || ns.Extension == "" {
		return fmt.Errorf("namespace %q: workspace, subject and extension must all be set", ns.String())
	}
	return nil
}

// SecretStore gives read-only access to secrets. The sandbox always asks
// with the namespace of the running invocation; a guest has no way to name
// another one.
type SecretStore interface {
	Secret(ns Namespace, name string) (string, bool)
}

// MapSecrets is a SecretStore held in memory.
type MapSecrets map[Namespace]map[string]string

// Secret implements SecretStore.
func (m MapSecrets) Secret(ns Namespace, name string) (string, bool) {
	v, ok := m[ns][name]
	return v, ok
}

// StateStore is a key-value store partitioned by namespace. The sandbox
// always passes the namespace of the running invocation; keys are opaque
// strings within it ("../other/x" is just a key), never paths.
type StateStore interface {
	Get(ns Namespace, key string) ([]byte, bool, error)
	// Put stores val under key unless the namespace would then be over
	// quota: it checks and writes atomically (concurrent puts cannot
	// together exceed the quota) and, over quota, stores nothing and
	// returns a *LimitError (LimitState).
	Put(ns Namespace, key string, val []byte, quota StateQuota) error
	Delete(ns Namespace, key string) error
	// List returns the keys starting with prefix, sorted by byte order.
	List(ns Namespace, prefix string) ([]string, error)
}

// StateQuota bounds a namespace's state (Limits.StateKeys and
// StateTotalBytes). A zero field is no bound.
type StateQuota struct {
	// Keys is the number of keys.
	Keys int
	// TotalBytes is the sum of the sizes of keys and values.
	TotalBytes int64
}

// check returns the *LimitError of putting val under key in m, or nil.
func (q StateQuota) check(m map[string][]byte, key string, val []byte) error {
	keys, total := sizeOf(m)
	if old, ok := m[key]; ok {
		total -= int64(len(key) + len(old))
	} else {
		keys++
	}
	total += int64(len(key) + len(val))
	switch {
	case q.Keys > 0 && keys > q.Keys:
		return &LimitError{Limit: LimitState, Value: strconv.Itoa(q.Keys) + " keys"}
	case q.TotalBytes > 0 && total > q.TotalBytes:
		return &LimitError{Limit: LimitState, Value: "total " + formatBytes(q.TotalBytes)}
	}
	return nil
}

// memState is the in-memory StateStore.
type memState struct {
	mu sync.Mutex
	m  map[Namespace]map[string][]byte
}

// NewMemState returns an empty in-memory StateStore, safe for concurrent
// use.
func NewMemState() StateStore { return &memState{m: map[Namespace]map[string][]byte{}} }

func (s *memState) Get(ns Namespace, key string) ([]byte, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[ns][key]
	return clone(v), ok, nil
}

func (s *memState) Put(ns Namespace, key string, val []byte, quota StateQuota) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := quota.check(s.m[ns], key, val); err != nil {
		return err
	}
	if s.m[ns] == nil {
		s.m[ns] = map[string][]byte{}
	}
	s.m[ns][key] = clone(val)
	return nil
}

func (s *memState) Delete(ns Namespace, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m[ns], key)
	return nil
}

func (s *memState) List(ns Namespace, prefix string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return listKeys(s.m[ns], prefix), nil
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}

func listKeys(m map[string][]byte, prefix string) []string {
	keys := []string{}
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

func sizeOf(m map[string][]byte) (int, int64) {
	var total int64
	for k, v := range m {
		total += int64(len(k) + len(v))
	}
	return len(m), total
}

// fileState is the StateStore of local runs: one JSON file per namespace.
type fileState struct {
	dir string
	mu  sync.Mutex
}

// stateFile is the format of one namespace's file.
type stateFile struct {
	Version   int               `json:"version"`
	Namespace string            `json:"namespace"`
	Entries   map[string][]byte `json:"entries"`
}

// NewFileState returns a StateStore keeping each namespace in
// dir/<workspace>/<subject>/<extension>.json, with every path component
// escaped (only [A-Za-z0-9_-] are kept, everything else including "." is
// %XX), so no namespace can name a path outside dir or another namespace's
// file. Writes are atomic (temporary file, sync, rename). It is safe for
// concurrent use within one process.
func NewFileState(dir string) (StateStore, error) {
	if dir == "" {
		return nil, errors.New("file state: empty directory")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("file state: %w", err)
	}
	return &fileState{dir: dir}, nil
}

// escapeComponent makes a namespace component a safe file name.
func escapeComponent(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

func (s *fileState) path(ns Namespace) (string, error) {
	if err := ns.valid(); err != nil {
		return "", err
	}
	return filepath.Join(s.dir, escapeComponent(ns.Workspace), escapeComponent(ns.Subject), escapeComponent(ns.Extension)+".json"), nil
}

func (s *fileState) load(ns Namespace) (string, map[string][]byte, error) {
	p, err := s.path(ns)
	if err != nil {
		return "", nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return p, map[string][]byte{}, nil
	}
	if err != nil {
		return "", nil, fmt.Errorf("state of %s: %w", ns, err)
	}
	var f stateFile
	if err := json.Unmarshal(b, &f); err != nil {
		return "", nil, fmt.Errorf("state of %s: %s: %w", ns, p, err)
	}
	if f.Entries == nil {
		f.Entries = map[string][]byte{}
	}
	return p, f.Entries, nil
}

func (s *fileState) save(p string, ns Namespace, m map[string][]byte) error {
	b, err := json.MarshalIndent(stateFile{Version: 1, Namespace: ns.String(), Entries: m}, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(p, append(b, '\n'), 0o600)
}

func (s *fileState) Get(ns Namespace, key string) ([]byte, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, m, err := s.load(ns)
	if err != nil {
		return nil, false, err
	}
	v, ok := m[key]
	if ok && v == nil {
		v = []byte{}
	}
	return v, ok, nil
}

func (s *fileState) Put(ns Namespace, key string, val []byte, quota StateQuota) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, m, err := s.load(ns)
	if err != nil {
		return err
	}
	if err := quota.check(m, key, val); err != nil {
		return err
	}
	m[key] = clone(val)
	return s.save(p, ns, m)
}

func (s *fileState) Delete(ns Namespace, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, m, err := s.load(ns)
	if err != nil {
		return err
	}
	if _, ok := m[key]; !ok {
		return nil
	}
	delete(m, key)
	return s.save(p, ns, m)
}

func (s *fileState) List(ns Namespace, prefix string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, m, err := s.load(ns)
	if err != nil {
		return nil, err
	}
	return listKeys(m, prefix), nil
}
