package storetest

import (
	"bytes"
	"testing"

	"github.com/forgehq/forge/internal/store"
)

// twoNamespaces sets up workspace a with namespace ns and workspace b with a
// namespace of the same subject id and extension name.
func twoNamespaces(t *testing.T, s store.Store) (ns, nsB store.Namespace) {
	a := newWorkspace(t, s, "a")
	b := newWorkspace(t, s, "b")
	newSubject(t, s, a.ID, "cust-1")
	newSubject(t, s, a.ID, "cust-2")
	newSubject(t, s, b.ID, "cust-1")
	ns = store.Namespace{WorkspaceID: a.ID, SubjectID: "cust-1", Extension: "x"}
	nsB = store.Namespace{WorkspaceID: b.ID, SubjectID: "cust-1", Extension: "x"}
	push(t, s, ns, 1)
	push(t, s, nsB, 1)
	push(t, s, store.Namespace{WorkspaceID: a.ID, SubjectID: "cust-2", Extension: "x"}, 1)
	push(t, s, store.Namespace{WorkspaceID: a.ID, SubjectID: "cust-1", Extension: "y"}, 1)
	return ns, nsB
}

// neighbours are namespaces that must not see ns's data.
func neighbours(ns, nsB store.Namespace) []store.Namespace {
	return []store.Namespace{
		nsB,
		{WorkspaceID: ns.WorkspaceID, SubjectID: "cust-2", Extension: ns.Extension},
		{WorkspaceID: ns.WorkspaceID, SubjectID: ns.SubjectID, Extension: "y"},
	}
}

func testSecrets(t *testing.T, s store.Store) {
	c := ctx(t)
	ns, nsB := twoNamespaces(t, s)
	sec := store.Secret{Name: "SLACK_TOKEN", KeyID: "dk-1", Nonce: []byte("nonce-123456"), Ciphertext: []byte{0, 1, 2, 250, 251}, UpdatedAt: at(1)}
	must(t, s.PutSecret(c, ns, sec))
	must(t, s.PutSecret(c, ns, store.Secret{Name: "API_KEY", KeyID: "dk-1", Nonce: []byte("n2"), Ciphertext: []byte("c2"), UpdatedAt: at(2)}))

	got, err := s.GetSecret(c, ns, "SLACK_TOKEN")
	must(t, err)
	if got.Name != sec.Name || got.KeyID != "dk-1" || !bytes.Equal(got.Nonce, sec.Nonce) || !bytes.Equal(got.Ciphertext, sec.Ciphertext) ||
		!got.CreatedAt.Equal(at(1)) || !got.UpdatedAt.Equal(at(1)) {
		t.Fatalf("GetSecret = %+v", got)
	}
	list, err := s.ListSecrets(c, ns)
	must(t, err)
	if len(list) != 2 || list[0] != (store.SecretInfo{Name: "API_KEY", UpdatedAt: at(2)}) || list[1].Name != "SLACK_TOKEN" {
		t.Fatalf("ListSecrets = %+v", list)
	}

	// Replace keeps created_at, moves updated_at.
	must(t, s.PutSecret(c, ns, store.Secret{Name: "SLACK_TOKEN", KeyID: "dk-2", Nonce: []byte("n3"), Ciphertext: []byte("c3"), UpdatedAt: at(5)}))
	got, err = s.GetSecret(c, ns, "SLACK_TOKEN")
	must(t, err)
	if got.KeyID != "dk-2" || !bytes.Equal(got.Ciphertext, []byte("c3")) || !got.CreatedAt.Equal(at(1)) || !got.UpdatedAt.Equal(at(5)) {
		t.Fatalf("after replace = %+v", got)
	}

	for _, other := range neighbours(ns, nsB) {
		_, err := s.GetSecret(c, other, "SLACK_TOKEN")
		wantErr(t, err, store.ErrNotFound)
		list, err := s.ListSecrets(c, other)
		must(t, err)
		if len(list) != 0 {
			t.Fatalf("%s lists %+v", other, list)
		}
		wantErr(t, s.DeleteSecret(c, other, "SLACK_TOKEN"), store.ErrNotFound)
	}
	missing := store.Namespace{WorkspaceID: ns.WorkspaceID, SubjectID: ns.SubjectID, Extension: "none"}
	wantErr(t, s.PutSecret(c, missing, sec), store.ErrNotFound)
	_, err = s.ListSecrets(c, missing)
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.PutSecret(c, ns, store.Secret{Name: "EMPTY", KeyID: "dk-1"}), store.ErrInvalid)

	must(t, s.DeleteSecret(c, ns, "SLACK_TOKEN"))
	_, err = s.GetSecret(c, ns, "SLACK_TOKEN")
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.DeleteSecret(c, ns, "SLACK_TOKEN"), store.ErrNotFound)
}

