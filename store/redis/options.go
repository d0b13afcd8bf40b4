package redis

import (
	"crypto/tls"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/idemproxy/idemproxy/store"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// Environment variables read by [LoadOptions].
const (
	EnvURL                  = "IDEMPOTENCY_REDIS_URL"
	EnvCluster              = "IDEMPOTENCY_REDIS_CLUSTER"
	EnvTLSSkipVerify        = "IDEMPOTENCY_REDIS_TLS_SKIP_VERIFY"
	EnvExpiryAttr           = "IDEMPOTENCY_EXPIRY_ATTR"
	EnvInProgressExpiryAttr = "IDEMPOTENCY_IN_PROGRESS_EXPIRY_ATTR"
	EnvStatusAttr           = "IDEMPOTENCY_STATUS_ATTR"
	EnvDataAttr             = "IDEMPOTENCY_DATA_ATTR"
	EnvValidationAttr       = "IDEMPOTENCY_VALIDATION_KEY_ATTR"
)

// Default JSON field names, those of Powertools' RedisCachePersistenceLayer.
const (
	DefaultExpiryAttr           = "expiration"
	DefaultInProgressExpiryAttr = "in_progress_expiration"
	DefaultStatusAttr           = "status"
	DefaultDataAttr             = "data"
	DefaultValidationAttr       = "validation"
)

// DefaultMaxResponseBytes is the default limit on a stored response: 6 MiB
// plus 100 bytes, the largest synchronous response Lambda itself accepts
// (its error names a 6291556-byte limit), so any response Lambda can return
// can be recorded.
const DefaultMaxResponseBytes = 6<<20 + 100

// Connection pool settings suited to a Lambda execution environment, which
// serves one invocation at a time (a few with Lambda Managed Instances).
const (
	defaultPoolSize     = 4
	defaultDialAttempts = 2 // go-redis retries a failed dial; it sends nothing, so that is safe
	defaultDialTimeout  = 2 * time.Second
	defaultIOTimeout    = 2 * time.Second // read, write and pool wait when the ctx has no deadline
	defaultConnMaxIdle  = 4 * time.Minute // below the 350 s idle timeout of AWS NAT and Lambda ENIs
	clusterMaxRedirects = 3
)

// Options configures a [Store].
type Options struct {
	// URL is the server's redis:// or rediss:// URL, with optional user,
	// password and database number (redis://user:pass@host:6379/0). go-redis
	// query parameters (pool_size, dial_timeout, ...) override the defaults;
	// max_retries is ignored: commands are never retried (see [Store]).
	URL string
	// Cluster selects a Redis Cluster client; URL then names one seed node
	// (more with addr= query parameters) and must not select a database.
	Cluster bool
	// TLSSkipVerify disables TLS certificate verification (rediss:// only).
	// For testing only.
	TLSSkipVerify bool

	// JSON field names of the record, as Powertools' attribute options.
	// Empty means the Default*Attr value.
	ExpiryAttr           string
	InProgressExpiryAttr string
	StatusAttr           string
	DataAttr             string
	ValidationAttr       string

	// MaxResponseBytes is the largest Response Complete stores; a larger
	// one yields store.ErrRecordTooLarge. 0 means DefaultMaxResponseBytes.
	// It bounds the response itself, compressed or not.
	MaxResponseBytes int

	// CompressAboveBytes is the response size above which the response is
	// stored gzip-compressed (as base64) when that makes it smaller: 0 means
	// store.DefaultCompressAboveBytes, a negative value turns compression
	// off. It is not read from the environment here.
	CompressAboveBytes int
}

// LoadOptions reads Options from the environment through getenv. It reports
// every problem at once, each naming its variable.
func LoadOptions(getenv func(string) string) (Options, error) {
	var errs []error
	boolVar := func(name string) bool {
		v, err := parseBool(getenv(name))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
		return v
	}
	opts := Options{
		URL:                  strings.TrimSpace(getenv(EnvURL)),
		Cluster:              boolVar(EnvCluster),
		TLSSkipVerify:        boolVar(EnvTLSSkipVerify),
		ExpiryAttr:           getenv(EnvExpiryAttr),
		InProgressExpiryAttr: getenv(EnvInProgressExpiryAttr),
		StatusAttr:           getenv(EnvStatusAttr),
		DataAttr:             getenv(EnvDataAttr),
		ValidationAttr:       getenv(EnvValidationAttr),
	}
	opts = opts.withDefaults()
	if opts.URL == "" {
		errs = append(errs, fmt.Errorf("%s is required (redis://host:port or rediss://...)", EnvURL))
	} else if _, err := opts.clientOptions(); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", EnvURL, err))
	}
	errs = append(errs, opts.fieldErrors(map[string]string{
		EnvExpiryAttr: opts.ExpiryAttr, EnvInProgressExpiryAttr: opts.InProgressExpiryAttr,
		EnvStatusAttr: opts.StatusAttr, EnvDataAttr: opts.DataAttr, EnvValidationAttr: opts.ValidationAttr,
	})...)
	return opts, errors.Join(errs...)
}

// parseBool accepts the values of Python's distutils strtobool, and "" as false.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "n", "no", "f", "false", "off", "0":
		return false, nil
	case "y", "yes", "t", "true", "on", "1":
		return true, nil
	}
	return false, fmt.Errorf("invalid boolean %q (want true/false, yes/no, on/off, 1/0)", s)
}

