// Package client is the Go client of the Forge server's HTTP API (the
// control plane started by `forge server`). The forge CLI talks to the
// server only through this package.
//
// A Client holds the server's base URL and one credential: the operator's
// admin credential (adm_…), a workspace API key (cwa_…) or a build token
// (atk_…). Every method takes a context and maps one operation of the
// OpenAPI document the server serves at GET /v1/openapi.json. WhoAmI tells
// what the credential is: its kind, its workspace, and for a build token its
// subject, permissions and expiry.
//
//	c, err := client.New("https://forge.example.com", os.Getenv("FORGE_CREDENTIAL"))
//	if err != nil {
//		return err
//	}
//	res, err := c.PushExtension(ctx, workspaceID, "cus_42", client.PushExtensionRequest{
//		Manifest: manifest, Module: module, Record: record,
//	})
//	switch {
//	case errors.Is(err, client.ErrUnauthorized):
//		// the credential is unknown, revoked or expired
//	case err != nil:
//		var apiErr *client.APIError
//		if errors.As(err, &apiErr) {
//			for _, d := range apiErr.Diagnostics {
//				fmt.Println(d)
//			}
//		}
//		return err
//	}
//	fmt.Println(res.Version.Version, res.Version.State) // 1 pending_approval
//
// Errors the server returns are *APIError values, parsed from RFC 9457
// problem details; errors.Is matches them against ErrNotFound,
// ErrUnauthorized, ErrForbidden, ErrConflict and ErrInvalid. A credential
// gets ErrNotFound for anything outside its workspace, exactly as for a
// resource that does not exist.
//
// TLS settings (a private CA, client certificates) go in the http.Client
// given with WithHTTPClient.
package client
