package manifest

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Bytes is a size in bytes.
type Bytes int64

// Size units accepted by ParseBytes.
const (
	KiB Bytes = 1 << 10
	MiB Bytes = 1 << 20
	GiB Bytes = 1 << 30
)

var sizeUnits = []struct {
	name string
	n    Bytes
}{{"GiB", GiB}, {"MiB", MiB}, {"KiB", KiB}, {"B", 1}}

// ParseBytes parses a size: an integer followed by B, KiB, MiB or GiB
// ("32MiB"), or a bare integer of bytes. Decimal units (KB, MB, GB) are
// rejected so that nobody has to guess whether they mean 1000 or 1024.
func ParseBytes(s string) (Bytes, error) {
	num := strings.TrimRight(s, "BKMGiTPEkmgbtpe ")
	unit := strings.TrimSpace(s[len(num):])
	num = strings.TrimSpace(num)
	if num == "" || strings.Trim(num, "0123456789") != "" {
		return 0, fmt.Errorf("invalid size %q: want an integer with a unit B, KiB, MiB or GiB, like 32MiB", s)
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid size %q: number too large", s)
	}
	if unit == "" {
		return Bytes(n), nil
	}
	for _, u := range sizeUnits {
		if unit == u.name {
			if n > math.MaxInt64/int64(u.n) {
				return 0, fmt.Errorf("invalid size %q: too large", s)
			}
			return Bytes(n) * u.n, nil
		}
	}
	if want := binaryUnit(unit); want != "" {
		return 0, fmt.Errorf("invalid size %q: unknown unit %q (did you mean %s%s?)", s, unit, num, want)
	}
	return 0, fmt.Errorf("invalid size %q: unknown unit %q (want B, KiB, MiB or GiB)", s, unit)
}

// binaryUnit maps look-alike units (MB, mib, M) to the binary one.
func binaryUnit(u string) string {
	switch strings.ToUpper(strings.TrimSuffix(strings.TrimSuffix(strings.ToUpper(u), "B"), "I")) {
	case "K":
		return "KiB"
	case "M":
		return "MiB"
	case "G":
		return "GiB"
	}
	return ""
}

// String formats b with the largest binary unit that divides it exactly.
func (b Bytes) String() string {
	for _, u := range sizeUnits {
		if b != 0 && b%u.n == 0 {
			return strconv.FormatInt(int64(b/u.n), 10) + u.name
		}
	}
	return strconv.FormatInt(int64(b), 10) + "B"
}
