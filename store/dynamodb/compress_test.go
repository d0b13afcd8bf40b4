package dynamodb

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/idemproxy/idemproxy/store"
)

func gzipTestRecord(response []byte, streamed bool) store.Record {
	return store.Record{
		Key: "k", Status: store.StatusCompleted, Expiry: time.Unix(1700003600, 0).UTC(),
		Response: response, ContentType: "application/json", Streamed: streamed, Owner: "o",
	}
}

func TestEncodeCompressesAboveTheThreshold(t *testing.T) {
	o := DefaultOptions("t", "fn")
	o.CompressAboveBytes = 100
	json100 := []byte(`{"d":"` + strings.Repeat("x", 92) + `"}`)
	random := make([]byte, 1000)
	_, _ = rand.NewChaCha8([32]byte{9}).Read(random)
	for _, tc := range []struct {
		name     string
		response []byte
		encoding string // "": none
		binary   bool
	}{
		{"exactly at the threshold: verbatim, as Powertools", json100, "", false},
		{"one byte above: gzip in a binary attribute", append([]byte(" "), json100...), "gzip", true},
		{"incompressible binary: base64", random, "base64", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			it := o.encode(gzipTestRecord(tc.response, false), o.compressor())
			enc, _ := it[EncodingAttr].(*types.AttributeValueMemberS)
			if (enc == nil && tc.encoding != "") || (enc != nil && enc.Value != tc.encoding) {
				t.Fatalf("%s = %v, want %q", EncodingAttr, it[EncodingAttr], tc.encoding)
			}
			if _, isB := it["data"].(*types.AttributeValueMemberB); isB != tc.binary {
				t.Fatalf("data is %T", it["data"])
			}
			if tc.encoding == "" && it["data"].(*types.AttributeValueMemberS).Value != string(tc.response) {
				t.Error("data is not the response verbatim")
			}
			got, err := o.decode(it)
			if err != nil {
				t.Fatal(err)
			}
			if string(got.Response) != string(tc.response) || got.Streamed {
				t.Errorf("round trip: %d bytes, streamed %v", len(got.Response), got.Streamed)
			}
		})
	}
	o.CompressAboveBytes = -1
	if it := o.encode(gzipTestRecord([]byte(strings.Repeat("y", 5000)), false), o.compressor()); it[EncodingAttr] != nil {
		t.Errorf("compression off: %s = %v", EncodingAttr, it[EncodingAttr])
	}
}

func TestEncodeStreamedMarker(t *testing.T) {
	o := DefaultOptions("t", "fn")
	it := o.encode(gzipTestRecord([]byte("{}\x00\x00\x00\x00\x00\x00\x00\x00body"), true), o.compressor())
	if v, _ := it[ResponseModeAttr].(*types.AttributeValueMemberS); v == nil || v.Value != "streaming" {
		t.Fatalf("%s = %v, want streaming", ResponseModeAttr, it[ResponseModeAttr])
	}
	got, err := o.decode(it)
	if err != nil || !got.Streamed {
		t.Fatalf("decoded Streamed = %v, err %v", got.Streamed, err)
	}
	if it := o.encode(gzipTestRecord([]byte("{}"), false), o.compressor()); it[ResponseModeAttr] != nil {
		t.Errorf("unstreamed record carries %s", ResponseModeAttr)
	}
}

func TestDecodeRejectsBadCompressedOrModeAttributes(t *testing.T) {
	o := DefaultOptions("t", "fn")
	base := func(extra item) item {
		it := item{"id": str("k"), "status": str("COMPLETED"), "expiration": num(1700003600)}
		for k, v := range extra {
			it[k] = v
		}
		return it
	}
	for name, it := range map[string]item{
		"gzip data as a string": base(item{"data": str("H4sI"), EncodingAttr: str("gzip")}),
		"binary that is not gzip": base(item{"data": &types.AttributeValueMemberB{Value: []byte("plain")},
			EncodingAttr: str("gzip")}),
		"gzip without data":     base(item{EncodingAttr: str("gzip")}),
		"unknown response mode": base(item{"data": str("x"), ResponseModeAttr: str("chunky")}),
	} {
		if _, err := o.decode(it); !errors.Is(err, ErrInvalidItem) {
			t.Errorf("%s: err = %v, want ErrInvalidItem", name, err)
		}
	}
}

func TestOptionsRejectResponseModeAttr(t *testing.T) {
	o := DefaultOptions("t", "fn")
	o.DataAttr = ResponseModeAttr
	if err := o.Validate(); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("Validate = %v, want ErrInvalidOptions", err)
	}
}
