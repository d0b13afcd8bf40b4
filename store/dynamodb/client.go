package dynamodb

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// API is the part of the DynamoDB client the store uses. *ddb.Client
// satisfies it.
type API interface {
	PutItem(ctx context.Context, in *ddb.PutItemInput, optFns ...func(*ddb.Options)) (*ddb.PutItemOutput, error)
	GetItem(ctx context.Context, in *ddb.GetItemInput, optFns ...func(*ddb.Options)) (*ddb.GetItemOutput, error)
	DeleteItem(ctx context.Context, in *ddb.DeleteItemInput, optFns ...func(*ddb.Options)) (*ddb.DeleteItemOutput, error)
}

var _ API = (*ddb.Client)(nil)

// Retry and connection settings of [NewClient].
const (
	// maxAttempts is the SDK's standard count: one call and two retries.
	// A throttled or reset call usually succeeds on the next attempt;
	// beyond that, failing lets Lambda's own retry take over instead of
	// spending the invocation's time.
	maxAttempts = 3
	// baseBackoff and maxBackoff bound the wait before a retry: full jitter
	// over baseBackoff·2^attempt, at most maxBackoff. The SDK's default
	// maximum of 20 s would outlast most invocation deadlines; every call is
	// bounded by the invocation's ctx anyway.
	baseBackoff = 25 * time.Millisecond
	maxBackoff  = 100 * time.Millisecond
	// dialTimeout bounds opening a connection, so a dead endpoint costs a
	// retry rather than the whole deadline.
	dialTimeout = 2 * time.Second
	// maxIdleConns keeps enough pooled connections for the concurrent
	// invocations of one execution environment (Lambda Managed Instances).
	maxIdleConns = 32
)

// NewClient builds a DynamoDB client from the standard AWS configuration
// chain (config.LoadDefaultConfig): region from AWS_REGION, credentials from
// the environment (as Lambda provides them) or shared files, and the
// endpoint from AWS_ENDPOINT_URL_DYNAMODB or AWS_ENDPOINT_URL when set. Build
// it once per process and share it: its HTTP client keeps connections alive
// across invocations.
//
// Retries are few and short (3 attempts, backoff of at most 100 ms). optFns
// are applied after these settings and may override them. NewClient makes
// no network call: credentials are resolved on first use.
func NewClient(ctx context.Context, optFns ...func(*config.LoadOptions) error) (*ddb.Client, error) {
	httpClient := awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) {
			d.Timeout = dialTimeout
			d.KeepAlive = 30 * time.Second
		}).
		WithTransportOptions(func(t *http.Transport) {
			t.MaxIdleConns = maxIdleConns
			t.MaxIdleConnsPerHost = maxIdleConns
			t.IdleConnTimeout = 90 * time.Second
		})
	opts := []func(*config.LoadOptions) error{
		config.WithHTTPClient(httpClient),
		config.WithRetryer(newRetryer),
	}
	cfg, err := config.LoadDefaultConfig(ctx, append(opts, optFns...)...)
	if err != nil {
		return nil, fmt.Errorf("dynamodb: load AWS configuration: %w", err)
	}
	return ddb.NewFromConfig(cfg), nil
}

func newRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = maxAttempts
		o.MaxBackoff = maxBackoff
		o.Backoff = retry.BackoffDelayerFunc(backoff)
	})
}

// backoff is full jitter: a random wait below min(maxBackoff,
// baseBackoff·2^attempt).
func backoff(attempt int, _ error) (time.Duration, error) {
	ceiling := maxBackoff
	if attempt >= 0 && attempt < 8 {
		ceiling = min(maxBackoff, baseBackoff<<attempt)
	}
	return rand.N(ceiling) + time.Millisecond, nil
}
