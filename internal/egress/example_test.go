package egress_test

import (
	"fmt"
	"net/url"

	"github.com/forgehq/forge/internal/egress"
	"github.com/forgehq/forge/internal/manifest"
)

func ExampleGuard_Check() {
	rule, _ := manifest.ParseEgress("https://api.example.com/v1/")
	g, err := egress.NewGuard(egress.GuardConfig{Rules: []manifest.Egress{rule}})
	if err != nil {
		panic(err)
	}
	for _, s := range []string{
		"https://api.example.com/v1/items",
		"https://api.example.com/admin",
		"https://evil.example.net/",
		"http://0x7f.1/",
		"http://169.254.169.254/latest/meta-data/",
	} {
		u, _ := url.Parse(s)
		if err := g.Check(u); err != nil {
			fmt.Println(err)
		} else {
			fmt.Println("allowed:", s)
		}
	}
	// Output:
	// allowed: https://api.example.com/v1/items
	// egress denied: https://api.example.com/admin: path /admin is outside the declared path prefixes for api.example.com (https://api.example.com/v1/)
	// egress denied: egress to evil.example.net is not declared in the manifest
	// egress denied: egress to 0x7f.1 refused: numeric host spelling "0x7f.1" (it is 127.0.0.1) is not allowed; only canonical dotted-quad IPv4 literals are
	// egress denied: egress to 169.254.169.254 refused: 169.254.169.254 is a cloud metadata address
}
