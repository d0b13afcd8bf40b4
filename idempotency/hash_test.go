package idempotency

import (
	"errors"
	"strings"
	"testing"
)

func TestHashFunctions(t *testing.T) {
	hexLen := map[string]int{
		"md5": 32, "sha1": 40, "sha224": 56, "sha256": 64, "sha384": 96, "sha512": 128, "sha3_224": 56,
		"sha3_256": 64, "sha3_384": 96, "sha3_512": 128, "blake2b": 128, "blake2s": 64,
	}
	seen := map[string]string{}
	for _, name := range HashFunctions() {
		k, err := NewKeyer(KeyConfig{HashFunction: name})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		d, err := k.Derive([]byte(`{"a": 1}`))
		if err != nil {
			t.Fatal(err)
		}
		digest := strings.TrimPrefix(d.Key, "#")
		if len(digest) != hexLen[name] {
			t.Errorf("%s: digest %q has %d hex digits, want %d", name, digest, len(digest), hexLen[name])
		}
		if other, dup := seen[digest]; dup {
			t.Errorf("%s and %s give the same digest", name, other)
		}
		seen[digest] = name
	}
	if len(seen) != len(hexLen) {
		t.Errorf("HashFunctions() lists %d functions, want %d", len(seen), len(hexLen))
	}
	def, _ := NewKeyer(KeyConfig{})
	md5k, _ := NewKeyer(KeyConfig{HashFunction: DefaultHashFunction})
	a, _ := def.Derive([]byte(`[1]`))
	b, _ := md5k.Derive([]byte(`[1]`))
	if a != b {
		t.Errorf("empty HashFunction gives %+v, md5 gives %+v", a, b)
	}
}

func TestUnknownHashFunction(t *testing.T) {
	for _, name := range []string{"md4", "SHA256", "sha256 ", "shake_128", "blake2"} {
		_, err := NewKeyer(KeyConfig{HashFunction: name})
		if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "HashFunction") {
			t.Errorf("%q: error %v, want ErrInvalidConfig naming HashFunction", name, err)
		}
	}
}
