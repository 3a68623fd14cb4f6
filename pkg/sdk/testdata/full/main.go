// Command full is an extension that uses every feature of the SDK. Tests
// build it for wasip1 and check its imports and exports against the ABI,
// and run its handlers natively under sdktest.
package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/forgehq/forge/pkg/sdk"
)

//go:wasmexport forge_on_weekly
func weekly() int32 { return sdk.Run(handleWeekly) }

//go:wasmexport forge_on_invoice_created
func invoiceCreated() int32 { return sdk.Run(handleInvoiceCreated) }

func main() {}

type invoice struct {
	ID     string `json:"id"`
	Amount int    `json:"amount"`
}

func handleWeekly(ctx *sdk.Context) error {
	in := ctx.Input()
	ctx.Logf("trigger %s scheduled at %s", in.Trigger, in.ScheduledAt.Format(time.RFC3339))
	token, err := sdk.Secret("SLACK_TOKEN")
	if err != nil {
		return err
	}
	channel := sdk.ConfigString("channel", "#general")
	limit, err := sdk.ConfigInt("limit", 10)
	if err != nil {
		return err
	}
	verbose, err := sdk.ConfigBool("verbose", false)
	if err != nil {
		return err
	}
	timeout, err := sdk.ConfigDuration("timeout", 5*time.Second)
	if err != nil {
		return err
	}
	if _, ok := sdk.Config("region"); !ok {
		sdk.Log.Debugf("no region configured")
	}
	if verbose {
		sdk.Log.Infof("limit=%d timeout=%s", limit, timeout)
	}

	keys, err := sdk.State.List("invoice/")
	if err != nil {
		return err
	}
	var total int
	for _, k := range keys {
		var inv invoice
		if err := sdk.State.GetJSON(k, &inv); err != nil {
			return err
		}
		total += inv.Amount
	}
	var last string
	if b, err := sdk.State.Get("last_run"); err == nil {
		last = string(b)
	} else if !errors.Is(err, sdk.ErrNotFound) {
		return err
	}

	req := sdk.NewRequest("POST", "https://slack.com/api/chat.postMessage", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Body = fmt.Appendf(nil, `{"channel":%q,"text":"%d open invoices, %d total (last run %s)"}`, channel, len(keys), total, last)
	resp, err := sdk.HTTP.Do(req)
	switch {
	case errors.Is(err, sdk.ErrDenied):
		sdk.Log.Errorf("egress denied: %v", err)
		return err
	case err != nil:
		return err
	case !resp.OK():
		sdk.Log.Warnf("slack answered %d", resp.Status)
		return fmt.Errorf("slack: status %d", resp.Status)
	}
	var ack struct {
		OK bool `json:"ok"`
	}
	if err := resp.JSON(&ack); err != nil {
		return err
	}

	nonce, err := sdk.Random(8)
	if err != nil {
		return err
	}
	if err := sdk.State.Put("last_run", []byte(sdk.Now().UTC().Format(time.RFC3339))); err != nil {
		return err
	}
	return ctx.Output(map[string]any{"posted": ack.OK, "invoices": len(keys), "total": total, "nonce": hex.EncodeToString(nonce)})
}

func handleInvoiceCreated(ctx *sdk.Context) error {
	var inv invoice
	if err := ctx.Event(&inv); err != nil {
		return err
	}
	if inv.ID == "" {
		return errors.New("invoice without id")
	}
	if inv.Amount == 0 {
		if err := sdk.State.Delete("invoice/" + inv.ID); err != nil {
			return err
		}
		return ctx.OutputText("deleted " + inv.ID)
	}
	if err := sdk.State.PutJSON("invoice/"+inv.ID, inv); err != nil {
		return err
	}
	resp, err := sdk.HTTP.PostJSON("https://hooks.example.com/invoices", inv)
	if err != nil {
		return err
	}
	if _, err := sdk.HTTP.Get("https://hooks.example.com/ping"); err != nil {
		return err
	}
	if resp.Header.Get("x-request-id") != "" {
		sdk.Log.Infof("request %s", resp.Header.Get("X-Request-Id"))
	}
	return ctx.OutputText("stored " + inv.ID)
}
