package main

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/idemproxy/idemproxy/idempotency"
	"github.com/idemproxy/idemproxy/store/dynamodb"
	"github.com/idemproxy/idemproxy/store/redis"
)

// Config is the extension's configuration, read once from the environment.
type Config struct {
	// RuntimeAPI is the real Runtime API endpoint (AWS_LAMBDA_RUNTIME_API as
	// the extension sees it). Required.
	RuntimeAPI string
	// Upstream is where the proxy forwards the runtime's calls
	// (IDEMPOTENCY_UPSTREAM_RUNTIME_API, to chain another Runtime API proxy);
	// empty means RuntimeAPI.
	Upstream string
	// ProxyPort is the proxy's port on 127.0.0.1 (IDEMPOTENCY_PROXY_PORT,
	// default 9009).
	ProxyPort int
	// LogLevel is IDEMPOTENCY_LOG_LEVEL, else AWS_LAMBDA_LOG_LEVEL, else INFO.
	LogLevel slog.Level
	// Disabled is POWERTOOLS_IDEMPOTENCY_DISABLED: a pure pass-through that
	// needs no store.
	Disabled bool
	// Store is IDEMPOTENCY_STORE: "memory", "dynamodb" or "redis".
	Store string
	// FunctionName is AWS_LAMBDA_FUNCTION_NAME ("test-func" when unset, as
	// Powertools Python).
	FunctionName string
	// Handler is the function's handler setting when the environment has it
	// (AWS_LAMBDA_FUNCTION_HANDLER, _HANDLER); the Extensions API's register
	// response is preferred.
	Handler string
	// KeyPrefix is IDEMPOTENCY_KEY_PREFIX; empty means
	// "{FunctionName}.{handler}" with the handler from registration.
	KeyPrefix string
	// DynamoDB holds the DynamoDB store's options (IDEMPOTENCY_TABLE_NAME ...).
	DynamoDB dynamodb.Options
	// Redis holds the Redis store's options (IDEMPOTENCY_REDIS_URL ...).
	Redis redis.Options
	// Idempotency holds the core's settings (the key prefix is filled in
	// after registration).
	Idempotency idempotency.Config
	// ReleaseOnCrash is IDEMPOTENCY_RELEASE_ON_CRASH (default true): on a
	// SHUTDOWN for a failure or a timeout, release the claims still held.
	ReleaseOnCrash bool
	// MetricsNamespace is IDEMPOTENCY_METRICS_NAMESPACE: when set, an EMF
	// line per invocation goes to stdout.
	MetricsNamespace string
	// Responses says how responses are stored: compression and streamed
	// responses (config_responses.go).
	Responses ResponseConfig
	// Batch is the batch mode's configuration (config_batch.go).
	Batch BatchConfig
	// TestClockOffset is IDEMPOTENCY_TEST_CLOCK_OFFSET_MS, FOR TESTS ONLY: it
	// shifts the clock of the idempotency core (and the invocation deadlines
	// it sees) to simulate an execution environment whose clock is wrong.
	TestClockOffset time.Duration
}

// DefaultProxyPort is the proxy's port when IDEMPOTENCY_PROXY_PORT is unset.
const DefaultProxyPort = 9009

// Store names.
const (
	StoreMemory   = "memory"
	StoreDynamoDB = "dynamodb"
	StoreRedis    = "redis"
)

