package dynamodb

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/idemproxy/idemproxy/store"
)

func TestValueSize(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    item
		want int
	}{
		{"string counts UTF-8 bytes", item{"ab": str("héllo")}, 2 + 6},
		{"10-digit number", item{"n": num(1_700_003_600)}, 1 + 7},
		{"13-digit number", item{"n": num(1_700_000_090_623)}, 1 + 9},
		{"zero", item{"n": num(0)}, 1 + 3},
		{"negative", item{"n": num(-5)}, 1 + 4},
		{"several attributes", item{"a": str("x"), "bb": str("yy")}, 1 + 1 + 2 + 2},
	} {
		if got := itemSize(tc.v); got != tc.want {
			t.Errorf("%s: itemSize = %d, want %d", tc.name, got, tc.want)
		}
	}
}

// TestItemLimitMatchesServer puts items right at [MaxItemBytes] on
// dynalite: an all-string item exactly at the limit is accepted and one
// byte more is refused, with the refusal translated to ErrRecordTooLarge;
// an item with the numbers of a record, at the limit by itemSize, is
// accepted too (itemSize may count numbers high, never low).
func TestItemLimitMatchesServer(t *testing.T) {
	t.Parallel()
	opts := dynalite.newTable(t, DefaultOptions("", "fn"))
	client := sdkClient(t, dynalite.endpoint(t), nil)
	put := func(it item) error {
		_, err := client.PutItem(t.Context(), &ddb.PutItemInput{TableName: aws.String(opts.Table), Item: it})
		return translate(t.Context(), opComplete, "k", err)
	}
	padded := func(base item) item {
		base["pad"] = str("")
		base["pad"] = str(strings.Repeat("x", MaxItemBytes-itemSize(base)))
		if n := itemSize(base); n != MaxItemBytes {
			t.Fatalf("padded item has size %d, want %d", n, MaxItemBytes)
		}
		return base
	}

	strings1 := padded(item{"id": str("strings"), "status": str("COMPLETED")})
	if err := put(strings1); err != nil {
		t.Errorf("item of exactly %d bytes refused: %v", MaxItemBytes, err)
	}
	strings1["id"] = str("strings1") // one byte longer
	if err := put(strings1); !errors.Is(err, store.ErrRecordTooLarge) {
		t.Errorf("item of %d bytes: err = %v, want ErrRecordTooLarge", MaxItemBytes+1, err)
	}
	numbers := padded(item{
		"id":                     str("numbers"),
		"expiration":             num(1_799_999_999),
		"in_progress_expiration": num(1_799_999_999_999),
	})
	if err := put(numbers); err != nil {
		t.Errorf("item with numbers at the limit refused: %v", err)
	}
}
