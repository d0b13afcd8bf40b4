package idempotency

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/idemproxy/idemproxy/store"
)

// maxRetries is how often a claim is retried after the record changed state
// under it (Powertools' MAX_RETRIES: 3 attempts in all).
const maxRetries = 2

// Config is the core's configuration, with the meaning of the Powertools
// Python IdempotencyConfig fields of the same names.
type Config struct {
	Key KeyConfig
	// RaiseOnNoIdempotencyKey fails invocations whose key selection is empty
	// (raise_on_no_idempotency_key); otherwise they run without idempotency.
	RaiseOnNoIdempotencyKey bool
	// ExpiresAfter is how long a record lives (expires_after_seconds).
	ExpiresAfter time.Duration
	// UseLocalCache keeps COMPLETED records in memory (use_local_cache).
	UseLocalCache bool
	// LocalCacheMaxItems bounds the local cache (local_cache_max_items).
	LocalCacheMaxItems int
	// ClockSkewTolerance is how much the clocks of the execution
	// environments sharing a store may disagree. A claim treats records as
	// live for this long past their expiry and in-progress expiry (by its
	// own clock), so that a sandbox whose clock is ahead by up to this much
	// never takes over a record before it really expired. 0 is Powertools'
	// behaviour.
	ClockSkewTolerance time.Duration
	// InProgress, ReplayHeader and SkipStatusCodes go beyond Powertools;
	// their zero values are its behaviour (see beyond.go).
	InProgress      InProgressMode
	ReplayHeader    string
	SkipStatusCodes StatusCodes
}

// Core runs the idempotency state machine for invocations against a store.
// It is safe for concurrent use; per-invocation state lives in Claim values.
type Core struct {
	cfg   Config
	keyer *Keyer
	store store.Store
	cache *lru
	now   func() time.Time
	sleep func(context.Context, time.Duration) error
	log   *slog.Logger
	stats stats
	// fnKeyers holds the local API's compiled expressions (function.go).
	fnKeyers keyerCache
	// observer, if set, gets an Observation per invocation.
	observer Observer
	// held are the claims not settled yet (ReleaseHeld).
	held heldClaims
}

// Option customises a Core.
type Option func(*Core)

// WithClock replaces time.Now, for tests.
func WithClock(now func() time.Time) Option { return func(c *Core) { c.now = now } }

// WithLogger sets the logger; the default discards.
func WithLogger(l *slog.Logger) Option { return func(c *Core) { c.log = l } }

// New compiles cfg and returns a Core over st.
func New(cfg Config, st store.Store, opts ...Option) (*Core, error) {
	if st == nil {
		return nil, errors.New("idempotency: no store")
	}
	if cfg.ExpiresAfter <= 0 {
		return nil, fmt.Errorf("%w: expiry must be positive", ErrInvalidConfig)
	}
	if cfg.ClockSkewTolerance < 0 {
		return nil, fmt.Errorf("%w: clock skew tolerance must not be negative", ErrInvalidConfig)
	}
	if err := validateBeyond(cfg); err != nil {
		return nil, err
	}
	kc := cfg.Key
	kc.raiseOnMissing = cfg.RaiseOnNoIdempotencyKey
	k, err := NewKeyer(kc)
	if err != nil {
		return nil, err
	}
	c := &Core{cfg: cfg, keyer: k, store: st, now: time.Now, sleep: sleepCtx, log: slog.New(slog.DiscardHandler)}
	if cfg.UseLocalCache {
		c.cache = newLRU(cfg.LocalCacheMaxItems)
	}
	for _, o := range opts {
		o(c)
	}
	if c.observer != nil {
		c.store = observedStore{Store: c.store}
	}
	return c, nil
}

// Verdict is what Begin decided for an invocation.
type Verdict uint8

const (
	// Proceed: run the handler. Outcome.Claim is set when a record was
	// claimed, nil when the event has no idempotency key.
	Proceed Verdict = iota
	// Replay: answer with Outcome.Response; the handler must not run.
	Replay
	// Reject: fail the invocation with Outcome.ErrorType and ErrorMessage.
	Reject
)

// Outcome is Begin's answer.
type Outcome struct {
	Verdict      Verdict
	Claim        *Claim
	Response     []byte
	ContentType  string
	ErrorType    string
	ErrorMessage string
	// Streamed: the stored response was streamed; replay it as a stream.
	Streamed bool
}

// Claim is an INPROGRESS record owned by one invocation.
type Claim struct {
	rec   store.Record
	tally *tally // nil without an observer
	// released is set (under Core.held's lock) when ReleaseHeld took it.
	released bool
	// function marks a claim of the local API (ClaimFunction).
	function bool
}

// Key returns the claimed idempotency key.
func (c *Claim) Key() string { return c.rec.Key }

