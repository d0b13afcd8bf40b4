package localapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/idemproxy/idemproxy/idempotency"
	"github.com/idemproxy/idemproxy/store"
)

// claim serves /claim.
func (h *Handler) claim(ctx context.Context, body []byte) (int, answer) {
	var req claimRequest
	if status, a, ok := decode(body, &req); !ok {
		return status, a
	}
	call, status, a, ok := h.call(req)
	if !ok {
		return status, a
	}
	if h.opts.Core == nil {
		return http.StatusOK, answer{Status: StatusSkipped, Reason: "idempotency is disabled (POWERTOOLS_IDEMPOTENCY_DISABLED)"}
	}
	if !call.Deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, call.Deadline)
		defer cancel()
	}
	o := h.opts.Core.ClaimFunction(ctx, call)
	log := h.log.With("requestId", call.RequestID, "idempotencyKey", o.Key)
	switch o.Verdict {
	case idempotency.Proceed:
		if o.Claim == nil {
			log.Warn("local API: no idempotency key value found; the caller runs without idempotency",
				"eventKeyJmespath", call.EventKeyJMESPath)
			return http.StatusOK, answer{Status: StatusSkipped, Reason: "no idempotency key value found in data"}
		}
		log.Debug("local API: claimed")
		return http.StatusOK, answer{Status: StatusClaimed, IdempotencyKey: o.Key, Token: o.Token}
	case idempotency.Replay:
		log.Debug("local API: completed earlier")
		a := answer{Status: StatusCompleted, IdempotencyKey: o.Key}
		if json.Valid(o.Response) {
			a.Result = json.RawMessage(o.Response)
		} else {
			a.ResultBase64, a.ContentType = o.Response, o.ContentType
		}
		return http.StatusOK, a
	}
	a = answer{IdempotencyKey: o.Key, ErrorType: o.ErrorType, ErrorMessage: o.ErrorMessage}
	switch o.ErrorType {
	case idempotency.ErrorTypeAlreadyInProgress:
		a.Status = StatusInProgress
		return http.StatusConflict, a
	case idempotency.ErrorTypeValidation:
		a.Status = StatusValidationFailed
		return http.StatusUnprocessableEntity, a
	case idempotency.ErrorTypeKey:
		a.Status, a.Field = StatusBadRequest, keyErrorField(o.ErrorMessage)
		return http.StatusBadRequest, a
	}
	a.Status = StatusError
	return http.StatusServiceUnavailable, a
}

// call validates a claim request and resolves its invocation.
func (h *Handler) call(req claimRequest) (idempotency.FunctionCall, int, answer, bool) {
	fail := func(field, msg string) (idempotency.FunctionCall, int, answer, bool) {
		status, a := badRequest(field, msg)
		return idempotency.FunctionCall{}, status, a, false
	}
	var call idempotency.FunctionCall
	switch {
	case req.KeyPrefix != nil && *req.KeyPrefix != "":
		call.KeyPrefix = *req.KeyPrefix
	case req.KeyPrefix != nil:
		return fail("keyPrefix", "must not be empty (leave it out for the default prefix)")
	case req.Function == nil || strings.TrimSpace(*req.Function) == "":
		return fail("function", `required unless keyPrefix is set: the function's "{module}.{qualname}", e.g. "app.process_order"`)
	default:
		call.KeyPrefix = h.opts.FunctionName + "." + *req.Function
	}
	if req.Data == nil {
		return fail("data", "required: the JSON data to key on (idempotent_function's data_keyword_argument)")
	}
	call.Data = req.Data
	if req.EventKeyJMESPath != nil {
		call.EventKeyJMESPath = *req.EventKeyJMESPath
	}
	if req.PayloadValidationJMESPath != nil {
		call.PayloadValidationJMESPath = *req.PayloadValidationJMESPath
	}
	if req.RaiseOnNoIdempotencyKey != nil {
		call.RaiseOnNoIdempotencyKey = *req.RaiseOnNoIdempotencyKey
	}
	if req.ExpiresAfterSeconds != nil {
		n, err := strconv.ParseInt(string(req.ExpiresAfterSeconds), 10, 64)
		if err != nil || n < 1 || n > maxExpiresAfterSeconds {
			return fail("expiresAfterSeconds", "want a whole number of seconds, at least 1")
		}
		call.ExpiresAfter = time.Duration(n) * time.Second
	}
	inv, msg := h.invocation(req.RequestID)
	if msg != "" {
		return fail("requestId", msg)
	}
	call.RequestID = inv.RequestID
	if !inv.Deadline.IsZero() {
		call.Deadline = inv.Deadline.Add(h.opts.ClockOffset)
	}
	return call, 0, answer{}, true
}

