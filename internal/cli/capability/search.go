package capability

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/forgehq/forge/internal/capability"
	"github.com/forgehq/forge/internal/cli/cmdutil"
	"github.com/forgehq/forge/internal/config"
	"github.com/forgehq/forge/internal/iostreams"
)

// SearchOptions are the inputs of `forge capability search`.
type SearchOptions struct {
	IO     *iostreams.IOStreams
	Config *config.Config
	Query  string
	Source string
	Limit  int
	Output string
}

// NewCmdSearch returns `forge capability search`.
func NewCmdSearch(f *cmdutil.Factory, runF func(*SearchOptions) error) *cobra.Command {
	opts := &SearchOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "search QUERY",
		Short: "Find capabilities by words in their id and description",
		Long: `Rank capabilities by how well their id, name and description match the words
of QUERY (case-insensitive). Matches in the name count most.`,
		Example: `  forge capability search "list pets"
  forge capability search issue --source github --limit 5 -o json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Query = strings.Join(args, " ")
			if err := cmdutil.CheckOutput(opts.Output); err != nil {
				return err
			}
			if opts.Limit < 1 {
				return cmdutil.FlagErrorf("--limit must be at least 1")
			}
			cfg, err := f.LoadConfig(cmd)
			if err != nil {
				return err
			}
			opts.Config = cfg
			if runF != nil {
				return runF(opts)
			}
			return RunSearch(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Source, "source", "", "only search this source")
	cmd.Flags().IntVar(&opts.Limit, "limit", 20, "at most this many results")
	cmdutil.AddOutputFlag(cmd, &opts.Output)
	return cmd
}

// Hit is one search result.
type Hit struct {
	Summary
	Score int `json:"score"`
}

// RunSearch prints the best matches.
func RunSearch(opts *SearchOptions) error {
	reg, err := capability.Open(opts.Config.Registry)
	if err != nil {
		return err
	}
	var caps []capability.Capability
	if opts.Source != "" {
		caps, err = reg.Load(opts.Source)
	} else {
		caps, err = reg.All()
	}
	if err != nil {
		return err
	}
	hits := Search(caps, opts.Query)
	if len(hits) > opts.Limit {
		hits = hits[:opts.Limit]
	}
	if opts.Output == cmdutil.FormatJSON {
		return cmdutil.WriteJSON(opts.IO.Out, struct {
			Query   string `json:"query"`
			Results []Hit  `json:"results"`
		}{opts.Query, hits})
	}
	if len(hits) == 0 {
		fmt.Fprintf(opts.IO.ErrOut, "No capability matches %q.\n", opts.Query)
		return nil
	}
	tw := cmdutil.Table(opts.IO.Out)
	fmt.Fprintln(tw, "ID\tEFFECT\tDESCRIPTION")
	for _, h := range hits {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", h.ID, h.Effect, firstLine(h.Description, 72))
	}
	return tw.Flush()
}

// Search ranks caps against the words of query. Every word must match the
// id or the description; a word in the name scores 3, in the id 2, in the
// description 1. Ties are broken by id.
func Search(caps []capability.Capability, query string) []Hit {
	words := strings.Fields(strings.ToLower(query))
	hits := []Hit{}
	if len(words) == 0 {
		return hits
	}
	for i := range caps {
		c := &caps[i]
		name, id, desc := strings.ToLower(c.Name), strings.ToLower(c.ID), strings.ToLower(c.Description)
		score := 0
		for _, w := range words {
			switch {
			case strings.Contains(name, w):
				score += 3
			case strings.Contains(id, w):
				score += 2
			case strings.Contains(desc, w):
				score++
			default:
				score = -1
			}
			if score < 0 {
				break
			}
		}
		if score > 0 {
			hits = append(hits, Hit{Summary: summarize(c), Score: score})
		}
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].Score != hits[j].Score {
			return hits[i].Score > hits[j].Score
		}
		return hits[i].ID < hits[j].ID
	})
	return hits
}
