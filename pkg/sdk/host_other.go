//go:build !wasip1

package sdk

import (
	"time"

	"github.com/forgehq/forge/pkg/sdk/internal/hostabi"
)

// host returns the host bound by package sdktest, or a host that fails
// every call: outside WebAssembly there is no Forge sandbox.
func host() hostabi.Host {
	if h := hostabi.Current(); h != nil {
		return h
	}
	return noHost{}
}

var noHostMsg = []byte("no Forge host: run the handler with sdktest.Host.Invoke or in the Forge sandbox")

type noHost struct{}

func (noHost) Log(int32, []byte)                {}
func (noHost) Input() ([]byte, int32)           { return noHostMsg, hostabi.CodeInternal }
func (noHost) OutputWrite([]byte) int32         { return hostabi.CodeInternal }
func (noHost) SecretGet([]byte) ([]byte, int32) { return noHostMsg, hostabi.CodeInternal }
func (noHost) ConfigGet([]byte) ([]byte, int32) { return noHostMsg, hostabi.CodeInternal }
func (noHost) StateGet([]byte) ([]byte, int32)  { return noHostMsg, hostabi.CodeInternal }
func (noHost) StatePut(_, _ []byte) int32       { return hostabi.CodeInternal }
func (noHost) StateDelete([]byte) int32         { return hostabi.CodeInternal }
func (noHost) StateList([]byte) ([]byte, int32) { return noHostMsg, hostabi.CodeInternal }
func (noHost) HTTPSend([]byte) ([]byte, int32)  { return noHostMsg, hostabi.CodeInternal }
func (noHost) ClockNow() int64                  { return time.Now().UnixNano() }
func (noHost) RandomFill([]byte) int32          { return hostabi.CodeInternal }
