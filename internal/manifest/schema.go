package manifest

import (
	"bytes"
	_ "embed"
)

//go:embed extension.schema.json
var jsonSchema []byte

// SchemaID is the $id of the manifest's JSON Schema.
const SchemaID = "https://forge.dev/schemas/extension.schema.json"

// JSONSchema returns the JSON Schema (draft 2020-12) of the manifest, as
// published in docs/extension.schema.json. Editors use it to complete and
// explain extension.yaml; Parse checks more than the schema can say (cron
// fields, time zones, egress rules, config default types), so a manifest
// the schema accepts may still get diagnostics.
func JSONSchema() []byte { return bytes.Clone(jsonSchema) }
