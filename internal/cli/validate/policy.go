package validate

import (
	"github.com/forgehq/forge/internal/config"
	"github.com/forgehq/forge/internal/validate"
)

// Policy is the validation policy of the project's forge.yaml.
func Policy(cfg *config.Config, strict bool) validate.Policy {
	p := cfg.Extensions
	return validate.Policy{
		Events:              cfg.Events,
		MinScheduleInterval: p.MinScheduleInterval,
		MaxMemory:           p.MaxMemoryBytes,
		MaxTimeout:          p.MaxTimeout,
		MaxHTTPCalls:        p.MaxHTTPCalls,
		MaxModuleBytes:      p.MaxModuleBytes,
		Strict:              strict,
	}
}
