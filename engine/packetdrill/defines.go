package packetdrill

import (
	"fmt"
	"strings"
)

// MaxDefines bounds how many -D definitions a run takes.
const MaxDefines = 64

// ParseDefine reads one of packetdrill's -D arguments, NAME=VALUE.
func ParseDefine(arg string) (name, value string, err error) {
	name, value, ok := strings.Cut(arg, "=")
	if !ok || !isIdent(name) {
		return "", "", fmt.Errorf("-D %q: want NAME=VALUE with NAME a C identifier", arg)
	}
	return name, value, nil
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if c != '_' && !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// Define substitutes packetdrill's -D definitions in a script's source: every whole word
// NAME becomes VALUE, as packetdrill's lexer reads a defined symbol. TFO_COOKIE is left
// alone, since the runner fills in the cookie the stack under test computes.
func Define(src []byte, defs map[string]string) ([]byte, error) {
	if len(defs) > MaxDefines {
		return nil, fmt.Errorf("%d definitions, more than %d", len(defs), MaxDefines)
	}
	if len(defs) == 0 {
		return src, nil
	}
	var b strings.Builder
	s := string(src)
	for i := 0; i < len(s); {
		c := s[i]
		if c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' {
			j := i + 1
			for j < len(s) && (s[j] == '_' || 'a' <= s[j] && s[j] <= 'z' || 'A' <= s[j] && s[j] <= 'Z' || '0' <= s[j] && s[j] <= '9') {
				j++
			}
			w := s[i:j]
			if v, ok := defs[w]; ok && w != "TFO_COOKIE" {
				w = v
			}
			b.WriteString(w)
			i = j
			continue
		}
		if '0' <= c && c <= '9' {
			// A number (0x10, 1e3) is one word: its letters are not a symbol.
			j := i + 1
			for j < len(s) && (s[j] == '_' || 'a' <= s[j] && s[j] <= 'z' || 'A' <= s[j] && s[j] <= 'Z' || '0' <= s[j] && s[j] <= '9') {
				j++
			}
			b.WriteString(s[i:j])
			i = j
			continue
		}
		b.WriteByte(c)
		i++
	}
	return []byte(b.String()), nil
}
