package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/forgehq/forge/internal/auth"
	"github.com/forgehq/forge/internal/bundle"
	"github.com/forgehq/forge/internal/capability"
	"github.com/forgehq/forge/internal/manifest"
	"github.com/forgehq/forge/internal/store"
	"github.com/forgehq/forge/internal/validate"
)

// namespace returns the namespace of the request's path.
func (c *call) namespace(r *http.Request) store.Namespace {
	return store.Namespace{WorkspaceID: c.ws, SubjectID: c.subject, Extension: r.PathValue("name")}
}

// extension returns the extension of the request's path.
func (s *Server) extension(ctx context.Context, st store.Store, r *http.Request, c *call) (store.Extension, error) {
	ext, err := st.GetExtensionByName(ctx, c.namespace(r))
	if err != nil {
		return store.Extension{}, lookupErr(err, notFound("extension"))
	}
	return ext, nil
}

// versionParam returns the version of the request's path, which the
// OpenAPI validator has checked is an integer from 1.
func versionParam(r *http.Request) int64 {
	v, _ := strconv.ParseInt(r.PathValue("version"), 10, 64)
	return v
}

// pushExtension re-validates a bundle against the workspace's registry and
// event types and stores it as a new version in pending_approval.
func (s *Server) pushExtension(w http.ResponseWriter, r *http.Request, c *call) error {
	var req struct {
		Manifest string          `json:"manifest"`
		Module   string          `json:"module"`
		Record   json.RawMessage `json:"record"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	module, err := base64.StdEncoding.DecodeString(req.Module)
	if err != nil {
		return &problem{
			Status: http.StatusBadRequest, Detail: "the module is not base64",
			Errors: []fieldError{{Location: "body/module", Message: "is not standard base64"}},
		}
	}
	unprocessable := func(detail string, ds []validate.Diagnostic, errs ...fieldError) error {
		return &problem{Status: http.StatusUnprocessableEntity, Detail: detail, Diagnostics: ds, Errors: errs}
	}
	var record bytes.Buffer
	if err := json.Compact(&record, req.Record); err != nil {
		return err
	}
	if auth.ContainsCredential(record.String()) || auth.ContainsCredential(req.Manifest) {
		return unprocessable("the bundle contains a forge credential; build records and manifests must hold no secrets", nil)
	}
	var rec bundle.Record
	if err := json.Unmarshal(record.Bytes(), &rec); err != nil {
		return unprocessable("the build record is not a forge build record", nil,
			fieldError{Location: "body/record", Message: capability.DescribeJSONError(err)})
	}
	if rec.Module.Digest != "" && rec.Module.Digest != bundle.Digest(module) {
		return unprocessable("the build record does not describe this module", nil,
			fieldError{Location: "body/record/module/digest", Message: "differs from the digest of the module sent"})
	}
	if rec.Manifest.Digest != "" && rec.Manifest.Digest != bundle.Digest([]byte(req.Manifest)) {
		return unprocessable("the build record does not describe this manifest", nil,
			fieldError{Location: "body/record/manifest/digest", Message: "differs from the digest of the manifest sent"})
	}

	m, mdiags, err := manifest.Parse(bundle.ManifestFile, []byte(req.Manifest))
	if err != nil {
		var pe *manifest.ParseError
		if errors.As(err, &pe) {
			return unprocessable("the manifest cannot be read", []validate.Diagnostic{pe.Diagnostic()})
		}
		return err
	}
	ctx := r.Context()
	_, reg, err := s.workspaceRegistry(ctx, c.ws)
	if err != nil {
		return err
	}
	if reg == nil { // nothing pushed: every capability is unknown
		reg = &registryIndex{digests: map[string]string{}}
	}
	events, err := s.st.ListEventTypes(ctx, c.ws)
	if err != nil {
		return err
	}
	pol := s.policy
	pol.Events = make([]string, len(events))
	for i, e := range events {
		pol.Events[i] = e.Name
	}
	ext := validate.Extension{
		ManifestPath: bundle.ManifestFile, Manifest: m, ManifestDiags: mdiags,
		ModulePath: bundle.ModuleFile, Module: module,
	}
	// Escalations over the version in use are reported (as warnings).
	ns := store.Namespace{WorkspaceID: c.ws, SubjectID: c.subject, Extension: m.Name}
	if cur, err := s.st.GetExtensionByName(ctx, ns); err == nil && cur.CurrentVersion > 0 && m.Name != "" {
		v, err := s.st.GetVersion(ctx, c.ws, cur.ID, cur.CurrentVersion)
		if err != nil {
			return err
		}
		if base, _, err := manifest.Parse("approved/"+bundle.ManifestFile, v.Manifest); err == nil {
			ext.Baseline, ext.BaselinePath = base, "approved/"+bundle.ManifestFile
		}
	} else if err != nil && !isNotFound(err) {
		return err
	}
	ds := validate.Check(ext, reg, pol)
	if validate.FailOn(ds, "error") {
		return unprocessable("the extension does not validate", ds)
	}

	digest := bundle.Digest(module)
	var ver store.ExtensionVersion
	err = s.change(ctx, c.ws, c.actor(), "extension.push", func(tx store.Store) (string, map[string]any, error) {
		ver, err = tx.PushVersion(ctx, store.PushVersion{
			Namespace: ns, Manifest: []byte(req.Manifest), Module: module, ModuleDigest: digest,
			BuildRecord: record.Bytes(), CreatedBy: c.actor(), CreatedAt: s.clock(),
		})
		if err != nil {
			return "", nil, lookupErr(err, notFound("subject"))
		}
		return "extension/" + ns.String(), map[string]any{
			"version": ver.Version, "moduleDigest": digest,
			"manifestVersion": m.Version, "capabilities": len(m.Capabilities),
		}, nil
	})
	if err != nil {
		return err
	}
	e, err := s.st.GetExtension(ctx, c.ws, ver.ExtensionID)
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusCreated, map[string]any{"extension": extensionOf(e), "version": versionOf(ver), "diagnostics": orEmpty(ds)})
	return nil
}

func (s *Server) listExtensions(w http.ResponseWriter, r *http.Request, c *call) error {
	exts, err := s.st.ListExtensions(r.Context(), c.ws, c.subject)
	if err != nil {
		return err
	}
	// Extensions are deleted with their subject, so a non-empty list
	// proves the subject exists; only an empty one needs the lookup that
	// tells "no extensions" from "no such subject".
	if len(exts) == 0 {
		if _, err := s.st.GetSubject(r.Context(), c.ws, c.subject); err != nil {
			return lookupErr(err, notFound("subject"))
		}
	}
	out := struct {
		Extensions []extensionJSON `json:"extensions"`
	}{make([]extensionJSON, len(exts))}
	for i, e := range exts {
		out.Extensions[i] = extensionOf(e)
	}
	s.writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getExtension(w http.ResponseWriter, r *http.Request, c *call) error {
	ext, err := s.extension(r.Context(), s.st, r, c)
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, extensionOf(ext))
	return nil
}

func (s *Server) listVersions(w http.ResponseWriter, r *http.Request, c *call) error {
	ext, err := s.extension(r.Context(), s.st, r, c)
	if err != nil {
		return err
	}
	vs, err := s.st.ListVersions(r.Context(), c.ws, ext.ID)
	if err != nil {
		return err
	}
	out := make([]versionJSON, len(vs))
	for i, v := range vs {
		out[i] = versionOf(v)
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"versions": out})
	return nil
}

func (s *Server) getVersion(w http.ResponseWriter, r *http.Request, c *call) error {
	n := versionParam(r)
	ext, err := s.extension(r.Context(), s.st, r, c)
	if err != nil {
		return err
	}
	v, err := s.st.GetVersion(r.Context(), c.ws, ext.ID, n)
	if err != nil {
		return lookupErr(err, notFound("version"))
	}
	rec := json.RawMessage(v.BuildRecord)
	if !json.Valid(rec) {
		rec = json.RawMessage(`{}`)
	}
	s.writeJSON(w, http.StatusOK, versionDetailJSON{ExtensionVersion: versionOf(v), Manifest: string(v.Manifest), Record: rec})
	return nil
}

// transition runs one lifecycle change with its audit record.
func (s *Server) transition(w http.ResponseWriter, r *http.Request, c *call, action string,
	fn func(tx store.Store, ext store.Extension, d store.Decision) (store.ExtensionVersion, error), details map[string]any,
) error {
	ctx := r.Context()
	var ver store.ExtensionVersion
	err := s.change(ctx, c.ws, c.actor(), action, func(tx store.Store) (string, map[string]any, error) {
		ext, err := s.extension(ctx, tx, r, c)
		if err != nil {
			return "", nil, err
		}
		d := store.Decision{Actor: c.actor(), At: s.clock()}
		if reason, ok := details["reason"].(string); ok {
			d.Reason = reason
		}
		ver, err = fn(tx, ext, d)
		if err != nil {
			if errors.Is(err, store.ErrInvalidState) {
				return "", nil, &problem{Status: http.StatusConflict, Detail: invalidStateDetail(action)}
			}
			return "", nil, lookupErr(err, notFound("version"))
		}
		out := map[string]any{"version": ver.Version, "state": ver.State}
		for k, v := range details {
			out[k] = v
		}
		return "extension/" + ext.Namespace().String(), out, nil
	})
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, versionOf(ver))
	return nil
}

func invalidStateDetail(action string) string {
	switch action {
	case "extension.approve":
		return "only a pending_approval version newer than the current one can be approved"
	case "extension.reject":
		return "only a pending_approval version can be rejected"
	case "extension.disable":
		return "only an active extension can be disabled"
	case "extension.enable":
		return "only a disabled extension whose current version was approved can be enabled"
	case "extension.rollback":
		return "only a previously approved version older than the current one can be rolled back to"
	}
	return "the transition is not allowed from the current state"
}

func (s *Server) approveVersion(w http.ResponseWriter, r *http.Request, c *call) error {
	n := versionParam(r)
	return s.transition(w, r, c, "extension.approve", func(tx store.Store, ext store.Extension, d store.Decision) (store.ExtensionVersion, error) {
		return tx.ApproveVersion(r.Context(), c.ws, ext.ID, n, d)
	}, nil)
}

func (s *Server) rejectVersion(w http.ResponseWriter, r *http.Request, c *call) error {
	n := versionParam(r)
	var req struct {
		Reason string `json:"reason"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	return s.transition(w, r, c, "extension.reject", func(tx store.Store, ext store.Extension, d store.Decision) (store.ExtensionVersion, error) {
		return tx.RejectVersion(r.Context(), c.ws, ext.ID, n, d)
	}, map[string]any{"reason": req.Reason})
}

func (s *Server) disableExtension(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.transition(w, r, c, "extension.disable", func(tx store.Store, ext store.Extension, d store.Decision) (store.ExtensionVersion, error) {
		return tx.DisableExtension(r.Context(), c.ws, ext.ID, d)
	}, nil)
}

func (s *Server) enableExtension(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.transition(w, r, c, "extension.enable", func(tx store.Store, ext store.Extension, d store.Decision) (store.ExtensionVersion, error) {
		return tx.EnableExtension(r.Context(), c.ws, ext.ID, d)
	}, nil)
}

func (s *Server) rollbackExtension(w http.ResponseWriter, r *http.Request, c *call) error {
	var req struct {
		Version int64 `json:"version"`
	}
	if err := decode(c, &req); err != nil {
		return err
	}
	return s.transition(w, r, c, "extension.rollback", func(tx store.Store, ext store.Extension, d store.Decision) (store.ExtensionVersion, error) {
		return tx.RollbackExtension(r.Context(), c.ws, ext.ID, req.Version, d)
	}, map[string]any{"toVersion": req.Version})
}
