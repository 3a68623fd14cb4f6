// Command missing-export handles weekly and invoice_paid but not
// invoice_created, which its manifest declares: validation reports the
// missing forge_on_invoice_created export.
package main

import "github.com/forgehq/forge/pkg/sdk"

//go:wasmexport forge_on_weekly
func weekly() int32 { return sdk.Run(func(*sdk.Context) error { return nil }) }

//go:wasmexport forge_on_invoice_paid
func invoicePaid() int32 { return sdk.Run(func(*sdk.Context) error { return nil }) }

func main() {}
