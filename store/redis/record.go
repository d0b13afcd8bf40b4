package redis

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/idemproxy/idemproxy/store"
)

// Fields idemproxy adds to the Powertools layout. Powertools ignores them.
const (
	ownerField        = "idemproxy_owner"
	contentTypeField  = "idemproxy_content_type"
	encodingField     = "idemproxy_encoding"
	responseModeField = "idemproxy_response_mode"
	// base64Encoding marks a data field holding base64 because the response
	// is not valid UTF-8.
	base64Encoding = "base64"
	// gzipEncoding marks a data field holding the base64 of the
	// gzip-compressed response (see Options.CompressAboveBytes).
	gzipEncoding = store.EncodingGzip
	// streamingMode marks a streamed response (store.Record.Streamed).
	streamingMode = "streaming"
)

// maxExactNumber bounds the times a record may hold: integers up to 2^53
// are exact both here and in the server's Lua (IEEE doubles), so the script
// and the decoder always agree on liveness.
const maxExactNumber = 1 << 53

// ErrCorruptRecord reports a stored value that is not a record this package
// can decode. Claim returns it (with no record) when such a value blocks the
// key; it does not wrap store.ErrAlreadyExists.
var ErrCorruptRecord = errors.New("redis: stored value is not a valid idempotency record")

func isOwnField(name string) bool {
	return name == ownerField || name == contentTypeField || name == encodingField || name == responseModeField
}

// attrs holds the configurable JSON field names, and the Compressor of
// stored responses.
type attrs struct {
	expiry, inProgressExpiry, status, data, validation string
	compress                                           *store.Compressor
}

// encodeRecord returns rec as the JSON object Powertools'
// RedisCachePersistenceLayer stores, in its field order, plus idemproxy's
// fields:
//
//	in progress: {status, expiration, [in_progress_expiration], [validation], idemproxy_owner}
//	completed:   {data, status, expiration, [in_progress_expiration], [validation], idemproxy_owner,
//	              [idemproxy_content_type], [idemproxy_encoding], [idemproxy_response_mode]}
//
// expiration is whole epoch seconds and in_progress_expiration whole epoch
// milliseconds (omitted when zero). data holds the response verbatim when it
// is valid UTF-8 (for a JSON response that is exactly Powertools'
// json.dumps(result) string), otherwise its standard base64 encoding with
// idemproxy_encoding "base64". A response longer than a.compress.Above() that
// gzip makes smaller is stored as the base64 of its gzip, with
// idemproxy_encoding "gzip". A streamed response carries
// idemproxy_response_mode "streaming". Strings are written as encoding/json
// writes them without HTML escaping.
func encodeRecord(rec store.Record, a attrs) []byte {
	p := encodeParts(rec, a)
	out := make([]byte, 0, len(p.head)+len(p.tail)+p.dataLen())
	out = append(out, p.head...)
	for c := range p.chunks(len(p.data)) {
		out = c.appendTo(out)
	}
	return append(out, p.tail...)
}

// recordParts is an encoded record split around its data string: head ends
// with the data string's opening quote and tail starts with its closing
// quote; data is the response, written between them escaped (JSON) or in
// base64. A record without data has it all in head and an empty tail.
type recordParts struct {
	head, tail []byte
	data       []byte
	base64     bool
}

func encodeParts(rec store.Record, a attrs) recordParts {
	var p recordParts
	buf := make([]byte, 0, 256)
	first := true
	field := func(name string) {
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = appendJSONString(buf, name)
		buf = append(buf, ':')
	}
	str := func(name, value string) {
		field(name)
		buf = appendJSONString(buf, value)
	}
	num := func(name string, value int64) {
		field(name)
		buf = strconv.AppendInt(buf, value, 10)
	}

	buf = append(buf, '{')
	completed := rec.Status == store.StatusCompleted
	encoding := ""
	if completed {
		field(a.data)
		p.head = append(buf, '"')
		buf = []byte{'"'}
		p.data, p.base64 = rec.Response, !utf8.Valid(rec.Response)
		if z, ok := a.compress.Compress(rec.Response); ok {
			p.data, p.base64, encoding = z, true, gzipEncoding
		} else if p.base64 {
			encoding = base64Encoding
		}
	}
	str(a.status, string(rec.Status))
	num(a.expiry, store.EpochSeconds(rec.Expiry))
	if ms := store.EpochMillis(rec.InProgressExpiry); ms != 0 {
		num(a.inProgressExpiry, ms)
	}
	if rec.PayloadHash != "" {
		str(a.validation, rec.PayloadHash)
	}
	str(ownerField, rec.Owner)
	if completed && rec.ContentType != "" {
		str(contentTypeField, rec.ContentType)
	}
	if encoding != "" {
		str(encodingField, encoding)
	}
	if completed && rec.Streamed {
		str(responseModeField, streamingMode)
	}
	buf = append(buf, '}')
	if completed {
		p.tail = buf
	} else {
		p.head = buf
	}
	return p
}