// invocation finds the invocation a claim runs under: the one named, or
// the only one in flight.
func (h *Handler) invocation(id *string) (Invocation, string) {
	inFlight := h.opts.InFlight()
	if id != nil {
		for _, inv := range inFlight {
			if inv.RequestID == *id {
				return inv, ""
			}
		}
		return Invocation{}, fmt.Sprintf("%q is not an invocation in flight in this execution environment", *id)
	}
	switch len(inFlight) {
	case 1:
		return inFlight[0], ""
	case 0:
		return Invocation{}, "no invocation in flight: claim from inside a handler, or pass the invocation's request id"
	}
	return Invocation{}, fmt.Sprintf("required: %d invocations are in flight (Lambda Managed Instances): pass the request id of the one the caller runs under", len(inFlight))
}

// keyErrorField names the request field an IdempotencyKeyError is about.
func keyErrorField(msg string) string {
	switch {
	case strings.Contains(msg, "PayloadValidationJMESPath"):
		return "payloadValidationJmespath"
	case strings.Contains(msg, "EventKeyJMESPath"):
		return "eventKeyJmespath"
	}
	return "data"
}

// complete serves /complete.
func (h *Handler) complete(ctx context.Context, body []byte) (int, answer) {
	var req completeRequest
	if status, a, ok := decode(body, &req); !ok {
		return status, a
	}
	if req.Token == nil || *req.Token == "" {
		return badRequest("token", "required: the token of a CLAIMED answer")
	}
	if req.Result == nil {
		return badRequest("result", "required: the function's JSON result (null is a result)")
	}
	if h.opts.Core == nil {
		return badRequest("token", "idempotency is disabled: there are no claims to complete")
	}
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	key, err := h.opts.Core.CompleteFunction(ctx, *req.Token, req.Result, "application/json")
	if err == nil {
		return http.StatusOK, answer{Status: StatusCompleted, IdempotencyKey: key}
	}
	if errors.Is(err, store.ErrRecordTooLarge) {
		h.log.Error("local API: result too large for the idempotency store: not recorded, claim released",
			"idempotencyKey", key, "bytes", len(req.Result), "error", err)
		return http.StatusRequestEntityTooLarge, answer{Status: StatusReleased, IdempotencyKey: key,
			ErrorType: ErrorTypeTooLarge, ErrorMessage: "result too large for the idempotency store: not recorded, claim released", Field: "result"}
	}
	return h.tokenError(key, err)
}

// release serves /release.
func (h *Handler) release(ctx context.Context, body []byte) (int, answer) {
	var req completeRequest
	if status, a, ok := decode(body, &req); !ok {
		return status, a
	}
	if req.Result != nil {
		return badRequest("result", "unknown field: release takes only the token")
	}
	if req.Token == nil || *req.Token == "" {
		return badRequest("token", "required: the token of a CLAIMED answer")
	}
	if h.opts.Core == nil {
		return badRequest("token", "idempotency is disabled: there are no claims to release")
	}
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	key, err := h.opts.Core.ReleaseFunction(ctx, *req.Token)
	if err == nil {
		return http.StatusOK, answer{Status: StatusReleased, IdempotencyKey: key}
	}
	return h.tokenError(key, err)
}

// tokenError maps a CompleteFunction or ReleaseFunction error.
func (h *Handler) tokenError(key string, err error) (int, answer) {
	switch {
	case errors.Is(err, idempotency.ErrBadToken):
		return badRequest("token", "not a token of this API: "+err.Error())
	case errors.Is(err, store.ErrNotOwner):
		h.log.Warn("local API: record no longer owned by this claim", "idempotencyKey", key)
		return http.StatusConflict, answer{Status: StatusNotOwner, IdempotencyKey: key, ErrorType: ErrorTypeNotOwner,
			ErrorMessage: "the record is no longer this claim's: completed or released already, or taken over after the invocation's deadline"}
	}
	h.log.Error("local API: store failed", "idempotencyKey", key, "error", err)
	return http.StatusServiceUnavailable, answer{Status: StatusError, IdempotencyKey: key,
		ErrorType: idempotency.ErrorTypePersistence, ErrorMessage: "idempotency store failed: " + err.Error()}
}
