package validate

import (
	"io"
	"strconv"
	"strings"
)

// GitHub Actions workflow commands: one ::error or ::warning line per
// finding, which GitHub shows as an annotation on the file and line.

var (
	ghData     = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	ghProperty = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
)

func writeGitHub(w io.Writer, results []Result) error {
	var b strings.Builder
	for _, res := range results {
		for _, d := range res.Diagnostics {
			cmd := "error"
			if d.Severity == SeverityWarning {
				cmd = "warning"
			}
			b.WriteString("::" + cmd + " ")
			var props []string
			file := d.File
			if file == "" {
				file = res.Path
			}
			if file != "" {
				props = append(props, "file="+ghProperty.Replace(sarifPath(file)))
			}
			if d.Line > 0 {
				props = append(props, "line="+strconv.Itoa(d.Line))
				if d.Col > 0 {
					props = append(props, "col="+strconv.Itoa(d.Col))
				}
			}
			props = append(props, "title="+ghProperty.Replace(d.Rule))
			b.WriteString(strings.Join(props, ","))
			msg := d.Message
			if d.Hint != "" {
				msg += "\nhint: " + d.Hint
			}
			b.WriteString("::" + ghData.Replace(msg) + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
