package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/forgehq/forge/internal/audit"
	"github.com/forgehq/forge/internal/auth"
	"github.com/forgehq/forge/internal/store"
	"github.com/forgehq/forge/internal/vault"
)

// handlers maps the operation ids of the OpenAPI document to their
// handlers. routes refuses to start when the two disagree.
func (s *Server) handlers() map[string]handlerFunc {
	return map[string]handlerFunc{
		"getHealth":           s.getHealth,
		"getReady":            s.getReady,
		"getOpenAPI":          s.getOpenAPI,
		"whoAmI":              s.whoAmI,
		"createWorkspace":     s.createWorkspace,
		"listWorkspaces":      s.listWorkspaces,
		"getWorkspace":        s.getWorkspace,
		"createAPIKey":        s.createAPIKey,
		"listAPIKeys":         s.listAPIKeys,
		"revokeAPIKey":        s.revokeAPIKey,
		"rotateSigningSecret": s.rotateSigningSecret,
		"setEventTypes":       s.setEventTypes,
		"listEventTypes":      s.listEventTypes,
		"pushRegistry":        s.pushRegistry,
		"getRegistry":         s.getRegistry,
		"createSubject":       s.createSubject,
		"listSubjects":        s.listSubjects,
		"getSubject":          s.getSubject,
		"deleteSubject":       s.deleteSubject,
		"createBuildToken":    s.createBuildToken,
		"listBuildTokens":     s.listBuildTokens,
		"revokeBuildToken":    s.revokeBuildToken,
		"pushExtension":       s.pushExtension,
		"listExtensions":      s.listExtensions,
		"getExtension":        s.getExtension,
		"listVersions":        s.listVersions,
		"getVersion":          s.getVersion,
		"approveVersion":      s.approveVersion,
		"rejectVersion":       s.rejectVersion,
		"disableExtension":    s.disableExtension,
		"enableExtension":     s.enableExtension,
		"rollbackExtension":   s.rollbackExtension,
		"listSecrets":         s.listSecrets,
		"putSecret":           s.putSecret,
		"deleteSecret":        s.deleteSecret,
		"listConfig":          s.listConfig,
		"getConfig":           s.getConfig,
		"putConfig":           s.putConfig,
		"deleteConfig":        s.deleteConfig,
		"listAudit":           s.listAudit,
		"verifyAudit":         s.verifyAudit,
	}
}

// change runs fn and appends the audit record of what it changed in one
// transaction, so that a state change without its audit record (or the
// reverse) is never committed (invariant 5). fn returns the record's target
// and details; details never hold secret values.
func (s *Server) change(ctx context.Context, ws, actor, action string, fn func(tx store.Store) (target string, details map[string]any, err error)) error {
	return s.st.Transaction(ctx, func(tx store.Store) error {
		target, details, err := fn(tx)
		if err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, ws, audit.Entry{Time: s.clock(), Actor: actor, Action: action, Target: target, Details: details})
		return err
	})
}

// dataKey returns the workspace's current data key.
func (s *Server) dataKey(ctx context.Context, st store.Store, ws string) (string, *vault.DataKey, error) {
	k, err := st.CurrentDataKey(ctx, ws)
	if err != nil {
		return "", nil, err
	}
	dk, err := vault.UnwrapDataKey(s.mk, k.Wrapped)
	if err != nil {
		return "", nil, fmt.Errorf("data key %s of workspace %s: %w", k.ID, ws, err)
	}
	return k.ID, dk, nil
}

// --- health and the document --------------------------------------------------

func (s *Server) getHealth(w http.ResponseWriter, _ *http.Request, _ *call) error {
	s.writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func (s *Server) getReady(w http.ResponseWriter, r *http.Request, _ *call) error {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	if err := s.st.Ping(ctx); err != nil {
		infoOf(r).err = err.Error()
		return &problem{Status: http.StatusServiceUnavailable, Detail: "the database does not answer"}
	}
	s.writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	return nil
}

func (s *Server) getOpenAPI(w http.ResponseWriter, _ *http.Request, _ *call) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(s.api.json)
	return nil
}

// --- the caller ------------------------------------------------------------------

// whoAmI describes the request's credential from its principal alone: it
// reads nothing else, so it cannot tell a caller anything but itself.
func (s *Server) whoAmI(w http.ResponseWriter, _ *http.Request, c *call) error {
	s.writeJSON(w, http.StatusOK, callerOf(c.p))
	return nil
}

