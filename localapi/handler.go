package localapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/idemproxy/idemproxy/idempotency"
)

// Path prefix and routes.
const (
	Prefix       = "/idemproxy/v1/"
	PathClaim    = Prefix + "claim"
	PathComplete = Prefix + "complete"
	PathRelease  = Prefix + "release"
)

// MaxBodyBytes bounds a request body: Lambda's 6 MB payload limit plus room
// for the other fields.
const MaxBodyBytes = 6*1024*1024 + 64*1024

// storeTimeout bounds the store calls of /complete and /release (a claim is
// bounded by its invocation's deadline).
const storeTimeout = 10 * time.Second

// maxExpiresAfterSeconds is the largest expiresAfterSeconds (100 years, as
// IDEMPOTENCY_EXPIRES_AFTER_SECONDS).
const maxExpiresAfterSeconds = 100 * 365 * 24 * 3600

// Invocation is an invocation in flight, as the proxy tracks it.
type Invocation struct {
	RequestID string
	Deadline  time.Time
}

// Options configure a Handler.
type Options struct {
	// Core runs the claims; nil means idempotency is disabled
	// (POWERTOOLS_IDEMPOTENCY_DISABLED): every claim answers SKIPPED.
	Core *idempotency.Core
	// FunctionName is AWS_LAMBDA_FUNCTION_NAME, the first part of the
	// default key prefix.
	FunctionName string
	// InFlight lists the invocations in flight. Required.
	InFlight func() []Invocation
	// ClockOffset shifts deadlines as the core's clock is shifted
	// (IDEMPOTENCY_TEST_CLOCK_OFFSET_MS, tests only).
	ClockOffset time.Duration
	// Logger receives diagnostics (never bodies); nil discards.
	Logger *slog.Logger
}

// Handler serves the local idempotency API. It is safe for concurrent use.
type Handler struct {
	opts Options
	log  *slog.Logger
}

// New returns a Handler.
func New(opts Options) (*Handler, error) {
	if opts.InFlight == nil {
		return nil, errors.New("localapi: no InFlight function")
	}
	h := &Handler{opts: opts, log: opts.Logger}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	status, a := h.serve(r)
	if status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", http.MethodPost)
	}
	write(w, status, a)
}

// serve routes r and returns the answer.
func (h *Handler) serve(r *http.Request) (int, answer) {
	var serve func(context.Context, []byte) (int, answer)
	switch r.URL.Path {
	case PathClaim:
		serve = h.claim
	case PathComplete:
		serve = h.complete
	case PathRelease:
		serve = h.release
	default:
		_, a := badRequest("path", fmt.Sprintf("%q is not a route of the local idempotency API (%s, %s, %s)",
			r.URL.Path, PathClaim, PathComplete, PathRelease))
		return http.StatusNotFound, a
	}
	if r.Method != http.MethodPost {
		_, a := badRequest("method", r.Method+" not allowed: use POST")
		return http.StatusMethodNotAllowed, a
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			_, a := badRequest("body", fmt.Sprintf("larger than %d bytes", MaxBodyBytes))
			return http.StatusRequestEntityTooLarge, a
		}
		return badRequest("body", "cannot be read: "+err.Error())
	}
	return serve(r.Context(), body)
}

// decode parses body strictly into v: one JSON object, known fields only.
// A failure is a 400 naming the field.
func decode(body []byte, v any) (int, answer, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	err := dec.Decode(v)
	if err == nil {
		if dec.More() {
			err = errors.New("trailing data after the JSON object")
		} else if _, terr := dec.Token(); terr != io.EOF {
			err = errors.New("trailing data after the JSON object")
		}
	}
	if err == nil {
		return 0, answer{}, true
	}
	field := "body"
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typeErr) && typeErr.Field != "":
		field = typeErr.Field
		err = fmt.Errorf("wrong type: got JSON %s, want %s", typeErr.Value, jsonKind(typeErr.Type.String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field = strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		err = errors.New("unknown field")
	}
	status, a := badRequest(field, err.Error())
	return status, a, false
}

// jsonKind names a Go type of the request structs as a JSON type.
func jsonKind(goType string) string {
	switch strings.TrimPrefix(goType, "*") {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "json.Number":
		return "a number"
	}
	return "a JSON object"
}
