package dynamodb

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
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

// NewClient builds a DynamoDB client the way Lambda functions need it,
// from the environment read through getenv: region from AWS_REGION (or
// AWS_DEFAULT_REGION); credentials from AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (as Lambda provides them to
// every process of the function), else from the container credentials
// endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI or _RELATIVE_URI, with
// AWS_CONTAINER_AUTHORIZATION_TOKEN or _TOKEN_FILE), both through the SDK's
// own providers; the endpoint from AWS_ENDPOINT_URL_DYNAMODB, else
// AWS_ENDPOINT_URL. This is the part of the SDK's default chain
// (config.LoadDefaultConfig) that applies in Lambda; the rest (shared
// files, SSO, web identity, EC2 metadata) would add 2 MB of STS and SSO
// clients to the extension's binary. Build it once per process and share
// it: its HTTP client keeps connections alive across invocations.
//
// Retries are few and short (3 attempts, backoff of at most 100 ms). optFns
// are applied last and may override anything. NewClient makes no network
// call: credentials are resolved on first use.
func NewClient(ctx context.Context, getenv func(string) string, optFns ...func(*ddb.Options)) (*ddb.Client, error) {
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
	o := ddb.Options{
		Region:     cmp.Or(getenv("AWS_REGION"), getenv("AWS_DEFAULT_REGION")),
		HTTPClient: httpClient,
		Retryer:    newRetryer(),
	}
	if ep := cmp.Or(getenv("AWS_ENDPOINT_URL_DYNAMODB"), getenv("AWS_ENDPOINT_URL")); ep != "" {
		o.BaseEndpoint = aws.String(ep)
	}
	if creds := credentialsFromEnv(getenv, httpClient); creds != nil {
		o.Credentials = aws.NewCredentialsCache(creds)
	}
	c := ddb.New(o, optFns...)
	opts := c.Options()
	if opts.Region == "" {
		return nil, fmt.Errorf("dynamodb: %w: no region: set AWS_REGION", ErrInvalidOptions)
	}
	if opts.Credentials == nil {
		return nil, fmt.Errorf("dynamodb: %w: no AWS credentials in the environment (AWS_ACCESS_KEY_ID, or AWS_CONTAINER_CREDENTIALS_FULL_URI)", ErrInvalidOptions)
	}
	_ = ctx
	return c, nil
}

// credentialsFromEnv returns the SDK provider for the credentials the
// environment holds, or nil.
func credentialsFromEnv(getenv func(string) string, hc aws.HTTPClient) aws.CredentialsProvider {
	if id, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"); id != "" && secret != "" {
		return credentials.NewStaticCredentialsProvider(id, secret, getenv("AWS_SESSION_TOKEN"))
	}
	uri := getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI")
	if rel := getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"); uri == "" && rel != "" {
		uri = "http://169.254.170.2" + rel
	}
	if uri == "" {
		return nil
	}
	return endpointcreds.New(uri, func(o *endpointcreds.Options) {
		o.HTTPClient = hc
		o.AuthorizationToken = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN")
		if file := getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"); file != "" {
			o.AuthorizationTokenProvider = tokenFile(file)
		}
	})
}

// tokenFile reads the container authorization token from a file at each
// refresh, as the SDK's default chain does.
type tokenFile string

func (f tokenFile) GetToken() (string, error) {
	b, err := os.ReadFile(string(f))
	if err != nil {
		return "", fmt.Errorf("dynamodb: read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
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
