package dynamodb

import (
	"testing"

	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/storetest"
)

// sizing is how a server counts an item against its size limit.
type sizing struct {
	limit int
	// number returns the bytes counted for a whole number of the given
	// number of digits.
	number func(digits int) int
}

var (
	// storeSizing is this package's own check (itemSize), which refuses
	// items before dynalite would: its number sizes bound dynalite's.
	storeSizing = sizing{limit: MaxItemBytes, number: func(d int) int { return 2 + (d+1)/2 }}
	// motoSizing is moto's: a limit of 405,000 bytes and numbers counted as
	// their decimal text (moto/dynamodb/models/dynamo_type.py).
	motoSizing = sizing{limit: 405000, number: func(d int) int { return d }}
)

// suiteMaxResponse is the largest Response that fits the completed record
// storetest's size cases write, under sz. That record has a 36-byte key
// ("storetest-" + rand.Text()), a 7-byte owner ("owner-b"), a 17-byte hash
// ("done-hash-owner-b"), the content type "application/octet-stream", an
// expiry of 10 digits and an in-progress expiry of 13 (epoch seconds and
// milliseconds this century), and random bytes as its response, which are
// not UTF-8 and so are stored as base64 with the encoding attribute. Base64
// takes 4 bytes per 3, so the result is a multiple of 3 whose encoding fits
// while one more byte's does not.
func suiteMaxResponse(o Options, sz sizing) int {
	const keyLen, ownerLen, hashLen = 36, len("owner-b"), len("done-hash-owner-b")
	overhead := len(o.KeyAttr) + keyLen
	if o.SortKeyAttr != "" {
		overhead = len(o.KeyAttr) + len(o.StaticPKValue) + len(o.SortKeyAttr) + keyLen
	}
	overhead += len(o.ExpiryAttr) + sz.number(10) +
		len(o.InProgressExpiryAttr) + sz.number(13) +
		len(o.StatusAttr) + len(store.StatusCompleted) +
		len(o.ValidationAttr) + hashLen +
		len(OwnerAttr) + ownerLen +
		len(ContentTypeAttr) + len("application/octet-stream") +
		len(EncodingAttr) + len(encodingBase64) +
		len(o.DataAttr)
	return (sz.limit - overhead) / 4 * 3
}

func runSuite(t *testing.T, srv *server, opts Options, maxResponse int) {
	endpoint := srv.endpoint(t)
	opts = srv.newTable(t, opts)
	base := sdkClient(t, endpoint, nil)
	shared, err := New(base, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s, table %s: MaxResponseBytes = %d", srv.name, opts.Table, maxResponse)
	fits := 6 << 20
	if opts.CompressAboveBytes < 0 {
		fits = 0
	}
	storetest.Run(t, storetest.Harness{
		New: func(*testing.T) store.Store { return shared },
		NewClient: func(t *testing.T) store.Store {
			s, err := New(cloneClient(t, base), opts)
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		MaxResponseBytes:   maxResponse,
		CompressAboveBytes: store.CompressThreshold(opts.CompressAboveBytes),
		// Lambda's largest buffered response, as compressible JSON, fits
		// the 400 KB item once compressed.
		CompressibleFits: fits,
	})
}

// TestConformanceDynalite runs the store conformance suite on dynalite,
// which does not return the old item of a failed condition, so every
// duplicate claim goes through the GetItem fallback.
func TestConformanceDynalite(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"simple key", DefaultOptions("", "simple-fn")},
		{"static pk and sort key", sortKeyOptions()},
		{"renamed attributes", renamedOptions()},
		{"compression above 1000 bytes", func() Options {
			o := DefaultOptions("", "compress-fn")
			o.CompressAboveBytes = 1000
			return o
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			runSuite(t, dynalite, tc.opts, suiteMaxResponse(tc.opts, storeSizing))
		})
	}
}

// TestConformanceMoto runs the suite on moto, which returns the old item
// (ALL_OLD) and refuses items over its own 405,000-byte limit: the
// too-large case there passes this package's check and is refused by the
// server, which exercises the translation of its ValidationException.
func TestConformanceMoto(t *testing.T) {
	t.Parallel()
	opts := DefaultOptions("", "moto-fn")
	runSuite(t, moto, opts, suiteMaxResponse(opts, motoSizing))
}
