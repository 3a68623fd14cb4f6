// Package openapi imports the operations of an OpenAPI 3.0, OpenAPI 3.1 or
// Swagger 2.0 document (JSON or YAML) as Forge capabilities.
//
// Usage:
//
//	res, err := openapi.Importer{}.Import(ctx, source.Spec{
//		Name: "petstore", Kind: capability.KindOpenAPI, Location: "petstore.yaml",
//	}, source.Options{Dir: projectDir, Fetcher: source.NewFetcher(false)})
//
// The document is read through the source.Fetcher (files relative to
// Options.Dir, or http(s) URLs behind the egress guard), decoded and resolved
// with kin-openapi (Swagger 2.0 is converted to OpenAPI 3 with openapi2conv),
// validated leniently, and every operation under "paths" becomes one
// unsealed capability. Webhooks ("webhooks", "x-webhooks") and callbacks are
// not capabilities.
//
// # Names, effects, targets
//
// A capability is named after its operationId when that is a valid
// capability name, after the sanitized operationId otherwise (with a
// warning), and after its method and path when it has none ("get
// /pets/{id}" becomes "get_pets_id"). Two operations with the same valid
// operationId are an input error; a generated name that is already taken
// gets a "_2", "_3", … suffix and a warning.
//
// GET, HEAD, OPTIONS and TRACE are read, POST, PUT and PATCH write, DELETE
// destructive; an operation's "x-forge-effect: read|write|destructive"
// overrides that. The target is the first server URL of the operation, of
// its path item or of the document ("/" when none is given, as OpenAPI
// specifies; templated URLs are kept as written), the upper-case method and
// the path template.
//
// # Input schema layout
//
// The InputSchema of a capability is a JSON Schema (draft 2020-12) object
// with one property per parameter location and one for the request body:
//
//	{
//	  "type": "object",
//	  "additionalProperties": false,
//	  "properties": {
//	    "path":   {"type": "object", "properties": {"id": {...}}, "required": ["id"]},
//	    "query":  {"type": "object", "properties": {...}, "required": [...]},
//	    "header": {"type": "object", "properties": {...}},
//	    "cookie": {"type": "object", "properties": {...}},
//	    "body":   {...}
//	  },
//	  "required": ["body", "path"],
//	  "$defs": {"Pet": {...}}
//	}
//
// Only the locations an operation uses appear. A location is required when
// one of its parameters is (path parameters always are); "body" is required
// when the request body is. Path-level parameters are merged with the
// operation's, the operation's winning for the same location and name. A
// parameter's description, deprecation and example are written on its
// property. The body is the schema of the preferred media type:
// application/json, then any +json type, then form types, then the first in
// sorted order.
//
// Every schema reached through a $ref becomes a "$defs" entry referred to as
// "#/$defs/Name" (the component name for "#/components/schemas/Name"). Only
// the definitions an operation reaches are included; recursive schemas end
// at the $ref that closes the cycle. OpenAPI 3.0 specifics are converted:
// "nullable: true" adds "null" to the type (and to an enum; with no type but
// allOf/anyOf/oneOf, the schema becomes anyOf [schema, {"type":"null"}]),
// boolean exclusiveMinimum/exclusiveMaximum become numeric bounds, "example"
// becomes "examples", the Swagger "file" type becomes a binary string, and
// xml, discriminator, externalDocs and x- extensions are left out.
//
// # Errors and warnings
//
// A document that cannot be imported (malformed JSON or YAML, an
// unsupported version, a dangling $ref, duplicate operationIds, an external
// $ref without Spec.AllowExternalRefs) is a *source.InputError naming
// Spec.Location, with a line and column where they can be found and a hint.
// Validation failures of a usable document (real documents have many) are
// warnings: the first twenty one by one, then a count. Examples, defaults
// and patterns are not validated.
//
// External $refs are followed only with Spec.AllowExternalRefs, and are read
// through the same Fetcher, relative to the document.
//
// Result.Provenance holds "title" and "version" (info.version) when set, and
// "openapi", the version the document declares ("2.0" for Swagger).
//
// The same document always gives the same capabilities in the same order
// (paths sorted, then methods in the order GET, PUT, POST, DELETE, OPTIONS,
// HEAD, PATCH, TRACE) with byte-identical schemas.
package openapi