func reject(errorType, msg string) Outcome {
	return Outcome{Verdict: Reject, ErrorType: errorType, ErrorMessage: msg}
}

// begin is Begin without the bookkeeping of held claims and observations.
func (c *Core) begin(ctx context.Context, event []byte, deadline time.Time, requestID string) Outcome {
	d, err := c.keyer.Derive(event)
	if err != nil && !looksLikeJSON(event) {
		// Not JSON at all (plain text, binary, empty): there is nothing to
		// key on, as with a missing key. Malformed JSON is an error below.
		d, err = Derived{MissingKey: true}, nil
	}
	if err != nil {
		c.stats.rejected.Add(1)
		// The error may quote the event (a parser's "unparsed tail"): bodies
		// are logged at DEBUG only.
		c.log.Warn("cannot derive the idempotency key: event rejected", "requestId", requestID, "eventBytes", len(event))
		c.log.Debug("cannot derive the idempotency key", "requestId", requestID, "error", err)
		return reject(ErrorTypeKey, msgInvalidEvent+err.Error())
	}
	if d.MissingKey {
		if c.cfg.RaiseOnNoIdempotencyKey {
			c.stats.rejected.Add(1)
			return reject(ErrorTypeKey, msgNoKey)
		}
		c.stats.noKey.Add(1)
		c.log.Warn("No idempotency key value found. Skipping persistence layer and validation operations.",
			"requestId", requestID, "eventKeyJmespath", c.cfg.Key.EventKeyJMESPath)
		return Outcome{Verdict: Proceed}
	}
	log := invLog{l: c.log, requestID: requestID, key: d.Key}
	now := c.now()
	if c.cache != nil {
		if rec, ok := c.cache.get(d.Key, now); ok {
			if c.validationFails(rec, d) {
				c.stats.rejected.Add(1)
				return reject(ErrorTypeValidation, msgValidation)
			}
			c.stats.replayed.Add(1)
			log.debug("replay from the local cache")
			return c.replayOutcome(rec)
		}
	}
	rec := store.Record{
		Key:              d.Key,
		Status:           store.StatusInProgress,
		Expiry:           now.Add(c.cfg.ExpiresAfter),
		InProgressExpiry: deadline,
		PayloadHash:      d.PayloadHash,
		Owner:            requestID + "/" + rand.Text(),
	}
	ctx, cancel := storeContext(ctx)
	defer cancel()
	validate := c.cfg.Key.PayloadValidationJMESPath != ""
	for attempt := 0; ; attempt++ {
		res := c.attemptClaim(ctx, rec, now, validate)
		switch res.kind {
		case claimWon:
			c.stats.claimed.Add(1)
			log.debug("claimed")
			return Outcome{Verdict: Proceed, Claim: &Claim{rec: rec}}
		case claimInProgress:
			if c.cfg.InProgress == InProgressWait {
				return c.waitInProgress(ctx, rec, d, res.existing, deadline, log)
			}
			c.stats.inProgress.Add(1)
			return reject(ErrorTypeAlreadyInProgress, msgAlreadyInProgress+c.cfg.Key.EventKeyJMESPath+"="+d.Key)
		case claimStale:
		default:
			return c.answerClaim(res, log, "claim failed")
		}
		// claimStale: the store saw a live record that our clock calls
		// expired: inconsistent, try again (Powertools' EXPIRED status).
		if attempt == maxRetries {
			c.stats.rejected.Add(1)
			return reject(ErrorTypeInconsistentState, msgInconsistent+d.Key)
		}
		now = c.now()
		rec.Expiry = now.Add(c.cfg.ExpiresAfter)
	}
}

// answerClaim turns a claim that found a completed record, a validation
// mismatch or a store failure into its Outcome, as Begin and the wait
// mode's polls both answer them. what names a store failure in the log.
func (c *Core) answerClaim(res claimResult, log invLog, what string) Outcome {
	switch res.kind {
	case claimValidation:
		c.stats.rejected.Add(1)
		return reject(ErrorTypeValidation, msgValidation)
	case claimCompleted:
		c.stats.replayed.Add(1)
		if c.cache != nil {
			c.cache.put(res.existing)
		}
		log.debug("replay")
		return c.replayOutcome(res.existing)
	}
	c.stats.storeErrors.Add(1)
	if errors.Is(res.err, ErrStoreAnswer) {
		return reject(ErrorTypePersistence, fmt.Sprintf("Invalid status %q in idempotency record", res.existing.Status))
	}
	log.error(what, "error", res.err)
	return reject(ErrorTypePersistence, msgSaveInProgress+res.err.Error())
}

// ownClaim reports whether a Claim that found a live record found the one
// rec describes: same owner token (a random value per Begin), in progress,
// live at now.
func ownClaim(err error, existing, rec store.Record, now time.Time) bool {
	return errors.Is(err, store.ErrAlreadyExists) && existing.Owner == rec.Owner &&
		existing.Status == store.StatusInProgress && existing.Live(now)
}