func testConfig(t *testing.T, s store.Store) {
	c := ctx(t)
	ns, nsB := twoNamespaces(t, s)
	must(t, s.PutConfig(c, ns, store.ConfigEntry{Key: "channel", Value: "#billing"}))
	must(t, s.PutConfig(c, ns, store.ConfigEntry{Key: "day", Value: "monday"}))
	must(t, s.PutConfig(c, ns, store.ConfigEntry{Key: "channel", Value: "#finance", UpdatedAt: at(5)}))
	v, err := s.GetConfig(c, ns, "channel")
	must(t, err)
	if v.Key != "channel" || v.Value != "#finance" || !v.UpdatedAt.Equal(at(5)) {
		t.Fatalf("GetConfig = %+v", v)
	}
	list, err := s.ListConfig(c, ns)
	must(t, err)
	if len(list) != 2 || list[0].Key != "channel" || list[0].Value != "#finance" || list[1].Key != "day" || list[0].UpdatedAt.IsZero() {
		t.Fatalf("ListConfig = %+v", list)
	}
	for _, other := range neighbours(ns, nsB) {
		_, err := s.GetConfig(c, other, "channel")
		wantErr(t, err, store.ErrNotFound)
		list, err := s.ListConfig(c, other)
		must(t, err)
		if len(list) != 0 {
			t.Fatalf("%s lists %+v", other, list)
		}
		wantErr(t, s.DeleteConfig(c, other, "channel"), store.ErrNotFound)
	}
	wantErr(t, s.PutConfig(c, ns, store.ConfigEntry{Key: "", Value: "x"}), store.ErrInvalid)
	must(t, s.DeleteConfig(c, ns, "channel"))
	_, err = s.GetConfig(c, ns, "channel")
	wantErr(t, err, store.ErrNotFound)
}

// testSecretsAtRest: the database holds exactly the ciphertext it was given
// and never the plaintext (which the store never sees).
func testSecretsAtRest(t *testing.T, s store.Store, dump RawDump) {
	c := ctx(t)
	ns, _ := twoNamespaces(t, s)
	const plaintext = "PLAINTEXT-MARKER-do-not-store-7f3a"
	ciphertext := sealForTest(t, []byte(plaintext))
	must(t, s.PutSecret(c, ns, store.Secret{Name: "TOKEN", KeyID: "dk-1", Nonce: ciphertext[:12], Ciphertext: ciphertext[12:]}))
	must(t, s.PutConfig(c, ns, store.ConfigEntry{Key: "note", Value: "config is not secret"}))
	got, err := s.GetSecret(c, ns, "TOKEN")
	must(t, err)
	if !bytes.Equal(got.Ciphertext, ciphertext[12:]) || !bytes.Equal(got.Nonce, ciphertext[:12]) {
		t.Fatal("stored ciphertext differs from what was passed")
	}
	raw := dump(t, s)
	if !bytes.Contains(raw, ciphertext[12:]) {
		t.Fatal("raw dump does not contain the ciphertext: the dump is not looking at the secrets")
	}
	if !bytes.Contains(raw, []byte("config is not secret")) {
		t.Fatal("raw dump does not contain plain config: the dump is not looking at the data")
	}
	if bytes.Contains(raw, []byte(plaintext)) {
		t.Fatal("plaintext secret found in the database")
	}
}
