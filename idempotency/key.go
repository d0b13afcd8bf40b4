package idempotency

import (
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"
	"sync"
)

var (
	// ErrInvalidEvent means an event cannot be keyed: it is not valid JSON,
	// or evaluating a JMESPath expression on it failed (for example
	// powertools_json on a body that is not JSON). Powertools raises in the
	// same situations.
	ErrInvalidEvent = errors.New("idempotency: invalid event")
	// ErrInvalidConfig means a KeyConfig cannot be used.
	ErrInvalidConfig = errors.New("idempotency: invalid key configuration")
)

// KeyConfig selects how idempotency keys are derived, with the meaning of
// the Powertools Python IdempotencyConfig fields of the same names.
type KeyConfig struct {
	// EventKeyJMESPath selects the part of the event that identifies it
	// (event_key_jmespath). Empty means the whole event.
	EventKeyJMESPath string
	// PayloadValidationJMESPath selects the part of the event whose hash
	// is stored and compared on replays (payload_validation_jmespath).
	// Empty disables payload validation.
	PayloadValidationJMESPath string
	// HashFunction is a hashlib name (hash_function); empty means md5.
	HashFunction string
	// KeyPrefix is the text before "#" in every key. Powertools uses the
	// decorator's key_prefix or "{AWS_LAMBDA_FUNCTION_NAME}.{module}.{qualname}".
	KeyPrefix string
	// Format is whose keys to produce; "" is FormatPython.
	Format KeyFormat

	// raiseOnMissing is the core's RaiseOnNoIdempotencyKey, which decides
	// what a missing key is in FormatTypeScript.
	raiseOnMissing bool
}

// Derived is what Derive computes for one event.
type Derived struct {
	// Key is KeyPrefix + "#" + hexdigest of the canonical JSON of the
	// key selection (in FormatTypeScript, the base64 digest of its
	// JSON.stringify after deepSort).
	Key string
	// PayloadHash is the hexdigest of the canonical JSON of the validation
	// selection; "" when validation is disabled or MissingKey is set.
	PayloadHash string
	// MissingKey reports that the key selection is empty in Powertools'
	// sense (is_missing_idempotency_key). Powertools then skips persistence
	// (or raises IdempotencyKeyError when raise_on_no_idempotency_key is
	// set) and computes no key nor payload hash; Key still holds the hash
	// of the selection, for logging only.
	MissingKey bool
}

// Keyer derives idempotency keys. It is safe for concurrent use.
//
// Keys and payload hashes match Powertools Python v3 (checked against
// aws-lambda-powertools 3.37.0 on CPython 3.11 by testdata/golden.json),
// except where Python's answer is unusable or a guard is needed; there
// Derive fails (ErrInvalidEvent) or NewKeyer does (ErrInvalidConfig):
//   - NaN/Infinity literals in a powertools_json document (json.loads takes
//     them; the runtime already rejects them in events) and JSON nested
//     deeper than 300 levels;
//   - hashing an expression reference, e.g. to_string(&a) (Python hashes a
//     memory address);
//   - unknown functions, wrong argument counts and JMESPath community
//     syntax (arithmetic, $, let), rejected up front;
//   - powertools_base64_gzip output over 64 MiB;
//   - merge() with a non-object after its first argument.
//
// Other known differences: a quoted identifier holding a lone surrogate
// escape ("\ud800") names U+FFFD; sum() and avg() of floats add
// left to right like CPython 3.11, where 3.12+ uses compensated summation.
type Keyer struct {
	cfg        KeyConfig
	key        *expression
	validation *expression
	newHash    func() hash.Hash
	states     sync.Pool
	// onePass: whole-event keys of small events are derived with
	// canonicalText (tests turn it off to compare with the tree path).
	onePass bool
	// unescapeLong: an expression calls powertools_json, so long strings
	// are unescaped while they are checked (scanUnescape).
	unescapeLong bool
	// keyHead is cfg.KeyPrefix + "#", what every key starts with.
	keyHead string
}

