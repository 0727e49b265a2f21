package report

import (
	"bytes"
	"encoding/json"
)

// IndentedJSON returns v as a json.Encoder with SetIndent("", indent) writes it (HTML
// characters escaped, a newline at the end), marshalled compact and laid out by
// appendIndented instead of the encoder's byte-by-byte scanner.
func IndentedJSON(v any, indent string) ([]byte, error) {
	compact, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	out := appendIndented(make([]byte, 0, 2*len(compact)+1), compact, "", indent)
	return append(out, '\n'), nil
}

// appendIndented appends src, compact JSON as encoding/json marshals it (no whitespace
// outside strings), laid out as json.Indent(dst, src, prefix, indent) lays it out: each
// element of an object or array on a line of its own, begun by prefix and one indent per
// level of nesting, a space after each colon, and empty objects and arrays kept as {} and
// []. json.Indent runs its scanner's state machine on every byte; knowing the input is
// compact, this only looks for the structural characters and copies strings whole (the
// indentation of roles.json took three quarters of its writing).
func appendIndented(dst, src []byte, prefix, indent string) []byte {
	depth := 0
	newline := func() {
		dst = append(dst, '\n')
		dst = append(dst, prefix...)
		for range depth {
			dst = append(dst, indent...)
		}
	}
	for i := 0; i < len(src); i++ {
		switch c := src[i]; c {
		case '"':
			end := stringEnd(src, i)
			dst = append(dst, src[i:end]...)
			i = end - 1
		case '{', '[':
			if i+1 < len(src) && (src[i+1] == '}' || src[i+1] == ']') {
				dst = append(dst, c, src[i+1])
				i++
				continue
			}
			dst = append(dst, c)
			depth++
			newline()
		case '}', ']':
			depth--
			newline()
			dst = append(dst, c)
		case ',':
			dst = append(dst, c)
			newline()
		case ':':
			dst = append(dst, ':', ' ')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// stringEnd returns the index just past the JSON string that starts with the quote at
// src[start] (len(src) when it is not closed): the first quote after it preceded by an
// even number of backslashes.
func stringEnd(src []byte, start int) int {
	for at := start + 1; ; {
		q := bytes.IndexByte(src[at:], '"')
		if q < 0 {
			return len(src)
		}
		q += at
		backslashes := 0
		for k := q - 1; k > start && src[k] == '\\'; k-- {
			backslashes++
		}
		if backslashes%2 == 0 {
			return q + 1
		}
		at = q + 1
	}
}
