// Command status-report is the README demo's extension.
package main

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/forgehq/forge/pkg/sdk"
)

//go:wasmexport forge_on_daily
func daily() int32 { return sdk.Run(handleDaily) }

func main() {}

func handleDaily(ctx *sdk.Context) error {
	runs := 0
	if b, err := sdk.State.Get("runs"); err == nil {
		runs, _ = strconv.Atoi(string(b))
	} else if !errors.Is(err, sdk.ErrNotFound) {
		return err
	}
	runs++
	if err := sdk.State.Put("runs", []byte(strconv.Itoa(runs))); err != nil {
		return err
	}

	token, err := sdk.Secret("BILLING_TOKEN")
	if err != nil {
		return err
	}
	req := sdk.NewRequest("GET", "https://api.billing.example.com/v1/status", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := sdk.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("billing status: %w", err)
	}

	// Not declared, and a metadata address besides: the sandbox refuses it.
	if _, err := sdk.HTTP.Get("http://169.254.169.254/latest/meta-data/"); errors.Is(err, sdk.ErrDenied) {
		ctx.Logf("metadata service refused, as it should be: %v", err)
	} else {
		return fmt.Errorf("the metadata service was reachable: %v", err)
	}

	greeting := sdk.ConfigString("greeting", "Hello")
	return ctx.OutputText(fmt.Sprintf("%s! Run %d: billing API is %s", greeting, runs, resp.Body))
}
