package lambdatest

import (
	"bytes"
	"io"
	"sync"
)

// syncBuffer is a bytes.Buffer safe for concurrent writers and readers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns a copy of the contents.
func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// lockedWriter serialises writes to w, which may be shared by the
// emulator's stdout and stderr copiers.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

// Write writes p to the underlying writer under the lock.
func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// teeWriter writes to the log buffer and, if set, to extra under mu (the
// emulator's stdout and stderr may share a writer). Errors from extra are
// ignored so that a closed log sink cannot stall the emulator.
func teeWriter(logs *syncBuffer, extra io.Writer, mu *sync.Mutex) io.Writer {
	if extra == nil {
		return logs
	}
	return io.MultiWriter(logs, ignoreErrors{lockedWriter{mu: mu, w: extra}})
}

// ignoreErrors reports every write as complete.
type ignoreErrors struct{ w io.Writer }

// Write writes p to the underlying writer and ignores its errors.
func (i ignoreErrors) Write(p []byte) (int, error) {
	_, _ = i.w.Write(p)
	return len(p), nil
}
