package manifest

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

const docsSchema = "../../docs/extension.schema.json"

func TestSchemaMatchesDocs(t *testing.T) {
	if *update {
		if err := os.WriteFile(docsSchema, JSONSchema(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	docs, err := os.ReadFile(docsSchema)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(docs, JSONSchema()) {
		t.Errorf("%s differs from internal/manifest/extension.schema.json; run go test ./internal/manifest -update", docsSchema)
	}
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(JSONSchema()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(SchemaID, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(SchemaID)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// yamlToJSON converts a YAML manifest to the JSON instance an editor
// validates.
func yamlToJSON(t *testing.T, file string) any {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

func TestSchemaAcceptsValidManifests(t *testing.T) {
	s := compileSchema(t)
	files, _ := filepath.Glob("testdata/valid/*.yaml")
	for _, f := range files {
		if err := s.Validate(yamlToJSON(t, f)); err != nil {
			t.Errorf("%s: schema rejects a valid manifest: %v", f, err)
		}
	}
}

func TestSchemaAndParseRejectInvalidManifests(t *testing.T) {
	s := compileSchema(t)
	for _, name := range []string{
		"unknown-field", "missing-fields", "api-version", "invalid-names", "invalid-version",
		"version-number", "module-both", "module-neither", "module-path", "trigger-kind",
		"invalid-cron", "invalid-event-type", "invalid-egress", "invalid-secret-hosts",
		"config-type", "capabilities", "limits", "limits-more", "limits-wrong", "wrong-type",
	} {
		f := "testdata/invalid/" + name + ".yaml"
		if err := s.Validate(yamlToJSON(t, f)); err == nil {
			t.Errorf("%s: schema accepts it", f)
		}
		_, diags, err := Load(f)
		if err != nil {
			t.Fatal(err)
		}
		errs := 0
		for _, d := range diags {
			if d.Severity == SeverityError {
				errs++
			}
		}
		if errs == 0 {
			t.Errorf("%s: Parse reports no error", f)
		}
	}
}

// TestSchemaDescribesEveryProperty keeps editor help complete.
func TestSchemaDescribesEveryProperty(t *testing.T) {
	var root map[string]any
	if err := json.Unmarshal(JSONSchema(), &root); err != nil {
		t.Fatal(err)
	}
	if root["$schema"] != "https://json-schema.org/draft/2020-12/schema" || root["$id"] != SchemaID {
		t.Errorf("$schema/$id: %v %v", root["$schema"], root["$id"])
	}
	count := 0
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if props, ok := v["properties"].(map[string]any); ok {
				for name, p := range props {
					count++
					pm, _ := p.(map[string]any)
					if d, _ := pm["description"].(string); strings.TrimSpace(d) == "" {
						t.Errorf("%s.properties.%s has no description", path, name)
					}
				}
			}
			if defs, ok := v["$defs"].(map[string]any); ok {
				for name, d := range defs {
					if dm, _ := d.(map[string]any); dm["description"] == nil {
						t.Errorf("$defs.%s has no description", name)
					}
				}
			}
			for k, c := range v {
				if k == "if" || k == "then" {
					continue // conditions restate declared properties
				}
				walk(path+"."+k, c)
			}
		case []any:
			for _, c := range v {
				walk(path+"[]", c)
			}
		}
	}
	walk("$", root)
	// Every field Parse knows is in the schema.
	for _, fields := range [][]string{topFields, moduleFields, triggerFields, scheduleFields, eventFields, secretFields, egressFields, configFields, capabilityFields, limitFields} {
		for _, f := range fields {
			if !bytes.Contains(JSONSchema(), []byte(`"`+f+`": {`)) {
				t.Errorf("field %q is not described in the schema", f)
			}
		}
	}
	if count < 30 {
		t.Errorf("only %d properties found; the walk is broken", count)
	}
}
