package egress

import (
	"net/netip"
	"strconv"
	"strings"
)

// ParseNumericHost recognises the IPv4 spellings that inet_aton(3) and
// WHATWG URL parsers accept, not only the canonical dotted quad: one to
// four dot-separated parts, each decimal, octal (leading 0) or hexadecimal
// (leading 0x), the last part filling the remaining bytes, and an optional
// trailing dot. "2130706433", "0x7f000001", "0177.0.0.1", "127.1" and
// "0x7f.1" all spell 127.0.0.1.
//
// The guard refuses every host that parses here unless it is the canonical
// dotted quad: such spellings never match a manifest rule, and a resolver or
// a server behind a proxy might read them as an address the rules forbid.
func ParseNumericHost(host string) (netip.Addr, bool) {
	host = strings.TrimSuffix(host, ".")
	if host == "" || len(host) > 64 {
		return netip.Addr{}, false
	}
	parts := strings.Split(host, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	vals := make([]uint64, len(parts))
	for i, p := range parts {
		v, ok := parseNumericPart(p)
		if !ok {
			return netip.Addr{}, false
		}
		vals[i] = v
	}
	last := len(vals) - 1
	for _, v := range vals[:last] {
		if v > 0xff {
			return netip.Addr{}, false
		}
	}
	// The last part fills the bytes the others left: 4 - last of them.
	if vals[last] >= 1<<(8*uint(4-last)) {
		return netip.Addr{}, false
	}
	n := vals[last]
	for i, v := range vals[:last] {
		n |= v << (8 * uint(3-i))
	}
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), true
}

// parseNumericPart parses one part: 0x-prefixed hexadecimal (an empty
// "0x" is 0, as WHATWG parsers read it), 0-prefixed octal, or decimal.
func parseNumericPart(p string) (uint64, bool) {
	if p == "" {
		return 0, false
	}
	base := 10
	switch {
	case len(p) >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X'):
		p, base = p[2:], 16
		if p == "" {
			return 0, true
		}
	case len(p) > 1 && p[0] == '0':
		p, base = p[1:], 8
	}
	// ParseUint accepts a sign or underscores in some forms; digits only here.
	for i := 0; i < len(p); i++ {
		c := p[i] | 0x20 // lower-cases letters, keeps digits
		if !(p[i] >= '0' && p[i] <= '9' || base == 16 && c >= 'a' && c <= 'f') {
			return 0, false
		}
	}
	v, err := strconv.ParseUint(p, base, 64)
	if err != nil {
		return 0, false
	}
	return v, true
}
