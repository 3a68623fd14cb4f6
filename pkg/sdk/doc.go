// Package sdk is the Go SDK for Forge extensions: small programs that run
// in Forge's WebAssembly sandbox for one customer namespace.
//
// An extension is a Go main package built as a WASI reactor:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o extension.wasm .
//
// Each trigger of the manifest is one exported function named
// forge_on_<trigger> whose whole body is a call to Run. Runtime code can do
// only what the Forge host ABI offers (docs/abi.md): log, read the
// namespace's secrets and config, read and write the namespace's state,
// send HTTP requests to the hosts the manifest declares, read the clock and
// random bytes, and read the trigger's input. There is no file system, no
// socket and no capability call; importing packages that use them (os file
// functions, net) makes validation reject the module.
//
// The SDK itself exports forge_abi_version; do not declare it again.
//
// # Example
//
//	package main
//
//	import (
//		"errors"
//		"fmt"
//
//		"github.com/forgehq/forge/pkg/sdk"
//	)
//
//	//go:wasmexport forge_on_weekly
//	func weekly() int32 { return sdk.Run(handleWeekly) }
//
//	//go:wasmexport forge_on_invoice_created
//	func invoiceCreated() int32 { return sdk.Run(handleInvoiceCreated) }
//
//	func main() {}
//
//	type invoice struct {
//		ID     string `json:"id"`
//		Amount int    `json:"amount"`
//	}
//
//	// handleInvoiceCreated remembers each open invoice in the namespace state.
//	func handleInvoiceCreated(ctx *sdk.Context) error {
//		var inv invoice
//		if err := ctx.Event(&inv); err != nil {
//			return err
//		}
//		if err := sdk.State.PutJSON("invoice/"+inv.ID, inv); err != nil {
//			return err
//		}
//		return ctx.OutputText("stored " + inv.ID)
//	}
//
//	// handleWeekly posts a summary of the open invoices to Slack.
//	func handleWeekly(ctx *sdk.Context) error {
//		token, err := sdk.Secret("SLACK_TOKEN")
//		if err != nil {
//			return err
//		}
//		channel := sdk.ConfigString("channel", "#billing")
//		keys, err := sdk.State.List("invoice/")
//		if err != nil {
//			return err
//		}
//		total := 0
//		for _, k := range keys {
//			var inv invoice
//			if err := sdk.State.GetJSON(k, &inv); err != nil {
//				return err
//			}
//			total += inv.Amount
//		}
//		req := sdk.NewRequest("POST", "https://slack.com/api/chat.postMessage",
//			fmt.Appendf(nil, `{"channel":%q,"text":"%d open invoices, %d total"}`, channel, len(keys), total))
//		req.Header.Set("Authorization", "Bearer "+token)
//		req.Header.Set("Content-Type", "application/json")
//		resp, err := sdk.HTTP.Do(req)
//		if errors.Is(err, sdk.ErrDenied) {
//			return fmt.Errorf("slack.com must be declared in the manifest's egress: %w", err)
//		} else if err != nil {
//			return err
//		}
//		if !resp.OK() {
//			return fmt.Errorf("slack answered %d", resp.Status)
//		}
//		sdk.Log.Infof("posted %d invoices at %s", len(keys), sdk.Now().Format("15:04"))
//		return ctx.Output(map[string]any{"invoices": len(keys), "total": total})
//	}
//
// # Testing
//
// The SDK compiles natively too. Package sdktest runs handlers against an
// in-memory host with plain go test:
//
//	h := sdktest.New()
//	h.Secrets["SLACK_TOKEN"] = "xoxb-test"
//	h.Egress = []string{"slack.com"}
//	h.HTTP = func(req *sdk.Request) (*sdk.Response, error) {
//		return &sdk.Response{Status: 200, Body: []byte(`{"ok":true}`)}, nil
//	}
//	out, err := h.Invoke("weekly", nil, handleWeekly)
//
// # Errors
//
// Host calls fail with an *Error carrying the operation and an ABI error
// code. Compare with errors.Is against ErrNotFound, ErrDenied, ErrLimit,
// ErrInvalid, ErrTooLarge, ErrInternal, ErrNoResult and ErrUnavailable.
// Error messages never contain secret values.
package sdk
