package sandbox

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func testStore(t *testing.T, s StateStore) {
	a, b := Namespace{"w", "s", "a"}, Namespace{"w", "s", "b"}
	if _, ok, err := s.Get(a, "k"); ok || err != nil {
		t.Fatalf("empty Get = %v %v", ok, err)
	}
	for _, k := range []string{"invoice/2", "invoice/1", "other", ""} {
		if err := s.Put(a, k, []byte("v-"+k)); err != nil {
			t.Fatal(err)
		}
	}
	_ = s.Put(a, "empty", nil)
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
	n, total, err := usage(s, a)
	if err != nil || n != 4 || total != int64(len("invoice/1v-invoice/1")*2+len("v-")+len("empty")) {
		t.Errorf("usage = %d %d %v", n, total, err)
	}
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
	if err := s.Put(evil, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(dir, "%2E%2E", "%2E%2E%2F%2E%2E", "x%2F%2E%2E%2F%2E%2E%2Fy.json")
	if _, err := os.Stat(want); err != nil {
		t.Errorf("escaped file: %v", err)
	}
	if err := s.Put(Namespace{"", "s", "e"}, "k", nil); err == nil {
		t.Error("empty workspace accepted")
	}
}
