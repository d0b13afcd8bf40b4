package extension

import (
	"errors"
	"fmt"
)

// ErrNotRegistered is returned by calls that need the identifier that
// Register obtains.
var ErrNotRegistered = errors.New("extension: not registered")

// StatusError is an unexpected HTTP status from the Extensions API.
type StatusError struct {
	Op         string // "register", "next", "init/error", "exit/error"
	StatusCode int
	Body       string // the start of the response body
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("extension: %s: HTTP %d: %s", e.Op, e.StatusCode, e.Body)
}
