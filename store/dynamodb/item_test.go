package dynamodb

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/idemproxy/idemproxy/store"
)

// TestDecodePowertoolsRecord decodes an item as Powertools (Python) writes
// it: no idemproxy attributes, data = json.dumps(result, sort_keys=True).
func TestDecodePowertoolsRecord(t *testing.T) {
	opts := DefaultOptions("t", "fn")
	got, err := opts.decode(item{
		"id":                     str("payments#6716cbebb768bc00d2a6a7ac320148eb"),
		"expiration":             &types.AttributeValueMemberN{Value: "1700003600"},
		"in_progress_expiration": &types.AttributeValueMemberN{Value: "1700000090623"},
		"status":                 str("COMPLETED"),
		"data":                   str(`{"a": "\u00e9", "b": 1}`),
		"validation":             str("b8967642f95965b39f63f4bf20032dfc"),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := store.Record{
		Key:              "payments#6716cbebb768bc00d2a6a7ac320148eb",
		Status:           store.StatusCompleted,
		Expiry:           time.Unix(1700003600, 0).UTC(),
		InProgressExpiry: time.UnixMilli(1700000090623).UTC(),
		PayloadHash:      "b8967642f95965b39f63f4bf20032dfc",
		Response:         []byte(`{"a": "\u00e9", "b": 1}`),
	}
	if !sameRecord(got, want) || !got.Expiry.Equal(want.Expiry) {
		t.Errorf("decode = %+v\nwant     %+v", got, want)
	}
}

func TestDecodeSortKeyAndFraction(t *testing.T) {
	opts := sortKeyOptions()
	got, err := opts.decode(item{
		"id":         str(opts.StaticPKValue),
		"sk":         str("the-key"),
		"expiration": &types.AttributeValueMemberN{Value: "1700003600.75"}, // TypeScript rounds, others may not
		"status":     str("INPROGRESS"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.Key != "the-key" || store.EpochSeconds(got.Expiry) != 1700003600 || !got.InProgressExpiry.IsZero() {
		t.Errorf("decode = %+v, want key the-key, expiry 1700003600 (floored), no in-progress expiry", got)
	}
}

func TestDecodeRejectsBadItems(t *testing.T) {
	opts := DefaultOptions("t", "fn")
	good := func() item {
		return item{"id": str("k"), "expiration": num(1), "status": str("COMPLETED"), "data": str("x")}
	}
	for _, tc := range []struct {
		name   string
		mutate func(item)
		want   string
	}{
		{"missing key", func(it item) { delete(it, "id") }, `"id" is missing`},
		{"binary key", func(it item) { it["id"] = &types.AttributeValueMemberB{Value: []byte("k")} }, `"id" is not a string`},
		{"missing status", func(it item) { delete(it, "status") }, `"status" is missing`},
		{"expired status", func(it item) { it["status"] = str("EXPIRED") }, `unknown status "EXPIRED"`},
		{"missing expiry", func(it item) { delete(it, "expiration") }, `"expiration" is missing`},
		{"string expiry", func(it item) { it["expiration"] = str("1") }, `"expiration" is not a number`},
		{"NaN expiry", func(it item) { it["expiration"] = &types.AttributeValueMemberN{Value: "NaN"} }, "out of range"},
		{"huge expiry", func(it item) { it["expiration"] = &types.AttributeValueMemberN{Value: "1e30"} }, "out of range"},
		// A map is Powertools TypeScript's data (nativedata.go), but not
		// with this package's encoding attribute.
		{"encoded map data", func(it item) { it[EncodingAttr] = str("base64"); it["data"] = &types.AttributeValueMemberM{} }, `"data" is not a string`},
		{"bad base64", func(it item) { it[EncodingAttr] = str("base64"); it["data"] = str("%%") }, "not valid base64"},
		{"unknown encoding", func(it item) { it[EncodingAttr] = str("zstd") }, `unknown encoding "zstd"`},
	} {
		it := good()
		tc.mutate(it)
		_, err := opts.decode(it)
		if !errors.Is(err, ErrInvalidItem) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want ErrInvalidItem mentioning %q", tc.name, err, tc.want)
		}
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	now := time.Now()
	for _, opts := range []Options{DefaultOptions("t", "fn"), renamedOptions()} {
		for _, response := range [][]byte{nil, []byte("plain"), []byte("nul\x00ok"), {0xc3, 0x28}, []byte("héllo")} {
			rec := completedRecord(claimRecord("owner", now), string(response))
			got, err := opts.decode(opts.encode(rec, opts.compressor()))
			if err != nil {
				t.Fatalf("decode(encode(%q)): %v", response, err)
			}
			if !sameRecord(got, rec) {
				t.Errorf("decode(encode(%+v)) = %+v", rec, got)
			}
		}
	}
}

func TestTranslate(t *testing.T) {
	ccf := &types.ConditionalCheckFailedException{Message: aws.String("The conditional request failed")}
	tooBig := &smithy.GenericAPIError{Code: "ValidationException", Message: "Item size has exceeded the maximum allowed size"}
	otherValidation := &smithy.GenericAPIError{Code: "ValidationException", Message: "One or more parameter values were invalid"}
	wrapped := func(err error) error { return fmt.Errorf("operation error DynamoDB: PutItem: %w", err) }
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		op   op
		err  error
		want []error // errors.Is must hold for each
		not  []error
	}{
		{"condition on claim", context.Background(), opClaim, wrapped(ccf), []error{store.ErrAlreadyExists}, []error{store.ErrNotOwner}},
		{"condition on complete", context.Background(), opComplete, wrapped(ccf), []error{store.ErrNotOwner}, []error{store.ErrAlreadyExists}},
		{"condition on delete", context.Background(), opDelete, wrapped(ccf), []error{store.ErrNotOwner}, nil},
		{"item too large", context.Background(), opComplete, wrapped(tooBig), []error{store.ErrRecordTooLarge}, []error{store.ErrNotOwner}},
		{"other validation", context.Background(), opComplete, wrapped(otherValidation), nil,
			[]error{store.ErrRecordTooLarge, store.ErrNotOwner}},
		{"context ended, SDK lost the cause", cancelled, opGet, errors.New("request send failed"),
			[]error{context.Canceled}, []error{store.ErrNotOwner, store.ErrAlreadyExists}},
	} {
		err := translate(tc.ctx, tc.op, "the-key", tc.err)
		for _, w := range tc.want {
			if !errors.Is(err, w) {
				t.Errorf("%s: %v does not wrap %v", tc.name, err, w)
			}
		}
		for _, n := range tc.not {
			if errors.Is(err, n) {
				t.Errorf("%s: %v wraps %v", tc.name, err, n)
			}
		}
		if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), `"the-key"`) {
			t.Errorf("%s: %v lost the SDK error or the key", tc.name, err)
		}
	}
	if translate(context.Background(), opClaim, "k", nil) != nil {
		t.Error("translate(nil) != nil")
	}
}
