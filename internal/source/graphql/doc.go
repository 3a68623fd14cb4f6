// Package graphql imports the Query and Mutation fields of a GraphQL schema
// as Forge capabilities.
//
// # Locations
//
// A source's Location is one of:
//
//   - an SDL document (.graphql, .graphqls, .gql or .sdl), a file path
//     relative to Options.Dir or an http(s) URL;
//   - an introspection result (.json), a file or URL, shaped either
//     {"__schema": ...} or {"data": {"__schema": ...}};
//   - a live GraphQL endpoint: any http(s) URL that is not a document.
//
// The rule for URLs is decided by the last segment of the URL path alone,
// before any request is made: a path ending in .graphql, .graphqls, .gql or
// .sdl is fetched with GET as SDL, one ending in .json is fetched with GET as
// an introspection result, and every other URL (for example
// https://api.example.com/graphql) is treated as a live endpoint and sent the
// standard introspection query as a JSON POST. There is no fallback from one
// to the other, so an error always says what was attempted. A local file
// with one of those extensions is read as that format; a file with another
// extension is sniffed: a document whose first non-blank character is '{'
// is an introspection result, anything else is SDL.
//
// All reads go through the source.Fetcher, so loopback, private and
// link-local addresses are refused unless the source allows the private
// network.
//
// # Leniency
//
// Real schemas are not always valid. GitHub's public SDL defines
// EnterpriseOwnerInfo.repositoryDeployKeySetting twice, which makes
// gqlparser.LoadSchema fail. The importer parses without validating, drops a
// field (or enum value) that repeats an earlier one with the same signature
// (type, argument names, types and defaults; descriptions may differ) with a
// "graphql-duplicate-field" warning, drops redeclared built-in scalars with a
// warning, and only then validates. Anything else that is wrong (a syntax
// error, an unknown type, a conflicting redefinition) is a
// *source.InputError with the file, line and column.
//
// # Capabilities
//
// Every field of the query root type becomes a capability with Effect read
// and every field of the mutation root type one with Effect write; the root
// type names come from the schema definition (schema { query: Q }) when
// there is one. Subscription fields are not capabilities. The capability
// Name is the field name; when a mutation field has the same name as a query
// field, the mutation is named "mutation.NAME" and a
// "graphql-name-collision" warning says so. The Target carries the
// operation ("query" or "mutation"), the field name and, for a source
// imported from a live endpoint, the endpoint URL.
//
// # Input schema layout
//
// The InputSchema of a capability is a JSON Schema (draft 2020-12) object
// with one property per field argument:
//
//	{
//	  "type": "object",
//	  "properties": {
//	    "owner": {"type": "string", "x-graphql-type": "String!", "description": "..."},
//	    "first": {"type": ["integer", "null"], "x-graphql-type": "Int"},
//	    "input": {"$ref": "#/$defs/CreateIssueInput", "x-graphql-type": "CreateIssueInput!"}
//	  },
//	  "required": ["owner", "input"],
//	  "additionalProperties": false,
//	  "$defs": {"CreateIssueInput": {"type": "object", ...}}
//	}
//
// Non-null arguments without a default are required. String and ID map to
// string, Int to integer, Float to number and Boolean to boolean; a custom
// scalar is an unconstrained schema whose description names the scalar; an
// enum is a string with its values in declaration order; a list is an
// array; a nullable type also allows null (a type union, an enum that lists
// null, or anyOf with {"type": "null"} around a $ref). Input object types
// are $defs entries referenced as #/$defs/TypeName; only the types reachable
// from the field's arguments are included, and recursive input types refer
// to their own entry. Defaults become "default", descriptions are carried
// over, deprecated arguments and input fields are marked "deprecated", and
// @oneOf input objects require exactly one property. Each argument also
// carries its GraphQL type in "x-graphql-type" so that a dispatcher can
// declare the operation's variables.
package graphql
