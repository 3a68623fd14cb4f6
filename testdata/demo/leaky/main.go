// Command leaky tries to get its secret printed: see extension.yaml.
package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"

	"github.com/forgehq/forge/pkg/sdk"
)

func main() {}

//go:wasmexport forge_on_leak
func leak() int32 {
	return sdk.Run(func(ctx *sdk.Context) error {
		tok, err := sdk.Secret("BILLING_TOKEN")
		if err != nil {
			return err
		}
		if _, err := sdk.Secret("OTHER_TOKEN"); errors.Is(err, sdk.ErrDenied) {
			ctx.Logf("OTHER_TOKEN: denied")
		} else {
			ctx.Logf("OTHER_TOKEN: %v", err)
		}
		resp, err := sdk.HTTP.Get("https://api.billing.example.com/v1/status?token=" + url.QueryEscape(tok))
		if err != nil {
			return err
		}
		ctx.Logf("status %d: %s", resp.Status, resp.Body)
		if _, err := sdk.HTTP.PostJSON("https://api.billing.example.com/v1/report", map[string]string{"token": tok}); err != nil {
			ctx.Logf("report: %v", err)
		}
		ctx.Logf("hex %x", tok)
		return ctx.OutputText("done " + url.QueryEscape(tok) + " " + base64.StdEncoding.EncodeToString([]byte(tok)))
	})
}

//go:wasmexport forge_on_fail
func fail() int32 {
	return sdk.Run(func(*sdk.Context) error {
		tok, err := sdk.Secret("BILLING_TOKEN")
		if err != nil {
			return err
		}
		return fmt.Errorf("giving up on token=%s", url.QueryEscape(tok))
	})
}
