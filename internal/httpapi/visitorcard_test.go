package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"

	"github.com/parley-chat/parley/internal/apitest"
)

const chromeOnWindows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

// writeCityDB writes a tiny City database (GeoLite2 / DB-IP layout) knowing
// 81.2.69.0/24 as London.
func writeCityDB(t *testing.T) string {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "DBIP-City-Lite", RecordSize: 24})
	if err != nil {
		t.Fatal(err)
	}
	_, network, _ := net.ParseCIDR("81.2.69.0/24")
	err = tree.Insert(network, mmdbtype.Map{
		"city":         mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String("London")}},
		"subdivisions": mmdbtype.Slice{mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String("England")}}},
		"country":      mmdbtype.Map{"iso_code": mmdbtype.String("GB"), "names": mmdbtype.Map{"en": mmdbtype.String("United Kingdom")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := tree.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "city.mmdb")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// session starts a chat-box session the way Chrome on Windows 11 does,
// claiming to come from 81.2.69.160 through a proxy.
func session(t *testing.T, e *apitest.Env, widgetKey string) (token, contactID string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"widget_key": widgetKey})
	req, err := http.NewRequest("POST", e.URL+"/widget/v1/session", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", chromeOnWindows)
	req.Header.Set("Sec-CH-UA", `"Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"`)
	req.Header.Set("Sec-CH-UA-Mobile", "?0")
	req.Header.Set("Sec-CH-UA-Platform", `"Windows"`)
	req.Header.Set("Sec-CH-UA-Platform-Version", `"15.0.0"`)
	req.Header.Set("Sec-CH-UA-Full-Version-List", `"Google Chrome";v="131.0.6778.86", "Chromium";v="131.0.6778.86", "Not_A Brand";v="24.0.0.0"`)
	req.Header.Set("X-Forwarded-For", "6.6.6.6, 81.2.69.160")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		VisitorToken string `json:"visitor_token"`
		ContactID    string `json:"contact_id"`
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("POST /widget/v1/session = %d, want 200", res.StatusCode)
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out.VisitorToken, out.ContactID
}

type card struct {
	Name     string `json:"name"`
	Location struct {
		City        string `json:"city"`
		Region      string `json:"region"`
		Country     string `json:"country"`
		CountryCode string `json:"country_code"`
	} `json:"location"`
	Browser struct{ Name, Version string } `json:"browser"`
	OS      struct{ Name, Version string } `json:"os"`
	Device  string                         `json:"device"`
}

func TestVisitorCardShowsLocationBrowserAndOS(t *testing.T) {
	e := apitest.New(t, apitest.Options{GeoIPDB: writeCityDB(t), TrustedProxies: "127.0.0.0/8, ::1"})
	acc := e.NewAccount()
	_, contactID := session(t, e, acc.WidgetKey)

	var got card
	e.Must(http.StatusOK, "GET", "/api/v1/contacts/"+contactID, acc.OwnerToken, nil).JSON(t, &got)
	if got.Location.City != "London" || got.Location.Region != "England" || got.Location.Country != "United Kingdom" || got.Location.CountryCode != "GB" {
		t.Errorf("location = %+v, want London, England, United Kingdom, GB", got.Location)
	}
	if got.Browser.Name != "Chrome" || got.Browser.Version != "131.0.6778.86" {
		t.Errorf("browser = %+v, want Chrome 131.0.6778.86", got.Browser)
	}
	if got.OS.Name != "Windows" || got.OS.Version != "11" {
		t.Errorf("os = %+v, want Windows 11", got.OS)
	}
	if got.Device != "desktop" {
		t.Errorf("device = %q, want desktop", got.Device)
	}

	t.Run("an edit keeps the card", func(t *testing.T) {
		var patched card
		e.Must(http.StatusOK, "PATCH", "/api/v1/contacts/"+contactID, acc.OwnerToken, map[string]string{"name": "Ann"}).JSON(t, &patched)
		if patched.Name != "Ann" || patched.Location.City != "London" || patched.OS.Version != "11" {
			t.Errorf("PATCH answered %+v, want Ann in London on Windows 11", patched)
		}
	})
}

func TestVisitorCardIgnoresForwardedForFromUntrustedPeers(t *testing.T) {
	e := apitest.New(t, apitest.Options{GeoIPDB: writeCityDB(t)})
	acc := e.NewAccount()
	_, contactID := session(t, e, acc.WidgetKey)
	var got card
	e.Must(http.StatusOK, "GET", "/api/v1/contacts/"+contactID, acc.OwnerToken, nil).JSON(t, &got)
	if got.Location.City != "" || got.Location.CountryCode != "" {
		t.Errorf("location = %+v, want unknown: the peer is not a trusted proxy", got.Location)
	}
	if got.Browser.Name != "Chrome" {
		t.Errorf("browser = %+v, want Chrome", got.Browser)
	}
}
