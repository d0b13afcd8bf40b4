package dynamodb

import (
	"encoding/base64"
	"encoding/json"
	"maps"
	"slices"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// withNativeData reads the data attribute as Powertools TypeScript writes
// it: the function's result marshalled into DynamoDB types (@aws-sdk/
// util-dynamodb marshall: an object is a map M, an array a list L, a number
// N, a boolean BOOL, null NULL), where Powertools Python and this package
// write a JSON string S. When the data attribute holds such a value and
// the item has no EncodingAttr, it returns a copy of it with the data
// replaced by the JSON text of that value (object keys sorted), so that
// the record replays the result as JSON; otherwise it returns it as it is.
//
// A result that is a bare string is an S there as well, holding the string
// itself rather than its JSON: it is replayed as the string's bytes.
func (o Options) withNativeData(it item) item {
	v := it[o.DataAttr]
	switch v.(type) {
	case nil, *types.AttributeValueMemberS, *types.AttributeValueMemberB:
		return it
	}
	if _, ok := it[EncodingAttr]; ok {
		return it
	}
	out := maps.Clone(it)
	out[o.DataAttr] = str(string(appendNativeJSON(nil, v)))
	return out
}

// appendNativeJSON appends the JSON text of a DynamoDB value, as
// JSON.stringify(unmarshall(v)) writes it but for the order of map keys
// (sorted here) and numbers (DynamoDB's text). Sets become arrays and
// binary values base64 strings.
func appendNativeJSON(dst []byte, v types.AttributeValue) []byte {
	quote := func(dst []byte, s string) []byte {
		b, _ := json.Marshal(s) // a string always marshals
		return append(dst, b...)
	}
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return quote(dst, v.Value)
	case *types.AttributeValueMemberN:
		if !json.Valid([]byte(v.Value)) {
			return quote(dst, v.Value)
		}
		return append(dst, v.Value...)
	case *types.AttributeValueMemberBOOL:
		return strconv.AppendBool(dst, v.Value)
	case *types.AttributeValueMemberNULL:
		return append(dst, "null"...)
	case *types.AttributeValueMemberB:
		return quote(dst, base64.StdEncoding.EncodeToString(v.Value))
	case *types.AttributeValueMemberM:
		dst = append(dst, '{')
		for i, k := range slices.Sorted(maps.Keys(v.Value)) {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = quote(dst, k)
			dst = append(dst, ':')
			dst = appendNativeJSON(dst, v.Value[k])
		}
		return append(dst, '}')
	case *types.AttributeValueMemberL:
		dst = append(dst, '[')
		for i, e := range v.Value {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendNativeJSON(dst, e)
		}
		return append(dst, ']')
	case *types.AttributeValueMemberSS:
		return appendList(dst, len(v.Value), func(dst []byte, i int) []byte { return quote(dst, v.Value[i]) })
	case *types.AttributeValueMemberNS:
		return appendList(dst, len(v.Value), func(dst []byte, i int) []byte {
			return appendNativeJSON(dst, &types.AttributeValueMemberN{Value: v.Value[i]})
		})
	case *types.AttributeValueMemberBS:
		return appendList(dst, len(v.Value), func(dst []byte, i int) []byte {
			return quote(dst, base64.StdEncoding.EncodeToString(v.Value[i]))
		})
	}
	return append(dst, "null"...)
}

func appendList(dst []byte, n int, elem func([]byte, int) []byte) []byte {
	dst = append(dst, '[')
	for i := range n {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = elem(dst, i)
	}
	return append(dst, ']')
}
