// Package swar finds the bytes that end a run of plain JSON string content
// eight bytes at a time, in one 64-bit word (SIMD within a register). It is
// shared by the idempotency key scanner and the Redis store's record codec.
package swar
