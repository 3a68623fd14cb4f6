package server

import (
	"net/http"
	"strconv"

	"github.com/forgehq/forge/internal/audit"
	"github.com/forgehq/forge/internal/store"
	"github.com/forgehq/forge/internal/vault"
)

// --- secrets (write-only; invariant 7) -------------------------------------------

// The namespace handlers pass the request's namespace (scoped to the
// caller's workspace and subject) to the store, which resolves its
// extension once and answers ErrNotFound when there is none.

func (s *Server) listSecrets(w http.ResponseWriter, r *http.Request, c *call) error {
	infos, err := s.st.ListSecrets(r.Context(), c.namespace(r))
	if err != nil {
		return lookupErr(err, notFound("extension"))
	}
	out := make([]secretInfoJSON, len(infos))
	for i, si := range infos {
		out[i] = secretInfoJSON{Name: si.Name, UpdatedAt: si.UpdatedAt}
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"secrets": out})
	return nil
}

// putSecret encrypts the value with the workspace's data key, bound to the
// namespace and name (vault.AAD). The value is never stored, logged,
// audited or returned in plaintext.
func (s *Server) putSecret(w http.ResponseWriter, r *http.Request, c *call) error {
	var req struct {
		Value string `json:"value"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	name := r.PathValue("secret")
	ctx := r.Context()
	now := s.clock()
	ns := c.namespace(r)
	err := s.change(ctx, c.ws, c.actor(), "secret.put", func(tx store.Store) (string, map[string]any, error) {
		keyID, dk, err := s.dataKey(ctx, tx, c.ws)
		if err != nil {
			return "", nil, err
		}
		nonce, ct, err := dk.Seal([]byte(req.Value), vault.AAD(ns.String(), name))
		if err != nil {
			return "", nil, err
		}
		if err := tx.PutSecret(ctx, ns, store.Secret{Name: name, KeyID: keyID, Nonce: nonce, Ciphertext: ct, UpdatedAt: now}); err != nil {
			return "", nil, lookupErr(err, notFound("extension"))
		}
		return "secret/" + ns.String() + "/" + name, map[string]any{"name": name, "keyId": keyID}, nil
	})
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, secretInfoJSON{Name: name, UpdatedAt: now})
	return nil
}

func (s *Server) deleteSecret(w http.ResponseWriter, r *http.Request, c *call) error {
	name := r.PathValue("secret")
	ctx := r.Context()
	err := s.change(ctx, c.ws, c.actor(), "secret.delete", func(tx store.Store) (string, map[string]any, error) {
		ext, err := s.extension(ctx, tx, r, c)
		if err != nil {
			return "", nil, err
		}
		if err := tx.DeleteSecret(ctx, ext.Namespace(), name); err != nil {
			return "", nil, lookupErr(err, notFound("secret"))
		}
		return "secret/" + ext.Namespace().String() + "/" + name, map[string]any{"name": name}, nil
	})
	if err != nil {
		return err
	}
	return noContent(w)
}

// --- config ------------------------------------------------------------------------

func (s *Server) listConfig(w http.ResponseWriter, r *http.Request, c *call) error {
	entries, err := s.st.ListConfig(r.Context(), c.namespace(r))
	if err != nil {
		return lookupErr(err, notFound("extension"))
	}
	out := make([]configEntryJSON, len(entries))
	for i, e := range entries {
		out[i] = configEntryJSON{Key: e.Key, Value: e.Value, UpdatedAt: e.UpdatedAt}
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"config": out})
	return nil
}

func (s *Server) getConfig(w http.ResponseWriter, r *http.Request, c *call) error {
	e, err := s.st.GetConfig(r.Context(), c.namespace(r), r.PathValue("key"))
	if isNotFound(err) {
		// Say which is missing: the extension or the key.
		if _, err := s.extension(r.Context(), s.st, r, c); err != nil {
			return err
		}
		return notFound("config key")
	}
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, configEntryJSON{Key: e.Key, Value: e.Value, UpdatedAt: e.UpdatedAt})
	return nil
}

func (s *Server) putConfig(w http.ResponseWriter, r *http.Request, c *call) error {
	var req struct {
		Value string `json:"value"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	ctx := r.Context()
	ns := c.namespace(r)
	e := store.ConfigEntry{Key: r.PathValue("key"), Value: req.Value, UpdatedAt: s.clock()}
	err := s.change(ctx, c.ws, c.actor(), "config.put", func(tx store.Store) (string, map[string]any, error) {
		if err := tx.PutConfig(ctx, ns, e); err != nil {
			return "", nil, lookupErr(err, notFound("extension"))
		}
		// Config values are not secret, but they are the customer's data:
		// the audit record says which key changed and how long it is.
		return "config/" + ns.String() + "/" + e.Key, map[string]any{"key": e.Key, "length": len(e.Value)}, nil
	})
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, configEntryJSON{Key: e.Key, Value: e.Value, UpdatedAt: e.UpdatedAt})
	return nil
}

func (s *Server) deleteConfig(w http.ResponseWriter, r *http.Request, c *call) error {
	key := r.PathValue("key")
	ctx := r.Context()
	err := s.change(ctx, c.ws, c.actor(), "config.delete", func(tx store.Store) (string, map[string]any, error) {
		ext, err := s.extension(ctx, tx, r, c)
		if err != nil {
			return "", nil, err
		}
		if err := tx.DeleteConfig(ctx, ext.Namespace(), key); err != nil {
			return "", nil, lookupErr(err, notFound("config key"))
		}
		return "config/" + ext.Namespace().String() + "/" + key, map[string]any{"key": key}, nil
	})
	if err != nil {
		return err
	}
	return noContent(w)
}

// --- audit -------------------------------------------------------------------------

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request, c *call) error {
	// The OpenAPI validator has checked after (an integer from 0) and
	// limit (1 to 1000) when present.
	q := r.URL.Query()
	after, limit := int64(0), 100
	if v := q.Get("after"); v != "" {
		after, _ = strconv.ParseInt(v, 10, 64)
	}
	if v := q.Get("limit"); v != "" {
		limit, _ = strconv.Atoi(v)
	}
	recs, err := s.st.ListAudit(r.Context(), c.ws, after, limit+1)
	if err != nil {
		return err
	}
	out := map[string]any{}
	if len(recs) > limit {
		recs = recs[:limit]
		out["next"] = recs[len(recs)-1].Seq
	}
	page := make([]auditRecordJSON, len(recs))
	for i, a := range recs {
		page[i] = auditRecordOf(a)
	}
	out["records"] = page
	s.writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) verifyAudit(w http.ResponseWriter, r *http.Request, c *call) error {
	n, brk, err := audit.VerifyStore(r.Context(), s.st, c.ws)
	if err != nil {
		return err
	}
	out := map[string]any{"ok": brk == nil, "records": n}
	if brk != nil {
		out["broken"] = map[string]any{"seq": brk.Seq, "reason": brk.Reason}
	}
	s.writeJSON(w, http.StatusOK, out)
	return nil
}