// looksLikeJSON reports whether event starts like a JSON text: its first
// non-blank byte (after an optional byte-order mark) can begin a JSON value.
func looksLikeJSON(event []byte) bool {
	event = bytes.TrimPrefix(event, []byte("\xef\xbb\xbf"))
	event = bytes.TrimLeft(event, " \t\r\n")
	if len(event) == 0 {
		return false
	}
	switch c := event[0]; {
	case c == '{', c == '[', c == '"', c == '-', c >= '0' && c <= '9':
		return true
	case c == 't', c == 'f', c == 'n':
		return bytes.HasPrefix(event, []byte("true")) || bytes.HasPrefix(event, []byte("false")) || bytes.HasPrefix(event, []byte("null"))
	}
	return false
}

func (c *Core) validationFails(rec store.Record, d Derived) bool {
	return c.cfg.Key.PayloadValidationJMESPath != "" && rec.PayloadHash != d.PayloadHash
}

// Succeeded records the handler's response for a claim, before it is
// forwarded. A store failure is logged, not returned: the caller gets the
// handler's response either way, and a retry then finds the INPROGRESS
// record (IdempotencyAlreadyInProgressError until the invocation's deadline,
// then a new run). A proxy response whose status code is in
// Config.SkipStatusCodes is not recorded: the claim is released instead.
func (c *Core) Succeeded(ctx context.Context, cl *Claim, response []byte, contentType string) {
	ctx, done, ok := c.settle(ctx, cl)
	if !ok {
		return
	}
	defer done()
	if code, skip := c.skipStatus(response); skip {
		c.stats.unrecorded.Add(1)
		c.log.Info("response status code not recorded (IDEMPOTENCY_SKIP_STATUS_CODES): record released", "idempotencyKey", cl.rec.Key, "statusCode", code)
		c.release(ctx, cl, "status code not recorded")
		return
	}
	rec := cl.rec
	rec.Status = store.StatusCompleted
	rec.Expiry = c.now().Add(c.cfg.ExpiresAfter)
	rec.Response = response
	rec.ContentType = contentType
	log := invLog{l: c.log, key: rec.Key}
	sctx, cancel := storeContext(ctx)
	err := c.store.Complete(sctx, rec)
	cancel()
	switch {
	case err == nil:
		c.stats.completed.Add(1)
		if c.cache != nil {
			c.cache.put(rec)
		}
	case errors.Is(err, store.ErrRecordTooLarge):
		c.stats.tooLarge.Add(1)
		log.error("response too large for the idempotency store: not recorded, record released", "bytes", len(response), "error", err)
		c.release(ctx, cl, "response too large")
	case errors.Is(err, store.ErrNotOwner):
		c.stats.lost.Add(1)
		log.warn("idempotency record no longer in progress for this invocation (taken over after its deadline, "+
			"or completed by an earlier attempt of this call): response not recorded again", "error", err)
	default:
		c.stats.storeErrors.Add(1)
		log.error("failed to record the response; the record stays INPROGRESS until the deadline", "error", err)
	}
}

// Unrecorded releases a claim whose response cannot be recorded (streamed,
// or larger than the buffering limit): the handler ran, but a retry will run
// it again.
func (c *Core) Unrecorded(ctx context.Context, cl *Claim, reason string) {
	ctx, done, ok := c.settle(ctx, cl)
	if !ok {
		return
	}
	defer done()
	c.stats.unrecorded.Add(1)
	c.log.Warn("response not recorded: record released", "idempotencyKey", cl.rec.Key, "reason", reason)
	c.release(ctx, cl, reason)
}

// Failed releases a claim after a handler error, so that a retry runs the
// handler again. Only this invocation's own record is deleted.
func (c *Core) Failed(ctx context.Context, cl *Claim) {
	ctx, done, ok := c.settle(ctx, cl)
	if !ok {
		return
	}
	defer done()
	c.stats.handlerErrors.Add(1)
	c.release(ctx, cl, "handler error")
}

func (c *Core) release(ctx context.Context, cl *Claim, reason string) {
	ctx, cancel := storeContext(ctx)
	defer cancel()
	err := c.store.Delete(ctx, cl.rec.Key, cl.rec.Owner)
	switch {
	case err == nil:
	case errors.Is(err, store.ErrNotOwner):
		c.log.Warn("idempotency record no longer ours: left as is", "idempotencyKey", cl.rec.Key, "reason", reason)
	default:
		c.stats.storeErrors.Add(1)
		c.log.Error("failed to delete the idempotency record; it blocks retries until the deadline", "idempotencyKey", cl.rec.Key, "reason", reason, "error", err)
	}
}
