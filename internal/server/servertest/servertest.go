// Package servertest holds the fixtures that tests of the server and of its
// clients share: a registry with one capability, a manifest that validates
// against it, a minimal module, and the push request built from them. It
// imports nothing of the server, so the server's own tests can use it.
package servertest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/forgehq/forge/internal/bundle"
	"github.com/forgehq/forge/internal/capability"
)

// CapabilityID is the one capability of the registry.
const CapabilityID = "billing.listInvoices"

// sealed is the registry's one capability, sealed as an importer seals
// it, so that its digest is the one its definition yields.
var sealed = func() capability.Capability {
	c := capability.Capability{
		Name: "listInvoices", Kind: capability.KindOpenAPI, Effect: capability.EffectRead,
		InputSchema: json.RawMessage(`{"type":"object"}`),
	}
	if err := c.Seal("billing"); err != nil {
		panic(err) // a constant definition always seals
	}
	return c
}()

// CapabilityDigest is its pinned digest.
var CapabilityDigest = sealed.Digest

// Registry returns the registry's index and its one capability file
// (billing.jsonl), as `forge registry push` sends them.
func Registry() (capability.Index, map[string]string) {
	line, err := json.Marshal(sealed)
	if err != nil {
		panic(err) // plain data always marshals
	}
	file := string(line) + "\n"
	index := capability.Index{
		Version: capability.IndexVersion,
		Sources: []capability.SourceRecord{{
			SourceSpec: capability.SourceSpec{Name: "billing", Kind: capability.KindOpenAPI, Location: "billing.yaml"},
			Digest:     CapabilityDigest, Capabilities: 1, File: "billing.jsonl", FileDigest: capability.DigestBytes([]byte(file)),
		}},
		Capabilities: []capability.Entry{{ID: CapabilityID, Effect: capability.EffectRead, Digest: CapabilityDigest}},
	}
	return index, map[string]string{"billing.jsonl": file}
}

// EventType is the event type the manifest triggers on.
const EventType = "invoice.created"

// Manifest is a manifest using the registry's capability, the event type
// EventType and the secret SLACK_TOKEN.
func Manifest(name, version string) string {
	return fmt.Sprintf(`apiVersion: forge.dev/v1
name: %s
version: %s
description: Every Monday, post my open invoices to Slack.
module:
  wasm: module.wasm
triggers:
  - name: weekly
    schedule:
      cron: "0 9 * * MON"
  - name: invoice_created
    event:
      type: %s
secrets:
  - name: SLACK_TOKEN
    hosts: [slack.com]
egress:
  - https://slack.com/api/
config:
  - name: channel
    type: string
    default: "#finance"
capabilities:
  - id: %s
    digest: %s
`, name, version, EventType, CapabilityID, CapabilityDigest)
}

// Record is the build record of a bundle of Manifest(name, version) and
// Module(triggers of that manifest).
func Record(name, version string, manifest, module []byte) bundle.Record {
	return bundle.Record{
		Version: bundle.RecordVersion, Extension: name, ExtensionVersion: version,
		Manifest:  bundle.FileInfo{File: bundle.ManifestFile, Digest: bundle.Digest(manifest), Size: int64(len(manifest))},
		Module:    bundle.FileInfo{File: bundle.ModuleFile, Digest: bundle.Digest(module), Size: int64(len(module))},
		Toolchain: "test", Forge: "test",
		Capabilities: []bundle.CapabilityRef{{ID: CapabilityID, Digest: CapabilityDigest}},
		ToolCalls:    []bundle.ToolCall{{Capability: CapabilityID, ArgumentDigest: CapabilityDigest}},
		Model:        "test-model",
	}
}

// PushBody is the body of a push of extension name at version.
func PushBody(name, version string) map[string]any {
	man := []byte(Manifest(name, version))
	mod := Module("weekly", "invoice_created")
	return map[string]any{"manifest": string(man), "module": base64.StdEncoding.EncodeToString(mod), "record": Record(name, version, man, mod)}
}

// Module assembles a minimal WebAssembly reactor exporting memory,
// _initialize, forge_abi_version and one forge_on_<trigger> handler per
// trigger.
func Module(triggers ...string) []byte {
	leb := func(n int) []byte {
		var out []byte
		for {
			b := byte(n & 0x7f)
			n >>= 7
			if n != 0 {
				out = append(out, b|0x80)
				continue
			}
			return append(out, b)
		}
	}
	name := func(s string) []byte { return append(leb(len(s)), s...) }
	section := func(id byte, content []byte) []byte {
		return append(append([]byte{id}, leb(len(content))...), content...)
	}
	vec := func(items ...[]byte) []byte {
		out := leb(len(items))
		for _, it := range items {
			out = append(out, it...)
		}
		return out
	}
	types := vec([]byte{0x60, 0, 0}, []byte{0x60, 0, 1, 0x7f}) // () -> (); () -> (i32)
	funcs := [][]byte{{0}, {1}}
	exports := [][]byte{
		append(name("memory"), 2, 0),
		append(name("_initialize"), 0, 0),
		append(name("forge_abi_version"), 0, 1),
	}
	bodies := [][]byte{
		{2, 0, 0x0b},          // nop
		{4, 0, 0x41, 1, 0x0b}, // i32.const 1
	}
	for i, t := range triggers {
		funcs = append(funcs, []byte{1})
		exports = append(exports, append(name("forge_on_"+t), 0, byte(2+i)))
		bodies = append(bodies, []byte{4, 0, 0x41, 0, 0x0b})
	}
	mod := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	mod = append(mod, section(1, types)...)
	mod = append(mod, section(3, vec(funcs...))...)
	mod = append(mod, section(5, []byte{1, 0, 1})...)
	mod = append(mod, section(7, vec(exports...))...)
	mod = append(mod, section(10, vec(bodies...))...)
	return mod
}
