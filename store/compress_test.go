package store_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/idemproxy/idemproxy/store"
)

func TestCompressThreshold(t *testing.T) {
	for in, want := range map[int]int{0: store.DefaultCompressAboveBytes, -1: -1, -5: -1, 1: 1, 1000: 1000} {
		if got := store.CompressThreshold(in); got != want {
			t.Errorf("CompressThreshold(%d) = %d, want %d", in, got, want)
		}
	}
}

func TestCompressRoundTrip(t *testing.T) {
	json := []byte(strings.Repeat(`{"id":1,"name":"widget"},`, 400))
	random := make([]byte, 10000)
	_, _ = rand.NewChaCha8([32]byte{1}).Read(random)
	for _, tc := range []struct {
		name     string
		in       []byte
		above    int
		compress bool
	}{
		{"below the threshold", json[:99], 100, false},
		{"exactly at the threshold", json[:100], 100, false},
		{"one byte above", json[:101], 100, true},
		{"large json", json, 100, true},
		{"binary", bytes.Repeat([]byte{0, 0xff, 0xc3, 0x28}, 1000), 100, true},
		{"incompressible", random, 100, false},
		{"off", json, -1, false},
		{"empty, threshold 0", nil, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, ok := store.NewCompressor(tc.above).Compress(tc.in)
			if ok != tc.compress {
				t.Fatalf("Compress(%d bytes, %d) compressed = %v, want %v", len(tc.in), tc.above, ok, tc.compress)
			}
			if !ok {
				if !bytes.Equal(out, tc.in) {
					t.Fatal("uncompressed output differs from the input")
				}
				return
			}
			if len(out) >= len(tc.in) {
				t.Fatalf("compressed %d bytes to %d", len(tc.in), len(out))
			}
			back, err := store.Decompress(out)
			if err != nil || !bytes.Equal(back, tc.in) {
				t.Fatalf("Decompress: %v, equal %v", err, bytes.Equal(back, tc.in))
			}
		})
	}
}

func TestDecompressRejectsCorruptData(t *testing.T) {
	good, ok := store.NewCompressor(10).Compress([]byte(strings.Repeat("abc", 1000)))
	if !ok {
		t.Fatal("not compressed")
	}
	flipped := bytes.Clone(good)
	flipped[len(flipped)-6] ^= 0xff // inside the CRC-32 trailer
	for name, data := range map[string][]byte{
		"empty":       nil,
		"not gzip":    []byte("H4sIplain text"),
		"truncated":   good[:len(good)/2],
		"bad trailer": flipped,
	} {
		if _, err := store.Decompress(data); !errors.Is(err, store.ErrCorruptData) {
			t.Errorf("%s: err = %v, want ErrCorruptData", name, err)
		}
	}
}

// jsonLike returns n bytes of JSON records with varied values, which
// compress about as typical API responses do.
func jsonLike(n int) []byte {
	var b bytes.Buffer
	r := rand.New(rand.NewPCG(1, 2))
	b.WriteString("[")
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, `{"id":%d,"sku":"SKU-%06d","name":"item %d","price":%d.%02d,"inStock":%v,"tags":["a%d","b%d"]},`,
			i, r.IntN(1000000), r.IntN(5000), r.IntN(500), r.IntN(100), r.IntN(2) == 0, r.IntN(50), r.IntN(50))
	}
	return b.Bytes()[:n]
}

func BenchmarkCompress(b *testing.B) {
	for _, size := range []int{256 << 10, 1 << 20, 5_900_000} {
		in := jsonLike(size)
		c := store.NewCompressor(0)
		z, ok := c.Compress(in)
		if !ok {
			b.Fatal("not compressed")
		}
		b.Run(fmt.Sprintf("gzip/%d", size), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				c.Compress(in)
			}
			b.ReportMetric(float64(size)/float64(len(z)), "ratio")
		})
		b.Run(fmt.Sprintf("gunzip/%d", size), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				if _, err := store.Decompress(z); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestCompressorAboveAndNil(t *testing.T) {
	for option, want := range map[int]int{0: store.DefaultCompressAboveBytes, -5: -1, 10: 10} {
		if got := store.NewCompressor(option).Above(); got != want {
			t.Errorf("NewCompressor(%d).Above() = %d, want %d", option, got, want)
		}
	}
	var c *store.Compressor
	in := []byte(strings.Repeat("abc", 1000))
	if out, ok := c.Compress(in); ok || !bytes.Equal(out, in) || c.Above() != -1 {
		t.Errorf("a nil Compressor compressed (%v) or changed the response, Above %d", ok, c.Above())
	}
}

// One Compressor is shared by all the invocations of a backend: its
// recycled writers must not mix their outputs.
func TestCompressorConcurrentUse(t *testing.T) {
	c := store.NewCompressor(10)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				in := []byte(strings.Repeat(fmt.Sprintf("goroutine %d, round %d; ", g, i), 20+i))
				z, ok := c.Compress(in)
				if !ok {
					t.Errorf("not compressed: %d bytes", len(in))
					return
				}
				back, err := store.Decompress(z)
				if err != nil || !bytes.Equal(back, in) {
					t.Errorf("goroutine %d round %d: %v, equal %v", g, i, err, bytes.Equal(back, in))
					return
				}
			}
		})
	}
	wg.Wait()
}
