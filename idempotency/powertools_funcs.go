package idempotency

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"unicode/utf8"
)

// Powertools' custom JMESPath functions (aws_lambda_powertools.utilities.
// jmespath_utils.PowertoolsFunctions), each taking a string:
//
//	powertools_json(s)        json.loads(s)
//	powertools_base64(s)      base64.b64decode(s).decode()
//	powertools_base64_gzip(s) gzip.decompress(base64.b64decode(s)).decode()

// maxGunzipSize caps powertools_base64_gzip output. Python has no cap; this
// only guards the extension against decompression bombs.
const maxGunzipSize = 64 << 20

func fnPowertoolsJSON(st *deriveState, a []value) (value, error) {
	root, err := st.parseDoc(a[0].s, false)
	if err != nil {
		return value{}, err
	}
	return wrap(root), nil
}

func fnPowertoolsBase64(_ *deriveState, a []value) (value, error) {
	raw, err := pyB64Decode(a[0].s)
	if err != nil {
		return value{}, err
	}
	return utf8String(raw)
}

func fnPowertoolsBase64Gzip(_ *deriveState, a []value) (value, error) {
	raw, err := pyB64Decode(a[0].s)
	if err != nil {
		return value{}, err
	}
	if raw, err = pyGunzip(raw); err != nil {
		return value{}, err
	}
	return utf8String(raw)
}

// utf8String is bytes.decode() (strict UTF-8).
func utf8String(b []byte) (value, error) {
	if !utf8.Valid(b) {
		return value{}, errors.New("'utf-8' codec can't decode bytes")
	}
	return stringValue(string(b)), nil
}

// b64Table maps the standard base64 alphabet; other bytes map to 0xFF.
var b64Table = func() (t [256]byte) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := range t {
		t[i] = 0xFF
	}
	for i := range len(alphabet) {
		t[alphabet[i]] = byte(i)
	}
	return t
}()

// pyB64Decode ports base64.b64decode(s) (binascii.a2b_base64 in
// non-strict mode, CPython 3.11): characters outside the alphabet are
// skipped, decoding stops at a complete padding sequence, and an
// unfinished quantum is an error.
func pyB64Decode(s string) ([]byte, error) {
	out := make([]byte, 0, len(s)/4*3+3)
	quad, pads := 0, 0
	var left byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return nil, errors.New("string argument should contain only ASCII characters")
		}
		if c == '=' {
			if quad >= 2 {
				pads++
				if quad+pads >= 4 {
					for j := i + 1; j < len(s); j++ {
						if s[j] >= 0x80 {
							return nil, errors.New("string argument should contain only ASCII characters")
						}
					}
					return out, nil
				}
			}
			continue
		}
		d := b64Table[c]
		if d == 0xFF {
			continue
		}
		pads = 0
		switch quad {
		case 0:
			quad, left = 1, d
		case 1:
			quad = 2
			out = append(out, left<<2|d>>4)
			left = d & 0x0F
		case 2:
			quad = 3
			out = append(out, left<<4|d>>2)
			left = d & 0x03
		default:
			quad = 0
			out = append(out, left<<6|d)
		}
	}
	switch quad {
	case 0:
		return out, nil
	case 1:
		return nil, errors.New("invalid base64-encoded string: number of data characters cannot be 1 more than a multiple of 4")
	}
	return nil, errors.New("incorrect padding")
}

// pyGunzip ports gzip.decompress (CPython 3.11): any number of members,
// NUL padding between them, empty input gives empty output.
func pyGunzip(data []byte) ([]byte, error) {
	var out bytes.Buffer
	for len(data) > 0 {
		body, err := gzipHeader(data)
		if err != nil {
			return nil, err
		}
		r := bytes.NewReader(body)
		fr := flate.NewReader(r)
		start := out.Len()
		n, err := io.Copy(&out, io.LimitReader(fr, maxGunzipSize+1-int64(start)))
		if err != nil {
			return nil, err
		}
		if int64(start)+n > maxGunzipSize {
			return nil, errors.New("decompressed data exceeds the size limit")
		}
		rest := body[len(body)-r.Len():]
		if len(rest) < 8 {
			return nil, errors.New("compressed file ended before the end-of-stream marker was reached")
		}
		member := out.Bytes()[start:]
		if binary.LittleEndian.Uint32(rest) != crc32.ChecksumIEEE(member) {
			return nil, errors.New("CRC check failed")
		}
		if binary.LittleEndian.Uint32(rest[4:]) != uint32(len(member)) {
			return nil, errors.New("incorrect length of data produced")
		}
		data = bytes.TrimLeft(rest[8:], "\x00")
	}
	return out.Bytes(), nil
}

// gzipHeader parses a gzip member header like gzip._read_gzip_header and
// returns the data after it.
func gzipHeader(d []byte) ([]byte, error) {
	errEOF := errors.New("compressed file ended before the end-of-stream marker was reached")
	if len(d) < 2 || d[0] != 0x1f || d[1] != 0x8b {
		return nil, errors.New("not a gzipped file")
	}
	if len(d) < 10 {
		return nil, errEOF
	}
	if d[2] != 8 {
		return nil, errors.New("unknown compression method")
	}
	flag := d[3]
	d = d[10:]
	if flag&4 != 0 { // FEXTRA
		if len(d) < 2 {
			return nil, errEOF
		}
		n := int(binary.LittleEndian.Uint16(d))
		if len(d) < 2+n {
			return nil, errEOF
		}
		d = d[2+n:]
	}
	for _, bit := range []byte{8, 16} { // FNAME, FCOMMENT: NUL-terminated
		if flag&bit != 0 {
			if i := bytes.IndexByte(d, 0); i >= 0 {
				d = d[i+1:]
			} else {
				d = d[len(d):]
			}
		}
	}
	if flag&2 != 0 { // FHCRC, read and ignored
		if len(d) < 2 {
			return nil, errEOF
		}
		d = d[2:]
	}
	return d, nil
}
