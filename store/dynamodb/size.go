package dynamodb

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// MaxItemBytes is DynamoDB's item size limit: 400 KB, counted as 400 × 1024
// bytes of attribute names plus attribute values.
const MaxItemBytes = 400 << 10

// itemSize returns the size DynamoDB charges item against [MaxItemBytes]:
// the UTF-8 length of every attribute name plus the size of its value. It
// never underestimates, so an item it accepts is not refused by the server
// for its size; see valueSize for the one place it may overestimate.
func itemSize(it item) int {
	n := 0
	for name, v := range it {
		n += len(name) + valueSize(v)
	}
	return n
}

// valueSize follows the DynamoDB developer guide ("Item sizes and
// formats"): a string or binary is its length in bytes; a number is about
// one byte per two significant digits plus one, which is counted here as
// two bytes plus one per two digits of its written form (plus one for a
// sign), an upper bound that does not depend on trailing zeros (dynalite's
// measured formula never exceeds it); a boolean or null is one byte; a list
// or map is three bytes plus one byte and the size of each element (and the
// names, for a map); a set is the sum of its elements.
func valueSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return numberSize(v.Value)
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberSS:
		n := 0
		for _, s := range v.Value {
			n += len(s)
		}
		return n
	case *types.AttributeValueMemberNS:
		n := 0
		for _, s := range v.Value {
			n += numberSize(s)
		}
		return n
	case *types.AttributeValueMemberBS:
		n := 0
		for _, b := range v.Value {
			n += len(b)
		}
		return n
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range v.Value {
			n += 1 + valueSize(e)
		}
		return n
	case *types.AttributeValueMemberM:
		n := 3
		for name, e := range v.Value {
			n += 1 + len(name) + valueSize(e)
		}
		return n
	}
	return 0
}

// numberSize bounds the stored size of the number written as s.
func numberSize(s string) int {
	n := 2
	if strings.HasPrefix(s, "-") {
		n++
	}
	mantissa, _, _ := strings.Cut(strings.ToLower(s), "e")
	digits := 0
	for _, c := range strings.TrimLeft(strings.Trim(mantissa, "+-"), "0.") {
		if c >= '0' && c <= '9' {
			digits++
		}
	}
	return n + (max(digits, 1)+1)/2
}
