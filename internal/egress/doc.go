// Package egress is the outbound HTTP guard of Forge (invariant 4 of the
// design: outbound HTTP goes only to declared hosts, re-checked on every
// redirect, never to loopback, private, link-local or metadata addresses,
// whatever DNS answers).
//
// A Guard sends an extension's HTTP requests. It lets through only URLs that
// match the manifest's egress entries (scheme, host, port, path prefix, with
// the manifest's wildcard semantics), refuses numeric and odd host spellings
// (2130706433, 0x7f.1, 0177.0.0.1, [::ffff:127.0.0.1]) and non-public IP
// literals, resolves DNS itself and checks every address it dials (so a
// name that resolves to 127.0.0.1 is refused at dial time), follows
// redirects itself and checks each hop like the first request, keeps every
// secret to the hosts it is bound to (its value in the URL, a header or the
// body, also URL-escaped, JSON-escaped, hex, base64 or in Basic
// credentials), and caps request and response sizes, connect time and total
// time:
//
//	g, err := egress.NewGuard(egress.GuardConfig{
//		Rules:   m.Egress,
//		Secrets: []egress.SecretBinding{{Name: "SLACK_TOKEN", Value: tok, Hosts: hosts}},
//	})
//	...
//	resp, err := g.Do(req) // errors.Is(err, egress.ErrDenied), ErrTooLarge, ErrLimit, ErrUnavailable
//
// Error messages name the host, URL or rule and never contain a secret
// value; query strings are left out of them (ShowURL). NewRedactor gives
// the same redaction, for the same encodings, to whatever else prints or
// saves text that may carry a secret (the sandbox's results, forge run's
// output and recordings).
//
// The package also classifies addresses (Forbidden) and offers Policy, a
// dialer Control hook and HTTP client with the same address checks, used for
// importing remote documents (OpenAPI descriptions, MCP servers), where no
// manifest rules apply.
package egress
