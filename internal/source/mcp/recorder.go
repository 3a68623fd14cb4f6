package mcp

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"

	"github.com/mark3labs/mcp-go/client/transport"
	mcpgo "github.com/mark3labs/mcp-go/mcp"
)

// recorder wraps a client transport and keeps the raw result of the last
// tools/list response, so that tools are converted from exactly what the
// server sent (mcp-go's typed Tool drops schema keywords it does not model)
// while the client still does the protocol work: the handshake, the
// per-request metadata of newer protocol versions, and session headers.
type recorder struct {
	transport.Interface

	mu        sync.Mutex
	toolsList json.RawMessage
}

func (r *recorder) SendRequest(ctx context.Context, req transport.JSONRPCRequest) (*transport.JSONRPCResponse, error) {
	resp, err := r.Interface.SendRequest(ctx, req)
	if err == nil && resp != nil && resp.Error == nil && req.Method == string(mcpgo.MethodToolsList) {
		r.mu.Lock()
		r.toolsList = bytes.Clone(resp.Result)
		r.mu.Unlock()
	}
	return resp, err
}

// SetRequestHandler forwards server-to-client requests (ping, for one) when
// the transport supports them.
func (r *recorder) SetRequestHandler(h transport.RequestHandler) {
	if b, ok := r.Interface.(transport.BidirectionalInterface); ok {
		b.SetRequestHandler(h)
	}
}

// take returns and forgets the last recorded tools/list result.
func (r *recorder) take() json.RawMessage {
	r.mu.Lock()
	defer r.mu.Unlock()
	raw := r.toolsList
	r.toolsList = nil
	return raw
}

// httpRecorder is a recorder over an HTTP transport: the client looks for
// these methods to send the negotiated protocol version as a header.
type httpRecorder struct{ *recorder }

func (r httpRecorder) SetProtocolVersion(version string) {
	if h, ok := r.Interface.(transport.HTTPConnection); ok {
		h.SetProtocolVersion(version)
	}
}

func (r httpRecorder) RequiresLegacyProtocol() bool {
	l, ok := r.Interface.(interface{ RequiresLegacyProtocol() bool })
	return ok && l.RequiresLegacyProtocol()
}
