package capability

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// badLine is a line of a capability file that cannot be read, at byte
// offset off; Get turns it into a CorruptError with the line number.
type badLine struct {
	off int64
	msg string
}

func (e *badLine) Error() string { return fmt.Sprintf("at byte %d: %s", e.off, e.msg) }

// searchSorted finds the line of id in a capability file whose lines are
// sorted by id (as EncodeCapabilities writes them), by binary search over
// byte offsets. It returns the line and its offset, or a nil line when id
// is not there.
func searchSorted(f *os.File, id string) ([]byte, int64, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	lo, hi := int64(0), st.Size() // the line starting at or after lo..hi
	for lo < hi {
		mid := lo + (hi-lo)/2
		start, err := lineStart(f, mid, lo)
		if err != nil {
			return nil, 0, err
		}
		if start >= hi {
			// No line begins in [mid, hi): search the lower half, whose
			// last line starts before mid.
			hi = mid
			continue
		}
		lineID, err := readID(f, start)
		if err != nil {
			return nil, 0, err
		}
		switch c := strings.Compare(lineID, id); {
		case c == 0:
			line, err := readLine(f, start)
			return line, start, err
		case c < 0:
			next, err := lineStart(f, start+1, 0)
			if err != nil {
				return nil, 0, err
			}
			lo = next
		default:
			hi = start
		}
	}
	return nil, 0, nil
}

// lineStart returns the offset of the first line that starts at or after
// off (off itself when off == floor, the start of the search range).
func lineStart(f *os.File, off, floor int64) (int64, error) {
	if off <= floor {
		return floor, nil
	}
	buf := make([]byte, 32<<10)
	pos := off - 1 // a line starts at off if the byte before it is a newline
	for {
		n, err := f.ReadAt(buf, pos)
		if i := bytes.IndexByte(buf[:n], '\n'); i >= 0 {
			return pos + int64(i) + 1, nil
		}
		pos += int64(n)
		if errors.Is(err, io.EOF) {
			return pos, nil
		}
		if err != nil {
			return 0, err
		}
	}
}

// readID reads the id at the start of the line at off.
func readID(f *os.File, off int64) (string, error) {
	buf := make([]byte, 512)
	n, err := f.ReadAt(buf, off)
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	id, err := lineID(buf[:n])
	if err != nil {
		return "", &badLine{off: off, msg: err.Error()}
	}
	return id, nil
}

// idPrefix starts every line of a capability file: EncodeCapabilities
// writes the id first, which is what lets Get search a file by id without
// decoding whole lines.
const idPrefix = `{"id":`

// lineID returns the id at the start of a capability line (or of its first
// bytes). Get and Load both read ids with it, so that they agree on which
// line holds which id.
func lineID(line []byte) (string, error) {
	if !bytes.HasPrefix(line, []byte(idPrefix)) {
		return "", fmt.Errorf("the line does not start with %s", idPrefix)
	}
	dec := json.NewDecoder(bytes.NewReader(line[len(idPrefix):]))
	var id string
	if err := dec.Decode(&id); err != nil {
		return "", fmt.Errorf("the line does not start with an id string (%s)", DescribeJSONError(err))
	}
	return id, nil
}

// lineNumber returns the 1-based number of the line starting at off.
func lineNumber(f *os.File, off int64) (int, error) {
	n := 1
	buf := make([]byte, 64<<10)
	for pos := int64(0); pos < off; {
		m, err := f.ReadAt(buf[:min(int64(len(buf)), off-pos)], pos)
		n += bytes.Count(buf[:m], []byte{'\n'})
		pos += int64(m)
		if err != nil && !(errors.Is(err, io.EOF) && pos >= off) {
			return 0, err
		}
	}
	return n, nil
}

// readLine reads the whole line at off, without its newline.
func readLine(f *os.File, off int64) ([]byte, error) {
	var out []byte
	buf := make([]byte, 64<<10)
	for {
		n, err := f.ReadAt(buf, off)
		if i := bytes.IndexByte(buf[:n], '\n'); i >= 0 {
			return append(out, buf[:i]...), nil
		}
		out = append(out, buf[:n]...)
		off += int64(n)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
	}
}
