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

// searchSorted finds the line of id in a capability file whose lines are
// sorted by id (as EncodeCapabilities writes them), by binary search over
// byte offsets. It returns nil when id is not there.
func searchSorted(f *os.File, id string) ([]byte, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	lo, hi := int64(0), st.Size() // the line starting at or after lo..hi
	for lo < hi {
		mid := lo + (hi-lo)/2
		start, err := lineStart(f, mid, lo)
		if err != nil {
			return nil, err
		}
		if start >= hi {
			// No line begins in [mid, hi): search the lower half, whose
			// last line starts before mid.
			hi = mid
			continue
		}
		lineID, err := readID(f, start)
		if err != nil {
			return nil, err
		}
		switch c := strings.Compare(lineID, id); {
		case c == 0:
			return readLine(f, start)
		case c < 0:
			next, err := lineStart(f, start+1, 0)
			if err != nil {
				return nil, err
			}
			lo = next
		default:
			hi = start
		}
	}
	return nil, nil
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
	buf = buf[:n]
	const prefix = `{"id":`
	if !bytes.HasPrefix(buf, []byte(prefix)) {
		return "", fmt.Errorf("corrupt capability file at byte %d: a line does not start with %s", off, prefix)
	}
	dec := json.NewDecoder(bytes.NewReader(buf[len(prefix):]))
	var id string
	if err := dec.Decode(&id); err != nil {
		return "", fmt.Errorf("corrupt capability file at byte %d: %w", off, err)
	}
	return id, nil
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
