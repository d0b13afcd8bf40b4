package dynamodb

import (
	"errors"
	"fmt"

	"github.com/idemproxy/idemproxy/store"
)

// ErrInvalidOptions reports an unusable [Options] value or environment.
var ErrInvalidOptions = errors.New("dynamodb: invalid options")

// Names of the attributes idemproxy adds to Powertools' layout. Powertools
// ignores attributes it does not know, so records stay readable by it.
const (
	// OwnerAttr holds the owner token of the invocation that claimed the
	// record (store.Record.Owner).
	OwnerAttr = "idemproxy_owner"
	// ContentTypeAttr holds the response's content type, when there is one.
	ContentTypeAttr = "idemproxy_content_type"
	// EncodingAttr is "base64" when the data attribute holds the base64 of
	// a response that is not valid UTF-8, and "gzip" when it is a binary
	// (B) attribute holding the gzip-compressed response (see
	// Options.CompressAboveBytes); it is absent otherwise.
	EncodingAttr = "idemproxy_encoding"
	// ResponseModeAttr is "streaming" on a record whose response was
	// streamed (store.Record.Streamed); it is absent otherwise.
	ResponseModeAttr = "idemproxy_response_mode"
)

// Options names the table and the attributes of the records. The defaults
// are those of Powertools for AWS Lambda (Python)'s DynamoDBPersistenceLayer,
// so both can share one table.
type Options struct {
	// Table is the table name. Required.
	Table string
	// KeyAttr is the partition key attribute ("id").
	KeyAttr string
	// StaticPKValue is the partition key value when SortKeyAttr is set
	// ("idempotency#{function name}"); the idempotency key then goes in the
	// sort key.
	StaticPKValue string
	// SortKeyAttr is the sort key attribute; "" means the table has a
	// partition key only.
	SortKeyAttr string
	// ExpiryAttr holds the record expiry in epoch seconds ("expiration").
	ExpiryAttr string
	// InProgressExpiryAttr holds the in-progress expiry in epoch
	// milliseconds ("in_progress_expiration").
	InProgressExpiryAttr string
	// StatusAttr holds INPROGRESS or COMPLETED ("status").
	StatusAttr string
	// DataAttr holds the response ("data").
	DataAttr string
	// ValidationAttr holds the payload validation hash ("validation").
	ValidationAttr string

	// CompressAboveBytes is the response size above which the response is
	// stored gzip-compressed, in a binary attribute, when that makes it
	// smaller: 0 means store.DefaultCompressAboveBytes, a negative value
	// turns compression off. It is not read from the environment here.
	CompressAboveBytes int
}

// DefaultOptions returns Powertools' defaults for table and functionName.
func DefaultOptions(table, functionName string) Options {
	return Options{
		Table:                table,
		KeyAttr:              "id",
		StaticPKValue:        "idempotency#" + functionName,
		ExpiryAttr:           "expiration",
		InProgressExpiryAttr: "in_progress_expiration",
		StatusAttr:           "status",
		DataAttr:             "data",
		ValidationAttr:       "validation",
	}
}

// field describes one Options field and the environment variable setting it.
type field struct {
	name, env string
	ptr       *string
}

func (o *Options) fields() []field {
	return []field{
		{"Table", "IDEMPOTENCY_TABLE_NAME", &o.Table},
		{"KeyAttr", "IDEMPOTENCY_KEY_ATTR", &o.KeyAttr},
		{"StaticPKValue", "IDEMPOTENCY_STATIC_PK_VALUE", &o.StaticPKValue},
		{"SortKeyAttr", "IDEMPOTENCY_SORT_KEY_ATTR", &o.SortKeyAttr},
		{"ExpiryAttr", "IDEMPOTENCY_EXPIRY_ATTR", &o.ExpiryAttr},
		{"InProgressExpiryAttr", "IDEMPOTENCY_IN_PROGRESS_EXPIRY_ATTR", &o.InProgressExpiryAttr},
		{"StatusAttr", "IDEMPOTENCY_STATUS_ATTR", &o.StatusAttr},
		{"DataAttr", "IDEMPOTENCY_DATA_ATTR", &o.DataAttr},
		{"ValidationAttr", "IDEMPOTENCY_VALIDATION_KEY_ATTR", &o.ValidationAttr},
	}
}

// LoadOptions reads Options from the environment through getenv, starting
// from [DefaultOptions] for functionName (used only for the default static
// partition key value). Unset or empty variables keep their default:
//
//	IDEMPOTENCY_TABLE_NAME              Table (required)
//	IDEMPOTENCY_KEY_ATTR                KeyAttr
//	IDEMPOTENCY_STATIC_PK_VALUE         StaticPKValue
//	IDEMPOTENCY_SORT_KEY_ATTR           SortKeyAttr
//	IDEMPOTENCY_EXPIRY_ATTR             ExpiryAttr
//	IDEMPOTENCY_IN_PROGRESS_EXPIRY_ATTR InProgressExpiryAttr
//	IDEMPOTENCY_STATUS_ATTR             StatusAttr
//	IDEMPOTENCY_DATA_ATTR               DataAttr
//	IDEMPOTENCY_VALIDATION_KEY_ATTR     ValidationAttr
//
// Every problem is reported, joined with [errors.Join], each wrapping
// [ErrInvalidOptions] and naming its variable.
func LoadOptions(getenv func(string) string, functionName string) (Options, error) {
	o := DefaultOptions("", functionName)
	for _, f := range o.fields() {
		if v := getenv(f.env); v != "" {
			*f.ptr = v
		}
	}
	if err := o.check(func(f field) string { return f.env }); err != nil {
		return Options{}, err
	}
	return o, nil
}

// Validate reports every problem with o, joined with [errors.Join], each
// wrapping [ErrInvalidOptions] and naming its field: a missing table or
// attribute name, a sort key equal to the partition key (which Powertools
// rejects too), two fields naming the same attribute, or a field naming one
// of idemproxy's own attributes.
func (o Options) Validate() error {
	return o.check(func(f field) string { return f.name })
}

func (o Options) check(label func(field) string) error {
	var errs []error
	bad := func(f field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s %s", ErrInvalidOptions, label(f), fmt.Sprintf(format, args...)))
	}
	fields := o.fields()
	attrs := map[string]field{}
	for _, f := range fields {
		switch v := *f.ptr; {
		case f.name == "SortKeyAttr" && v == "":
		case f.name == "StaticPKValue" && v == "" && o.SortKeyAttr != "":
			bad(f, "is empty, but a sort key needs a partition key value")
		case f.name == "StaticPKValue":
		case v == "":
			bad(f, "is required")
		case f.name == "Table":
		case v == OwnerAttr || v == ContentTypeAttr || v == EncodingAttr || v == ResponseModeAttr:
			bad(f, "is %q, an attribute idemproxy uses itself", v)
		default:
			if prev, dup := attrs[v]; dup {
				if f.name == "SortKeyAttr" && prev.name == "KeyAttr" {
					bad(f, "%q equals the key attribute", v)
				} else {
					bad(f, "%q is also used by %s", v, label(prev))
				}
				continue
			}
			attrs[v] = f
		}
	}
	return errors.Join(errs...)
}

// compressor is the Compressor for o.CompressAboveBytes.
func (o Options) compressor() *store.Compressor { return store.NewCompressor(o.CompressAboveBytes) }
