package config

import (
	"strings"
	"testing"
)

func valid() Config {
	return Config{Addr: ":8080", DataDir: "./data", LogFormat: "text", LogLevel: "info", VisitorMessagesPerMinute: 60, VisitorBurst: 30}
}

func TestTrustedProxies(t *testing.T) {
	t.Run("empty trusts none", func(t *testing.T) {
		c := valid()
		if err := c.Validate(true); err != nil || len(c.TrustedProxies) != 0 {
			t.Errorf("Validate = %v, proxies %v, want no error and none", err, c.TrustedProxies)
		}
	})
	t.Run("CIDRs and addresses are parsed", func(t *testing.T) {
		c := valid()
		c.TrustedProxiesText = "10.0.0.0/8, 127.0.0.1 ,fd00::/8"
		if err := c.Validate(true); err != nil || len(c.TrustedProxies) != 3 {
			t.Errorf("Validate = %v, proxies %v, want 3", err, c.TrustedProxies)
		}
	})
	t.Run("every bad entry is reported with the other problems", func(t *testing.T) {
		c := valid()
		c.LogLevel = "loud"
		c.TrustedProxiesText = "10.0.0.0/8,proxy.local,10.0.0.0/40"
		err := c.Validate(true)
		if err == nil {
			t.Fatal("Validate accepted bad proxies")
		}
		for _, want := range []string{"PARLEY_LOG_LEVEL", `"proxy.local"`, `"10.0.0.0/40"`} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("Validate = %q, want it to mention %s", err, want)
			}
		}
	})
}

func TestGeoIPPath(t *testing.T) {
	c := Config{DataDir: "/var/lib/parley"}
	if got, want := c.GeoIPPath(), "/var/lib/parley/geoip"; got != want {
		t.Errorf("GeoIPPath() = %q, want %q", got, want)
	}
	c.GeoIPDB = "/srv/city.mmdb"
	if got, want := c.GeoIPPath(), "/srv/city.mmdb"; got != want {
		t.Errorf("GeoIPPath() = %q, want %q", got, want)
	}
}

func TestSignInLimits(t *testing.T) {
	for _, tc := range []struct {
		name            string
		hashes, perAddr int
		ok              bool
	}{
		{"the defaults", 0, 0, true},
		{"chosen values", 4, 500, true},
		{"negative hashes", -1, 0, false},
		{"fewer than 5 failures per address", 0, 4, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := valid()
			c.PasswordHashes, c.LoginFailuresPerAddress = tc.hashes, tc.perAddr
			if err := c.Validate(true); (err == nil) != tc.ok {
				t.Errorf("Validate = %v, want ok %v", err, tc.ok)
			}
		})
	}
}
