package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/forgehq/forge/pkg/client"
)

// A reviewer's flow: list the pending versions of a customer's extensions
// and approve them.
func Example() {
	ctx := context.Background()
	c, err := client.New("https://forge.example.com", "cwa_…",
		client.WithHTTPClient(&http.Client{Timeout: 30 * time.Second}))
	if err != nil {
		log.Fatal(err)
	}
	const ws, subject = "0123456789abcdef0123456789abcdef", "cus_42"
	exts, err := c.ListExtensions(ctx, ws, subject)
	if errors.Is(err, client.ErrUnauthorized) {
		log.Fatal("the API key is unknown or revoked")
	} else if err != nil {
		log.Fatal(err)
	}
	for _, e := range exts {
		v, err := c.GetVersion(ctx, ws, subject, e.Name, e.LatestVersion)
		if err != nil {
			log.Fatal(err)
		}
		if v.State != client.StatePendingApproval {
			continue
		}
		fmt.Printf("%s v%d asks for:\n%s\n", e.Name, v.Version, v.Manifest)
		if _, err := c.ApproveVersion(ctx, ws, subject, e.Name, v.Version); err != nil {
			log.Fatal(err)
		}
	}
}

// A CI job given only a credential finds its workspace, and how long a
// build token has left.
func ExampleClient_WhoAmI() {
	ctx := context.Background()
	c, err := client.New("https://forge.example.com", "atk_…")
	if err != nil {
		log.Fatal(err)
	}
	me, err := c.WhoAmI(ctx)
	if errors.Is(err, client.ErrUnauthorized) {
		log.Fatal("the credential is unknown, revoked or expired")
	} else if err != nil {
		log.Fatal(err)
	}
	fmt.Println(me.Kind, me.Workspace)
	if me.Kind == client.CredentialBuildToken {
		fmt.Printf("acts for %s with %v until %s\n", me.Subject, me.Permissions, me.ExpiresAt.Format(time.RFC3339))
	}
}
