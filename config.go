package main

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
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
}

// DefaultProxyPort is the proxy's port when IDEMPOTENCY_PROXY_PORT is unset.
const DefaultProxyPort = 9009

// LoadConfig reads the configuration through getenv and validates it,
// returning every problem at once, each naming its variable.
func LoadConfig(getenv func(string) string) (Config, error) {
	c := Config{ProxyPort: DefaultProxyPort, LogLevel: slog.LevelInfo}
	var errs []error
	c.RuntimeAPI = strings.TrimSpace(getenv("AWS_LAMBDA_RUNTIME_API"))
	if c.RuntimeAPI == "" {
		errs = append(errs, errors.New("AWS_LAMBDA_RUNTIME_API is not set: idemproxy must run as a Lambda extension"))
	}
	c.Upstream = strings.TrimSpace(getenv("IDEMPOTENCY_UPSTREAM_RUNTIME_API"))
	if c.Upstream == "" {
		c.Upstream = c.RuntimeAPI
	}
	if v := strings.TrimSpace(getenv("IDEMPOTENCY_PROXY_PORT")); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 65535 {
			errs = append(errs, fmt.Errorf("IDEMPOTENCY_PROXY_PORT=%q: want a TCP port number from 1 to 65535", v))
		} else {
			c.ProxyPort = p
		}
	}
	name, v := "IDEMPOTENCY_LOG_LEVEL", strings.TrimSpace(getenv("IDEMPOTENCY_LOG_LEVEL"))
	if v == "" {
		name, v = "AWS_LAMBDA_LOG_LEVEL", strings.TrimSpace(getenv("AWS_LAMBDA_LOG_LEVEL"))
	}
	if v != "" {
		if err := c.LogLevel.UnmarshalText([]byte(normalizeLevel(v))); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: want DEBUG, INFO, WARN or ERROR", name, v))
		}
	}
	return c, errors.Join(errs...)
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
