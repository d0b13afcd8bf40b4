// Package memory is the in-memory reference implementation of store.Store:
// a map guarded by a mutex. It keeps records for the life of the process
// only, so it suits a single Lambda execution environment and tests.
//
// Response bytes are copied on the way in and on the way out, so neither the
// caller nor later readers can change stored data.
package memory
