package dynamodb

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestNativeDataBecomesJSON(t *testing.T) {
	o := DefaultOptions("t", "fn")
	m := &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
		"z": &types.AttributeValueMemberN{Value: "1.5"},
		"a": &types.AttributeValueMemberL{Value: []types.AttributeValue{
			&types.AttributeValueMemberS{Value: "é\"x"}, &types.AttributeValueMemberNULL{Value: true},
			&types.AttributeValueMemberBOOL{Value: false}, &types.AttributeValueMemberB{Value: []byte{0xff}},
		}},
		"s": &types.AttributeValueMemberSS{Value: []string{"a", "b"}},
		"n": &types.AttributeValueMemberNS{Value: []string{"1", "2"}},
		"b": &types.AttributeValueMemberBS{Value: [][]byte{{1}}},
	}}
	for _, tc := range []struct {
		data types.AttributeValue
		enc  bool
		want string // "" when the item is left as it is
	}{
		{m, false, `{"a":["é\"x",null,false,"/w=="],"b":["AQ=="],"n":[1,2],"s":["a","b"],"z":1.5}`},
		{&types.AttributeValueMemberN{Value: "42"}, false, `42`},
		{&types.AttributeValueMemberBOOL{Value: true}, false, `true`},
		{&types.AttributeValueMemberNULL{Value: true}, false, `null`},
		{&types.AttributeValueMemberS{Value: "raw"}, false, ""},
		{m, true, ""}, // an encoded record is this package's: never rewritten
	} {
		it := item{o.DataAttr: tc.data}
		if tc.enc {
			it[EncodingAttr] = str("base64")
		}
		got := o.withNativeData(it)
		if tc.want == "" {
			if got[o.DataAttr] != tc.data {
				t.Errorf("%T rewritten to %v", tc.data, got[o.DataAttr])
			}
			continue
		}
		s, ok := got[o.DataAttr].(*types.AttributeValueMemberS)
		if !ok || s.Value != tc.want {
			t.Errorf("%T: data %v, want %s", tc.data, got[o.DataAttr], tc.want)
		}
		if it[o.DataAttr] != tc.data {
			t.Error("the original item was modified")
		}
	}
}
