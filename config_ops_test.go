package main

import (
	"strings"
	"testing"

	"github.com/idemproxy/idemproxy/idempotency"
)

func TestOpsDefaults(t *testing.T) {
	c, err := LoadConfig(base(map[string]string{"IDEMPOTENCY_STORE": "memory", "AWS_LAMBDA_FUNCTION_NAME": "orders"}))
	if err != nil {
		t.Fatal(err)
	}
	if !c.ReleaseOnCrash || c.MetricsNamespace != "" || c.Idempotency.Key.Format != idempotency.FormatPython {
		t.Errorf("defaults: release on crash %v, metrics %q, key format %q", c.ReleaseOnCrash, c.MetricsNamespace, c.Idempotency.Key.Format)
	}
}

func TestOpsVariablesAreRead(t *testing.T) {
	c, err := LoadConfig(base(map[string]string{
		"IDEMPOTENCY_STORE":             "memory",
		"AWS_LAMBDA_FUNCTION_NAME":      "orders",
		"IDEMPOTENCY_RELEASE_ON_CRASH":  "false",
		"IDEMPOTENCY_METRICS_NAMESPACE": "Shop/Orders",
		"IDEMPOTENCY_KEY_FORMAT":        "Powertools-TypeScript",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.ReleaseOnCrash || c.MetricsNamespace != "Shop/Orders" || c.Idempotency.Key.Format != idempotency.FormatTypeScript {
		t.Errorf("read: release on crash %v, metrics %q, key format %q", c.ReleaseOnCrash, c.MetricsNamespace, c.Idempotency.Key.Format)
	}
	// Powertools TypeScript's prefix is the function name; an explicit
	// prefix still wins.
	if got := c.KeyPrefixFor("index.handler"); got != "orders" {
		t.Errorf("TypeScript prefix %q, want orders", got)
	}
	c, _ = LoadConfig(base(map[string]string{"IDEMPOTENCY_STORE": "memory", "IDEMPOTENCY_KEY_FORMAT": "powertools-typescript", "IDEMPOTENCY_KEY_PREFIX": "mine"}))
	if got := c.KeyPrefixFor("h"); got != "mine" {
		t.Errorf("explicit prefix %q", got)
	}
	c, _ = LoadConfig(base(map[string]string{"IDEMPOTENCY_STORE": "memory", "IDEMPOTENCY_KEY_FORMAT": "powertools-python", "IDEMPOTENCY_RELEASE_ON_CRASH": "on"}))
	if c.Idempotency.Key.Format != idempotency.FormatPython || !c.ReleaseOnCrash {
		t.Errorf("explicit defaults: %q %v", c.Idempotency.Key.Format, c.ReleaseOnCrash)
	}
}

func TestBadOpsVariablesAreNamed(t *testing.T) {
	for name, value := range map[string]string{
		"IDEMPOTENCY_RELEASE_ON_CRASH":  "sometimes",
		"IDEMPOTENCY_METRICS_NAMESPACE": "AWS/Lambda",
		"IDEMPOTENCY_KEY_FORMAT":        "powertools-java",
	} {
		_, err := LoadConfig(base(map[string]string{"IDEMPOTENCY_STORE": "memory", name: value}))
		if err == nil || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), value) {
			t.Errorf("%s=%s: error %v does not name the variable and its value", name, value, err)
		}
	}
	// All at once: every one is reported.
	_, err := LoadConfig(base(map[string]string{"IDEMPOTENCY_STORE": "memory", "IDEMPOTENCY_RELEASE_ON_CRASH": "2",
		"IDEMPOTENCY_METRICS_NAMESPACE": ":x", "IDEMPOTENCY_KEY_FORMAT": "hex"}))
	for _, name := range []string{"IDEMPOTENCY_RELEASE_ON_CRASH", "IDEMPOTENCY_METRICS_NAMESPACE", "IDEMPOTENCY_KEY_FORMAT"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("error %v does not name %s", err, name)
		}
	}
}