// --- workspaces ----------------------------------------------------------------

func (s *Server) createWorkspace(w http.ResponseWriter, r *http.Request, c *call) error {
	var req struct {
		Name string `json:"name"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	apiKey, apiHash, err := auth.New(auth.KindAPIKey)
	if err != nil {
		return err
	}
	signing, _, err := auth.New(auth.KindSigningSecret)
	if err != nil {
		return err
	}
	dk, wrapped, err := vault.NewDataKey(s.mk)
	if err != nil {
		return err
	}
	now := s.clock()
	ws := store.Workspace{ID: store.NewID(), Name: req.Name, CreatedAt: now}
	err = s.change(r.Context(), ws.ID, c.actor(), "workspace.create", func(tx store.Store) (string, map[string]any, error) {
		if err := tx.CreateWorkspace(r.Context(), &ws); err != nil {
			return "", nil, err
		}
		key := store.DataKey{WorkspaceID: ws.ID, Wrapped: wrapped, MasterKeyID: s.mk.ID, CreatedAt: now}
		if err := tx.CreateDataKey(r.Context(), &key); err != nil {
			return "", nil, err
		}
		k := store.APIKey{WorkspaceID: ws.ID, Name: "initial", Prefix: auth.DisplayPrefix(apiKey), Hash: apiHash, CreatedAt: now}
		if err := tx.CreateAPIKey(r.Context(), &k); err != nil {
			return "", nil, err
		}
		nonce, ct, err := dk.Seal([]byte(signing), vault.SigningSecretAAD(ws.ID))
		if err != nil {
			return "", nil, err
		}
		if _, err := tx.RotateSigningSecret(r.Context(), ws.ID, store.SigningSecret{KeyID: key.ID, Nonce: nonce, Ciphertext: ct, CreatedAt: now}, time.Time{}); err != nil {
			return "", nil, err
		}
		return "workspace/" + ws.ID, map[string]any{"name": ws.Name, "apiKeyId": k.ID, "apiKeyPrefix": k.Prefix}, nil
	})
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusCreated, map[string]any{"workspace": workspaceOf(ws), "apiKey": apiKey, "signingSecret": signing})
	return nil
}

func (s *Server) listWorkspaces(w http.ResponseWriter, r *http.Request, _ *call) error {
	wss, err := s.st.ListWorkspaces(r.Context())
	if err != nil {
		return err
	}
	out := make([]workspaceJSON, len(wss))
	for i, ws := range wss {
		out[i] = workspaceOf(ws)
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"workspaces": out})
	return nil
}

func (s *Server) getWorkspace(w http.ResponseWriter, r *http.Request, c *call) error {
	ws, err := s.st.GetWorkspace(r.Context(), c.ws)
	if err != nil {
		return lookupErr(err, notFound("workspace"))
	}
	s.writeJSON(w, http.StatusOK, workspaceOf(ws))
	return nil
}

// --- API keys ------------------------------------------------------------------

func (s *Server) createAPIKey(w http.ResponseWriter, r *http.Request, c *call) error {
	var req struct {
		Name string `json:"name"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	plain, hash, err := auth.New(auth.KindAPIKey)
	if err != nil {
		return err
	}
	k := store.APIKey{WorkspaceID: c.ws, Name: req.Name, Prefix: auth.DisplayPrefix(plain), Hash: hash, CreatedAt: s.clock()}
	err = s.change(r.Context(), c.ws, c.actor(), "apikey.create", func(tx store.Store) (string, map[string]any, error) {
		if err := tx.CreateAPIKey(r.Context(), &k); err != nil {
			return "", nil, err
		}
		return "apikey/" + k.ID, map[string]any{"name": k.Name, "prefix": k.Prefix}, nil
	})
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusCreated, map[string]any{"key": apiKeyOf(k), "apiKey": plain})
	return nil
}

func (s *Server) listAPIKeys(w http.ResponseWriter, r *http.Request, c *call) error {
	keys, err := s.st.ListAPIKeys(r.Context(), c.ws)
	if err != nil {
		return err
	}
	out := make([]apiKeyJSON, len(keys))
	for i, k := range keys {
		out[i] = apiKeyOf(k)
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"keys": out})
	return nil
}

