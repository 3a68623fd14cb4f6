package manifest_test

import (
	"fmt"
	"time"

	"github.com/forgehq/forge/internal/manifest"
	"github.com/forgehq/forge/internal/wasm"
)

func ExampleParse() {
	src := `apiVersion: forge.dev/v1
name: invoice-digest
version: 1.2.0
description: Every Monday, post my open invoices to Slack.
module: {go: .}
triggers:
  - name: weekly
    schedule: {cron: "0 9 * * MON", timezone: Europe/Paris}
egress:
  - https://slack.com/api/
limits: {memory: 32MiB, timeout: 10s}
`
	m, diags, err := manifest.Parse("extension.yaml", []byte(src))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(diags), "findings")
	tr := m.Trigger("weekly")
	fmt.Println(wasm.TriggerExport(tr.Name), "at", tr.Schedule.CronPos)
	fmt.Println(tr.Schedule.Next(time.Date(2024, 4, 3, 0, 0, 0, 0, time.UTC)).UTC())
	fmt.Println(tr.Schedule.Spec.MinInterval())
	fmt.Println(m.AllowsURL("https://slack.com/api/chat.postMessage"), m.AllowsURL("https://evil.example/"))
	fmt.Println(m.Limits.Memory.Value, m.Limits.Timeout.Value)
	// Output:
	// 0 findings
	// forge_on_weekly at 8:22
	// 2024-04-08 07:00:00 +0000 UTC
	// 168h0m0s
	// true false
	// 32MiB 10s
}

func ExampleParse_diagnostics() {
	src := `apiVersion: forge.dev/v1
name: invoice-digest
version: 1.2.0
description: d
module: {go: .}
triggers:
  - name: weekly
    shedule: {cron: "0 9 * * MON"}
`
	_, diags, err := manifest.Parse("extension.yaml", []byte(src))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range diags {
		fmt.Println(d)
		fmt.Println("  hint:", d.Hint)
	}
	// Output:
	// extension.yaml:8:5: error: unknown field "shedule" in triggers[0] [manifest/unknown-field]
	//   hint: did you mean "schedule"? (known fields: name, schedule, event)
}

func ExampleParseCron() {
	c, err := manifest.ParseCron("*/15 9-17 * * MON-FRI")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.MinInterval())
	fmt.Println(c.Next(time.Date(2024, 4, 5, 17, 50, 0, 0, time.UTC), time.UTC))
	// Output:
	// 15m0s
	// 2024-04-08 09:00:00 +0000 UTC
}
