package metrics

import "encoding/json"

// jsonString returns s as a JSON string literal.
func jsonString(s string) string { return string(appendJSONString(nil, s)) }

// appendJSONString appends s as a JSON string literal: printable ASCII
// without quotes or backslashes (request IDs) as it is, anything else
// through encoding/json.
func appendJSONString(dst []byte, s string) []byte {
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			plain = false
			break
		}
	}
	if plain {
		dst = append(dst, '"')
		dst = append(dst, s...)
		return append(dst, '"')
	}
	b, err := json.Marshal(s)
	if err != nil { // a string always marshals
		return append(dst, `""`...)
	}
	return append(dst, b...)
}
