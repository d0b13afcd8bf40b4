package main

import (
	"strings"
	"testing"
	"time"
)

func base(extra map[string]string) func(string) string {
	m := map[string]string{"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001"}
	for k, v := range extra {
		m[k] = v
	}
	return envOf(m)
}

func TestIdempotencyDefaults(t *testing.T) {
	c, err := LoadConfig(base(map[string]string{"IDEMPOTENCY_STORE": "memory", "AWS_LAMBDA_FUNCTION_NAME": "orders"}))
	if err != nil {
		t.Fatal(err)
	}
	ic := c.Idempotency
	if ic.ExpiresAfter != time.Hour || ic.LocalCacheMaxItems != 256 || ic.UseLocalCache || ic.RaiseOnNoIdempotencyKey ||
		ic.Key.HashFunction != "md5" || ic.Key.EventKeyJMESPath != "" || ic.Key.PayloadValidationJMESPath != "" {
		t.Errorf("defaults %+v", ic)
	}
	if got := c.KeyPrefixFor("app.lambda_handler"); got != "orders.app.lambda_handler" {
		t.Errorf("default prefix %q", got)
	}
	c, _ = LoadConfig(base(map[string]string{"IDEMPOTENCY_STORE": "memory"}))
	if got := c.KeyPrefixFor("h"); got != "test-func.h" {
		t.Errorf("prefix without a function name %q (Powertools uses test-func)", got)
	}
	c, _ = LoadConfig(base(map[string]string{"IDEMPOTENCY_STORE": "memory", "IDEMPOTENCY_KEY_PREFIX": "mine"}))
	if got := c.KeyPrefixFor("h"); got != "mine" {
		t.Errorf("explicit prefix %q", got)
	}
}

func TestIdempotencyVariablesAreRead(t *testing.T) {
	c, err := LoadConfig(base(map[string]string{
		"IDEMPOTENCY_STORE":                       "MEMORY",
		"IDEMPOTENCY_EVENT_KEY_JMESPATH":          `powertools_json(body).order_id`,
		"IDEMPOTENCY_PAYLOAD_VALIDATION_JMESPATH": `powertools_json(body).amount`,
		"IDEMPOTENCY_RAISE_ON_NO_IDEMPOTENCY_KEY": "yes",
		"IDEMPOTENCY_EXPIRES_AFTER_SECONDS":       "60",
		"IDEMPOTENCY_USE_LOCAL_CACHE":             "On",
		"IDEMPOTENCY_LOCAL_CACHE_MAX_ITEMS":       "10",
		"IDEMPOTENCY_HASH_FUNCTION":               "SHA256",
	}))
	if err != nil {
		t.Fatal(err)
	}
	ic := c.Idempotency
	if c.Store != StoreMemory || ic.ExpiresAfter != time.Minute || !ic.UseLocalCache || ic.LocalCacheMaxItems != 10 ||
		!ic.RaiseOnNoIdempotencyKey || ic.Key.HashFunction != "sha256" || ic.Key.EventKeyJMESPath == "" || ic.Key.PayloadValidationJMESPath == "" {
		t.Errorf("config %+v", c)
	}
}

func TestStoreIsInferred(t *testing.T) {
	for env, want := range map[string]string{"IDEMPOTENCY_TABLE_NAME": StoreDynamoDB, "IDEMPOTENCY_REDIS_URL": StoreRedis} {
		c, _ := LoadConfig(base(map[string]string{env: "x"}))
		if c.Store != want {
			t.Errorf("%s set: store %q, want %q", env, c.Store, want)
		}
	}
}

func TestEveryBadIdempotencyVariableIsNamed(t *testing.T) {
	bad := map[string]string{
		"IDEMPOTENCY_STORE":                       "postgres",
		"IDEMPOTENCY_EVENT_KEY_JMESPATH":          "a.[",
		"IDEMPOTENCY_PAYLOAD_VALIDATION_JMESPATH": "unknown_fn(a)",
		"IDEMPOTENCY_RAISE_ON_NO_IDEMPOTENCY_KEY": "maybe",
		"IDEMPOTENCY_EXPIRES_AFTER_SECONDS":       "-5",
		"IDEMPOTENCY_USE_LOCAL_CACHE":             "sometimes",
		"IDEMPOTENCY_LOCAL_CACHE_MAX_ITEMS":       "0",
		"IDEMPOTENCY_HASH_FUNCTION":               "crc32",
	}
	_, err := LoadConfig(base(bad))
	if err == nil {
		t.Fatal("no error")
	}
	for k := range bad {
		if !strings.Contains(err.Error(), k) {
			t.Errorf("error does not name %s:\n%v", k, err)
		}
	}
}

func TestDisabledNeedsNoStore(t *testing.T) {
	for _, v := range []string{"1", "true", "YES", "on", "t", "y"} {
		c, err := LoadConfig(base(map[string]string{"POWERTOOLS_IDEMPOTENCY_DISABLED": v, "IDEMPOTENCY_EVENT_KEY_JMESPATH": "a.["}))
		if err != nil || !c.Disabled {
			t.Errorf("%s: disabled=%v err=%v", v, c.Disabled, err)
		}
	}
	for _, v := range []string{"0", "false", "off", "no"} {
		c, err := LoadConfig(base(map[string]string{"POWERTOOLS_IDEMPOTENCY_DISABLED": v, "IDEMPOTENCY_STORE": "memory"}))
		if err != nil || c.Disabled {
			t.Errorf("%s: disabled=%v err=%v", v, c.Disabled, err)
		}
	}
	if _, err := LoadConfig(base(map[string]string{"POWERTOOLS_IDEMPOTENCY_DISABLED": "kinda"})); err == nil ||
		!strings.Contains(err.Error(), "POWERTOOLS_IDEMPOTENCY_DISABLED") {
		t.Errorf("invalid value: %v", err)
	}
}

func TestStoreOptionsAreValidatedAtInit(t *testing.T) {
	_, err := LoadConfig(base(map[string]string{"IDEMPOTENCY_TABLE_NAME": "t", "IDEMPOTENCY_SORT_KEY_ATTR": "id"}))
	if err == nil || !strings.Contains(err.Error(), "IDEMPOTENCY_SORT_KEY_ATTR") {
		t.Errorf("sort key equal to the key attribute: %v", err)
	}
	c, err := LoadConfig(base(map[string]string{"IDEMPOTENCY_TABLE_NAME": "idem", "AWS_LAMBDA_FUNCTION_NAME": "orders"}))
	if err != nil || c.DynamoDB.Table != "idem" || c.DynamoDB.StaticPKValue != "idempotency#orders" || c.DynamoDB.KeyAttr != "id" {
		t.Errorf("dynamodb options %+v %v", c.DynamoDB, err)
	}
	_, err = LoadConfig(base(map[string]string{"IDEMPOTENCY_STORE": "redis", "IDEMPOTENCY_REDIS_URL": "http://nope"}))
	if err == nil || !strings.Contains(err.Error(), "IDEMPOTENCY_REDIS_URL") {
		t.Errorf("bad redis URL: %v", err)
	}
	c, err = LoadConfig(base(map[string]string{"IDEMPOTENCY_REDIS_URL": "redis://127.0.0.1:6379/0"}))
	if err != nil || c.Store != StoreRedis || c.Redis.URL == "" {
		t.Errorf("redis options %+v %v", c.Redis, err)
	}
}
