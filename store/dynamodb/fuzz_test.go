package dynamodb

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// FuzzDecodeItem feeds items in DynamoDB's JSON wire format (as a server
// would send them) to the decoder, with the default and the renamed
// attribute names. The decoder must never panic; whatever it accepts must
// be a record with a known status that encodes and decodes to itself.
func FuzzDecodeItem(f *testing.F) {
	for _, seed := range []string{
		// Powertools (Python) records.
		`{"id":{"S":"fn#abc"},"expiration":{"N":"1700003600"},"status":{"S":"INPROGRESS"},"in_progress_expiration":{"N":"1700000090623"},"validation":{"S":"h"}}`,
		`{"id":{"S":"fn#abc"},"expiration":{"N":"1700003600"},"status":{"S":"COMPLETED"},"data":{"S":"{\"a\": 1}"}}`,
		`{"id":{"S":"fn#abc"},"expiration":{"N":"1700003600"},"status":{"S":"COMPLETED"},"data":{"S":"null"}}`,
		// idemproxy records.
		`{"id":{"S":"k"},"expiration":{"N":"1"},"status":{"S":"COMPLETED"},"data":{"S":"/wBh"},"idemproxy_encoding":{"S":"base64"},"idemproxy_owner":{"S":"o"},"idemproxy_content_type":{"S":"application/octet-stream"}}`,
		`{"PK":{"S":"IDEMPOTENCY#renamed-fn"},"SK":{"S":"k"},"ttl_s":{"N":"1700003600"},"state":{"S":"INPROGRESS"},"lock_until_ms":{"N":"-5"},"idemproxy_owner":{"S":"o"}}`,
		// Odd and broken ones.
		`{"id":{"S":"k"},"expiration":{"N":"1.5e3"},"status":{"S":"COMPLETED"},"data":{"M":{"a":{"N":"1"}}}}`,
		`{"id":{"S":"k"},"expiration":{"N":"1e400"},"status":{"S":"EXPIRED"},"data":{"S":"=="},"idemproxy_encoding":{"S":"base64"}}`,
		`{"id":{"NULL":true},"expiration":{"S":"x"},"status":{"L":[{"BOOL":true},{"SS":["a"]},{"NS":["1"]}]}}`,
		`{}`,
	} {
		f.Add([]byte(seed))
	}
	optsList := []Options{DefaultOptions("t", "fn"), renamedOptions()}
	f.Fuzz(func(t *testing.T, wire []byte) {
		var raw map[string]json.RawMessage
		if json.Unmarshal(wire, &raw) != nil {
			return
		}
		it := item{}
		for name, v := range raw {
			if av, ok := attrFromJSON(v, 0); ok {
				it[name] = av
			}
		}
		for _, opts := range optsList {
			rec, err := opts.decode(it)
			if err != nil {
				if !errors.Is(err, ErrInvalidItem) {
					t.Fatalf("decode error %v does not wrap ErrInvalidItem", err)
				}
				continue
			}
			if rec.Status != "INPROGRESS" && rec.Status != "COMPLETED" {
				t.Fatalf("decode accepted status %q", rec.Status)
			}
			again, err := opts.decode(opts.encode(rec, opts.compressor()))
			if err != nil {
				t.Fatalf("decode(encode(%+v)): %v", rec, err)
			}
			if !sameRecord(again, rec) {
				t.Fatalf("decode(encode(r)) = %+v, want %+v", again, rec)
			}
		}
	})
}

// attrFromJSON converts one attribute value of DynamoDB's JSON wire format
// ({"S": "..."}, {"N": "..."}, {"M": {...}}, ...) to its SDK type.
func attrFromJSON(msg json.RawMessage, depth int) (types.AttributeValue, bool) {
	var v map[string]json.RawMessage
	if depth > 8 || json.Unmarshal(msg, &v) != nil || len(v) != 1 {
		return nil, false
	}
	for typ, body := range v {
		var s string
		var ss []string
		var b bool
		switch typ {
		case "S", "N", "B":
			if json.Unmarshal(body, &s) != nil {
				return nil, false
			}
			switch typ {
			case "S":
				return &types.AttributeValueMemberS{Value: s}, true
			case "N":
				return &types.AttributeValueMemberN{Value: s}, true
			}
			raw, err := base64.StdEncoding.DecodeString(s)
			return &types.AttributeValueMemberB{Value: raw}, err == nil
		case "SS", "NS":
			if json.Unmarshal(body, &ss) != nil {
				return nil, false
			}
			if typ == "SS" {
				return &types.AttributeValueMemberSS{Value: ss}, true
			}
			return &types.AttributeValueMemberNS{Value: ss}, true
		case "BOOL", "NULL":
			if json.Unmarshal(body, &b) != nil {
				return nil, false
			}
			if typ == "BOOL" {
				return &types.AttributeValueMemberBOOL{Value: b}, true
			}
			return &types.AttributeValueMemberNULL{Value: b}, true
		case "L":
			var elems []json.RawMessage
			if json.Unmarshal(body, &elems) != nil {
				return nil, false
			}
			l := &types.AttributeValueMemberL{}
			for _, e := range elems {
				if av, ok := attrFromJSON(e, depth+1); ok {
					l.Value = append(l.Value, av)
				}
			}
			return l, true
		case "M":
			var fields map[string]json.RawMessage
			if json.Unmarshal(body, &fields) != nil {
				return nil, false
			}
			m := &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}}
			for name, e := range fields {
				if av, ok := attrFromJSON(e, depth+1); ok {
					m.Value[name] = av
				}
			}
			return m, true
		}
	}
	return nil, false
}
