package wasm

import (
	"fmt"
	"regexp"
	"strings"
)

// ABIVersion is the version of the Forge guest ABI described in
// docs/abi.md. A module's forge_abi_version export must return it.
const ABIVersion = 1

// Module names a guest may import from.
const (
	HostModule = "forge"
	WASIModule = "wasi_snapshot_preview1"
)

// Names of the exports the ABI gives a meaning to.
const (
	ExportMemory        = "memory"
	ExportInitialize    = "_initialize"
	ExportABIVersion    = "forge_abi_version"
	TriggerExportPrefix = "forge_on_"
	reservedPrefix      = "forge_"
)

// ErrorCode is a negative i32 returned by a forge host function.
type ErrorCode int32

// Error codes of the forge host functions (docs/abi.md, "Error codes").
const (
	CodeNotFound        ErrorCode = -1
	CodeDenied          ErrorCode = -2
	CodeLimitExceeded   ErrorCode = -3
	CodeInvalidArgument ErrorCode = -4
	CodeTooLarge        ErrorCode = -5
	CodeInternal        ErrorCode = -6
	CodeNoResult        ErrorCode = -7
	CodeUnavailable     ErrorCode = -8
)

// ErrorCodes lists every error code with its ABI name, in order.
var ErrorCodes = []struct {
	Code ErrorCode
	Name string
}{
	{CodeNotFound, "not_found"},
	{CodeDenied, "denied"},
	{CodeLimitExceeded, "limit_exceeded"},
	{CodeInvalidArgument, "invalid_argument"},
	{CodeTooLarge, "too_large"},
	{CodeInternal, "internal"},
	{CodeNoResult, "no_result"},
	{CodeUnavailable, "unavailable"},
}

// String returns the ABI name of the code.
func (c ErrorCode) String() string {
	for _, e := range ErrorCodes {
		if e.Code == c {
			return e.Name
		}
	}
	return fmt.Sprintf("error(%d)", int32(c))
}

// Func is one function a guest may import.
type Func struct {
	Module string
	Name   string
	Type   FuncType
	// Stub marks WASI functions the Go runtime imports unconditionally but
	// that the host answers without giving any access (EBADF / ENOTSUP).
	Stub bool
}

func sig(params []ValType, results ...ValType) FuncType {
	return FuncType{Params: params, Results: results}
}

func i32s(n int) []ValType {
	v := make([]ValType, n)
	for i := range v {
		v[i] = I32
	}
	return v
}

// HostFuncs are the functions of the forge host module, ABI version 1.
var HostFuncs = []Func{
	{Module: HostModule, Name: "log", Type: sig(i32s(3))},
	{Module: HostModule, Name: "input", Type: sig(nil, I32)},
	{Module: HostModule, Name: "output_write", Type: sig(i32s(2), I32)},
	{Module: HostModule, Name: "secret_get", Type: sig(i32s(2), I32)},
	{Module: HostModule, Name: "config_get", Type: sig(i32s(2), I32)},
	{Module: HostModule, Name: "state_get", Type: sig(i32s(2), I32)},
	{Module: HostModule, Name: "state_put", Type: sig(i32s(4), I32)},
	{Module: HostModule, Name: "state_delete", Type: sig(i32s(2), I32)},
	{Module: HostModule, Name: "state_list", Type: sig(i32s(2), I32)},
	{Module: HostModule, Name: "http_send", Type: sig(i32s(2), I32)},
	{Module: HostModule, Name: "result_read", Type: sig(i32s(2), I32)},
	{Module: HostModule, Name: "clock_now", Type: sig(nil, I64)},
	{Module: HostModule, Name: "random_fill", Type: sig(i32s(2), I32)},
}

// WASIFuncs are the wasi_snapshot_preview1 functions a guest may import:
// exactly those a Go wasip1 reactor built with the SDK imports.
var WASIFuncs = []Func{
	{Module: WASIModule, Name: "args_get", Type: sig(i32s(2), I32)},
	{Module: WASIModule, Name: "args_sizes_get", Type: sig(i32s(2), I32)},
	{Module: WASIModule, Name: "environ_get", Type: sig(i32s(2), I32)},
	{Module: WASIModule, Name: "environ_sizes_get", Type: sig(i32s(2), I32)},
	{Module: WASIModule, Name: "clock_time_get", Type: sig([]ValType{I32, I64, I32}, I32)},
	{Module: WASIModule, Name: "random_get", Type: sig(i32s(2), I32)},
	{Module: WASIModule, Name: "fd_write", Type: sig(i32s(4), I32)},
	{Module: WASIModule, Name: "poll_oneoff", Type: sig(i32s(4), I32)},
	{Module: WASIModule, Name: "sched_yield", Type: sig(nil, I32)},
	{Module: WASIModule, Name: "proc_exit", Type: sig(i32s(1))},
	{Module: WASIModule, Name: "fd_close", Type: sig(i32s(1), I32), Stub: true},
	{Module: WASIModule, Name: "fd_fdstat_get", Type: sig(i32s(2), I32), Stub: true},
	{Module: WASIModule, Name: "fd_fdstat_set_flags", Type: sig(i32s(2), I32), Stub: true},
	{Module: WASIModule, Name: "fd_prestat_get", Type: sig(i32s(2), I32), Stub: true},
	{Module: WASIModule, Name: "fd_prestat_dir_name", Type: sig(i32s(3), I32), Stub: true},
}

var allowed = func() map[[2]string]*Func {
	m := make(map[[2]string]*Func, len(HostFuncs)+len(WASIFuncs))
	for _, list := range [][]Func{HostFuncs, WASIFuncs} {
		for i := range list {
			m[[2]string{list[i].Module, list[i].Name}] = &list[i]
		}
	}
	return m
}()

