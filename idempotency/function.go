package idempotency

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/idemproxy/idemproxy/store"
)

// This file is the core of the local idempotency API: Powertools Python's
// idempotent_function for callers in any language. The key is derived from
// the data the caller sends exactly as idempotent_function derives it from
// its data keyword argument, and the records are the handler path's records,
// in the same store and the same local cache.

// ErrBadToken means an owner token handed back to CompleteFunction or
// ReleaseFunction was not made by ClaimFunction.
var ErrBadToken = errors.New("idempotency: malformed owner token")

// FunctionCall is one claim of the local idempotency API.
type FunctionCall struct {
	// KeyPrefix is the text before "#" of the key: idempotent_function's
	// key_prefix, or "{AWS_LAMBDA_FUNCTION_NAME}.{module}.{qualname}".
	// Required.
	KeyPrefix string
	// Data is the JSON form of the data keyword argument. Required.
	Data []byte
	// EventKeyJMESPath and PayloadValidationJMESPath are the
	// IdempotencyConfig expressions, applied to Data; empty means the whole
	// data and no validation.
	EventKeyJMESPath          string
	PayloadValidationJMESPath string
	// RaiseOnNoIdempotencyKey rejects an empty key selection instead of
	// answering Proceed without a claim.
	RaiseOnNoIdempotencyKey bool
	// ExpiresAfter is how long the record lives; 0 means the core's.
	ExpiresAfter time.Duration
	// Deadline is the in-progress expiry: the deadline of the invocation
	// the caller runs under. Zero means none (the claim lasts until expiry).
	Deadline time.Time
	// RequestID is that invocation's request id (logs and owner tokens).
	RequestID string
}

// FunctionOutcome is ClaimFunction's answer: Outcome's verdicts, with the
// key and, for a claim, the owner token to complete or release it with.
type FunctionOutcome struct {
	Outcome
	// Key is the idempotency key ("" when Data has no key).
	Key string
	// Token is the owner token of a claim (Verdict Proceed with a Claim).
	Token string
}

// ClaimFunction derives the key of call.Data and claims it. Malformed
// expressions and data are rejected with ErrorTypeKey and a message naming
// the expression; the other verdicts are Begin's.
func (c *Core) ClaimFunction(ctx context.Context, call FunctionCall) FunctionOutcome {
	keyer, err := c.fnKeyers.get(KeyConfig{
		EventKeyJMESPath:          call.EventKeyJMESPath,
		PayloadValidationJMESPath: call.PayloadValidationJMESPath,
		HashFunction:              c.cfg.Key.HashFunction,
	})
	if err != nil {
		return FunctionOutcome{Outcome: reject(ErrorTypeKey, err.Error())}
	}
	d, err := keyer.Derive(call.Data)
	if err != nil {
		c.stats.rejected.Add(1)
		return FunctionOutcome{Outcome: reject(ErrorTypeKey, msgInvalidEvent+err.Error())}
	}
	if d.MissingKey {
		if call.RaiseOnNoIdempotencyKey {
			c.stats.rejected.Add(1)
			return FunctionOutcome{Outcome: reject(ErrorTypeKey, msgNoKey)}
		}
		c.stats.noKey.Add(1)
		return FunctionOutcome{Outcome: Outcome{Verdict: Proceed}}
	}
	expiresAfter := call.ExpiresAfter
	if expiresAfter <= 0 {
		expiresAfter = c.cfg.ExpiresAfter
	}
	rec := store.Record{
		Key:              call.KeyPrefix + d.Key, // d.Key is "#" + hexdigest
		Status:           store.StatusInProgress,
		InProgressExpiry: call.Deadline,
		PayloadHash:      d.PayloadHash,
		Owner:            call.RequestID + "/" + rand.Text(),
	}
	log := invLog{l: c.log, requestID: call.RequestID, key: rec.Key, more: []any{"source", "local API"}}
	res := c.claimKey(ctx, rec, expiresAfter, call.PayloadValidationJMESPath != "", log)
	out := FunctionOutcome{Key: rec.Key}
	switch res.kind {
	case claimWon:
		cl := &Claim{rec: rec}
		c.held.addFunction(cl, c.now())
		out.Outcome = Outcome{Verdict: Proceed, Claim: cl}
		out.Token = encodeToken(rec, expiresAfter)
	case claimCompleted:
		out.Outcome = Outcome{Verdict: Replay, Response: res.existing.Response, ContentType: res.existing.ContentType}
	case claimInProgress:
		out.Outcome = reject(ErrorTypeAlreadyInProgress, msgAlreadyInProgress+rec.Key)
	case claimValidation:
		out.Outcome = reject(ErrorTypeValidation, msgValidation)
	case claimInconsistent:
		out.Outcome = reject(ErrorTypeInconsistentState, msgInconsistent+rec.Key)
	default:
		out.Outcome = reject(ErrorTypePersistence, msgSaveInProgress+res.err.Error())
	}
	return out
}

