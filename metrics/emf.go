package metrics

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/idemproxy/idemproxy/idempotency"
)

// ErrInvalidNamespace means a namespace CloudWatch would reject.
var ErrInvalidNamespace = errors.New("metrics: invalid namespace")

// Metric names, all in one line per invocation.
const (
	Hits               = "IdempotencyHits"
	Misses             = "IdempotencyMisses"
	InProgress         = "IdempotencyInProgressConflicts"
	ValidationFailures = "IdempotencyValidationFailures"
	StoreErrors        = "IdempotencyStoreErrors"
	StoreLatency       = "IdempotencyStoreLatency"
)

// DimensionFunctionName is the dimension every metric carries.
const DimensionFunctionName = "FunctionName"

// ValidateNamespace checks a CloudWatch namespace: 1 to 255 characters,
// no control characters, not starting with "AWS/" (reserved) nor ":".
func ValidateNamespace(ns string) error {
	switch {
	case ns == "", utf8.RuneCountInString(ns) > 255:
		return fmt.Errorf("%w: want 1 to 255 characters", ErrInvalidNamespace)
	case !utf8.ValidString(ns):
		return fmt.Errorf("%w: not UTF-8", ErrInvalidNamespace)
	case len(ns) >= 4 && ns[:4] == "AWS/":
		return fmt.Errorf("%w: the AWS/ prefix is reserved for AWS services", ErrInvalidNamespace)
	case ns[0] == ':':
		return fmt.Errorf("%w: must not start with a colon", ErrInvalidNamespace)
	}
	for _, r := range ns {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%w: control character", ErrInvalidNamespace)
		}
	}
	return nil
}

// EMF writes an EMF line per observation to a writer. It is safe for
// concurrent use: each line is one Write call, under a lock.
type EMF struct {
	w   io.Writer
	now func() time.Time
	// prefix is the constant start of every line, up to the timestamp's
	// value; middle follows it, up to the metric values.
	prefix, middle []byte
	mu             sync.Mutex
	buf            []byte
}

// Option customises an EMF writer.
type Option func(*EMF)

// WithClock replaces time.Now for the lines' timestamps, for tests.
func WithClock(now func() time.Time) Option { return func(e *EMF) { e.now = now } }

// New returns an EMF writer for namespace, with the FunctionName dimension
// set to functionName.
func New(w io.Writer, namespace, functionName string, opts ...Option) (*EMF, error) {
	if err := ValidateNamespace(namespace); err != nil {
		return nil, err
	}
	e := &EMF{w: w, now: time.Now}
	for _, o := range opts {
		o(e)
	}
	var metrics []byte
	for i, m := range []struct{ name, unit string }{
		{Hits, "Count"}, {Misses, "Count"}, {InProgress, "Count"}, {ValidationFailures, "Count"},
		{StoreErrors, "Count"}, {StoreLatency, "Milliseconds"},
	} {
		if i > 0 {
			metrics = append(metrics, ',')
		}
		metrics = fmt.Appendf(metrics, `{"Name":%s,"Unit":%s}`, strconv.Quote(m.name), strconv.Quote(m.unit))
	}
	e.prefix = []byte(`{"_aws":{"Timestamp":`)
	e.middle = fmt.Appendf(nil, `,"CloudWatchMetrics":[{"Namespace":%s,"Dimensions":[[%q]],"Metrics":[%s]}]},%q:%s`,
		jsonString(namespace), DimensionFunctionName, metrics, DimensionFunctionName, jsonString(functionName))
	return e, nil
}

var _ idempotency.Observer = (*EMF)(nil)

// Observe implements idempotency.Observer: it writes one line. A write
// error is dropped (metrics never fail an invocation).
func (e *EMF) Observe(o idempotency.Observation) {
	count := func(r idempotency.Result) int {
		if o.Result == r {
			return 1
		}
		return 0
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	b := append(e.buf[:0], e.prefix...)
	b = strconv.AppendInt(b, e.now().UnixMilli(), 10)
	b = append(b, e.middle...)
	b = appendField(b, Hits, count(idempotency.ResultHit))
	b = appendField(b, Misses, count(idempotency.ResultMiss))
	b = appendField(b, InProgress, count(idempotency.ResultInProgress))
	b = appendField(b, ValidationFailures, count(idempotency.ResultValidationFailed))
	storeErrors := o.StoreErrors
	if o.Result == idempotency.ResultStoreError && storeErrors == 0 {
		storeErrors = 1 // the store answered, with a record it cannot use
	}
	b = appendField(b, StoreErrors, storeErrors)
	b = append(b, `,"`+StoreLatency+`":`...)
	b = strconv.AppendFloat(b, float64(o.StoreLatency.Microseconds())/1000, 'f', -1, 64)
	b = append(b, `,"result":`...)
	b = strconv.AppendQuote(b, o.Result.String())
	if o.RequestID != "" {
		b = append(b, `,"requestId":`...)
		b = appendJSONString(b, o.RequestID)
	}
	b = append(b, "}\n"...)
	e.buf = b
	_, _ = e.w.Write(b)
}

func appendField(b []byte, name string, n int) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return strconv.AppendInt(b, int64(n), 10)
}