// NewKeyer compiles cfg's expressions and resolves its hash function.
func NewKeyer(cfg KeyConfig) (*Keyer, error) {
	if err := checkFormat(cfg.Format); err != nil {
		return nil, fmt.Errorf("%w: Format: %w", ErrInvalidConfig, err)
	}
	newHash, err := newHashFunc(cfg.HashFunction)
	if err != nil {
		return nil, fmt.Errorf("%w: HashFunction: %w", ErrInvalidConfig, err)
	}
	k := &Keyer{cfg: cfg, newHash: newHash}
	if cfg.EventKeyJMESPath != "" {
		if k.key, err = compileExpression(cfg.EventKeyJMESPath); err != nil {
			return nil, fmt.Errorf("%w: EventKeyJMESPath %q: %w", ErrInvalidConfig, cfg.EventKeyJMESPath, err)
		}
	}
	if cfg.PayloadValidationJMESPath != "" {
		if k.validation, err = compileExpression(cfg.PayloadValidationJMESPath); err != nil {
			return nil, fmt.Errorf("%w: PayloadValidationJMESPath %q: %w", ErrInvalidConfig, cfg.PayloadValidationJMESPath, err)
		}
	}
	k.states.New = func() any { return &deriveState{h: k.newHash()} }
	k.keyHead = cfg.KeyPrefix + "#"
	k.unescapeLong = strings.Contains(cfg.EventKeyJMESPath+"\x00"+cfg.PayloadValidationJMESPath, "powertools_json")
	k.onePass = k.key == nil && k.validation == nil && cfg.Format != FormatTypeScript
	return k, nil
}

// Config returns the configuration the Keyer was built from.
func (k *Keyer) Config() KeyConfig { return k.cfg }

// Derive parses event once and computes its key, payload hash and whether
// the key is missing, byte-for-byte as Powertools Python does.
func (k *Keyer) Derive(event []byte) (Derived, error) {
	st := k.states.Get().(*deriveState)
	defer func() {
		st.reset()
		k.states.Put(st)
	}()
	st.unescapeLong = k.unescapeLong
	if k.onePass && len(event) <= wholeLimit {
		if d, ok := k.deriveWhole(st, b2s(event)); ok {
			return d, nil
		}
	}
	root, err := st.parseDoc(b2s(event), true)
	if err != nil {
		return Derived{}, fmt.Errorf("%w: %w", ErrInvalidEvent, err)
	}
	data := wrap(root)
	sel := data
	if k.key != nil {
		if sel, err = st.eval(k.key.root, data); err != nil {
			return Derived{}, fmt.Errorf("%w: EventKeyJMESPath %q: %w", ErrInvalidEvent, k.key.text, err)
		}
	}
	if k.cfg.Format == FormatTypeScript {
		return k.deriveTS(st, sel, data)
	}
	var d Derived
	d.MissingKey = isMissingKey(sel)
	if d.Key, err = st.digest(k.keyHead, sel); err != nil {
		return Derived{}, fmt.Errorf("%w: EventKeyJMESPath: %w", ErrInvalidEvent, err)
	}
	if k.validation == nil || d.MissingKey {
		return d, nil
	}
	v, err := st.eval(k.validation.root, data)
	if err != nil {
		return Derived{}, fmt.Errorf("%w: PayloadValidationJMESPath %q: %w", ErrInvalidEvent, k.validation.text, err)
	}
	if d.PayloadHash, err = st.digest("", v); err != nil {
		return Derived{}, fmt.Errorf("%w: PayloadValidationJMESPath: %w", ErrInvalidEvent, err)
	}
	return d, nil
}

