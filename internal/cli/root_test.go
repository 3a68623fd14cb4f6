package cli

import (
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/forgehq/forge/internal/iostreams"
)

// TestNoCommandShadowsRootFlags: a subcommand flag with the name (or
// shorthand) of a root persistent flag hides the root's one for that
// command, as `forge run --config KEY=VALUE` once hid --config FILE.
func TestNoCommandShadowsRootFlags(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	root := NewRootCmd(NewFactory(ios))
	persistent := root.PersistentFlags()
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			sub.LocalFlags().VisitAll(func(f *pflag.Flag) {
				if persistent.Lookup(f.Name) != nil {
					t.Errorf("%s: --%s redefines the root's persistent flag", sub.CommandPath(), f.Name)
				}
				if f.Shorthand != "" && persistent.ShorthandLookup(f.Shorthand) != nil {
					t.Errorf("%s: -%s redefines a root persistent shorthand", sub.CommandPath(), f.Shorthand)
				}
			})
			walk(sub)
		}
	}
	walk(root)
}

// TestFactoryConfigFlagError: a --config flag of another type is an error,
// not silently no forge.yaml.
func TestFactoryConfigFlagError(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	f := NewFactory(ios)
	f.WorkDir = t.TempDir()
	flags := pflag.NewFlagSet("x", pflag.ContinueOnError)
	flags.StringArray("config", nil, "")
	if err := flags.Parse([]string{"--config", "a=b"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Config(flags); err == nil {
		t.Fatal("Config with a non-string --config flag: no error")
	}
	if _, err := f.Config(pflag.NewFlagSet("y", pflag.ContinueOnError)); err != nil {
		t.Fatalf("Config without a --config flag: %v", err)
	}
}
