package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Status is the state of an idempotency record. The values are the strings
// AWS Lambda Powertools stores in its "status" attribute.
type Status string

// Record statuses. Powertools' EXPIRED is never stored; it is what
// [Record.Live] reports as false.
const (
	// StatusInProgress marks a record claimed by an invocation that has not
	// finished yet.
	StatusInProgress Status = "INPROGRESS"
	// StatusCompleted marks a record holding the invocation's response.
	StatusCompleted Status = "COMPLETED"
)

// Record is one idempotency record.
//
// Times are persisted at a fixed precision: Expiry as whole epoch seconds
// (Powertools "expiration") and InProgressExpiry as whole epoch milliseconds
// (Powertools "in_progress_expiration"). Records returned by a Store carry
// times at that precision (see [Record.Persisted]); compare them with
// [EpochSeconds] and [EpochMillis], not with ==.
type Record struct {
	// Key identifies the record. It is already hashed and prefixed by the
	// caller; stores use it verbatim.
	Key string
	// Status is StatusInProgress or StatusCompleted.
	Status Status
	// Expiry is when the record stops being live, persisted as epoch
	// seconds. It is required.
	Expiry time.Time
	// InProgressExpiry is when an in-progress claim lapses (the invocation
	// deadline), persisted as epoch milliseconds. The zero Time means none:
	// the claim then lasts until Expiry. It is ignored for completed records.
	InProgressExpiry time.Time
	// PayloadHash is the payload validation hash, or "" if none.
	PayloadHash string
	// Response holds the exact response bytes of a completed record. It may
	// be empty or binary; nil and empty are equivalent. It must be empty for
	// an in-progress record.
	Response []byte
	// ContentType is the response's content type, "" if none. It must be
	// empty for an in-progress record.
	ContentType string
	// Streamed marks a response the function streamed
	// (Lambda-Runtime-Function-Response-Mode: streaming), to be replayed as
	// a stream. It must be false for an in-progress record.
	Streamed bool
	// Owner is the opaque token of the invocation that claimed the record.
	// Complete and Delete succeed only for this owner. It is required.
	Owner string
}

// Store persists idempotency records. Implementations must be safe for
// concurrent use, including by several clients (processes) of one backend,
// and each method must be a single atomic step on the backend.
//
// Every method first checks ctx: if it is already done, the method returns an
// error wrapping ctx.Err() and changes nothing. A context ending during a call
// to a remote backend may leave the outcome unknown; the error then still
// wraps ctx.Err() where the client library allows it.
//
// Records returned by a Store have their times at persisted precision and a
// Response the caller owns.
type Store interface {
	// Claim writes rec, which must pass [Record.ValidateClaim] at now,
	// unless a record for rec.Key is live at now ([Record.Live]); a record
	// that is not live is replaced entirely. On success it returns the zero
	// Record. If a live record exists, Claim leaves it unchanged and returns
	// it together with an error wrapping ErrAlreadyExists. An invalid rec
	// yields an error wrapping ErrInvalidRecord.
	Claim(ctx context.Context, rec Record, now time.Time) (Record, error)

	// Complete replaces the stored record with rec, which must pass
	// [Record.ValidateComplete] (all of rec's fields are stored, including
	// InProgressExpiry), only if the stored record is StatusInProgress and
	// its Owner equals rec.Owner. Liveness is not checked: an owner may still
	// complete a lapsed claim nobody took over (though a backend with a
	// server-side TTL may already have dropped a record past its Expiry, which
	// then counts as missing). Backends that set such a TTL derive it from
	// rec.Expiry. A missing, completed, or
	// foreign-owned record yields an error wrapping ErrNotOwner. A Response
	// larger than the backend stores yields an error wrapping
	// ErrRecordTooLarge. The stored record is unchanged on any error.
	Complete(ctx context.Context, rec Record) error

	// Delete removes the record for key only if it is StatusInProgress and
	// owned by owner; otherwise it returns an error wrapping ErrNotOwner and
	// leaves the record unchanged.
	Delete(ctx context.Context, key, owner string) error
}

