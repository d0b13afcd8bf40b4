package idempotency

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Proxy responses are what a handler behind API Gateway (REST or HTTP API),
// a function URL or an Application Load Balancer returns: a JSON object with
// an integer "statusCode", and optionally a "headers" object (name to
// string) and a "multiValueHeaders" object (name to list of strings).

// member is one top-level member of a JSON object, located in its text.
type member struct {
	name       string // decoded
	start, end int    // the member's bytes, from its key's opening quote to the end of its value
	valStart   int    // where its value starts
}

// proxyResponse is a response recognised as a proxy response.
type proxyResponse struct {
	status      int
	headers     *member // nil when absent
	multiValued *member // nil when absent or null
	closeAt     int     // offset of the object's closing brace
}

// errNotProxy is returned by parseProxyResponse for any other response.
var errNotProxy = errors.New("not a proxy response")

// parseProxyResponse recognises b as a proxy response: one JSON object
// (surrounded by whitespace only) whose "statusCode" is an integer, whose
// "headers" is absent, null or an object, and whose "multiValueHeaders" is
// absent, null or an object. A response naming any of these three members
// twice is not recognised (parsers disagree about which one wins).
func parseProxyResponse(b []byte) (proxyResponse, error) {
	if i := skipSpace(b, 0); i == len(b) || b[i] != '{' {
		return proxyResponse{}, errNotProxy // the usual case, decided without parsing
	}
	members, closeAt, err := topLevelMembers(b)
	if err != nil {
		return proxyResponse{}, errNotProxy
	}
	p := proxyResponse{closeAt: closeAt}
	seen := map[string]bool{}
	haveStatus := false
	for i := range members {
		m := &members[i]
		switch m.name {
		case "statusCode", "headers", "multiValueHeaders":
		default:
			continue
		}
		if seen[m.name] {
			return proxyResponse{}, errNotProxy
		}
		seen[m.name] = true
		val := bytes.TrimSpace(b[m.valStart:m.end])
		switch m.name {
		case "statusCode":
			n, err := strconv.Atoi(string(val))
			if err != nil {
				return proxyResponse{}, errNotProxy
			}
			p.status, haveStatus = n, true
		case "headers", "multiValueHeaders":
			null := string(val) == "null"
			if !null && val[0] != '{' {
				return proxyResponse{}, errNotProxy
			}
			if m.name == "headers" {
				p.headers = m // a null one is replaced by an object
			} else if !null {
				p.multiValued = m
			}
		}
	}
	if !haveStatus {
		return proxyResponse{}, errNotProxy
	}
	return p, nil
}

// proxyStatus returns the status code of a proxy response.
func proxyStatus(b []byte) (int, bool) {
	p, err := parseProxyResponse(b)
	return p.status, err == nil
}

// topLevelMembers lists the members of the JSON object b, and the offset
// of its closing brace. b must be exactly one valid JSON object, with
// whitespace around it at most.
func topLevelMembers(b []byte) ([]member, int, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, 0, errNotProxy
	}
	var out []member
	for dec.More() {
		// The key starts at the first quote after the previous member (or
		// the opening brace), past the comma and whitespace.
		from := int(dec.InputOffset())
		tok, err := dec.Token()
		if err != nil {
			return nil, 0, err
		}
		name, ok := tok.(string)
		if !ok {
			return nil, 0, errNotProxy
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, 0, err
		}
		end := int(dec.InputOffset())
		start := bytes.IndexByte(b[from:end], '"') + from
		out = append(out, member{name: name, start: start, end: end, valStart: end - len(raw)})
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, 0, errNotProxy
	}
	closeAt := int(dec.InputOffset()) - 1
	if _, err := dec.Token(); err != io.EOF {
		return nil, 0, errNotProxy // more than one value
	}
	return out, closeAt, nil
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// markReplayed returns b with the header name set to "true" if b is a proxy
// response, and b itself otherwise. Headers of the same name (compared
// case-insensitively) are removed from "headers" and "multiValueHeaders";
// the marker goes into "multiValueHeaders" (as ["true"]) when the response
// has that object, since API Gateway and load balancers then read it, and
// into "headers" otherwise (created when absent, replacing null). Every
// other byte of the response is kept.
func markReplayed(b []byte, name string) []byte {
	p, err := parseProxyResponse(b)
	if err != nil {
		return b
	}
	type edit struct {
		from, to int
		with     string
	}
	var edits []edit
	quoted := `"` + name + `"` // a token needs no escaping
	toMulti := p.multiValued != nil
	for _, m := range []*member{p.headers, p.multiValued} {
		if m == nil {
			continue
		}
		if m.name == "headers" && toMulti && string(bytes.TrimSpace(b[m.valStart:m.end])) == "null" {
			continue // nothing to remove, nothing to add
		}
		add := ""
		switch {
		case m.name == "multiValueHeaders" && toMulti:
			add = quoted + `:["true"]`
		case m.name == "headers" && !toMulti:
			add = quoted + `:"true"`
		}
		obj, err := withoutHeader(b[m.valStart:m.end], name, add)
		if err != nil {
			return b
		}
		edits = append(edits, edit{from: m.valStart, to: m.end, with: obj})
	}
	if p.headers == nil && !toMulti {
		edits = append(edits, edit{from: p.closeAt, to: p.closeAt, with: `,"headers":{` + quoted + `:"true"}`})
	}
	slices.SortFunc(edits, func(x, y edit) int { return x.from - y.from })
	out := make([]byte, 0, len(b)+len(name)+32)
	at := 0
	for _, e := range edits {
		out = append(out, b[at:e.from]...)
		out = append(out, e.with...)
		at = e.to
	}
	return append(out, b[at:]...)
}

// withoutHeader returns the JSON object (or null) obj without the members
// whose name equals header case-insensitively, with add ("" for none) as
// its last member. The other members keep their bytes.
func withoutHeader(obj []byte, header, add string) (string, error) {
	var members []member
	if string(bytes.TrimSpace(obj)) != "null" {
		var err error
		if members, _, err = topLevelMembers(obj); err != nil {
			return "", err
		}
	}
	var s strings.Builder
	s.WriteByte('{')
	n := 0
	for _, m := range members {
		if strings.EqualFold(m.name, header) {
			continue
		}
		if n > 0 {
			s.WriteByte(',')
		}
		s.Write(obj[m.start:m.end])
		n++
	}
	if add != "" {
		if n > 0 {
			s.WriteByte(',')
		}
		s.WriteString(add)
	}
	s.WriteByte('}')
	return s.String(), nil
}
