package vault

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func TestLoadOrCreateMasterKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "master.key")
	mk, created, err := LoadOrCreateMasterKey(path)
	if err != nil || !created {
		t.Fatalf("first load: created=%v, %v", created, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Fatalf("created file has mode %04o, want 0600", fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(raw) != KeySize {
		t.Fatalf("file holds %d bytes, %v", len(raw), err)
	}
	if mk.ID != sha256Hex(raw)[:8] {
		t.Fatal("key in the file is not the key returned")
	}
	again, created, err := LoadOrCreateMasterKey(path)
	if err != nil || created || again.ID != mk.ID {
		t.Fatalf("second load: %v created=%v, %v", again, created, err)
	}
	// No temporary files are left behind.
	ents, _ := os.ReadDir(filepath.Dir(path))
	if len(ents) != 1 {
		t.Fatalf("directory holds %d entries, want only the key", len(ents))
	}
	// The key wraps and unwraps across loads.
	_, wrapped := newDK(t, mk)
	if _, err := UnwrapDataKey(again, wrapped); err != nil {
		t.Fatal(err)
	}
}

func TestMasterKeyFilePermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permissions")
	}
	path := filepath.Join(t.TempDir(), "master.key")
	mk, _, err := LoadOrCreateMasterKey(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660, 0o606, 0o610, 0o601} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, _, err := LoadOrCreateMasterKey(path)
		if err == nil || !strings.Contains(err.Error(), "chmod 600") || !strings.Contains(err.Error(), fmt.Sprintf("%04o", mode)) {
			t.Fatalf("mode %04o: error = %v", mode, err)
		}
	}
	for _, mode := range []os.FileMode{0o400, 0o600} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		got, created, err := LoadOrCreateMasterKey(path)
		if err != nil || created || got.ID != mk.ID {
			t.Fatalf("mode %04o: %v created=%v, %v", mode, got, created, err)
		}
	}
}

func TestMasterKeyFileRefusesBadContent(t *testing.T) {
	dir := t.TempDir()
	raw := make([]byte, KeySize)
	for i := range raw {
		raw[i] = byte(i * 7)
	}
	cases := map[string]string{
		"short":      base64.StdEncoding.EncodeToString(raw[:16]),
		"long":       base64.StdEncoding.EncodeToString(append(raw, raw...)),
		"not base64": "this is not a key",
		"empty":      "",
		"huge":       strings.Repeat("A", 5000),
	}
	for name, content := range cases {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		_, _, err := LoadOrCreateMasterKey(path)
		if err == nil {
			t.Fatalf("%s: accepted", name)
		}
		if content != "" && strings.Contains(err.Error(), content[:min(len(content), 12)]) {
			t.Fatalf("%s: error %q echoes the file", name, err)
		}
		if b, _ := os.ReadFile(path); string(b) != content {
			t.Fatalf("%s: file was changed", name)
		}
	}
	if _, _, err := LoadOrCreateMasterKey(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("directory: %v", err)
	}
	if _, _, err := LoadOrCreateMasterKey(""); err == nil {
		t.Fatal("empty path accepted")
	}
	// Padded and unpadded base64 with a trailing newline are both fine.
	path := filepath.Join(dir, "ok")
	if err := os.WriteFile(path, []byte(base64.RawStdEncoding.EncodeToString(raw)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if mk, created, err := LoadOrCreateMasterKey(path); err != nil || created || mk.ID != sha256Hex(raw)[:8] {
		t.Fatalf("unpadded key: %v %v %v", mk, created, err)
	}
}

func TestMasterKeyConcurrentCreation(t *testing.T) {
	for round := range 20 {
		path := filepath.Join(t.TempDir(), "master.key")
		const n = 8
		keys := make([]*MasterKey, n)
		created := make([]bool, n)
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				keys[i], created[i], errs[i] = LoadOrCreateMasterKey(path)
			})
		}
		close(start)
		wg.Wait()
		winners := 0
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("round %d: %v", round, errs[i])
			}
			if keys[i].ID != keys[0].ID {
				t.Fatalf("round %d: goroutines ended with different keys", round)
			}
			if created[i] {
				winners++
			}
		}
		if winners != 1 {
			t.Fatalf("round %d: %d goroutines report creating the key", round, winners)
		}
	}
}

const helperEnv = "FORGE_VAULT_TEST_KEY_PATH"

// TestMasterKeyHelperProcess is the child of TestMasterKeyConcurrentProcesses:
// it waits for its stdin to close (the start signal), loads or creates the
// key, and prints "<id> <created>".
func TestMasterKeyHelperProcess(t *testing.T) {
	path := os.Getenv(helperEnv)
	if path == "" {
		t.Skip("helper process")
	}
	_, _ = io.Copy(io.Discard, os.Stdin)
	mk, created, err := LoadOrCreateMasterKey(path)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println(mk.ID, created)
}

func TestMasterKeyConcurrentProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	path := filepath.Join(t.TempDir(), "master.key")
	const n = 4
	type child struct {
		cmd   *exec.Cmd
		stdin io.WriteCloser
		out   *strings.Builder
	}
	children := make([]child, n)
	for i := range children {
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestMasterKeyHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), helperEnv+"="+path)
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		out := &strings.Builder{}
		cmd.Stdout = out
		cmd.Stderr = out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		children[i] = child{cmd, stdin, out}
	}
	for _, c := range children { // start them all at once
		_ = c.stdin.Close()
	}
	ids := map[string]bool{}
	winners := 0
	for _, c := range children {
		if err := c.cmd.Wait(); err != nil {
			t.Fatalf("child: %v\n%s", err, c.out)
		}
		var id, created string
		sc := bufio.NewScanner(strings.NewReader(c.out.String()))
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) == 2 && len(f[0]) == 8 {
				id, created = f[0], f[1]
			}
		}
		if id == "" {
			t.Fatalf("child printed no key id:\n%s", c.out)
		}
		ids[id] = true
		if created == "true" {
			winners++
		}
	}
	mk, created, err := LoadOrCreateMasterKey(path)
	if err != nil || created {
		t.Fatalf("after the race: created=%v, %v", created, err)
	}
	if len(ids) != 1 || !ids[mk.ID] || winners != 1 {
		t.Fatalf("processes saw keys %v with %d creators; file has %s", ids, winners, mk.ID)
	}
}
