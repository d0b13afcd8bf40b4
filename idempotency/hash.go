package idempotency

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"fmt"
	"hash"

	"golang.org/x/crypto/blake2b"
	"golang.org/x/crypto/blake2s"
)

// DefaultHashFunction is Powertools' default hash_function.
const DefaultHashFunction = "md5"

// HashFunctions lists the supported hash function names, as in Python's
// hashlib (IdempotencyConfig.hash_function).
func HashFunctions() []string {
	return []string{
		"md5", "sha1", "sha224", "sha256", "sha384", "sha512",
		"sha3_224", "sha3_256", "sha3_384", "sha3_512", "blake2b", "blake2s",
	}
}

// newHashFunc returns a constructor for the hashlib algorithm called name
// ("" means md5). blake2b and blake2s use hashlib's default digest sizes
// (64 and 32 bytes) and no key.
func newHashFunc(name string) (func() hash.Hash, error) {
	switch name {
	case "", "md5":
		return md5.New, nil
	case "sha1":
		return sha1.New, nil
	case "sha224":
		return sha256.New224, nil
	case "sha256":
		return sha256.New, nil
	case "sha384":
		return sha512.New384, nil
	case "sha512":
		return sha512.New, nil
	case "sha3_224":
		return func() hash.Hash { return sha3.New224() }, nil
	case "sha3_256":
		return func() hash.Hash { return sha3.New256() }, nil
	case "sha3_384":
		return func() hash.Hash { return sha3.New384() }, nil
	case "sha3_512":
		return func() hash.Hash { return sha3.New512() }, nil
	case "blake2b":
		return func() hash.Hash { h, _ := blake2b.New512(nil); return h }, nil
	case "blake2s":
		return func() hash.Hash { h, _ := blake2s.New256(nil); return h }, nil
	}
	return nil, fmt.Errorf("unsupported hash function %q (supported: %v)", name, HashFunctions())
}
