package sdk

import (
	"fmt"
	"strconv"
	"time"
)

// Secret returns the value of a secret of the extension's namespace. The
// name must be declared in the manifest: an undeclared name fails with
// ErrDenied, a declared but unset one with ErrNotFound.
func Secret(name string) (string, error) {
	b, code := host().SecretGet([]byte(name))
	if code < 0 {
		return "", hostError("secret "+name, code, b)
	}
	return string(b), nil
}

// Config returns the value of a configuration key of the namespace and
// whether it is set.
func Config(key string) (string, bool) {
	b, code := host().ConfigGet([]byte(key))
	if code < 0 {
		return "", false
	}
	return string(b), true
}

// ConfigString returns the value of key, or def when it is not set.
func ConfigString(key, def string) string {
	if v, ok := Config(key); ok {
		return v
	}
	return def
}

// ConfigInt returns the value of key as an integer, or def when it is not
// set. A value that is not an integer is an error.
func ConfigInt(key string, def int) (int, error) {
	return configParse(key, def, strconv.Atoi)
}

// ConfigBool returns the value of key as a boolean (as strconv.ParseBool),
// or def when it is not set.
func ConfigBool(key string, def bool) (bool, error) {
	return configParse(key, def, strconv.ParseBool)
}

// ConfigDuration returns the value of key as a duration such as "90s" (as
// time.ParseDuration), or def when it is not set.
func ConfigDuration(key string, def time.Duration) (time.Duration, error) {
	return configParse(key, def, time.ParseDuration)
}

func configParse[T any](key string, def T, parse func(string) (T, error)) (T, error) {
	s, ok := Config(key)
	if !ok {
		return def, nil
	}
	v, err := parse(s)
	if err != nil {
		return def, &Error{Op: "config " + key, Code: CodeInvalidArgument, Msg: fmt.Sprintf("cannot parse %q", s)}
	}
	return v, nil
}
