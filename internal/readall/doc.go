// Package readall reads a body of unknown length into one buffer of its
// exact length, for the large payloads the extension holds (a function's
// response, a record's inflated response) without doubling a buffer to
// get there.
package readall
