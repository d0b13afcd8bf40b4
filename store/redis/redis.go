package redis

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	goredis "github.com/redis/go-redis/v9"

	"github.com/idemproxy/idemproxy/store"
)

// minTTL is the shortest server-side TTL the store sets.
const minTTL = time.Second

// Store is a store.Store on Redis or Valkey (standalone or cluster). It is
// safe for concurrent use. Create it with [New]; release it with Close.
//
// Each method is one Lua script run with EVALSHA (plus one EVAL the first
// time a server sees the script), over the record key only. Commands are
// never retried by the client: after a network error the outcome is unknown
// and the error is returned.
type Store struct {
	client  goredis.UniversalClient
	attrs   attrs
	max     int
	scripts scripts
	// clock gives the wall time server-side TTLs are computed from; liveness
	// never uses it.
	clock func() time.Time
}

var _ store.Store = (*Store)(nil)

// New returns a Store for opts. It validates opts and builds the client but
// does not contact the server; connections open on first use.
func New(opts Options) (*Store, error) {
	opts = opts.withDefaults()
	var errs []error
	if opts.URL == "" {
		errs = append(errs, errors.New("URL is required"))
	}
	if opts.MaxResponseBytes < 0 {
		errs = append(errs, fmt.Errorf("MaxResponseBytes %d is negative", opts.MaxResponseBytes))
	}
	errs = append(errs, opts.fieldErrors(map[string]string{
		"ExpiryAttr": opts.ExpiryAttr, "InProgressExpiryAttr": opts.InProgressExpiryAttr,
		"StatusAttr": opts.StatusAttr, "DataAttr": opts.DataAttr, "ValidationAttr": opts.ValidationAttr,
	})...)
	var co clientOptions
	if opts.URL != "" {
		var err error
		if co, err = opts.clientOptions(); err != nil {
			errs = append(errs, fmt.Errorf("URL: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("redis: invalid options: %w", err)
	}
	return &Store{
		client:  co.newClient(),
		attrs:   opts.attrs(),
		max:     opts.MaxResponseBytes,
		scripts: newScripts(),
		clock:   time.Now,
	}, nil
}

// Close closes the client's connections.
func (s *Store) Close() error {
	return s.client.Close()
}

// Claim implements store.Store in one round trip: it writes rec unless a live
// record exists, which it returns (decoded from the same reply).
func (s *Store) Claim(ctx context.Context, rec store.Record, now time.Time) (store.Record, error) {
	if err := ctx.Err(); err != nil {
		return store.Record{}, fmt.Errorf("redis: claim: %w", err)
	}
	if err := errors.Join(rec.ValidateClaim(now), validText(rec)); err != nil {
		return store.Record{}, fmt.Errorf("redis: claim: %w", err)
	}
	reply, err := run(ctx, s.client, s.scripts.claim, rec.Key,
		encodeRecord(rec, s.attrs), s.ttlMillis(rec.Expiry),
		store.EpochSeconds(now), store.EpochMillis(now),
		s.attrs.status, s.attrs.expiry, s.attrs.inProgressExpiry)
	if err != nil {
		return store.Record{}, translate(ctx, "claim", rec.Key, err)
	}
	switch v := reply.(type) {
	case int64:
		if v == 1 {
			return store.Record{}, nil
		}
	case string:
		// The reply is only read: decoded in place, the response copied out once.
		old, err := decodeRecord(rec.Key, unsafe.Slice(unsafe.StringData(v), len(v)), s.attrs)
		if err != nil {
			return store.Record{}, fmt.Errorf("redis: claim %q: live value: %w", rec.Key, err)
		}
		return old, fmt.Errorf("redis: claim %q: %w", rec.Key, store.ErrAlreadyExists)
	}
	return store.Record{}, fmt.Errorf("redis: claim %q: unexpected script reply %v", rec.Key, reply)
}

// Complete implements store.Store in one round trip.
func (s *Store) Complete(ctx context.Context, rec store.Record) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("redis: complete: %w", err)
	}
	if err := errors.Join(rec.ValidateComplete(), validText(rec)); err != nil {
		return fmt.Errorf("redis: complete: %w", err)
	}
	if len(rec.Response) > s.max {
		return fmt.Errorf("redis: complete %q: response of %d bytes exceeds %d: %w",
			rec.Key, len(rec.Response), s.max, store.ErrRecordTooLarge)
	}
	// The record goes out in pieces, the response encoded chunk by chunk as
	// it is written to the connection (recordParts.args).
	scratch := make([]byte, 0, min(len(rec.Response), dataChunkSize)*5/4+16)
	args := append([]any{"", s.attrs.status, rec.Owner, ownerField, s.ttlMillis(rec.Expiry)},
		encodeParts(rec, s.attrs).args(&scratch)...)
	reply, err := run(ctx, s.client, s.scripts.complete, rec.Key, args...)
	return s.owned(ctx, "complete", rec.Key, reply, err)
}

// Delete implements store.Store in one round trip.
func (s *Store) Delete(ctx context.Context, key, owner string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("redis: delete: %w", err)
	}
	reply, err := run(ctx, s.client, s.scripts.delete, key, "", s.attrs.status, owner, ownerField)
	return s.owned(ctx, "delete", key, reply, err)
}

// validText reports, wrapping store.ErrInvalidRecord, text fields that are
// not valid UTF-8: a JSON string cannot hold them unchanged.
func validText(rec store.Record) error {
	var bad []string
	for name, v := range map[string]string{
		"owner": rec.Owner, "payload hash": rec.PayloadHash, "content type": rec.ContentType,
	} {
		if !utf8.ValidString(v) {
			bad = append(bad, name)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	slices.Sort(bad)
	return fmt.Errorf("%w: not valid UTF-8: %s", store.ErrInvalidRecord, strings.Join(bad, ", "))
}

// owned interprets the reply of an owner-fenced script.
func (s *Store) owned(ctx context.Context, op, key string, reply any, err error) error {
	if err != nil {
		return translate(ctx, op, key, err)
	}
	switch reply {
	case int64(1):
		return nil
	case int64(0):
		return fmt.Errorf("redis: %s %q: %w", op, key, store.ErrNotOwner)
	}
	return fmt.Errorf("redis: %s %q: unexpected script reply %v", op, key, reply)
}

// ttlMillis is the server-side TTL for a record expiring at expiry: until the
// end of expiry's second (the record is live through it), measured from the
// store's clock so that the server's own clock does not matter, and at least
// minTTL.
func (s *Store) ttlMillis(expiry time.Time) string {
	end := time.Unix(store.EpochSeconds(expiry)+1, 0)
	return strconv.FormatInt(max(end.Sub(s.clock()), minTTL).Milliseconds(), 10)
}

// translate turns a go-redis error into the store's error: it keeps err
// errors.Is-able and adds ctx's error when ctx ended (go-redis reports an
// expired deadline as a network timeout), so a cancelled or timed-out call
// always wraps context.Canceled or context.DeadlineExceeded. Redis errors
// carry no store sentinel: a record the store cannot act on is reported by
// the scripts' replies, not by errors.
func translate(ctx context.Context, op, key string, err error) error {
	cerr := ctx.Err()
	if deadline, ok := ctx.Deadline(); ok && cerr == nil && !time.Now().Before(deadline) {
		// The connection's deadline (the ctx's) fired before ctx's timer.
		cerr = context.DeadlineExceeded
	}
	if cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("redis: %s %q: %w: %w", op, key, cerr, err)
	}
	return fmt.Errorf("redis: %s %q: %w", op, key, err)
}
