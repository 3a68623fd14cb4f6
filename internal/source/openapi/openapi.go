package openapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"runtime/debug"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"

	"github.com/forgehq/forge/internal/source"
)

// Importer imports the operations of an OpenAPI 3.0/3.1 or Swagger 2.0
// document as capabilities. The zero value is ready to use.
type Importer struct{}

var _ source.Importer = Importer{}

// Warning codes.
const (
	CodeValidation = "openapi-validation" // the document fails strict validation
	CodeName       = "openapi-name"       // an operation name was sanitized or made unique
	CodeEffect     = "openapi-effect"     // an invalid x-forge-effect
	CodeParameter  = "openapi-parameter"  // a parameter that cannot be used
	CodeSchema     = "openapi-schema"     // a schema keyword that was dropped
)

// maxValidationWarnings is how many validation failures are reported one by
// one; the rest are counted in one more warning.
const maxValidationWarnings = 20

const (
	hintExternalRefs = "pass --allow-external-refs to let this document load the files and URLs it refers to (they are read with the same network guard)"
	hintVersion      = "forge reads OpenAPI 3.0.x, 3.1.x and Swagger 2.0 documents"
)

// errInternal marks a failure of the importer itself (a recovered panic).
var errInternal = errors.New("internal error")

// Import reads spec.Location through opts.Fetcher and returns one unsealed
// capability per operation.
func (Importer) Import(ctx context.Context, spec source.Spec, opts source.Options) (res *source.Result, err error) {
	if spec.Location == "" {
		return nil, &source.InputError{File: spec.Name, Msg: "the source has no location", Hint: "give the path or URL of the OpenAPI document"}
	}
	fetcher := opts.Fetcher
	if fetcher == nil {
		fetcher = source.NewFetcher(spec.AllowPrivateNetwork)
	}
	opts.Progressf("reading %s", spec.Location)
	data, err := fetcher.Read(ctx, opts.Dir, spec.Location)
	if err != nil {
		return nil, err
	}
	imp := &importer{
		ctx:     ctx,
		spec:    spec,
		opts:    opts,
		fetcher: fetcher,
		data:    bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")),
		warned:  make(map[string]bool),
	}
	defer func() {
		if r := recover(); r != nil {
			res = nil
			err = &source.InputError{
				File: spec.Location,
				Msg:  fmt.Sprintf("the document could not be processed: internal error: %v", r),
				Hint: "please report this with the document; the stack is in the underlying error",
				Err:  fmt.Errorf("%w: panic: %v\n%s", errInternal, r, debug.Stack()),
			}
		}
	}()
	res, err = imp.run()
	if err != nil {
		return nil, err
	}
	res.Digest = source.Digest(data)
	return res, nil
}

// importer holds the state of one import.
type importer struct {
	ctx     context.Context
	spec    source.Spec
	opts    source.Options
	fetcher *source.Fetcher
	data    []byte // the document as read, without a byte order mark
	isJSON  bool

	// refused and fetchErr record what the loader's reader met, so that the
	// error can name it whatever the loader wraps it in.
	refused  string
	fetchErr error

	warnings []source.Warning
	warned   map[string]bool
}

func (im *importer) warn(code, loc, msg string) {
	key := code + "\x00" + loc + "\x00" + msg
	if im.warned[key] {
		return
	}
	im.warned[key] = true
	im.warnings = append(im.warnings, source.Warning{Code: code, Location: loc, Message: msg})
}

var versionRE = regexp.MustCompile(`^3\.[01](\.\d+)?(-[0-9A-Za-z.-]+)?$`)

