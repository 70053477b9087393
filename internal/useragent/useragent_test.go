package useragent

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func newParser(t testing.TB) *Parser {
	t.Helper()
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParse(t *testing.T) {
	p := newParser(t)
	for _, tc := range []struct {
		name  string
		ua    string
		hints map[string]string
		want  Info
	}{
		{"Chrome on Windows 10", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", nil,
			Info{"Chrome", "131", "Windows", "10", Desktop}},
		{"Chrome on Windows 11 with client hints", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
			map[string]string{"Sec-CH-UA": `"Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"`, "Sec-CH-UA-Mobile": "?0", "Sec-CH-UA-Platform": `"Windows"`,
				"Sec-CH-UA-Platform-Version": `"15.0.0"`, "Sec-CH-UA-Full-Version-List": `"Google Chrome";v="131.0.6778.86", "Chromium";v="131.0.6778.86", "Not_A Brand";v="24.0.0.0"`},
			Info{"Chrome", "131.0.6778.86", "Windows", "11", Desktop}},
		{"Chrome on Windows 10 with client hints", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
			map[string]string{"Sec-CH-UA-Platform": `"Windows"`, "Sec-CH-UA-Platform-Version": `"10.0.0"`, "Sec-CH-UA": `"Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"`},
			Info{"Chrome", "131", "Windows", "10", Desktop}},
		{"Edge on Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", nil,
			Info{"Edge", "131", "Windows", "10", Desktop}},
		{"Edge on Windows 11 with client hints", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
			map[string]string{"Sec-CH-UA": `"Microsoft Edge";v="131", "Chromium";v="131", "Not_A Brand";v="24"`, "Sec-CH-UA-Platform": `"Windows"`, "Sec-CH-UA-Platform-Version": `"19.0.0"`,
				"Sec-CH-UA-Full-Version-List": `"Microsoft Edge";v="131.0.2903.70", "Chromium";v="131.0.6778.86", "Not_A Brand";v="24.0.0.0"`},
			Info{"Edge", "131.0.2903.70", "Windows", "11", Desktop}},
		{"Firefox on Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", nil,
			Info{"Firefox", "133", "Windows", "10", Desktop}},
		{"Safari on macOS", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1.1 Safari/605.1.15", nil,
			Info{"Safari", "18.1.1", "macOS", "10.15.7", Desktop}},
		{"Chrome on macOS with client hints", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
			map[string]string{"Sec-CH-UA": `"Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"`, "Sec-CH-UA-Platform": `"macOS"`, "Sec-CH-UA-Platform-Version": `"15.1.0"`},
			Info{"Chrome", "131", "macOS", "15.1", Desktop}},
		{"Firefox on macOS", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0", nil,
			Info{"Firefox", "133", "macOS", "10.15", Desktop}},
		{"Firefox on Linux", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", nil,
			Info{"Firefox", "133", "Linux", "", Desktop}},
		{"Firefox on Ubuntu", "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", nil,
			Info{"Firefox", "133", "Ubuntu", "", Desktop}},
		{"Chrome on Linux", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", nil,
			Info{"Chrome", "131", "Linux", "", Desktop}},
		{"Chrome on an Android phone", "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36", nil,
			Info{"Chrome Mobile", "131", "Android", "10", Mobile}},
		{"Chrome on an Android phone with client hints", "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
			map[string]string{"Sec-CH-UA": `"Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"`, "Sec-CH-UA-Mobile": "?1", "Sec-CH-UA-Platform": `"Android"`, "Sec-CH-UA-Platform-Version": `"14.0.0"`},
			Info{"Chrome Mobile", "131", "Android", "14", Mobile}},
		{"Chrome on an Android tablet", "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", nil,
			Info{"Chrome", "131", "Android", "10", Tablet}},
		{"Samsung Internet", "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36", nil,
			Info{"Samsung Internet", "26", "Android", "14", Mobile}},
		{"Firefox on Android", "Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0", nil,
			Info{"Firefox Mobile", "133", "Android", "14", Mobile}},
		{"Safari on iPhone", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1.1 Mobile/15E148 Safari/604.1", nil,
			Info{"Mobile Safari", "18.1.1", "iOS", "18.1.1", Mobile}},
		{"Chrome on iPhone", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1", nil,
			Info{"Chrome Mobile iOS", "131.0.6778", "iOS", "18.1", Mobile}},
		{"Safari on iPad", "Mozilla/5.0 (iPad; CPU OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.7 Mobile/15E148 Safari/604.1", nil,
			Info{"Mobile Safari", "17.7", "iOS", "17.7", Tablet}},
		{"Googlebot", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", nil,
			Info{"Googlebot", "2.1", "", "", Bot}},
		{"empty", "", nil, Info{}},
		{"garbage", "hello there", nil, Info{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var h http.Header
			if tc.hints != nil {
				h = http.Header{}
				for k, v := range tc.hints {
					h.Set(k, v)
				}
			}
			if got := p.Parse(tc.ua, h); got != tc.want {
				t.Errorf("Parse(%q) = %+v, want %+v", tc.ua, got, tc.want)
			}
		})
	}
}

func TestBrandSkipsGreaseAndPrefersNamedBrand(t *testing.T) {
	for list, want := range map[string]brandVersion{
		`"Not)A;Brand";v="99", "Chromium";v="127"`:                                  {"Chromium", "127"},
		`"Chromium";v="127", "Not)A;Brand";v="99", "Brave";v="127"`:                 {"Brave", "127"},
		`"Not/A)Brand";v="8.0.0.0", "Chromium";v="126.0.6478.127", "Opera";v="112"`: {"Opera", "112"},
		``:              {},
		`"unterminated`: {"\"unterminated", ""},
	} {
		if got := brand(list); got != want {
			t.Errorf("brand(%q) = %+v, want %+v", list, got, want)
		}
	}
}

// Whatever a browser (or anyone) sends as User-Agent and client hints, the
// visitor card gets short, valid UTF-8 names without control characters,
// versions made of digits and dots only, and a known device type.
func FuzzParse(f *testing.F) {
	p := newParser(f)
	f.Add("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", `"Google Chrome";v="131", "Not_A Brand";v="24"`, `"Windows"`, `"15.0.0"`, "?0")
	f.Add("", `"\`, `"`, `.`, "?1")
	f.Add("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1", "", "", "", "")
	f.Add("curl/8.5.0", `"Brave";v="1.2<script>"`, `"macOS"`, `"14.<b>"`, "?0")
	f.Add("Mozilla/5.0", `"`+strings.Repeat("Ä", 300)+`";v="`+strings.Repeat("9", 300)+`"`, `"Linux"`, strings.Repeat("1.", 200), "")
	f.Add("Mozilla/5.0", "\"\xff\xfe\";v=\"1\"", `"Android"`, "\"13\x00.0\"", "?1")
	f.Add("Mozilla/5.0", "\"Evil\u202eBrand\tName\";v=\"2\"", `"Chrome OS"`, `"-1.5"`, "")
	f.Add("Mozilla/5.0 (X11; Linux x86_64) "+strings.Repeat("Foo/1.0 ", 200), "", "", "", "")
	f.Add("Opera/9.80 (J2ME/MIDP; Opera Mini/"+strings.Repeat("9", 50)+"/28.2555; U; ru) Presto/2.8.119 Version/11.10", "", "", "", "")
	f.Add("Mozilla/5.0 (compatible; \xff\xfeBot/2.1; +http://x)", "", "", "", "")
	f.Fuzz(func(t *testing.T, ua, brands, platform, version, mobile string) {
		h := http.Header{}
		h.Set("Sec-CH-UA", brands)
		h.Set("Sec-CH-UA-Full-Version-List", brands)
		h.Set("Sec-CH-UA-Platform", platform)
		h.Set("Sec-CH-UA-Platform-Version", version)
		h.Set("Sec-CH-UA-Mobile", mobile)
		for _, hints := range []http.Header{nil, h} {
			info := p.Parse(ua, hints)
			for name, v := range map[string]string{"browser": info.Browser, "os": info.OS, "browser_version": info.BrowserVersion, "os_version": info.OSVersion} {
				if !utf8.ValidString(v) || utf8.RuneCountInString(v) > maxField {
					t.Fatalf("Parse(%q, %v).%s = %q: want valid UTF-8 of at most %d characters", ua, hints, name, v, maxField)
				}
				for _, r := range v {
					if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
						t.Fatalf("Parse(%q, %v).%s = %q holds the control or format character %U", ua, hints, name, v, r)
					}
				}
			}
			for name, v := range map[string]string{"browser_version": info.BrowserVersion, "os_version": info.OSVersion} {
				if v != "" && !versionRE.MatchString(v) {
					t.Fatalf("Parse(%q, %v).%s = %q: want digits and dots", ua, hints, name, v)
				}
			}
			switch info.Device {
			case "", Desktop, Mobile, Tablet, Bot:
			default:
				t.Fatalf("Parse(%q, %v).device = %q", ua, hints, info.Device)
			}
		}
	})
}

var versionRE = regexp.MustCompile(`^[0-9]+(\.[0-9]+)*$`)
