package idempotency

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/idemproxy/idemproxy/store"
)

// Settings that go beyond Powertools: what a duplicate does while the first
// delivery runs, a header marking replayed proxy responses, and status codes
// that are not stored. Their zero values are Powertools' behaviour.

// InProgressMode is what a duplicate does when it finds a live INPROGRESS
// record.
type InProgressMode uint8

const (
	// InProgressFail fails the duplicate with
	// IdempotencyAlreadyInProgressError at once (Powertools' behaviour).
	InProgressFail InProgressMode = iota
	// InProgressWait polls the store until the record completes (then the
	// duplicate gets its response) or is released (then the duplicate claims
	// it and runs), within the duplicate's own deadline; see waitInProgress.
	InProgressWait
)

// ParseInProgressMode parses "fail" or "wait" (any case).
func ParseInProgressMode(s string) (InProgressMode, error) {
	switch strings.ToLower(s) {
	case "fail":
		return InProgressFail, nil
	case "wait":
		return InProgressWait, nil
	}
	return 0, fmt.Errorf("%w: in-progress mode %q: want fail or wait", ErrInvalidConfig, s)
}

// String returns "fail" or "wait".
func (m InProgressMode) String() string {
	if m == InProgressWait {
		return "wait"
	}
	return "fail"
}

// StatusCodes is a set of HTTP status codes: exact codes and whole classes
// (1xx to 5xx). The zero value is empty.
type StatusCodes struct {
	codes   map[int]bool
	classes [6]bool // classes[5] is 5xx
}

// ParseStatusCodes parses a comma-separated list of status codes (100 to
// 599) and classes ("4xx", "5XX"), e.g. "5xx,429". Blanks around items are
// ignored; an empty list, an empty item or any other item is an error.
func ParseStatusCodes(s string) (StatusCodes, error) {
	var sc StatusCodes
	var problems []string
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		switch {
		case len(item) == 3 && item[0] >= '1' && item[0] <= '5' && strings.EqualFold(item[1:], "xx"):
			sc.classes[item[0]-'0'] = true
		default:
			n, err := strconv.Atoi(item)
			if err != nil || n < 100 || n > 599 || len(item) != 3 {
				problems = append(problems, fmt.Sprintf("%q is neither a status code from 100 to 599 nor a class 1xx to 5xx", item))
				continue
			}
			if sc.codes == nil {
				sc.codes = map[int]bool{}
			}
			sc.codes[n] = true
		}
	}
	if len(problems) > 0 {
		return StatusCodes{}, fmt.Errorf("%w: %s", ErrInvalidConfig, strings.Join(problems, "; "))
	}
	return sc, nil
}

// Contains reports whether code is in the set.
func (sc StatusCodes) Contains(code int) bool {
	if code >= 100 && code <= 599 && sc.classes[code/100] {
		return true
	}
	return sc.codes[code]
}

// Empty reports whether the set holds no code.
func (sc StatusCodes) Empty() bool {
	return len(sc.codes) == 0 && sc.classes == [6]bool{}
}

// String lists the set as ParseStatusCodes reads it, classes first.
func (sc StatusCodes) String() string {
	var parts []string
	for c := 1; c <= 5; c++ {
		if sc.classes[c] {
			parts = append(parts, strconv.Itoa(c)+"xx")
		}
	}
	for n := 100; n <= 599; n++ {
		if sc.codes[n] && !sc.classes[n/100] {
			parts = append(parts, strconv.Itoa(n))
		}
	}
	return strings.Join(parts, ",")
}

// ValidHeaderName reports whether name is an HTTP field name: a non-empty
// token of RFC 9110 (letters, digits and !#$%&'*+-.^_`|~).
func ValidHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// validateBeyond checks the settings of this file in cfg.
func validateBeyond(cfg Config) error {
	var errs []error
	if cfg.InProgress > InProgressWait {
		errs = append(errs, fmt.Errorf("%w: unknown in-progress mode %d", ErrInvalidConfig, cfg.InProgress))
	}
	if cfg.ReplayHeader != "" && !ValidHeaderName(cfg.ReplayHeader) {
		errs = append(errs, fmt.Errorf("%w: replay header %q is not an HTTP token", ErrInvalidConfig, cfg.ReplayHeader))
	}
	return errors.Join(errs...)
}

// replayOutcome answers with rec's response, marked as a replay when a
// replay header is configured and the response is a proxy response.
func (c *Core) replayOutcome(rec store.Record) Outcome {
	resp := rec.Response
	if c.cfg.ReplayHeader != "" && !rec.Streamed {
		resp = markReplayed(resp, c.cfg.ReplayHeader)
	}
	return Outcome{Verdict: Replay, Response: resp, ContentType: rec.ContentType, Streamed: rec.Streamed}
}

// skipStatus reports whether response is a proxy response whose status code
// is configured not to be stored, and that code.
func (c *Core) skipStatus(response []byte) (int, bool) {
	if c.cfg.SkipStatusCodes.Empty() {
		return 0, false
	}
	code, ok := proxyStatus(response)
	return code, ok && c.cfg.SkipStatusCodes.Contains(code)
}