func (im *importer) run() (*source.Result, error) {
	im.opts.Progressf("parsing %s", im.spec.Location)
	text := im.data
	im.isJSON = looksLikeJSON(im.data)
	if !im.isJSON {
		var err error
		if text, err = yamlToJSON(im.data); err != nil {
			return nil, im.decodeErr(err)
		}
	}
	top, err := splitTop(text)
	if err != nil {
		return nil, im.decodeErr(err)
	}
	if err := im.ctx.Err(); err != nil {
		return nil, err
	}

	var doc *openapi3.T
	var declared string
	loader := im.newLoader()
	switch {
	case top["openapi"] != nil:
		if err := json.Unmarshal(top["openapi"], &declared); err != nil {
			return nil, im.inputErr(im.keyPos("openapi"), "the \"openapi\" field must be a string such as \"3.0.3\"",
				"quote the version (an unquoted 3.0 in YAML is a number)", err)
		}
		if !versionRE.MatchString(declared) {
			return nil, im.inputErr(im.keyPos("openapi"), fmt.Sprintf("OpenAPI version %q is not supported", declared), hintVersion, nil)
		}
		im.opts.Progressf("resolving references")
		if im.spec.AllowExternalRefs {
			doc, err = loader.LoadFromDataWithPath(text, im.location())
		} else {
			doc, err = decodeV3(top)
			if err != nil {
				return nil, im.decodeErr(err)
			}
			err = loader.ResolveRefsIn(doc, nil)
		}
		if err != nil {
			return nil, im.loadErr(err)
		}
	case top["swagger"] != nil:
		if err := json.Unmarshal(top["swagger"], &declared); err != nil || declared != "2.0" {
			v := declared
			if err != nil {
				v = string(top["swagger"])
			}
			return nil, im.inputErr(im.keyPos("swagger"), fmt.Sprintf("Swagger version %s is not supported", quoteIfString(v, err == nil)), hintVersion+" (the swagger field must be \"2.0\")", nil)
		}
		var doc2 openapi2.T
		if err := json.Unmarshal(text, &doc2); err != nil {
			return nil, im.decodeErr(jsonDecodeError(err, "document"))
		}
		cleanV2(&doc2)
		im.opts.Progressf("converting Swagger 2.0 to OpenAPI 3")
		var loc *url.URL
		if im.spec.AllowExternalRefs {
			loc = im.location()
		}
		doc, err = openapi2conv.ToV3WithLoader(&doc2, loader, loc)
		if err != nil {
			return nil, im.loadErr(err)
		}
	case top["swaggerVersion"] != nil:
		return nil, im.inputErr(im.keyPos("swaggerVersion"), "Swagger 1.x documents are not supported", hintVersion+"; convert the document first", nil)
	default:
		return nil, im.inputErr(position{}, "not an OpenAPI document: it has no \"openapi\" or \"swagger\" field", hintVersion, nil)
	}
	if err := im.ctx.Err(); err != nil {
		return nil, err
	}

	im.opts.Progressf("validating")
	im.validate(doc)
	if err := im.ctx.Err(); err != nil {
		return nil, err
	}

	caps, err := im.convert(doc)
	if err != nil {
		return nil, err
	}
	prov := map[string]string{"openapi": declared}
	if doc.Info != nil {
		if doc.Info.Title != "" {
			prov["title"] = doc.Info.Title
		}
		if doc.Info.Version != "" {
			prov["version"] = doc.Info.Version
		}
	}
	return &source.Result{Capabilities: caps, Warnings: im.warnings, Provenance: prov}, nil
}

func quoteIfString(v string, isString bool) string {
	if isString {
		return fmt.Sprintf("%q", v)
	}
	return v
}

// location is the document's location as the loader's base for relative
// $refs.
func (im *importer) location() *url.URL {
	if source.IsURL(im.spec.Location) {
		if u, err := url.Parse(im.spec.Location); err == nil {
			return u
		}
	}
	return &url.URL{Path: strings.ReplaceAll(im.spec.Location, "\\", "/")}
}

// newLoader returns a loader whose every read of another document goes
// through the fetcher, and only when the spec allows external refs.
func (im *importer) newLoader() *openapi3.Loader {
	loader := openapi3.NewLoader()
	loader.Context = im.ctx
	loader.IsExternalRefsAllowed = im.spec.AllowExternalRefs
	remoteRoot := source.IsURL(im.spec.Location)
	loader.ReadFromURIFunc = func(_ *openapi3.Loader, u *url.URL) ([]byte, error) {
		loc := u.String()
		if !im.spec.AllowExternalRefs {
			if im.refused == "" {
				im.refused = loc
			}
			return nil, errors.New("external references are not allowed")
		}
		var data []byte
		var err error
		switch {
		case u.Scheme == "http" || u.Scheme == "https":
			data, err = im.fetcher.Read(im.ctx, "", loc)
		case remoteRoot:
			err = &source.InputError{File: loc, Msg: "a remote document may only refer to http(s) URLs"}
		case u.Scheme == "" || u.Scheme == "file":
			p := u.Path
			if u.Scheme == "" && u.Host == "" {
				p = path.Clean(p)
			}
			data, err = im.fetcher.Read(im.ctx, im.opts.Dir, p)
		default:
			err = &source.InputError{File: loc, Msg: fmt.Sprintf("unsupported URL scheme %q", u.Scheme)}
		}
		if err != nil {
			if im.fetchErr == nil {
				im.fetchErr = err
			}
			return nil, err
		}
		return data, nil
	}
	return loader
}

// position is a 1-based line and column in the document; zero when unknown.
type position struct{ line, col int }

func (p position) String() string {
	if p.line == 0 {
		return ""
	}
	if p.col == 0 {
		return fmt.Sprintf("line %d", p.line)
	}
	return fmt.Sprintf("%d:%d", p.line, p.col)
}

func (im *importer) inputErr(pos position, msg, hint string, err error) *source.InputError {
	return &source.InputError{File: im.spec.Location, Line: pos.line, Col: pos.col, Msg: msg, Hint: hint, Err: err}
}

