package mcp

import (
	"errors"
	"strings"
)

// splitCommand splits a command line into argv the way a POSIX shell splits
// words, without running a shell and without expanding anything: words are
// separated by unquoted white space; single quotes keep everything up to the
// next single quote literally; double quotes keep everything literally except
// that a backslash escapes '"', '\\', '$', '`' and a newline; outside quotes a
// backslash keeps the next character literally. Variables, globs, pipes and
// redirections have no special meaning.
func splitCommand(line string) ([]string, error) {
	var (
		args    []string
		cur     strings.Builder
		inWord  bool
		escaped bool
		quote   rune // 0, '\'' or '"'
	)
	for _, r := range line {
		switch {
		case escaped:
			if quote == '"' && r != '"' && r != '\\' && r != '$' && r != '`' && r != '\n' {
				cur.WriteByte('\\')
			}
			if r != '\n' {
				cur.WriteRune(r)
				inWord = true
			}
			escaped = false
		case quote == '\'':
			if r == '\'' {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case quote == '"':
			switch r {
			case '"':
				quote = 0
			case '\\':
				escaped = true
			default:
				cur.WriteRune(r)
			}
		case r == '\\':
			escaped = true
		case r == '\'' || r == '"':
			quote = r
			inWord = true
		case r == ' ' || r == '\t' || r == '\n' || r == '\r':
			if inWord {
				args = append(args, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	switch {
	case escaped && quote == 0:
		return nil, errors.New("command ends with an unescaped backslash")
	case quote == '\'':
		return nil, errors.New("unterminated single quote in command")
	case quote == '"':
		return nil, errors.New("unterminated double quote in command")
	}
	if inWord {
		args = append(args, cur.String())
	}
	if len(args) == 0 {
		return nil, errors.New("command is empty")
	}
	return args, nil
}
