// Package config loads Forge's configuration in one place: the project's
// forge.yaml, FORGE_* environment variables and command-line flags, with the
// precedence flag > environment > forge.yaml > default. It uses a fresh
// viper instance per load, never viper's global.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
	"gopkg.in/yaml.v3"

	"github.com/forgehq/forge/internal/manifest"
	"github.com/forgehq/forge/internal/validate"
)

// FileName is the project configuration file.
const FileName = "forge.yaml"

// Config is the resolved configuration of one invocation.
type Config struct {
	// File is the forge.yaml in use ("" when there is none) and Dir the
	// project directory (the file's directory, or the working directory).
	File string
	Dir  string

	// Registry is the absolute path of the capability registry directory.
	Registry string

	// ImportTimeout bounds reading one source (remote documents, MCP
	// servers); MaxDocumentBytes caps the size of a document read.
	ImportTimeout    time.Duration
	MaxDocumentBytes int64

	// Events are the event types the workspace declares; extension event
	// triggers must use one of them.
	Events []string
	// Extensions is the policy every extension is validated against.
	Extensions ExtensionPolicy

	node yaml.Node // forge.yaml, to place errors about its values
}

// ExtensionPolicy bounds what an extension manifest may ask for.
type ExtensionPolicy struct {
	MinScheduleInterval time.Duration
	MaxModuleBytes      int64
	MaxMemoryBytes      int64
	MaxTimeout          time.Duration
	MaxHTTPCalls        int
}

// Project is the schema of forge.yaml.
type Project struct {
	Version  int    `yaml:"version"`
	Registry string `yaml:"registry,omitempty"`
	Import   struct {
		Timeout          string `yaml:"timeout,omitempty"`
		MaxDocumentBytes int64  `yaml:"maxDocumentBytes,omitempty"`
	} `yaml:"import,omitempty"`
	Events     []string `yaml:"events,omitempty"`
	Extensions struct {
		MinScheduleInterval string `yaml:"minScheduleInterval,omitempty"`
		MaxModuleSize       string `yaml:"maxModuleSize,omitempty"`
		MaxLimits           struct {
			Memory    string `yaml:"memory,omitempty"`
			Timeout   string `yaml:"timeout,omitempty"`
			HTTPCalls *int   `yaml:"httpCalls,omitempty"`
		} `yaml:"maxLimits,omitempty"`
	} `yaml:"extensions,omitempty"`
}

// Defaults. The extension maxima are validate.DefaultPolicy's, which the
// server applies: a manifest that `forge validate` accepts with no
// forge.yaml is one the server accepts.
const (
	DefaultRegistry            = "registry"
	DefaultImportTimeout       = 30 * time.Second
	DefaultMaxDocumentBytes    = 64 << 20
	DefaultMinScheduleInterval = validate.DefaultMinScheduleInterval
	DefaultMaxModuleSize       = "32MiB"  // validate.DefaultMaxModuleBytes
	DefaultMaxMemory           = "256MiB" // validate.DefaultMaxMemory
	DefaultMaxTimeout          = validate.DefaultMaxTimeout
	DefaultMaxHTTPCalls        = validate.DefaultMaxHTTPCalls
)