func (im *importer) decodeErr(err error) error {
	var de *decodeError
	if !errors.As(err, &de) {
		return im.inputErr(position{}, err.Error(), "", err)
	}
	var pos position
	switch {
	case de.line > 0:
		pos.line = de.line
	case de.offset >= 0 && im.isJSON:
		pos.line, pos.col = source.LineCol(im.data, de.offset)
	}
	return im.inputErr(pos, de.msg, de.hint, de.err)
}

var quotedRefRE = regexp.MustCompile(`"([^"]*#[^"]*)"`)

// loadErr explains a failure to resolve references.
func (im *importer) loadErr(err error) error {
	if ctxErr := im.ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	if im.refused != "" {
		ref := im.refused
		pos := im.refPos(ref)
		return im.inputErr(pos, fmt.Sprintf("external $ref %q is not allowed", ref), hintExternalRefs, err)
	}
	if im.fetchErr != nil {
		var ie *source.InputError
		hint := "check that the referenced file or URL exists"
		if errors.As(im.fetchErr, &ie) && ie.Hint != "" {
			hint = ie.Hint
		}
		msg := im.fetchErr.Error()
		ref := ""
		if ie != nil {
			msg, ref = ie.Msg, ie.File
		}
		return im.inputErr(im.refPos(ref), fmt.Sprintf("cannot read external $ref %s: %s", ref, msg), hint, im.fetchErr)
	}
	msg := err.Error()
	if m := quotedRefRE.FindStringSubmatch(msg); m != nil {
		ref := m[1]
		return im.inputErr(im.refPos(ref), fmt.Sprintf("dangling $ref %q: %s", ref, msg),
			"make the $ref point to an existing component (names are case-sensitive)", err)
	}
	return im.inputErr(position{}, "cannot resolve references: "+msg, "check the document's $refs", err)
}

// refPos finds where a $ref value is written in the document: the last path
// segment is enough, as a resolved URL may differ in its directory part.
func (im *importer) refPos(ref string) position {
	if ref == "" {
		return position{}
	}
	candidates := []string{ref}
	if i := strings.LastIndexByte(ref, '/'); i >= 0 && strings.Contains(ref, "://") {
		candidates = append(candidates, ref[i+1:])
	}
	if u, err := url.Parse(ref); err == nil && u.Scheme == "" {
		candidates = append(candidates, path.Base(u.Path))
	}
	for _, c := range candidates {
		for _, q := range []string{`"` + c + `"`, `'` + c + `'`, `"` + c, `'` + c, ` ` + c} {
			if i := bytes.Index(im.data, []byte(q)); i >= 0 {
				line, col := source.LineCol(im.data, int64(i))
				return position{line, col}
			}
		}
	}
	return position{}
}

// keyPos finds the first occurrence of a top-level key.
func (im *importer) keyPos(key string) position {
	re := regexp.MustCompile(`(?m)(^|[{,\s])["']?` + regexp.QuoteMeta(key) + `["']?\s*:`)
	if loc := re.FindIndex(im.data); loc != nil {
		off := loc[0]
		for off < len(im.data) && strings.ContainsRune("{, \t\r\n", rune(im.data[off])) {
			off++
		}
		line, col := source.LineCol(im.data, int64(off))
		return position{line, col}
	}
	return position{}
}

// validate runs kin's validation without the checks that real documents
// routinely fail and that do not change what is imported (examples,
// defaults and regular-expression patterns, which need a Go-compatible
// syntax). Every failure becomes a warning.
func (im *importer) validate(doc *openapi3.T) {
	var err error
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("the validator failed: %v", r)
			}
		}()
		err = doc.Validate(im.ctx,
			openapi3.EnableMultiError(),
			openapi3.DisableExamplesValidation(),
			openapi3.DisableSchemaDefaultsValidation(),
			openapi3.DisableSchemaPatternValidation(),
		)
	}()
	if err == nil {
		return
	}
	var errs []error
	flatten(err, &errs)
	for i, e := range errs {
		if i == maxValidationWarnings {
			im.warnings = append(im.warnings, source.Warning{
				Code: CodeValidation, Location: im.spec.Location,
				Message: fmt.Sprintf("%d more validation problems not shown", len(errs)-maxValidationWarnings),
			})
			break
		}
		im.warnings = append(im.warnings, source.Warning{
			Code: CodeValidation, Location: im.spec.Location,
			Message: "invalid document: " + e.Error(),
		})
	}
}

func flatten(err error, out *[]error) {
	if me, ok := err.(openapi3.MultiError); ok {
		for _, e := range me {
			if e != nil {
				flatten(e, out)
			}
		}
		return
	}
	*out = append(*out, err)
}
