package dynamodb

import (
	"context"
	"crypto/rand"
	"github.com/aws/aws-sdk-go-v2/aws"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/idemproxy/idemproxy/internal/testservers"
)

// server is a DynamoDB server shared by the tests of this binary, started
// on first use and stopped by TestMain.
type server struct {
	name  string
	start func(context.Context) (*testservers.Process, error)
	// allOld reports whether the server returns the old item of a failed
	// conditional write.
	allOld bool

	once sync.Once
	p    *testservers.Process
	err  error
}

var (
	dynalite = &server{name: "dynalite", start: testservers.StartDynalite}
	moto     = &server{name: "moto", start: testservers.StartMoto, allOld: true}
)

func TestMain(m *testing.M) {
	code := m.Run()
	for _, s := range []*server{dynalite, moto} {
		if s.p != nil {
			_ = s.p.Stop()
		}
	}
	os.Exit(code)
}

// endpoint starts s if needed and returns its URL. A server that cannot
// start fails the test: these tests are the backend's only real check.
func (s *server) endpoint(t testing.TB) string {
	t.Helper()
	s.once.Do(func() { s.p, s.err = s.start(context.Background()) })
	if s.err != nil {
		t.Fatalf("cannot start %s: %v", s.name, s.err)
	}
	return testservers.Endpoint(s.p)
}

// newTable creates a fresh table for opts' key attributes on s and returns
// opts naming it.
func (s *server) newTable(t testing.TB, opts Options) Options {
	t.Helper()
	endpoint := s.endpoint(t)
	opts.Table = "idemproxy-" + strings.ToLower(rand.Text())
	if err := testservers.CreateTable(t.Context(), endpoint, opts.Table, opts.KeyAttr, opts.SortKeyAttr); err != nil {
		t.Fatalf("%s: %v\nserver output:\n%s", s.name, err, s.p.Output())
	}
	return opts
}

// requestCounter counts the HTTP requests an SDK client sends, retries
// included: one per round trip to the server. It hooks the SDK's transmit
// step rather than wrapping the HTTP client because, with AWS_CA_BUNDLE
// set, the SDK accepts only its own BuildableClient.
type requestCounter struct{ n atomic.Int64 }

// BeforeTransmit implements smithyhttp.BeforeTransmitInterceptor.
func (c *requestCounter) BeforeTransmit(context.Context, *smithyhttp.InterceptorContext) error {
	c.n.Add(1)
	return nil
}

// sdkClient builds a client with [NewClient] (so with its own HTTP client
// and connections) for the server at endpoint, counting its requests in
// counter if not nil.
func sdkClient(t testing.TB, endpoint string, counter *requestCounter) *ddb.Client {
	t.Helper()
	c, err := NewClient(t.Context(), func(string) string { return "" }, func(o *ddb.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.Region = testservers.Region
		o.Credentials = testservers.Credentials()
		if counter != nil {
			o.Interceptors.AddBeforeTransmit(counter)
		}
	})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

// cloneClient returns a separate client with base's settings and its own
// HTTP client (its own connection pool): cheaper than another NewClient,
// which parses the CA bundle again when AWS_CA_BUNDLE is set.
func cloneClient(t testing.TB, base *ddb.Client) *ddb.Client {
	t.Helper()
	o := base.Options()
	hc, ok := o.HTTPClient.(*awshttp.BuildableClient)
	if !ok {
		t.Fatalf("NewClient's HTTP client is a %T, want *awshttp.BuildableClient", o.HTTPClient)
	}
	o.HTTPClient = hc.WithTransportOptions() // a copy with a new transport
	return ddb.New(o)
}

// newStore returns a Store for opts on the server at endpoint, with its
// own SDK client.
func newStore(t testing.TB, endpoint string, opts Options, counter *requestCounter) *Store {
	t.Helper()
	s, err := New(sdkClient(t, endpoint, counter), opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// renamedOptions changes every attribute name and uses a sort key.
func renamedOptions() Options {
	return Options{
		KeyAttr:              "PK",
		SortKeyAttr:          "SK",
		StaticPKValue:        "IDEMPOTENCY#renamed-fn",
		ExpiryAttr:           "ttl_s",
		InProgressExpiryAttr: "lock_until_ms",
		StatusAttr:           "state",
		DataAttr:             "result",
		ValidationAttr:       "payload_hash",
	}
}

// sortKeyOptions are the defaults plus a sort key.
func sortKeyOptions() Options {
	o := DefaultOptions("", "sorted-fn")
	o.SortKeyAttr = "sk"
	return o
}
