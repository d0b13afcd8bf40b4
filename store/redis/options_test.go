package redis_test

import (
	"strings"
	"testing"

	"github.com/idemproxy/idemproxy/store/redis"
)

func env(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

func TestLoadOptionsDefaults(t *testing.T) {
	got, err := redis.LoadOptions(env(map[string]string{redis.EnvURL: "redis://localhost:6379/0"}))
	if err != nil {
		t.Fatal(err)
	}
	want := redis.Options{
		URL:                  "redis://localhost:6379/0",
		ExpiryAttr:           "expiration",
		InProgressExpiryAttr: "in_progress_expiration",
		StatusAttr:           "status",
		DataAttr:             "data",
		ValidationAttr:       "validation",
		MaxResponseBytes:     6<<20 + 100,
	}
	if got != want {
		t.Errorf("LoadOptions = %+v\nwant %+v", got, want)
	}
}

func TestLoadOptionsAll(t *testing.T) {
	got, err := redis.LoadOptions(env(map[string]string{
		redis.EnvURL:                  "rediss://user:secret@cache.example:6380",
		redis.EnvCluster:              "Yes",
		redis.EnvTLSSkipVerify:        "on",
		redis.EnvExpiryAttr:           "e",
		redis.EnvInProgressExpiryAttr: "i",
		redis.EnvStatusAttr:           "s",
		redis.EnvDataAttr:             "d",
		redis.EnvValidationAttr:       "v",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !got.Cluster || !got.TLSSkipVerify || got.ExpiryAttr != "e" || got.InProgressExpiryAttr != "i" ||
		got.StatusAttr != "s" || got.DataAttr != "d" || got.ValidationAttr != "v" {
		t.Errorf("LoadOptions = %+v", got)
	}
	if _, err := redis.New(got); err != nil {
		t.Errorf("New(%+v): %v", got, err)
	}
}

func TestLoadOptionsBooleans(t *testing.T) {
	for v, want := range map[string]bool{
		"": false, "y": true, "YES": true, "t": true, "True": true, "on": true, "1": true,
		"n": false, "No": false, "f": false, "false": false, "OFF": false, "0": false, " true ": true,
	} {
		got, err := redis.LoadOptions(env(map[string]string{redis.EnvURL: "redis://h", redis.EnvCluster: v}))
		if err != nil || got.Cluster != want {
			t.Errorf("%s=%q: Cluster = %v, %v; want %v", redis.EnvCluster, v, got.Cluster, err, want)
		}
	}
}

func TestLoadOptionsErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		vars map[string]string
		want []string // each must appear in the error
	}{
		{"missing URL", nil, []string{redis.EnvURL, "required"}},
		{"everything wrong at once", map[string]string{
			redis.EnvCluster: "maybe", redis.EnvTLSSkipVerify: "2",
			redis.EnvStatusAttr: "x", redis.EnvDataAttr: "x", redis.EnvValidationAttr: "idemproxy_owner",
		}, []string{redis.EnvURL, redis.EnvCluster + `: invalid boolean "maybe"`, redis.EnvTLSSkipVerify,
			redis.EnvDataAttr + " and " + redis.EnvStatusAttr, redis.EnvValidationAttr + `: "idemproxy_owner" is reserved`}},
		{"bad scheme", map[string]string{redis.EnvURL: "unix:///tmp/redis.sock"}, []string{redis.EnvURL, "scheme"}},
		{"bad database", map[string]string{redis.EnvURL: "redis://h/zero"}, []string{redis.EnvURL, "database"}},
		{"database in cluster mode", map[string]string{redis.EnvURL: "redis://h/1", redis.EnvCluster: "1"},
			[]string{redis.EnvURL, "cluster"}},
		{"skip verify without TLS", map[string]string{redis.EnvURL: "redis://h", redis.EnvTLSSkipVerify: "1"},
			[]string{redis.EnvURL, "rediss://"}},
		{"unknown query parameter", map[string]string{redis.EnvURL: "redis://h?bogus=1"}, []string{redis.EnvURL, "bogus"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := redis.LoadOptions(env(tc.vars))
			if err == nil {
				t.Fatal("LoadOptions succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestURLErrorsHidePassword: a malformed URL must not end up in logs with
// its password.
func TestURLErrorsHidePassword(t *testing.T) {
	for _, u := range []string{"redis://user:s3cr3t@host:port", "redis://user:s3cr3t@host/x/y", "redis://:s3cr3t@h\x7f"} {
		_, err := redis.LoadOptions(env(map[string]string{redis.EnvURL: u}))
		if err == nil {
			t.Fatalf("%q accepted", u)
		}
		if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("error leaks the password: %v", err)
		}
		if _, err := redis.New(redis.Options{URL: u}); err == nil || strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("New(%q): err = %v", u, err)
		}
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts redis.Options
		want string
	}{
		{"no URL", redis.Options{}, "URL is required"},
		{"negative limit", redis.Options{URL: "redis://h", MaxResponseBytes: -1}, "MaxResponseBytes"},
		{"clashing fields", redis.Options{URL: "redis://h", ExpiryAttr: "status"}, "ExpiryAttr and StatusAttr"},
		{"reserved field", redis.Options{URL: "redis://h", DataAttr: "idemproxy_encoding"}, "reserved"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := redis.New(tc.opts)
			if err == nil {
				s.Close()
				t.Fatal("New succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}
