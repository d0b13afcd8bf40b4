package dynamodb

import (
	"strings"
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/internal/testservers"
)

// TestNewClientUsesEnvironment builds a client from the environment alone,
// as in Lambda: endpoint from AWS_ENDPOINT_URL_DYNAMODB, region from
// AWS_REGION, credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
func TestNewClientUsesEnvironment(t *testing.T) {
	endpoint := dynalite.endpoint(t)
	opts := dynalite.newTable(t, DefaultOptions("", "env-fn"))
	env := map[string]string{
		"AWS_ENDPOINT_URL_DYNAMODB": endpoint,
		"AWS_REGION":                testservers.Region,
		"AWS_ACCESS_KEY_ID":         "test",
		"AWS_SECRET_ACCESS_KEY":     "test",
	}
	client, err := NewClient(t.Context(), func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	if got := client.Options().Region; got != testservers.Region {
		t.Errorf("region = %q, want %q", got, testservers.Region)
	}
	s, err := New(client, opts)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	rec := claimRecord("owner", now)
	if _, err := s.Claim(t.Context(), rec, now); err != nil {
		t.Fatalf("Claim through the environment's endpoint: %v", err)
	}
	if err := s.Complete(t.Context(), completedRecord(rec, "{}")); err != nil {
		t.Fatalf("Complete: %v", err)
	}
}

// TestNewClientNeedsRegionAndCredentials: a client that could never sign a
// request fails at init, naming what is missing.
func TestNewClientNeedsRegionAndCredentials(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"}, "AWS_REGION"},
		{map[string]string{"AWS_REGION": "eu-west-1"}, "AWS_ACCESS_KEY_ID"},
	} {
		_, err := NewClient(t.Context(), func(k string) string { return tc.env[k] })
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("env %v: %v, want an error naming %s", tc.env, err, tc.want)
		}
	}
	// Container credentials (Lambda Managed Instances, SnapStart) are enough.
	env := map[string]string{"AWS_DEFAULT_REGION": "eu-west-1", "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:1/creds", "AWS_CONTAINER_AUTHORIZATION_TOKEN": "tok"}
	c, err := NewClient(t.Context(), func(k string) string { return env[k] })
	if err != nil || c.Options().Region != "eu-west-1" || c.Options().Credentials == nil {
		t.Errorf("container credentials: %v", err)
	}
}
