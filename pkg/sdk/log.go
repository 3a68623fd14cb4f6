package sdk

import (
	"fmt"

	"github.com/forgehq/forge/pkg/sdk/internal/hostabi"
)

// Level is a log level of forge.log.
type Level int32

// Log levels.
const (
	LevelDebug Level = Level(hostabi.LevelDebug)
	LevelInfo  Level = Level(hostabi.LevelInfo)
	LevelWarn  Level = Level(hostabi.LevelWarn)
	LevelError Level = Level(hostabi.LevelError)
)

// Logger writes to the invocation log. The host truncates long lines and
// stops recording after a per-invocation limit; logging never fails.
// Never log secret values.
type Logger struct{}

// Log is the invocation log.
var Log Logger

// Printf logs a message at the given level.
func (Logger) Printf(level Level, format string, args ...any) {
	host().Log(int32(level), []byte(fmt.Sprintf(format, args...)))
}

// Debugf logs at debug level.
func (l Logger) Debugf(format string, args ...any) { l.Printf(LevelDebug, format, args...) }

// Infof logs at info level.
func (l Logger) Infof(format string, args ...any) { l.Printf(LevelInfo, format, args...) }

// Warnf logs at warn level.
func (l Logger) Warnf(format string, args ...any) { l.Printf(LevelWarn, format, args...) }

// Errorf logs at error level.
func (l Logger) Errorf(format string, args ...any) { l.Printf(LevelError, format, args...) }
