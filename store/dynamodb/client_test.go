package dynamodb

import (
	"testing"
	"time"

	"github.com/idemproxy/idemproxy/internal/testservers"
)

// TestNewClientUsesEnvironment builds a client from the environment alone,
// as in Lambda: endpoint from AWS_ENDPOINT_URL_DYNAMODB, region from
// AWS_REGION, credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
// It is not parallel: it sets the process environment.
func TestNewClientUsesEnvironment(t *testing.T) {
	endpoint := dynalite.endpoint(t)
	opts := dynalite.newTable(t, DefaultOptions("", "env-fn"))
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_DYNAMODB":   endpoint,
		"AWS_REGION":                  testservers.Region,
		"AWS_ACCESS_KEY_ID":           "test",
		"AWS_SECRET_ACCESS_KEY":       "test",
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             t.TempDir() + "/none",
		"AWS_SHARED_CREDENTIALS_FILE": t.TempDir() + "/none",
	} {
		t.Setenv(k, v)
	}
	client, err := NewClient(t.Context())
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
