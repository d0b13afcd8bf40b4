// Package swar finds the bytes that end a run of plain JSON string content
// eight bytes at a time, in one 64-bit word (SIMD within a register), and
// flags a word's backslashes, quotes and control bytes exactly, one bit per
// byte, for the scan of strings dense with escapes. It is shared by the
// idempotency key scanner and the Redis store's record codec.
package swar