// LoadConfig reads the configuration through getenv and validates it,
// returning every problem at once, each naming its variable.
func LoadConfig(getenv func(string) string) (Config, error) {
	env := func(k string) string { return strings.TrimSpace(getenv(k)) }
	c := Config{ProxyPort: DefaultProxyPort, LogLevel: slog.LevelInfo}
	var errs []error
	bad := func(name, value, want string) {
		errs = append(errs, fmt.Errorf("%s=%q: %s", name, value, want))
	}
	c.RuntimeAPI = env("AWS_LAMBDA_RUNTIME_API")
	if c.RuntimeAPI == "" {
		errs = append(errs, errors.New("AWS_LAMBDA_RUNTIME_API is not set: idemproxy must run as a Lambda extension"))
	}
	c.Upstream = env("IDEMPOTENCY_UPSTREAM_RUNTIME_API")
	if c.Upstream == "" {
		c.Upstream = c.RuntimeAPI
	}
	if v := env("IDEMPOTENCY_PROXY_PORT"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 65535 {
			bad("IDEMPOTENCY_PROXY_PORT", v, "want a TCP port number from 1 to 65535")
		} else {
			c.ProxyPort = p
		}
	}
	name, v := "IDEMPOTENCY_LOG_LEVEL", env("IDEMPOTENCY_LOG_LEVEL")
	if v == "" {
		name, v = "AWS_LAMBDA_LOG_LEVEL", env("AWS_LAMBDA_LOG_LEVEL")
	}
	if v != "" {
		if err := c.LogLevel.UnmarshalText([]byte(normalizeLevel(v))); err != nil {
			bad(name, v, "want DEBUG, INFO, WARN or ERROR")
		}
	}
	if v := env("POWERTOOLS_IDEMPOTENCY_DISABLED"); v != "" {
		b, ok := parseBool(v)
		if !ok {
			bad("POWERTOOLS_IDEMPOTENCY_DISABLED", v, "want a boolean (true/false, 1/0, yes/no, on/off)")
		}
		c.Disabled = b
	}
	c.Handler = env("AWS_LAMBDA_FUNCTION_HANDLER")
	if c.Handler == "" {
		c.Handler = env("_HANDLER")
	}
	c.FunctionName = env("AWS_LAMBDA_FUNCTION_NAME")
	if c.FunctionName == "" {
		c.FunctionName = "test-func"
	}
	if c.Disabled {
		return c, errors.Join(errs...) // no store, no keys: nothing else is read
	}
	errs = append(errs, c.loadIdempotency(env, bad)...)
	c.loadResponses(env, bad)
	return c, errors.Join(errs...)
}

