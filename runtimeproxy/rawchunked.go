package runtimeproxy

import "bytes"

// scanChunked scans a chunked body at the start of b: chunk sizes of up to
// seven hex digits without extensions, CRLF line ends, and an empty trailer
// section. It returns the body's length on the wire and decoded; more
// reports that b ends before the body does, and ok=false a body the relay
// does not take.
func scanChunked(b []byte) (wire, size int, more, ok bool) {
	for {
		n, i := 0, 0
		for ; i < len(b)-wire && i < 8; i++ {
			c := b[wire+i]
			switch {
			case '0' <= c && c <= '9':
				n = n<<4 | int(c-'0')
			case 'a' <= c && c <= 'f':
				n = n<<4 | int(c-'a'+10)
			case 'A' <= c && c <= 'F':
				n = n<<4 | int(c-'A'+10)
			default:
				goto sized
			}
		}
	sized:
		if i == 8 || i == 0 && wire+i < len(b) {
			return 0, 0, false, false
		}
		need := wire + i + 2 + n + 2
		if n == 0 {
			need = wire + i + 4 // "0\r\n\r\n": no trailers
		}
		if need > len(b) {
			// Judge what has arrived; wait for the rest.
			if rest := b[wire+i:]; !bytes.HasPrefix([]byte("\r\n"), rest[:min(len(rest), 2)]) {
				return 0, 0, false, false
			}
			return 0, 0, true, true
		}
		if b[wire+i] != '\r' || b[wire+i+1] != '\n' || b[need-2] != '\r' || b[need-1] != '\n' {
			return 0, 0, false, false
		}
		if n == 0 {
			return need, size, false, true
		}
		wire, size = need, size+n
	}
}

// chunkData calls fn with each chunk's data of a body scanChunked took.
func chunkData(b []byte, fn func([]byte)) {
	for {
		n, i := 0, 0
		for ; b[i] != '\r'; i++ {
			c := b[i]
			switch {
			case c <= '9':
				n = n<<4 | int(c-'0')
			case c <= 'F':
				n = n<<4 | int(c-'A'+10)
			default:
				n = n<<4 | int(c-'a'+10)
			}
		}
		if n == 0 {
			return
		}
		fn(b[i+2 : i+2+n])
		b = b[i+2+n+2:]
	}
}