// LookupFunc returns the allowed import module.name, or nil.
func LookupFunc(module, name string) *Func {
	return allowed[[2]string{module, name}]
}

// Signatures of the exports.
var (
	TriggerType    = FuncType{Results: []ValType{I32}}
	InitializeType = FuncType{}
	ABIVersionType = FuncType{Results: []ValType{I32}}
)

// Violation is one import or export that breaks the ABI.
type Violation struct {
	// Import is true for an import, false for an export.
	Import bool
	Module string // import module; empty for exports
	Name   string
	Kind   ExternKind
	Reason string
}

func (v Violation) String() string {
	if v.Import {
		return fmt.Sprintf("import %s.%s (%s): %s", v.Module, v.Name, v.Kind, v.Reason)
	}
	return fmt.Sprintf("export %s (%s): %s", v.Name, v.Kind, v.Reason)
}

// forbiddenReason explains why a well-known WASI function is not allowed.
func forbiddenReason(module, name string) string {
	if module == WASIModule {
		switch {
		case strings.HasPrefix(name, "sock_"):
			return "sockets are forbidden; use forge.http_send"
		case strings.HasPrefix(name, "path_"), strings.HasPrefix(name, "fd_"):
			return "file system access is forbidden"
		case strings.HasPrefix(name, "proc_"):
			return "process control is forbidden"
		}
		return "not in the WASI allow-list of the Forge ABI"
	}
	if module == HostModule {
		return fmt.Sprintf("no such function in Forge ABI version %d", ABIVersion)
	}
	return fmt.Sprintf("module %q is not importable (only %q and %q)", module, HostModule, WASIModule)
}

// CheckImports returns every import of m that the ABI does not allow: an
// unknown module or function, a non-function import, or a function whose
// signature differs from the ABI's. It returns nil when all are allowed.
func CheckImports(m *Module) []Violation {
	var out []Violation
	for _, imp := range m.Imports {
		v := Violation{Import: true, Module: imp.Module, Name: imp.Name, Kind: imp.Kind}
		f := LookupFunc(imp.Module, imp.Name)
		switch {
		case f == nil:
			v.Reason = forbiddenReason(imp.Module, imp.Name)
		case imp.Kind != KindFunc:
			v.Reason = fmt.Sprintf("must be imported as a function, not a %s", imp.Kind)
		case !imp.Type.Equal(&f.Type):
			v.Reason = fmt.Sprintf("signature %s, want %s", imp.Type, &f.Type)
		default:
			continue
		}
		out = append(out, v)
	}
	return out
}

var triggerRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// ValidTrigger reports whether name is a valid trigger name.
func ValidTrigger(name string) bool { return triggerRE.MatchString(name) }

// TriggerExport returns the export name of the handler of a trigger:
// "forge_on_" + trigger. It does not validate the name; see ValidTrigger.
func TriggerExport(trigger string) string { return TriggerExportPrefix + trigger }

// Triggers returns the trigger names of the module's well-formed
// forge_on_<trigger> function exports, in export order.
func Triggers(m *Module) []string {
	var out []string
	for _, e := range m.Exports {
		t, ok := strings.CutPrefix(e.Name, TriggerExportPrefix)
		if ok && e.Kind == KindFunc && ValidTrigger(t) && e.Type.Equal(&TriggerType) {
			out = append(out, t)
		}
	}
	return out
}

// CheckExports returns every way the exports of m break the ABI: memory,
// _initialize and forge_abi_version missing or of the wrong kind or
// signature, no trigger, a _start export (the module must be a reactor, not a
// command), and any other name in the reserved forge_ namespace.
func CheckExports(m *Module) []Violation {
	var out []Violation
	bad := func(name string, kind ExternKind, reason string) {
		out = append(out, Violation{Name: name, Kind: kind, Reason: reason})
	}
	checkFunc := func(name string, want *FuncType) {
		e := m.Export(name)
		switch {
		case e == nil:
			bad(name, KindFunc, "missing")
		case e.Kind != KindFunc:
			bad(name, e.Kind, "must be a function")
		case !e.Type.Equal(want):
			bad(name, e.Kind, fmt.Sprintf("signature %s, want %s", e.Type, want))
		}
	}
	if e := m.Export(ExportMemory); e == nil {
		bad(ExportMemory, KindMemory, "missing")
	} else if e.Kind != KindMemory {
		bad(ExportMemory, e.Kind, "must be a memory")
	}
	checkFunc(ExportInitialize, &InitializeType)
	checkFunc(ExportABIVersion, &ABIVersionType)
	triggers := 0
	for i := range m.Exports {
		e := &m.Exports[i]
		switch {
		case e.Name == "_start":
			bad(e.Name, e.Kind, "modules must be WASI reactors (-buildmode=c-shared), not commands")
		case e.Name == ExportABIVersion:
		case strings.HasPrefix(e.Name, TriggerExportPrefix):
			t := strings.TrimPrefix(e.Name, TriggerExportPrefix)
			switch {
			case !ValidTrigger(t):
				bad(e.Name, e.Kind, "invalid trigger name (want ^[a-z][a-z0-9_]{0,62}$)")
			case e.Kind != KindFunc:
				bad(e.Name, e.Kind, "must be a function")
			case !e.Type.Equal(&TriggerType):
				bad(e.Name, e.Kind, fmt.Sprintf("signature %s, want %s", e.Type, &TriggerType))
			default:
				triggers++
			}
		case strings.HasPrefix(e.Name, reservedPrefix):
			bad(e.Name, e.Kind, "the forge_ export namespace is reserved")
		}
	}
	if triggers == 0 {
		bad(TriggerExportPrefix+"<trigger>", KindFunc, "no trigger handler exported")
	}
	return out
}
