package sdktest_test

import (
	"fmt"

	"github.com/forgehq/forge/pkg/sdk"
	"github.com/forgehq/forge/pkg/sdk/sdktest"
)

func handleWeekly(ctx *sdk.Context) error {
	token, err := sdk.Secret("SLACK_TOKEN")
	if err != nil {
		return err
	}
	req := sdk.NewRequest("POST", "https://slack.com/api/chat.postMessage", []byte(`{"text":"hi"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := sdk.HTTP.Do(req)
	if err != nil {
		return err
	}
	if err := sdk.State.Put("last_status", fmt.Append(nil, resp.Status)); err != nil {
		return err
	}
	return ctx.Output(map[string]any{"status": resp.Status, "scheduled": !ctx.Input().ScheduledAt.IsZero()})
}

func ExampleHost_Invoke() {
	h := sdktest.New()
	h.Secrets["SLACK_TOKEN"] = "xoxb-test"
	h.Egress = []string{"slack.com"}
	h.HTTP = func(req *sdk.Request) (*sdk.Response, error) {
		fmt.Println(req.Method, req.URL, req.Header.Get("Authorization"))
		return &sdk.Response{Status: 200, Body: []byte(`{"ok":true}`)}, nil
	}
	out, err := h.Invoke("weekly", nil, handleWeekly)
	fmt.Println(string(out), err, string(h.State["last_status"]))

	h.Egress = []string{"hooks.example.com"}
	_, err = h.Invoke("weekly", nil, handleWeekly)
	fmt.Println(err)
	// Output:
	// POST https://slack.com/api/chat.postMessage Bearer xoxb-test
	// {"scheduled":false,"status":200} <nil> 200
	// forge: http POST https://slack.com/api/chat.postMessage: denied: egress to slack.com is not declared
}
