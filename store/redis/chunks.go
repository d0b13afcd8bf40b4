package redis

import (
	"encoding/base64"
	"iter"
	"unicode/utf8"
)

// dataChunkSize is how much of a response one Complete argument carries.
// It is a multiple of 3, so base64 chunks join into the base64 of the whole.
const dataChunkSize = 3 << 16

// dataChunk is a piece of a record's data string. As an argument of a
// command it is encoded when go-redis writes it (MarshalBinary), into a
// scratch buffer that the next chunk reuses: a large response is sent with
// no encoded copy of it in memory, only one chunk's worth.
type dataChunk struct {
	src     []byte
	base64  bool
	scratch *[]byte
}

// appendTo appends the chunk's encoding: JSON string content or base64.
func (c dataChunk) appendTo(dst []byte) []byte {
	if c.base64 {
		return base64.StdEncoding.AppendEncode(dst, c.src)
	}
	return appendJSONContent(dst, c.src)
}

// MarshalBinary implements encoding.BinaryMarshaler; go-redis calls it as it
// writes the argument, and writes the bytes out before the next argument.
func (c dataChunk) MarshalBinary() ([]byte, error) {
	*c.scratch = c.appendTo((*c.scratch)[:0])
	return *c.scratch, nil
}

// chunks splits p's data into chunks of at most size bytes (size > 3, a
// multiple of 3 for base64): text is cut only before the first byte of a
// UTF-8 sequence, so each chunk escapes exactly as its part of the whole.
func (p recordParts) chunks(size int) iter.Seq[dataChunk] {
	return func(yield func(dataChunk) bool) {
		d := p.data
		for len(d) > 0 {
			n := min(size, len(d))
			if !p.base64 && n < len(d) {
				k := n
				for k > 1 && k > n-utf8.UTFMax && !utf8.RuneStart(d[k]) {
					k--
				}
				if utf8.RuneStart(d[k]) {
					n = k
				}
			}
			if !yield(dataChunk{src: d[:n:n], base64: p.base64}) {
				return
			}
			d = d[n:]
		}
	}
}

// dataLen estimates the length of the encoded data (exact for base64).
func (p recordParts) dataLen() int {
	if p.base64 {
		return base64.StdEncoding.EncodedLen(len(p.data))
	}
	return len(p.data) + len(p.data)/16 + 8
}

// args are the record's pieces as command arguments: head, the data
// chunks, tail; the script joins them (table.concat) into the value.
func (p recordParts) args(scratch *[]byte) []any {
	args := make([]any, 0, 2+len(p.data)/dataChunkSize+1)
	args = append(args, p.head)
	for c := range p.chunks(dataChunkSize) {
		c.scratch = scratch
		args = append(args, c)
	}
	return append(args, p.tail)
}
