package server

import (
	"net/http"
	"strconv"

	"github.com/forgehq/forge/internal/audit"
	"github.com/forgehq/forge/internal/store"
	"github.com/forgehq/forge/internal/vault"
)

// --- secrets (write-only; invariant 7) -------------------------------------------

func (s *Server) listSecrets(w http.ResponseWriter, r *http.Request, c *call) error {
	ext, err := s.extension(r.Context(), s.st, r, c)
	if err != nil {
		return err
	}
	infos, err := s.st.ListSecrets(r.Context(), ext.Namespace())
	if err != nil {
		return err
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
	err := s.change(ctx, c.ws, c.actor(), "secret.put", func(tx store.Store) (string, map[string]any, error) {
		ext, err := s.extension(ctx, tx, r, c)
		if err != nil {
			return "", nil, err
		}
		keyID, dk, err := s.dataKey(ctx, tx, c.ws)
		if err != nil {
			return "", nil, err
		}
		ns := ext.Namespace()
		nonce, ct, err := dk.Seal([]byte(req.Value), vault.AAD(ns.String(), name))
		if err != nil {
			return "", nil, err
		}
		if err := tx.PutSecret(ctx, ns, store.Secret{Name: name, KeyID: keyID, Nonce: nonce, Ciphertext: ct, UpdatedAt: now}); err != nil {
			return "", nil, err
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
	ext, err := s.extension(r.Context(), s.st, r, c)
	if err != nil {
		return err
	}
	entries, err := s.st.ListConfig(r.Context(), ext.Namespace())
	if err != nil {
		return err
	}
	out := make([]configEntryJSON, len(entries))
	for i, e := range entries {
		out[i] = configEntryJSON{Key: e.Key, Value: e.Value, UpdatedAt: e.UpdatedAt}
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"config": out})
	return nil
}

func (s *Server) getConfig(w http.ResponseWriter, r *http.Request, c *call) error {
	ext, err := s.extension(r.Context(), s.st, r, c)
	if err != nil {
		return err
	}
	key := r.PathValue("key")
	entries, err := s.st.ListConfig(r.Context(), ext.Namespace())
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Key == key {
			s.writeJSON(w, http.StatusOK, configEntryJSON{Key: e.Key, Value: e.Value, UpdatedAt: e.UpdatedAt})
			return nil
		}
	}
	return notFound("config key")
}

func (s *Server) putConfig(w http.ResponseWriter, r *http.Request, c *call) error {
	var req struct {
		Value string `json:"value"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	key := r.PathValue("key")
	ctx := r.Context()
	err := s.change(ctx, c.ws, c.actor(), "config.put", func(tx store.Store) (string, map[string]any, error) {
		ext, err := s.extension(ctx, tx, r, c)
		if err != nil {
			return "", nil, err
		}
		if err := tx.PutConfig(ctx, ext.Namespace(), key, req.Value); err != nil {
			return "", nil, err
		}
		// Config values are not secret, but they are the customer's data:
		// the audit record says which key changed and how long it is.
		return "config/" + ext.Namespace().String() + "/" + key, map[string]any{"key": key, "length": len(req.Value)}, nil
	})
	if err != nil {
		return err
	}
	return s.getConfig(w, r, c)
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
	q := r.URL.Query()
	after, limit := int64(0), 100
	if v := q.Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return &problem{Status: http.StatusBadRequest, Detail: "invalid after", Errors: []fieldError{{Location: "query.after", Message: "must be a non-negative integer"}}}
		}
		after = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return &problem{Status: http.StatusBadRequest, Detail: "invalid limit", Errors: []fieldError{{Location: "query.limit", Message: "must be between 1 and 1000"}}}
		}
		limit = n
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