func (s *Server) revokeAPIKey(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("keyId")
	err := s.change(r.Context(), c.ws, c.actor(), "apikey.revoke", func(tx store.Store) (string, map[string]any, error) {
		if err := tx.RevokeAPIKey(r.Context(), c.ws, id, s.clock()); err != nil {
			return "", nil, lookupErr(err, notFound("API key"))
		}
		return "apikey/" + id, nil, nil
	})
	if err != nil {
		return err
	}
	return noContent(w)
}

// --- signing secret --------------------------------------------------------------

func (s *Server) rotateSigningSecret(w http.ResponseWriter, r *http.Request, c *call) error {
	plain, _, err := auth.New(auth.KindSigningSecret)
	if err != nil {
		return err
	}
	now := s.clock()
	expires := now.Add(s.overlap)
	var rotated store.SigningSecret
	err = s.change(r.Context(), c.ws, c.actor(), "signing_secret.rotate", func(tx store.Store) (string, map[string]any, error) {
		keyID, dk, err := s.dataKey(r.Context(), tx, c.ws)
		if err != nil {
			return "", nil, err
		}
		nonce, ct, err := dk.Seal([]byte(plain), vault.SigningSecretAAD(c.ws))
		if err != nil {
			return "", nil, err
		}
		rotated, err = tx.RotateSigningSecret(r.Context(), c.ws, store.SigningSecret{KeyID: keyID, Nonce: nonce, Ciphertext: ct, CreatedAt: now}, expires)
		if err != nil {
			return "", nil, err
		}
		return "workspace/" + c.ws + "/signing-secret", map[string]any{"version": rotated.Version, "previousExpiresAt": expires}, nil
	})
	if err != nil {
		return err
	}
	out := map[string]any{"version": rotated.Version, "signingSecret": plain}
	if rotated.Version > 1 {
		out["previousExpiresAt"] = expires
	}
	s.writeJSON(w, http.StatusOK, out)
	return nil
}

// --- event types -----------------------------------------------------------------

// eventTypeInput is an event type given as a name or as {name, description}.
type eventTypeInput struct {
	eventTypeJSON
}

func (e *eventTypeInput) UnmarshalJSON(b []byte) error {
	var name string
	if err := jsonUnmarshalStrict(b, &name); err == nil {
		e.Name = name
		return nil
	}
	return jsonUnmarshalStrict(b, &e.eventTypeJSON)
}

func (s *Server) setEventTypes(w http.ResponseWriter, r *http.Request, c *call) error {
	var req struct {
		Types []eventTypeInput `json:"types"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	seen := map[string]bool{}
	types := make([]store.EventType, 0, len(req.Types))
	names := make([]string, 0, len(req.Types))
	for i, t := range req.Types {
		if seen[t.Name] {
			return &problem{
				Status: http.StatusUnprocessableEntity, Detail: "duplicate event type",
				Errors: []fieldError{{Location: fmt.Sprintf("body/types/%d", i), Message: "repeats event type " + t.Name}},
			}
		}
		seen[t.Name] = true
		types = append(types, store.EventType{Name: t.Name, Description: t.Description})
		names = append(names, t.Name)
	}
	err := s.change(r.Context(), c.ws, c.actor(), "events.set", func(tx store.Store) (string, map[string]any, error) {
		if err := tx.SetEventTypes(r.Context(), c.ws, types); err != nil {
			return "", nil, err
		}
		return "workspace/" + c.ws + "/events", map[string]any{"types": names}, nil
	})
	if err != nil {
		return err
	}
	return s.respondEventTypes(w, r, c)
}

func (s *Server) listEventTypes(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.respondEventTypes(w, r, c)
}

func (s *Server) respondEventTypes(w http.ResponseWriter, r *http.Request, c *call) error {
	types, err := s.st.ListEventTypes(r.Context(), c.ws)
	if err != nil {
		return err
	}
	out := make([]eventTypeJSON, len(types))
	for i, t := range types {
		out[i] = eventTypeJSON{Name: t.Name, Description: t.Description}
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"types": out})
	return nil
}

// --- subjects --------------------------------------------------------------------

func (s *Server) createSubject(w http.ResponseWriter, r *http.Request, c *call) error {
	var req struct {
		ID          string `json:"id"`
		DisplayName string `json:"displayName"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	sub := store.Subject{WorkspaceID: c.ws, ID: req.ID, DisplayName: req.DisplayName, CreatedAt: s.clock()}
	err := s.change(r.Context(), c.ws, c.actor(), "subject.create", func(tx store.Store) (string, map[string]any, error) {
		if err := tx.CreateSubject(r.Context(), &sub); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return "", nil, &problem{Status: http.StatusConflict, Detail: "a subject with this id exists"}
			}
			return "", nil, err
		}
		return "subject/" + sub.ID, map[string]any{"displayName": sub.DisplayName}, nil
	})
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusCreated, subjectOf(sub))
	return nil
}

