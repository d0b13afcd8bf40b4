package dynamodb

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/idemproxy/idemproxy/store"
)

// ErrInvalidItem reports a stored item that is not an idempotency record
// this package can read: a missing or mistyped attribute, an unknown status
// or encoding, or undecodable data.
var ErrInvalidItem = errors.New("dynamodb: stored item is not a valid idempotency record")

// encodingBase64 is the EncodingAttr value of base64-encoded data.
const encodingBase64 = "base64"

// responseModeStreaming is the ResponseModeAttr value of a streamed response.
const responseModeStreaming = "streaming"

type item = map[string]types.AttributeValue

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

// keyItem returns the primary key of key's record, as Powertools builds it.
func (o Options) keyItem(key string) item {
	if o.SortKeyAttr != "" {
		return item{o.KeyAttr: str(o.StaticPKValue), o.SortKeyAttr: str(key)}
	}
	return item{o.KeyAttr: str(key)}
}

// encode returns the item for r in Powertools' layout plus idemproxy's
// attributes. Empty optional fields are left out: DynamoDB rejects empty
// key strings and older servers empty strings anywhere. Data is stored
// verbatim when it is valid UTF-8 and as base64 (with EncodingAttr) when
// not, because a DynamoDB string must be UTF-8. A Response longer than
// CompressAboveBytes that gzip makes smaller is stored compressed as a
// binary attribute (EncodingAttr "gzip"). An empty Response stores no data
// attribute.
func (o Options) encode(r store.Record, z *store.Compressor) item {
	it := o.keyItem(r.Key)
	it[o.ExpiryAttr] = num(store.EpochSeconds(r.Expiry))
	it[o.StatusAttr] = str(string(r.Status))
	it[OwnerAttr] = str(r.Owner)
	if !r.InProgressExpiry.IsZero() {
		it[o.InProgressExpiryAttr] = num(store.EpochMillis(r.InProgressExpiry))
	}
	if r.PayloadHash != "" {
		it[o.ValidationAttr] = str(r.PayloadHash)
	}
	if r.ContentType != "" {
		it[ContentTypeAttr] = str(r.ContentType)
	}
	if r.Streamed {
		it[ResponseModeAttr] = str(responseModeStreaming)
	}
	if len(r.Response) > 0 {
		if z, ok := z.Compress(r.Response); ok {
			it[o.DataAttr] = &types.AttributeValueMemberB{Value: z}
			it[EncodingAttr] = str(store.EncodingGzip)
		} else if utf8.Valid(r.Response) {
			it[o.DataAttr] = str(string(r.Response))
		} else {
			it[o.DataAttr] = str(base64.StdEncoding.EncodeToString(r.Response))
			it[EncodingAttr] = str(encodingBase64)
		}
	}
	return it
}

// decode turns a stored item into a Record. It reads records written by
// Powertools (Python) as well as by this package: a record without
// EncodingAttr has its data taken as the raw UTF-8 bytes (for Powertools,
// the json.dumps of the result), a COMPLETED record without data has an
// empty Response, and a record without OwnerAttr has an empty Owner. Any
// problem yields an error wrapping [ErrInvalidItem].
func (o Options) decode(it item) (store.Record, error) {
	it = o.withNativeData(it) // Powertools TypeScript's data
	var r store.Record
	var errs []error
	fail := func(attr, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: attribute %q %s", ErrInvalidItem, attr, fmt.Sprintf(format, args...)))
	}
	getS := func(attr string, required bool) string {
		switch v := it[attr].(type) {
		case *types.AttributeValueMemberS:
			return v.Value
		case nil:
			if required {
				fail(attr, "is missing")
			}
		default:
			fail(attr, "is not a string (S)")
		}
		return ""
	}
	getN := func(attr string, required bool) (int64, bool) {
		switch v := it[attr].(type) {
		case *types.AttributeValueMemberN:
			n, err := parseInt(v.Value)
			if err != nil {
				fail(attr, "%v", err)
			}
			return n, err == nil
		case nil:
			if required {
				fail(attr, "is missing")
			}
		default:
			fail(attr, "is not a number (N)")
		}
		return 0, false
	}

	keyAttr := o.KeyAttr
	if o.SortKeyAttr != "" {
		keyAttr = o.SortKeyAttr
	}
	r.Key = getS(keyAttr, true)
	switch s := store.Status(getS(o.StatusAttr, true)); s {
	case store.StatusInProgress, store.StatusCompleted:
		r.Status = s
	default:
		if _, ok := it[o.StatusAttr].(*types.AttributeValueMemberS); ok {
			fail(o.StatusAttr, "has unknown status %q", s)
		}
	}
	if sec, ok := getN(o.ExpiryAttr, true); ok {
		r.Expiry = store.FromEpochSeconds(sec)
	}
	if ms, ok := getN(o.InProgressExpiryAttr, false); ok {
		r.InProgressExpiry = store.FromEpochMillis(ms)
	}
	r.PayloadHash = getS(o.ValidationAttr, false)
	r.Owner = getS(OwnerAttr, false)
	r.ContentType = getS(ContentTypeAttr, false)
	switch mode := getS(ResponseModeAttr, false); mode {
	case "":
	case responseModeStreaming:
		r.Streamed = true
	default:
		fail(ResponseModeAttr, "has unknown response mode %q", mode)
	}
	switch enc := getS(EncodingAttr, false); enc {
	case "":
		if data := getS(o.DataAttr, false); data != "" {
			r.Response = []byte(data)
		}
	case encodingBase64:
		b, err := base64.StdEncoding.DecodeString(getS(o.DataAttr, false))
		if err != nil {
			fail(o.DataAttr, "is not valid base64: %v", err)
		}
		if len(b) > 0 {
			r.Response = b
		}
	case store.EncodingGzip:
		r.Response = o.decodeGzip(it, fail)
	default:
		fail(EncodingAttr, "has unknown encoding %q", enc)
	}
	if err := errors.Join(errs...); err != nil {
		return store.Record{}, err
	}
	return r, nil
}

// decodeGzip returns the response of a record whose EncodingAttr is "gzip":
// its data attribute is binary (B) and holds the gzip of the response.
func (o Options) decodeGzip(it item, fail func(attr, format string, args ...any)) []byte {
	v, ok := it[o.DataAttr].(*types.AttributeValueMemberB)
	if !ok {
		fail(o.DataAttr, "is not binary (B) but %s is %q", EncodingAttr, store.EncodingGzip)
		return nil
	}
	b, err := store.Decompress(v.Value)
	if err != nil {
		fail(o.DataAttr, "does not decompress: %v", err)
		return nil
	}
	if len(b) == 0 {
		return nil
	}
	return b
}

// parseInt parses a DynamoDB number as whole units, rounding a fraction
// down. Flooring keeps Powertools' comparisons: for a whole :now,
// x < :now exactly when floor(x) < :now.
func parseInt(s string) (int64, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("is not a number: %q", s)
	}
	f = math.Floor(f)
	// Beyond ±2^62 ms the value means nothing as a time; refuse it rather
	// than overflow.
	if math.IsNaN(f) || f > 1<<62 || f < -(1<<62) {
		return 0, fmt.Errorf("is out of range: %q", s)
	}
	return int64(f), nil
}
