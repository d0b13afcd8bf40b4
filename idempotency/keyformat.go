package idempotency

import (
	"encoding/base64"
	"fmt"
	"math"
	"math/big"
	"strconv"
)

// KeyFormat selects whose keys and payload hashes a Keyer reproduces.
type KeyFormat string

// Key formats.
const (
	// FormatPython (the default, also for "") hashes json.dumps(value,
	// sort_keys=True) and writes the hexdigest, as Powertools Python.
	FormatPython KeyFormat = "powertools-python"
	// FormatTypeScript hashes JSON.stringify of the case-insensitively
	// deep-sorted value and writes the base64 digest, as
	// @aws-lambda-powertools/idempotency (Powertools TypeScript) does; its
	// key prefix is the function name.
	FormatTypeScript KeyFormat = "powertools-typescript"
)

// KeyFormats lists the supported key formats.
func KeyFormats() []KeyFormat { return []KeyFormat{FormatPython, FormatTypeScript} }

func checkFormat(f KeyFormat) error {
	switch f {
	case "", FormatPython, FormatTypeScript:
		return nil
	}
	return fmt.Errorf("unsupported key format %q (supported: %v)", f, KeyFormats())
}

// deriveTS completes Derive in the TypeScript format, from the key
// selection sel of the event data:
//
//   - BasePersistenceLayer.getHashedIdempotencyKey: prefix + "#" + base64 of
//     the hash of JSON.stringify(deepSort(sel));
//   - IdempotencyHandler.shouldSkipIdempotency: with an event key
//     expression and throwOnNoIdempotencyKey unset, a null selection skips
//     idempotency; with it set, isMissingIdempotencyKey (JavaScript
//     falsiness: an object or array whose values are all falsy, or a falsy
//     primitive) raises IdempotencyKeyError; otherwise a missing key is
//     only warned about and the key is used;
//   - getHashedPayload: the same hash of the validation selection.
func (k *Keyer) deriveTS(st *deriveState, sel, data value) (Derived, error) {
	var d Derived
	if k.cfg.raiseOnMissing {
		d.MissingKey = jsMissingKey(sel)
	} else {
		d.MissingKey = k.key != nil && sel.kind == kNull
	}
	var err error
	if d.Key, err = st.digestJS(k.keyHead, sel); err != nil {
		return Derived{}, fmt.Errorf("%w: EventKeyJMESPath: %w", ErrInvalidEvent, err)
	}
	if k.validation == nil || d.MissingKey {
		return d, nil
	}
	v, err := st.eval(k.validation.root, data)
	if err != nil {
		return Derived{}, fmt.Errorf("%w: PayloadValidationJMESPath %q: %w", ErrInvalidEvent, k.validation.text, err)
	}
	if d.PayloadHash, err = st.digestJS("", v); err != nil {
		return Derived{}, fmt.Errorf("%w: PayloadValidationJMESPath: %w", ErrInvalidEvent, err)
	}
	return d, nil
}

// digestJS returns prefix followed by the base64 digest of
// JSON.stringify(deepSort(v)).
func (st *deriveState) digestJS(prefix string, v value) (string, error) {
	var err error
	st.out, err = appendJSStringify(st.out[:0], v)
	if err != nil {
		return "", err
	}
	st.h.Reset()
	st.h.Write(st.out)
	st.sum = st.h.Sum(st.sum[:0])
	st.out = append(st.out[:0], prefix...)
	st.out = base64.StdEncoding.AppendEncode(st.out, st.sum)
	return string(st.out), nil
}

// jsMissingKey is BasePersistenceLayer.isMissingIdempotencyKey: null, an
// object or array none of whose values is truthy, or a falsy primitive.
func jsMissingKey(v value) bool {
	switch v.kind {
	case kObject:
		for _, e := range v.dict().vals {
			if jsTruthy(e) {
				return false
			}
		}
		return true
	case kArray:
		for _, e := range v.list() {
			if jsTruthy(e) {
				return false
			}
		}
		return true
	}
	return !jsTruthy(v)
}

// jsTruthy is JavaScript truthiness of a JSON value: false, 0, -0, NaN, ""
// and null are falsy; every object and array is truthy.
func jsTruthy(v value) bool {
	switch v.kind {
	case kNull:
		return false
	case kBool:
		return v.b
	case kString:
		return v.s != ""
	case kInt, kFloat:
		f := jsNumber(v)
		return f != 0 && !math.IsNaN(f)
	}
	return true
}

// jsNumber is the JavaScript number (a double) for a JSON number value:
// what JSON.parse makes of its text, or the nearest double to a computed
// number. Text beyond the double range is ±Infinity, as in JavaScript.
func jsNumber(v value) float64 {
	switch {
	case v.src != nil:
		f, _ := strconv.ParseFloat(v.src.str, 64) // ±Inf on overflow, like JSON.parse
		return f
	case v.kind == kFloat:
		return v.f
	case v.bi != nil:
		f, _ := new(big.Float).SetInt(v.bi).Float64()
		return f
	}
	return float64(v.i)
}