func (s *Server) listSubjects(w http.ResponseWriter, r *http.Request, c *call) error {
	subs, err := s.st.ListSubjects(r.Context(), c.ws)
	if err != nil {
		return err
	}
	out := make([]subjectJSON, len(subs))
	for i, sub := range subs {
		out[i] = subjectOf(sub)
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"subjects": out})
	return nil
}

func (s *Server) getSubject(w http.ResponseWriter, r *http.Request, c *call) error {
	sub, err := s.st.GetSubject(r.Context(), c.ws, c.subject)
	if err != nil {
		return lookupErr(err, notFound("subject"))
	}
	s.writeJSON(w, http.StatusOK, subjectOf(sub))
	return nil
}

func (s *Server) deleteSubject(w http.ResponseWriter, r *http.Request, c *call) error {
	err := s.change(r.Context(), c.ws, c.actor(), "subject.delete", func(tx store.Store) (string, map[string]any, error) {
		if err := tx.DeleteSubject(r.Context(), c.ws, c.subject); err != nil {
			return "", nil, lookupErr(err, notFound("subject"))
		}
		return "subject/" + c.subject, nil, nil
	})
	if err != nil {
		return err
	}
	return noContent(w)
}

// --- build tokens ----------------------------------------------------------------

func (s *Server) createBuildToken(w http.ResponseWriter, r *http.Request, c *call) error {
	var req struct {
		Subject     string   `json:"subject"`
		Permissions []string `json:"permissions"`
		TTL         string   `json:"ttl"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	// The OpenAPI validator has checked that permissions are one to three
	// of build, manage and read: ParsePermissions only sorts them.
	perms, err := auth.ParsePermissions(req.Permissions)
	if err != nil {
		return err
	}
	ttl := store.DefaultTokenTTL
	if req.TTL != "" {
		ttl, err = time.ParseDuration(req.TTL)
		if err != nil || ttl <= 0 || ttl > store.MaxTokenTTL {
			return &problem{
				Status: http.StatusUnprocessableEntity, Detail: "invalid ttl",
				Errors: []fieldError{{Location: "body/ttl", Message: fmt.Sprintf("must be a duration above 0 and at most %s", store.MaxTokenTTL)}},
			}
		}
	}
	plain, hash, err := auth.New(auth.KindBuildToken)
	if err != nil {
		return err
	}
	now := s.clock()
	t := store.BuildToken{WorkspaceID: c.ws, SubjectID: req.Subject, Permissions: perms, Hash: hash, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	err = s.change(r.Context(), c.ws, c.actor(), "token.create", func(tx store.Store) (string, map[string]any, error) {
		if err := tx.CreateBuildToken(r.Context(), &t); err != nil {
			return "", nil, lookupErr(err, &problem{
				Status: http.StatusUnprocessableEntity, Detail: "no such subject",
				Errors: []fieldError{{Location: "body/subject", Message: "is not a subject of the workspace"}},
			})
		}
		return "token/" + t.ID, map[string]any{"subject": t.SubjectID, "permissions": t.Permissions, "expiresAt": t.ExpiresAt}, nil
	})
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusCreated, map[string]any{"token": buildTokenOf(t), "buildToken": plain})
	return nil
}

func (s *Server) listBuildTokens(w http.ResponseWriter, r *http.Request, c *call) error {
	toks, err := s.st.ListBuildTokens(r.Context(), c.ws, r.URL.Query().Get("subject"))
	if err != nil {
		return err
	}
	out := make([]buildTokenJSON, len(toks))
	for i, t := range toks {
		out[i] = buildTokenOf(t)
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"tokens": out})
	return nil
}

func (s *Server) revokeBuildToken(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("tokenId")
	err := s.change(r.Context(), c.ws, c.actor(), "token.revoke", func(tx store.Store) (string, map[string]any, error) {
		if err := tx.RevokeBuildToken(r.Context(), c.ws, id, s.clock()); err != nil {
			return "", nil, lookupErr(err, notFound("build token"))
		}
		return "token/" + id, nil, nil
	})
	if err != nil {
		return err
	}
	return noContent(w)
}
