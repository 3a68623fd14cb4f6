package sandbox

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

func testStore(t *testing.T, s StateStore) {
	a, b := Namespace{"w", "s", "a"}, Namespace{"w", "s", "b"}
	if _, ok, err := s.Get(a, "k"); ok || err != nil {
		t.Fatalf("empty Get = %v %v", ok, err)
	}
	for _, k := range []string{"invoice/2", "invoice/1", "other", ""} {
		if err := s.Put(a, k, []byte("v-"+k), StateQuota{}); err != nil {
			t.Fatal(err)
		}
	}
	_ = s.Put(a, "empty", nil, StateQuota{})
	if v, ok, _ := s.Get(a, "empty"); !ok || len(v) != 0 {
		t.Errorf("empty value = %q %v", v, ok)
	}
	if keys, _ := s.List(a, "invoice/"); !slices.Equal(keys, []string{"invoice/1", "invoice/2"}) {
		t.Errorf("List = %v", keys)
	}
	if keys, _ := s.List(b, ""); len(keys) != 0 || keys == nil {
		t.Errorf("other namespace List = %#v", keys)
	}
	if err := s.Delete(a, "other"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(a, "absent"); err != nil {
		t.Fatal(err)
	}
	if v, ok, _ := s.Get(a, "invoice/1"); !ok || string(v) != "v-invoice/1" {
		t.Errorf("Get = %q %v", v, ok)
	}
	// a holds 4 keys: "", "empty", "invoice/1", "invoice/2".
	total := int64(len("invoice/1v-invoice/1")*2 + len("v-") + len("empty"))
	var le *LimitError
	if err := s.Put(a, "new", []byte("v"), StateQuota{Keys: 4}); !errors.As(err, &le) || err.Error() != "limit exceeded: state (4 keys)" {
		t.Errorf("fifth key with a quota of 4: %v", err)
	}
	if _, ok, _ := s.Get(a, "new"); ok {
		t.Error("a put over quota stored its value")
	}
	if err := s.Put(a, "invoice/1", []byte("v-invoice/X"), StateQuota{Keys: 4, TotalBytes: total}); err != nil {
		t.Errorf("same-size overwrite at quota: %v", err)
	}
	if err := s.Put(a, "invoice/1", []byte("v-invoice/XY"), StateQuota{TotalBytes: total}); !errors.As(err, &le) || err.Error() != "limit exceeded: state (total "+strconv.FormatInt(total, 10)+"B)" {
		t.Errorf("one byte over the total: %v", err)
	}
	if err := s.Put(b, "new", []byte("v"), StateQuota{Keys: 1}); err != nil {
		t.Errorf("the quota is per namespace: %v", err)
	}
}

// testStoreQuotaRace: concurrent puts of new keys never take a namespace
// over its quota; exactly the quota's number succeed.
func testStoreQuotaRace(t *testing.T, s StateStore) {
	ns := Namespace{"w", "s", "race"}
	const quota, puts = 5, 40
	var wg sync.WaitGroup
	var ok, limited atomic.Int32
	for i := range puts {
		wg.Go(func() {
			err := s.Put(ns, "k"+strconv.Itoa(i), []byte("v"), StateQuota{Keys: quota})
			var le *LimitError
			switch {
			case err == nil:
				ok.Add(1)
			case errors.As(err, &le):
				limited.Add(1)
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	keys, err := s.List(ns, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != quota || ok.Load() != quota || limited.Load() != puts-quota {
		t.Errorf("quota %d: %d keys stored (%d puts ok, %d limited)", quota, len(keys), ok.Load(), limited.Load())
	}
}

func TestStateQuotaRace(t *testing.T) {
	testStoreQuotaRace(t, NewMemState())
	fs, err := NewFileState(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	testStoreQuotaRace(t, fs)
}

func TestMemState(t *testing.T) { testStore(t, NewMemState()) }

func TestFileState(t *testing.T) {
	dir := t.TempDir()
	s, err := NewFileState(dir)
	if err != nil {
		t.Fatal(err)
	}
	testStore(t, s)
	b, err := os.ReadFile(filepath.Join(dir, "w", "s", "a.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f stateFile
	if err := json.Unmarshal(b, &f); err != nil || f.Namespace != "w/s/a" || f.Version != 1 {
		t.Errorf("file %s: %v", b, err)
	}
	// Namespace components are escaped: none can leave dir or alias another.
	evil := Namespace{"..", "../..", "x/../../y"}
	if err := s.Put(evil, "k", []byte("v"), StateQuota{}); err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(dir, "%2E%2E", "%2E%2E%2F%2E%2E", "x%2F%2E%2E%2F%2E%2E%2Fy.json")
	if _, err := os.Stat(want); err != nil {
		t.Errorf("escaped file: %v", err)
	}
	if err := s.Put(Namespace{"", "s", "e"}, "k", nil, StateQuota{}); err == nil {
		t.Error("empty workspace accepted")
	}
}
