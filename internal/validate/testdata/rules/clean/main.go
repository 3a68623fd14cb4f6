// Command clean is a well-behaved SDK extension: validation finds nothing.
package main

import (
	"fmt"

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

func handleInvoiceCreated(ctx *sdk.Context) error {
	var inv invoice
	if err := ctx.Event(&inv); err != nil {
		return err
	}
	return sdk.State.PutJSON("invoice/"+inv.ID, inv)
}

func handleWeekly(ctx *sdk.Context) error {
	token, err := sdk.Secret("SLACK_TOKEN")
	if err != nil {
		return err
	}
	keys, err := sdk.State.List("invoice/")
	if err != nil {
		return err
	}
	channel := sdk.ConfigString("channel", "#finance")
	req := sdk.NewRequest("POST", "https://slack.com/api/chat.postMessage",
		fmt.Appendf(nil, `{"channel":%q,"text":"%d open invoices"}`, channel, len(keys)))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := sdk.HTTP.Do(req)
	if err != nil {
		return err
	}
	return ctx.OutputText(fmt.Sprintf("posted: %d", resp.Status))
}