// loadIdempotency reads the store choice and the core's settings.
func (c *Config) loadIdempotency(env func(string) string, bad func(name, value, want string)) []error {
	var errs []error
	c.Store = strings.ToLower(env("IDEMPOTENCY_STORE"))
	switch c.Store {
	case "":
		switch {
		case env("IDEMPOTENCY_TABLE_NAME") != "" && env("IDEMPOTENCY_REDIS_URL") != "":
			errs = append(errs, errors.New("IDEMPOTENCY_TABLE_NAME and IDEMPOTENCY_REDIS_URL are both set and IDEMPOTENCY_STORE is not: "+
				"set IDEMPOTENCY_STORE to dynamodb or redis to say which store to use"))
		case env("IDEMPOTENCY_TABLE_NAME") != "":
			c.Store = StoreDynamoDB
		case env("IDEMPOTENCY_REDIS_URL") != "":
			c.Store = StoreRedis
		default:
			errs = append(errs, errors.New("IDEMPOTENCY_STORE is not set and neither IDEMPOTENCY_TABLE_NAME nor IDEMPOTENCY_REDIS_URL is: configure a store (or set POWERTOOLS_IDEMPOTENCY_DISABLED=true)"))
		}
	case StoreMemory, StoreDynamoDB, StoreRedis:
	default:
		bad("IDEMPOTENCY_STORE", c.Store, "want memory, dynamodb or redis")
	}
	switch c.Store {
	case StoreDynamoDB:
		opts, err := dynamodb.LoadOptions(env, c.FunctionName)
		if err != nil {
			errs = append(errs, err)
		}
		c.DynamoDB = opts
	case StoreRedis:
		opts, err := redis.LoadOptions(env)
		if err != nil {
			errs = append(errs, err)
		}
		c.Redis = opts
	}

	ic := &c.Idempotency
	ic.Key.EventKeyJMESPath = env("IDEMPOTENCY_EVENT_KEY_JMESPATH")
	ic.Key.PayloadValidationJMESPath = env("IDEMPOTENCY_PAYLOAD_VALIDATION_JMESPATH")
	ic.Key.HashFunction = strings.ToLower(env("IDEMPOTENCY_HASH_FUNCTION"))
	if ic.Key.HashFunction == "" {
		ic.Key.HashFunction = "md5"
	}
	c.KeyPrefix = env("IDEMPOTENCY_KEY_PREFIX")
	c.loadOps(env, bad)
	for _, f := range []struct {
		name string
		kc   idempotency.KeyConfig
	}{
		{"IDEMPOTENCY_EVENT_KEY_JMESPATH", idempotency.KeyConfig{EventKeyJMESPath: ic.Key.EventKeyJMESPath}},
		{"IDEMPOTENCY_PAYLOAD_VALIDATION_JMESPATH", idempotency.KeyConfig{PayloadValidationJMESPath: ic.Key.PayloadValidationJMESPath}},
		{"IDEMPOTENCY_HASH_FUNCTION", idempotency.KeyConfig{HashFunction: ic.Key.HashFunction}},
	} {
		if _, err := idempotency.NewKeyer(f.kc); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.name, err))
		}
	}
	if v := env("IDEMPOTENCY_RAISE_ON_NO_IDEMPOTENCY_KEY"); v != "" {
		b, ok := parseBool(v)
		if !ok {
			bad("IDEMPOTENCY_RAISE_ON_NO_IDEMPOTENCY_KEY", v, "want a boolean")
		}
		ic.RaiseOnNoIdempotencyKey = b
	}
	ic.ExpiresAfter = time.Hour
	if v := env("IDEMPOTENCY_EXPIRES_AFTER_SECONDS"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 || n > 100*365*24*3600 {
			bad("IDEMPOTENCY_EXPIRES_AFTER_SECONDS", v, "want a whole number of seconds, at least 1")
		} else {
			ic.ExpiresAfter = time.Duration(n) * time.Second
		}
	}
	if v := env("IDEMPOTENCY_USE_LOCAL_CACHE"); v != "" {
		b, ok := parseBool(v)
		if !ok {
			bad("IDEMPOTENCY_USE_LOCAL_CACHE", v, "want a boolean")
		}
		ic.UseLocalCache = b
	}
	ic.LocalCacheMaxItems = 256
	if v := env("IDEMPOTENCY_LOCAL_CACHE_MAX_ITEMS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			bad("IDEMPOTENCY_LOCAL_CACHE_MAX_ITEMS", v, "want a whole number, at least 1")
		} else {
			ic.LocalCacheMaxItems = n
		}
	}
	if v := env("IDEMPOTENCY_CLOCK_SKEW_TOLERANCE_MS"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || n > maxClockMs {
			bad("IDEMPOTENCY_CLOCK_SKEW_TOLERANCE_MS", v, "want a whole number of milliseconds from 0 to 3600000")
		} else {
			ic.ClockSkewTolerance = time.Duration(n) * time.Millisecond
		}
	}
	loadBeyondPowertools(env, ic, bad)
	if v := env("IDEMPOTENCY_TEST_CLOCK_OFFSET_MS"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < -maxClockMs || n > maxClockMs {
			bad("IDEMPOTENCY_TEST_CLOCK_OFFSET_MS", v, "want a whole number of milliseconds from -3600000 to 3600000 (for tests only)")
		} else {
			c.TestClockOffset = time.Duration(n) * time.Millisecond
		}
	}
	return append(errs, c.loadBatch(env, bad)...)
}

// maxClockMs bounds the clock settings: one hour, in milliseconds.
const maxClockMs = 3600 * 1000

// KeyPrefixFor returns the key prefix for the handler named at registration
// (Powertools TypeScript's is the function name alone).
func (c Config) KeyPrefixFor(handler string) string {
	if c.KeyPrefix != "" {
		return c.KeyPrefix
	}
	if c.Idempotency.Key.Format == idempotency.FormatTypeScript {
		return c.FunctionName
	}
	return c.FunctionName + "." + handler
}

// parseBool accepts the values of Python's strtobool, as Powertools does.
func parseBool(v string) (value, ok bool) {
	switch strings.ToLower(v) {
	case "1", "y", "yes", "t", "true", "on":
		return true, true
	case "0", "n", "no", "f", "false", "off":
		return false, true
	}
	return false, false
}

// normalizeLevel maps Lambda's level names (TRACE, FATAL) onto slog's.
func normalizeLevel(v string) string {
	switch strings.ToUpper(v) {
	case "TRACE":
		return "DEBUG"
	case "FATAL":
		return "ERROR"
	case "WARNING":
		return "WARN"
	}
	return v
}