// decodeRecord parses a stored value: one written by encodeRecord, or by
// Powertools (Python: data is its json.dumps(result) string; TypeScript:
// data is the result as native JSON, whose text becomes the response).
// Missing or null fields are zero; a field of the wrong JSON type is an
// error wrapping ErrCorruptRecord. Numbers may be fractional (they are
// floored, as the Lua scripts do) but must lie within ±2^53.
func decodeRecord(key string, value []byte, a attrs) (store.Record, error) {
	var obj map[string]rawRef
	if err := json.Unmarshal(value, &obj); err != nil {
		return store.Record{}, fmt.Errorf("%w: %v", ErrCorruptRecord, err)
	}
	d := decoder{obj: obj}
	rec := store.Record{
		Key:              key,
		Status:           store.Status(d.str(a.status)),
		Expiry:           d.time(a.expiry, store.FromEpochSeconds),
		InProgressExpiry: d.time(a.inProgressExpiry, store.FromEpochMillis),
		PayloadHash:      d.str(a.validation),
		Owner:            d.str(ownerField),
		ContentType:      d.str(contentTypeField),
	}
	switch mode := d.str(responseModeField); mode {
	case "":
	case streamingMode:
		rec.Streamed = true
	default:
		d.fail(responseModeField, fmt.Sprintf("unknown response mode %q", mode))
	}
	encoding := d.str(encodingField)
	if raw, ok := obj[a.data]; ok && !isNull(raw) {
		if raw[0] == '"' {
			// The response is unescaped once, into its own buffer.
			data, ok := unquoteJSON(raw)
			if !ok {
				d.fail(a.data, "not a string")
			}
			rec.Response = data
			switch encoding {
			case "":
			case base64Encoding:
				resp, err := base64.StdEncoding.AppendDecode(nil, data)
				if err != nil {
					d.fail(a.data, fmt.Sprintf("invalid base64: %v", err))
				}
				rec.Response = resp
			case gzipEncoding:
				rec.Response = nil
				z, err := base64.StdEncoding.AppendDecode(nil, data)
				if err == nil {
					rec.Response, err = store.Decompress(z)
				}
				if err != nil {
					d.fail(a.data, fmt.Sprintf("invalid gzip data: %v", err))
				}
			default:
				d.fail(encodingField, fmt.Sprintf("unknown encoding %q", encoding))
			}
		} else if encoding != "" {
			d.fail(a.data, "not a string but "+encodingField+" is set")
		} else {
			rec.Response = bytes.Clone(raw) // Powertools TypeScript: native JSON
		}
	}
	if len(d.errs) > 0 {
		return store.Record{}, fmt.Errorf("%w: %w", ErrCorruptRecord, errors.Join(d.errs...))
	}
	return rec, nil
}

// rawRef is a JSON value of the text being decoded, not copied (unlike
// json.RawMessage): the text outlives the decoder, which only reads it.
type rawRef []byte

// UnmarshalJSON implements json.Unmarshaler.
func (r *rawRef) UnmarshalJSON(b []byte) error {
	*r = b
	return nil
}

// decoder reads typed fields from a JSON object, collecting errors.
type decoder struct {
	obj  map[string]rawRef
	errs []error
}

func (d *decoder) fail(name, problem string) {
	d.errs = append(d.errs, fmt.Errorf("field %q: %s", name, problem))
}

func isNull(raw rawRef) bool { return string(raw) == "null" }

// str returns the string field name, "" if missing or null.
func (d *decoder) str(name string) string {
	raw, ok := d.obj[name]
	if !ok || isNull(raw) {
		return ""
	}
	var s string
	if raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		d.fail(name, "not a string")
	}
	return s
}

// num returns the number field name floored to an integer, 0 if missing or
// null.
func (d *decoder) num(name string) int64 {
	raw, ok := d.obj[name]
	if !ok || isNull(raw) {
		return 0
	}
	if raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
		d.fail(name, "not a number")
		return 0
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(string(raw), 64)
		if ferr != nil || math.IsInf(f, 0) || math.Abs(f) > maxExactNumber {
			d.fail(name, "number out of range")
			return 0
		}
		n = int64(math.Floor(f))
	}
	if n > maxExactNumber || n < -maxExactNumber {
		d.fail(name, "number out of range")
		return 0
	}
	return n
}

// time returns the number field name converted by from. A non-zero number
// that converts to the zero Time (year 1) would read as "unset" and is
// rejected.
func (d *decoder) time(name string, from func(int64) time.Time) time.Time {
	n := d.num(name)
	t := from(n)
	if n != 0 && t.IsZero() {
		d.fail(name, "number out of range")
	}
	return t
}