func (o Options) withDefaults() Options {
	def := func(s *string, d string) {
		if *s = strings.TrimSpace(*s); *s == "" {
			*s = d
		}
	}
	def(&o.ExpiryAttr, DefaultExpiryAttr)
	def(&o.InProgressExpiryAttr, DefaultInProgressExpiryAttr)
	def(&o.StatusAttr, DefaultStatusAttr)
	def(&o.DataAttr, DefaultDataAttr)
	def(&o.ValidationAttr, DefaultValidationAttr)
	if o.MaxResponseBytes == 0 {
		o.MaxResponseBytes = DefaultMaxResponseBytes
	}
	return o
}

// fieldErrors reports attribute names that clash with each other or with
// the fields this package adds. names maps a label (variable or option
// name) to the attribute name.
func (o Options) fieldErrors(names map[string]string) []error {
	var errs []error
	seen := make(map[string]string, len(names))
	for _, label := range slices.Sorted(maps.Keys(names)) {
		name := names[label]
		if isOwnField(name) {
			errs = append(errs, fmt.Errorf("%s: %q is reserved for idemproxy's own record fields", label, name))
		}
		if other, dup := seen[name]; dup {
			errs = append(errs, fmt.Errorf("%s and %s both name the field %q", min(label, other), max(label, other), name))
		}
		seen[name] = label
	}
	return errs
}

func (o Options) attrs() attrs {
	return attrs{expiry: o.ExpiryAttr, inProgressExpiry: o.InProgressExpiryAttr,
		status: o.StatusAttr, data: o.DataAttr, validation: o.ValidationAttr,
		compress: store.NewCompressor(o.CompressAboveBytes)}
}

// clientOptions holds the parsed go-redis options: exactly one is set.
type clientOptions struct {
	standalone *goredis.Options
	cluster    *goredis.ClusterOptions
}

// newClient builds the client; it does not touch the network.
func (c clientOptions) newClient() goredis.UniversalClient {
	if c.cluster != nil {
		return goredis.NewClusterClient(c.cluster)
	}
	return goredis.NewClient(c.standalone)
}

// clientOptions parses URL into go-redis options with the Lambda defaults
// applied. Its errors never contain the URL (it may hold a password).
func (o Options) clientOptions() (clientOptions, error) {
	u, err := url.Parse(o.URL)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return clientOptions{}, fmt.Errorf("invalid URL: %v", err)
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return clientOptions{}, fmt.Errorf("URL scheme %q, want redis or rediss", u.Scheme)
	}
	if o.TLSSkipVerify && u.Scheme != "rediss" {
		return clientOptions{}, errors.New("TLS certificate verification can only be skipped with a rediss:// URL")
	}
	if !o.Cluster {
		so, err := goredis.ParseURL(o.URL)
		if err != nil {
			return clientOptions{}, err
		}
		knobs{&so.PoolSize, &so.Protocol, &so.DialerRetries, &so.DialTimeout, &so.ReadTimeout, &so.WriteTimeout,
			&so.PoolTimeout, &so.ConnMaxIdleTime, so.TLSConfig}.applyDefaults(o.TLSSkipVerify)
		so.MaxRetries = -1
		so.ContextTimeoutEnabled = true
		so.DisableIdentity = true
		so.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
		return clientOptions{standalone: so}, nil
	}
	if strings.Trim(u.Path, "/") != "" {
		return clientOptions{}, errors.New("a cluster URL cannot select a database")
	}
	co, err := goredis.ParseClusterURL(o.URL)
	if err != nil {
		return clientOptions{}, err
	}
	knobs{&co.PoolSize, &co.Protocol, &co.DialerRetries, &co.DialTimeout, &co.ReadTimeout, &co.WriteTimeout,
		&co.PoolTimeout, &co.ConnMaxIdleTime, co.TLSConfig}.applyDefaults(o.TLSSkipVerify)
	if co.MaxRedirects == 0 {
		co.MaxRedirects = clusterMaxRedirects
	}
	co.MaxRetries = -1
	co.ContextTimeoutEnabled = true
	co.DisableIdentity = true
	co.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	return clientOptions{cluster: co}, nil
}

// knobs points at the go-redis settings shared by Options and
// ClusterOptions.
type knobs struct {
	poolSize, protocol, dialAttempts      *int
	dial, read, write, poolWait, idleTime *time.Duration
	tls                                   *tls.Config
}

// applyDefaults fills in what the URL left unset with settings suited to
// Lambda. The settings the store's correctness depends on are forced by
// clientOptions instead:
//   - MaxRetries -1: a retried script may already have run, and a lost reply
//     to a successful claim would come back as ErrAlreadyExists with our own
//     record (cluster MOVED/ASK redirects are still followed: the command did
//     not run);
//   - ContextTimeoutEnabled: the core bounds every call by the invocation
//     deadline through ctx;
//   - DisableIdentity and disabled maintenance notifications: no extra round
//     trips when a connection opens.
func (k knobs) applyDefaults(skipVerify bool) {
	if *k.poolSize == 0 {
		*k.poolSize = defaultPoolSize
	}
	if *k.dialAttempts == 0 {
		*k.dialAttempts = defaultDialAttempts
	}
	if *k.protocol == 0 {
		*k.protocol = 2 // RESP2: no push notifications to handle
	}
	for d, v := range map[*time.Duration]time.Duration{
		k.dial: defaultDialTimeout, k.read: defaultIOTimeout, k.write: defaultIOTimeout,
		k.poolWait: defaultIOTimeout, k.idleTime: defaultConnMaxIdle,
	} {
		if *d == 0 {
			*d = v
		}
	}
	if k.tls != nil {
		k.tls.MinVersion = max(k.tls.MinVersion, tls.VersionTLS12)
		k.tls.InsecureSkipVerify = k.tls.InsecureSkipVerify || skipVerify
	}
}