// Error is a problem with a configuration file, with its position.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Find returns the forge.yaml in dir or its nearest ancestor, or "".
func Find(dir string) string {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	for {
		p := filepath.Join(dir, FileName)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// Load resolves the configuration. file is an explicit forge.yaml ("" to
// search from wd upwards); flags are the command's flags, bound by name
// (registry). Relative paths in forge.yaml are relative to the project
// directory; relative paths from flags and the environment are relative to
// wd.
func Load(wd, file string, flags *pflag.FlagSet) (*Config, error) {
	v := viper.New()
	v.SetEnvPrefix("FORGE")
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	v.SetDefault("registry", DefaultRegistry)
	v.SetDefault("import.timeout", DefaultImportTimeout.String())
	v.SetDefault("import.maxDocumentBytes", DefaultMaxDocumentBytes)
	v.SetDefault("extensions.minScheduleInterval", DefaultMinScheduleInterval.String())
	v.SetDefault("extensions.maxModuleSize", DefaultMaxModuleSize)
	v.SetDefault("extensions.maxLimits.memory", DefaultMaxMemory)
	v.SetDefault("extensions.maxLimits.timeout", DefaultMaxTimeout.String())
	v.SetDefault("extensions.maxLimits.httpCalls", DefaultMaxHTTPCalls)

	if file == "" {
		file = os.Getenv("FORGE_CONFIG")
	}
	explicit := file != ""
	if !explicit {
		file = Find(wd)
	}
	cfg := &Config{Dir: wd}
	if file != "" {
		if !filepath.IsAbs(file) {
			file = filepath.Join(wd, file)
		}
		data, err := os.ReadFile(file)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && !explicit {
				file = ""
			} else {
				return nil, &Error{File: file, Msg: "cannot read: " + err.Error()}
			}
		}
		if file != "" {
			if _, err := ParseProject(file, data); err != nil {
				return nil, err
			}
			_ = yaml.Unmarshal(data, &cfg.node) // it decoded above; the node only places errors
			v.SetConfigType("yaml")
			if err := v.ReadConfig(bytes.NewReader(data)); err != nil {
				return nil, &Error{File: file, Msg: err.Error()}
			}
			cfg.File = file
			cfg.Dir = filepath.Dir(file)
		}
	}
	if f := lookupFlag(flags, "registry"); f != nil {
		if err := v.BindPFlag("registry", f); err != nil {
			return nil, err
		}
	}

	cfg.Registry = resolveRegistry(v.GetString("registry"), wd, cfg.Dir, flags)
	d, err := time.ParseDuration(v.GetString("import.timeout"))
	if err != nil || d <= 0 {
		return nil, cfg.badValue("import.timeout", v.GetString("import.timeout"), "a positive duration such as 30s")
	}
	cfg.ImportTimeout = d
	cfg.MaxDocumentBytes = v.GetInt64("import.maxDocumentBytes")
	if cfg.MaxDocumentBytes <= 0 {
		return nil, cfg.badValue("import.maxDocumentBytes", v.GetString("import.maxDocumentBytes"), "a positive number of bytes")
	}
	cfg.Events = v.GetStringSlice("events")
	if err := loadPolicy(v, cfg); err != nil {
		return nil, err
	}
	return cfg, nil
}

// resolveRegistry makes the registry path absolute. A relative path from
// the --registry flag or FORGE_REGISTRY is typed by someone standing in wd,
// so it is relative to wd; one from forge.yaml (or the default) is relative
// to the project directory, wherever forge runs from.
func resolveRegistry(reg, wd, projectDir string, flags *pflag.FlagSet) string {
	if filepath.IsAbs(reg) {
		return reg
	}
	base := projectDir
	if f := lookupFlag(flags, "registry"); (f != nil && f.Changed) || os.Getenv("FORGE_REGISTRY") != "" {
		base = wd
	}
	return filepath.Join(base, reg)
}

func lookupFlag(flags *pflag.FlagSet, name string) *pflag.Flag {
	if flags == nil {
		return nil
	}
	return flags.Lookup(name)
}

func loadPolicy(v *viper.Viper, cfg *Config) error {
	bad := cfg.badValue
	p := &cfg.Extensions
	var err error
	if p.MinScheduleInterval, err = positiveDuration(v.GetString("extensions.minScheduleInterval")); err != nil {
		return bad("extensions.minScheduleInterval", v.GetString("extensions.minScheduleInterval"), "a positive duration such as 15m")
	}
	if p.MaxTimeout, err = positiveDuration(v.GetString("extensions.maxLimits.timeout")); err != nil {
		return bad("extensions.maxLimits.timeout", v.GetString("extensions.maxLimits.timeout"), "a positive duration such as 30s")
	}
	size := func(key string) (int64, error) {
		b, err := manifest.ParseBytes(v.GetString(key))
		if err != nil || b <= 0 {
			return 0, bad(key, v.GetString(key), "a positive size such as 32MiB")
		}
		return int64(b), nil
	}
	if p.MaxModuleBytes, err = size("extensions.maxModuleSize"); err != nil {
		return err
	}
	if p.MaxMemoryBytes, err = size("extensions.maxLimits.memory"); err != nil {
		return err
	}
	p.MaxHTTPCalls = v.GetInt("extensions.maxLimits.httpCalls")
	if p.MaxHTTPCalls < 0 {
		return bad("extensions.maxLimits.httpCalls", v.GetString("extensions.maxLimits.httpCalls"), "a count of zero or more")
	}
	return nil
}

func positiveDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("not a positive duration")
	}
	return d, nil
}

// badValue is the error for a configuration value that does not parse,
// naming where it came from: the environment variable that set it (which
// takes precedence over forge.yaml), else its line in forge.yaml.
func (c *Config) badValue(key, val, want string) error {
	msg := fmt.Sprintf("%s: %q is not %s", key, val, want)
	env := "FORGE_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
	if os.Getenv(env) != "" {
		return &Error{File: "environment variable " + env, Msg: msg}
	}
	if c.File == "" {
		return &Error{File: "configuration", Msg: msg}
	}
	return &Error{File: c.File, Line: keyLine(&c.node, key), Msg: msg}
}

// keyLine is the line of the value of the dotted key in a YAML document
// (keys compared without case, as viper does); 0 when it is not there.
func keyLine(doc *yaml.Node, key string) int {
	n := doc
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, part := range strings.Split(key, ".") {
		if n.Kind != yaml.MappingNode {
			return 0
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if strings.EqualFold(n.Content[i].Value, part) {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			return 0
		}
		n = next
	}
	return n.Line
}

// ParseProject decodes forge.yaml strictly: unknown fields and wrong types
// are errors that name the line.
func ParseProject(file string, data []byte) (*Project, error) {
	var p Project
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		if errors.Is(err, io.EOF) {
			return &p, nil
		}
		return nil, yamlError(file, err)
	}
	if p.Version != 0 && p.Version != 1 {
		return nil, &Error{File: file, Msg: fmt.Sprintf("version %d is not supported (want 1)", p.Version)}
	}
	return &p, nil
}

// DefaultProject is the forge.yaml written by `forge init`.
const DefaultProject = `# Forge project configuration. See docs/getting-started.md.
version: 1

# Where the pinned capability registry lives (commit it).
registry: registry

import:
  # Upper bound for reading one source (remote documents, MCP servers).
  timeout: 30s
  # Largest document accepted, in bytes.
  maxDocumentBytes: 67108864

# Event types this workspace emits; extension event triggers must use one.
events: []

# What any extension may ask for; forge validate enforces it.
extensions:
  minScheduleInterval: 5m
  maxModuleSize: 32MiB
  maxLimits:
    memory: 256MiB
    timeout: 60s
    httpCalls: 100
`
