package redis

import (
	"crypto/tls"
	"testing"
	"time"

	"github.com/redis/go-redis/v9/maintnotifications"
)

func TestClientOptionsStandalone(t *testing.T) {
	co, err := Options{URL: "rediss://u:p@cache:6380/2?pool_size=9&max_retries=5", TLSSkipVerify: true}.clientOptions()
	if err != nil {
		t.Fatal(err)
	}
	o := co.standalone
	if o == nil || co.cluster != nil {
		t.Fatalf("got %+v, want standalone options only", co)
	}
	if o.Addr != "cache:6380" || o.Username != "u" || o.Password != "p" || o.DB != 2 {
		t.Errorf("address/credentials/db = %q %q %q %d", o.Addr, o.Username, o.Password, o.DB)
	}
	if o.PoolSize != 9 {
		t.Errorf("PoolSize = %d, want the URL's 9", o.PoolSize)
	}
	if o.MaxRetries != -1 || !o.ContextTimeoutEnabled || !o.DisableIdentity || o.Protocol != 2 ||
		o.MaintNotificationsConfig == nil || o.MaintNotificationsConfig.Mode != maintnotifications.ModeDisabled {
		t.Errorf("forced settings not applied: %+v", o)
	}
	if o.DialTimeout != defaultDialTimeout || o.ReadTimeout != defaultIOTimeout || o.WriteTimeout != defaultIOTimeout ||
		o.PoolTimeout != defaultIOTimeout || o.ConnMaxIdleTime != defaultConnMaxIdle || o.DialerRetries != defaultDialAttempts {
		t.Errorf("Lambda defaults not applied: %+v", o)
	}
	if o.TLSConfig == nil || !o.TLSConfig.InsecureSkipVerify || o.TLSConfig.MinVersion != tls.VersionTLS12 ||
		o.TLSConfig.ServerName != "cache" {
		t.Errorf("TLS config = %+v", o.TLSConfig)
	}
}

func TestClientOptionsCluster(t *testing.T) {
	co, err := Options{URL: "redis://seed1:7000?addr=seed2:7001&dial_timeout=1s", Cluster: true}.clientOptions()
	if err != nil {
		t.Fatal(err)
	}
	o := co.cluster
	if o == nil || co.standalone != nil {
		t.Fatalf("got %+v, want cluster options only", co)
	}
	if len(o.Addrs) != 2 || o.Addrs[0] != "seed1:7000" || o.Addrs[1] != "seed2:7001" {
		t.Errorf("Addrs = %v", o.Addrs)
	}
	if o.DialTimeout != time.Second {
		t.Errorf("DialTimeout = %v, want the URL's 1s", o.DialTimeout)
	}
	if o.MaxRetries != -1 || !o.ContextTimeoutEnabled || !o.DisableIdentity || o.MaxRedirects != clusterMaxRedirects ||
		o.PoolSize != defaultPoolSize || o.TLSConfig != nil {
		t.Errorf("settings: %+v", o)
	}
}