// Live reports whether r blocks a Claim at now, using Powertools' rule at
// persisted precision. r is not live when its expiry second is before now's
// second, or when it is in progress with an in-progress expiry whose
// millisecond is before now's millisecond. Equal seconds (or milliseconds)
// are still live.
func (r Record) Live(now time.Time) bool {
	if EpochSeconds(r.Expiry) < EpochSeconds(now) {
		return false
	}
	if r.Status == StatusInProgress && !r.InProgressExpiry.IsZero() &&
		EpochMillis(r.InProgressExpiry) < EpochMillis(now) {
		return false
	}
	return true
}

// ValidateClaim reports, as an error wrapping ErrInvalidRecord, every way in
// which r is unfit for Claim at now: it needs a Key and an Owner,
// StatusInProgress, no Response, ContentType or Streamed, an Expiry whose second is
// after now's second (so a server-side TTL derived from it is positive), and
// an InProgressExpiry that is zero or after the epoch.
func (r Record) ValidateClaim(now time.Time) error {
	var problems []string
	problems = r.validateCommon(problems)
	if r.Status != StatusInProgress {
		problems = append(problems, fmt.Sprintf("status %q, want %q", r.Status, StatusInProgress))
	}
	if len(r.Response) != 0 || r.ContentType != "" || r.Streamed {
		problems = append(problems, "in-progress record carries a response")
	}
	if EpochSeconds(r.Expiry) <= EpochSeconds(now) {
		problems = append(problems, fmt.Sprintf("expiry %d not after now %d (epoch seconds)",
			EpochSeconds(r.Expiry), EpochSeconds(now)))
	}
	return invalid(problems)
}

// ValidateComplete reports, as an error wrapping ErrInvalidRecord, every way
// in which r is unfit for Complete: it needs a Key and an Owner,
// StatusCompleted, an Expiry after the epoch, and an InProgressExpiry that is
// zero or after the epoch.
func (r Record) ValidateComplete() error {
	var problems []string
	problems = r.validateCommon(problems)
	if r.Status != StatusCompleted {
		problems = append(problems, fmt.Sprintf("status %q, want %q", r.Status, StatusCompleted))
	}
	if EpochSeconds(r.Expiry) <= 0 {
		problems = append(problems, "expiry unset or not after the epoch")
	}
	return invalid(problems)
}

func (r Record) validateCommon(problems []string) []string {
	if r.Key == "" {
		problems = append(problems, "empty key")
	}
	if r.Owner == "" {
		problems = append(problems, "empty owner")
	}
	if !r.InProgressExpiry.IsZero() && EpochMillis(r.InProgressExpiry) <= 0 {
		problems = append(problems, "in-progress expiry not after the epoch")
	}
	return problems
}

func invalid(problems []string) error {
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrInvalidRecord, strings.Join(problems, "; "))
}

// Persisted returns r as a backend stores it: Expiry truncated to whole
// seconds and InProgressExpiry to whole milliseconds, both in UTC without a
// monotonic reading; zero times stay zero. Response is shared, not copied.
func (r Record) Persisted() Record {
	r.Expiry = FromEpochSeconds(EpochSeconds(r.Expiry))
	r.InProgressExpiry = FromEpochMillis(EpochMillis(r.InProgressExpiry))
	return r
}

// EpochSeconds returns t as whole epoch seconds (the persisted form of
// Record.Expiry and of Powertools' ":now"), or 0 for the zero Time.
func EpochSeconds(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// EpochMillis returns t as whole epoch milliseconds (the persisted form of
// Record.InProgressExpiry and of Powertools' ":now_in_millis"), or 0 for the
// zero Time.
func EpochMillis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// FromEpochSeconds is the inverse of [EpochSeconds]: 0 yields the zero Time,
// anything else a UTC time.
func FromEpochSeconds(sec int64) time.Time {
	if sec == 0 {
		return time.Time{}
	}
	return time.Unix(sec, 0).UTC()
}

// FromEpochMillis is the inverse of [EpochMillis]: 0 yields the zero Time
// (no in-progress expiry), anything else a UTC time.
func FromEpochMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