// CompleteFunction records result (with its content type) for the claim
// token names. Errors: ErrBadToken; store.ErrNotOwner when the record is no
// longer this claim's (completed, released, or taken over after its
// deadline); store.ErrRecordTooLarge (the claim is then released); any
// other store failure.
func (c *Core) CompleteFunction(ctx context.Context, token string, result []byte, contentType string) (key string, err error) {
	rec, expiresAfter, err := decodeToken(token)
	if err != nil {
		return "", err
	}
	err = c.completeKey(ctx, rec, expiresAfter, result, contentType)
	if err == nil || errors.Is(err, store.ErrNotOwner) || errors.Is(err, store.ErrRecordTooLarge) {
		c.held.removeFunction(rec.Key, rec.Owner) // settled: nothing left to release
	}
	return rec.Key, err
}

// ReleaseFunction deletes the claim token names, so that the next claim
// runs the function again. Errors as CompleteFunction's.
func (c *Core) ReleaseFunction(ctx context.Context, token string) (key string, err error) {
	rec, _, err := decodeToken(token)
	if err != nil {
		return "", err
	}
	c.stats.handlerErrors.Add(1)
	err = c.releaseKey(ctx, rec.Key, rec.Owner)
	if err == nil || errors.Is(err, store.ErrNotOwner) {
		c.held.removeFunction(rec.Key, rec.Owner)
	}
	return rec.Key, err
}

// tokenPrefix versions the owner token format.
const tokenPrefix = "v1."

// tokenFields is what an owner token carries: everything Complete needs to
// rewrite the claimed record. Forging one gains nothing: the store accepts
// it only with the random owner of a live claim.
type tokenFields struct {
	Key          string `json:"k"`
	Owner        string `json:"o"`
	PayloadHash  string `json:"p,omitempty"`
	InProgressMs int64  `json:"d,omitempty"`
	ExpiresSec   int64  `json:"e"`
}

func encodeToken(rec store.Record, expiresAfter time.Duration) string {
	b, _ := json.Marshal(tokenFields{
		Key: rec.Key, Owner: rec.Owner, PayloadHash: rec.PayloadHash,
		InProgressMs: store.EpochMillis(rec.InProgressExpiry), ExpiresSec: int64(expiresAfter / time.Second),
	})
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
}

func decodeToken(token string) (store.Record, time.Duration, error) {
	raw, ok := strings.CutPrefix(token, tokenPrefix)
	if !ok {
		return store.Record{}, 0, fmt.Errorf("%w: unknown version", ErrBadToken)
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return store.Record{}, 0, fmt.Errorf("%w: %w", ErrBadToken, err)
	}
	var f tokenFields
	if err := json.Unmarshal(b, &f); err != nil {
		return store.Record{}, 0, fmt.Errorf("%w: %w", ErrBadToken, err)
	}
	if f.Key == "" || f.Owner == "" || f.ExpiresSec <= 0 || f.InProgressMs < 0 {
		return store.Record{}, 0, fmt.Errorf("%w: missing fields", ErrBadToken)
	}
	return store.Record{
		Key: f.Key, Status: store.StatusInProgress, Owner: f.Owner, PayloadHash: f.PayloadHash,
		InProgressExpiry: store.FromEpochMillis(f.InProgressMs),
	}, time.Duration(f.ExpiresSec) * time.Second, nil
}

// maxKeyers bounds the compiled expressions kept for the local API.
const maxKeyers = 64

// keyerCache keeps the Keyers of the expressions local API callers use, so
// that each is compiled once. Its zero value is ready; it is emptied when
// full (callers use a handful of expressions).
type keyerCache struct {
	mu sync.Mutex
	m  map[KeyConfig]*Keyer
}

func (kc *keyerCache) get(cfg KeyConfig) (*Keyer, error) {
	kc.mu.Lock()
	defer kc.mu.Unlock()
	if k, ok := kc.m[cfg]; ok {
		return k, nil
	}
	k, err := NewKeyer(cfg)
	if err != nil {
		return nil, err
	}
	if kc.m == nil || len(kc.m) >= maxKeyers {
		kc.m = make(map[KeyConfig]*Keyer)
	}
	kc.m[cfg] = k
	return k, nil
}