// isMissingKey is BasePersistenceLayer.is_missing_idempotency_key:
// a dict or list is missing when all its values are None (so also when
// empty), numbers and booleans never are, anything else when falsy.
func isMissingKey(v value) bool {
	switch v.kind {
	case kObject:
		if v.src != nil && !allNullMembers(v.src.children()) {
			return false
		}
		return allNull(v.dict().vals)
	case kArray:
		if v.src != nil {
			for _, e := range v.src.children() {
				if e.kind != jNull {
					return false
				}
			}
			return true
		}
		return allNull(v.arr)
	case kInt, kFloat, kBool, kExpref:
		return false
	case kString:
		return v.s == ""
	}
	return true
}

// allNullMembers reports whether the keys and values kv of a parsed
// object may all be null once duplicates are resolved, without building its
// dict: false when its first non-null value has no later duplicate key
// (the usual answer, in O(n)); otherwise the dict must tell.
func allNullMembers(kv []*jnode) bool {
	for p := 1; p < len(kv); p += 2 {
		if kv[p].kind != jNull {
			return replacedLater(kv, p-1)
		}
	}
	return true
}

// replacedLater reports whether the key at kv[p] occurs again after p.
func replacedLater(kv []*jnode, p int) bool {
	k := kv[p].string()
	for q := p + 2; q < len(kv); q += 2 {
		if kv[q].string() == k {
			return true
		}
	}
	return false
}

func allNull(vs []value) bool {
	for _, v := range vs {
		if v.kind != kNull {
			return false
		}
	}
	return true
}

// deriveState is the per-call scratch space, pooled per Keyer: the arenas
// of parsed documents, the encoder and the hash.
type deriveState struct {
	nodes    nodeArena
	kidArena kidArena
	bytes    byteArena
	conts    []jcont
	strs     []jstr
	stack    []int32
	tmpKids  []*jnode
	enc      encoder
	out      []byte
	// canonicalText's output, open containers, keys, scratch and encoder
	// of unsorted objects.
	fbuf     []byte
	fopen    []fastOpen
	fkeys    []byte
	fscratch []byte
	fenc     encoder
	fmembers []fmember
	forder   []fsorted
	// forders holds the key orders sortMembers found for the unsorted
	// objects of the last events, by their rank among the unsorted
	// objects of an event (fclosed counts them in this one).
	forders [maxRememberedOrders]rememberedOrder
	fclosed int
	// unescapeLong is Keyer.unescapeLong for this derivation.
	unescapeLong bool
	h            hash.Hash
	sum          []byte
}

// reset releases every parsed document of the last derivation.
func (st *deriveState) reset() {
	st.nodes.reset()
	st.kidArena.reset()
	st.bytes.reset()
	st.conts = st.conts[:0]
	st.strs = st.strs[:0]
	st.out = st.out[:0]
}

// digest returns prefix followed by the hexdigest of the canonical JSON of v.
func (st *deriveState) digest(prefix string, v value) (string, error) {
	var err error
	st.h.Reset()
	if st.out, err = st.enc.hashCanonical(st.h, st.out, v); err != nil {
		return "", err
	}
	return st.hexKey(prefix), nil
}

// hexKey returns prefix followed by the hexdigest of what st.h hashed.
func (st *deriveState) hexKey(prefix string) string {
	st.sum = st.h.Sum(st.sum[:0])
	st.out = append(st.out[:0], prefix...)
	st.out = hex.AppendEncode(st.out, st.sum)
	return string(st.out)
}

// deriveWhole derives the whole-event key of a valid event in one pass
// (canonicalText); ok is false when the event is invalid, for the tree
// path to report why.
func (k *Keyer) deriveWhole(st *deriveState, event string) (d Derived, ok bool) {
	text, err := eventText(event)
	if err != nil {
		return Derived{}, false
	}
	st.enc.buf, st.enc.sink = st.fbuf[:0], nil
	d.MissingKey, ok = st.canonicalText(text)
	canon := st.enc.buf
	st.fbuf, st.enc.buf = canon[:0], nil
	if !ok {
		return Derived{}, false
	}
	st.h.Reset()
	st.h.Write(canon)
	d.Key = st.hexKey(k.keyHead)
	return d, true
}
