// Package useragent tells the browser, operating system and device type of a
// visitor from the User-Agent header, refined by User-Agent Client Hints when
// the browser sends them.
package useragent

import (
	"net/http"
	"strconv"
	"strings"
	"unicode"

	"github.com/ua-parser/uap-go/uaparser"
)

// Device types.
const (
	Desktop = "desktop"
	Mobile  = "mobile"
	Tablet  = "tablet"
	Bot     = "bot"
)

// maxHeader bounds what is handed to the regular expressions: real headers
// are far shorter, and a huge one is not worth the time.
const maxHeader = 1000

// Info is what a User-Agent says about the visitor; empty fields are unknown.
type Info struct {
	Browser        string `json:"browser"`
	BrowserVersion string `json:"browser_version"`
	OS             string `json:"os"`
	OSVersion      string `json:"os_version"`
	// Device is desktop, mobile, tablet, bot or "".
	Device string `json:"device"`
}

// Parser parses User-Agent strings with the ua-parser rules built into
// uap-go. It is safe for concurrent use.
type Parser struct {
	uap *uaparser.Parser
}

// New compiles the ua-parser rules (once per process is enough).
func New() (*Parser, error) {
	p, err := uaparser.New()
	if err != nil {
		return nil, err
	}
	return &Parser{uap: p}, nil
}

// Parse reads ua and, when present, the client hints (Sec-CH-UA*) in hints;
// hints may be nil. A nil Parser knows nothing.
func (p *Parser) Parse(ua string, hints http.Header) Info {
	if p == nil {
		return Info{}
	}
	ua = strings.TrimSpace(ua)
	if len(ua) > maxHeader {
		ua = ua[:maxHeader]
	}
	var info Info
	if ua != "" {
		c := p.uap.Parse(ua)
		if c.UserAgent.Family != "Other" {
			info.Browser = c.UserAgent.Family
			info.BrowserVersion = trimZeros(c.UserAgent.Major, c.UserAgent.Minor, c.UserAgent.Patch)
		}
		if c.Os.Family != "Other" {
			info.OS = osName(c.Os.Family)
			info.OSVersion = trimZeros(c.Os.Major, c.Os.Minor, c.Os.Patch)
		}
		info.Device = device(ua, c)
	}
	if hints != nil {
		applyHints(&info, hints)
	}
	// Names and versions come from whatever the client sent (hints are
	// copied as given, and ua-parser captures parts of the header): keep
	// them short, printable and, for versions, numeric.
	info.Browser, info.OS = cleanName(info.Browser), cleanName(info.OS)
	info.BrowserVersion, info.OSVersion = cleanVersion(info.BrowserVersion), cleanVersion(info.OSVersion)
	return info
}

// maxField bounds every name and version, in characters.
const maxField = 64

// cleanName drops invalid UTF-8 and control and format characters (such
// as bidi overrides) and bounds the length.
func cleanName(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range strings.ToValidUTF8(s, "") {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			continue
		}
		if n == maxField {
			break
		}
		b.WriteRune(r)
		n++
	}
	return strings.TrimSpace(b.String())
}

// cleanVersion keeps the leading digits-and-dots part of a version
// ("17.4" of "17.4b2"), without a trailing dot, bounded in length.
func cleanVersion(s string) string {
	end := 0
	for end < len(s) && end < maxField && (s[end] >= '0' && s[end] <= '9' || s[end] == '.' && end > 0 && s[end-1] != '.') {
		end++
	}
	return strings.TrimRight(s[:end], ".")
}

// trimZeros joins the version parts, dropping trailing zero parts: frozen
// User-Agents say "124.0.0.0" where only 124 is true.
func trimZeros(parts ...string) string {
	n := len(parts)
	for n > 1 && (parts[n-1] == "" || parts[n-1] == "0") {
		n--
	}
	var out []string
	for _, s := range parts[:n] {
		if s == "" {
			break
		}
		out = append(out, s)
	}
	return strings.Join(out, ".")
}

func osName(family string) string {
	switch family {
	case "Mac OS X":
		return "macOS"
	}
	return family
}

func device(ua string, c *uaparser.Client) string {
	lower := strings.ToLower(ua)
	switch {
	case c.Device.Family == "Spider" || strings.Contains(lower, "bot") || strings.Contains(lower, "crawler") || strings.Contains(lower, "spider"):
		return Bot
	case c.Device.Family == "iPad" || strings.Contains(lower, "tablet"):
		return Tablet
	case c.Os.Family == "Android":
		if strings.Contains(lower, "mobile") {
			return Mobile
		}
		return Tablet
	case c.Device.Family == "iPhone" || c.Device.Family == "iPod" || strings.Contains(lower, "mobile") || c.Os.Family == "iOS":
		return Mobile
	}
	switch c.Os.Family {
	case "Windows", "Mac OS X", "Linux", "Ubuntu", "Fedora", "Chrome OS", "FreeBSD", "OpenBSD":
		return Desktop
	}
	return ""
}

// applyHints refines info with User-Agent Client Hints, which tell what the
// frozen User-Agent of Chromium browsers no longer does (Windows 11, the full
// browser version).
func applyHints(info *Info, h http.Header) {
	if pl := unquote(hint(h, "Sec-CH-UA-Platform")); pl != "" {
		ver := unquote(hint(h, "Sec-CH-UA-Platform-Version"))
		major, _ := strconv.Atoi(strings.SplitN(ver, ".", 2)[0])
		switch pl {
		case "Windows":
			info.OS = "Windows"
			// Windows 10 reports 1–10, Windows 11 13 and later; 0 is
			// older than 10.
			switch {
			case ver == "":
			case major >= 13:
				info.OSVersion = "11"
			case major > 0:
				info.OSVersion = "10"
			}
		case "macOS", "Android", "iOS", "Chrome OS", "ChromeOS", "Linux":
			if pl == "ChromeOS" {
				pl = "Chrome OS"
			}
			info.OS = pl
			if ver != "" {
				info.OSVersion = trimZeros(strings.Split(ver, ".")...)
			}
		}
	}
	switch hint(h, "Sec-CH-UA-Mobile") {
	case "?1":
		info.Device = Mobile
	case "?0":
		if info.Device == Mobile {
			info.Device = Tablet
		}
	}
	full := true
	b := brand(hint(h, "Sec-CH-UA-Full-Version-List"))
	if b.name == "" {
		full = false
		b = brand(hint(h, "Sec-CH-UA"))
	}
	if b.name == "" {
		return
	}
	if !strings.HasPrefix(info.Browser, b.name) || info.Browser == "" {
		// The User-Agent names a generic Chromium, the hints the real
		// browser (Brave, Opera, Edge in some modes).
		info.Browser = b.name
		info.BrowserVersion = ""
	}
	if full || info.BrowserVersion == "" {
		info.BrowserVersion = b.version
	}
}

func hint(h http.Header, name string) string {
	v := strings.TrimSpace(h.Get(name))
	if len(v) > maxHeader {
		return ""
	}
	return v
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

type brandVersion struct{ name, version string }

// brandNames maps the brands of client hints to ua-parser's names.
var brandNames = map[string]string{
	"Google Chrome":    "Chrome",
	"Microsoft Edge":   "Edge",
	"Opera":            "Opera",
	"Brave":            "Brave",
	"Vivaldi":          "Vivaldi",
	"Samsung Internet": "Samsung Internet",
	"YaBrowser":        "Yandex Browser",
}

// brand picks the browser from a Sec-CH-UA list such as
// `"Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99"`:
// a named brand over plain Chromium, never a GREASE brand.
func brand(list string) brandVersion {
	var chromium, named brandVersion
	for _, item := range splitList(list) {
		name, params := cutName(strings.TrimSpace(item))
		var version string
		for p := range strings.SplitSeq(params, ";") {
			if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && k == "v" {
				version = unquote(strings.TrimSpace(v))
			}
		}
		switch {
		case name == "" || strings.HasPrefix(name, "Not") && strings.Contains(name, "Brand"):
			// GREASE: meant to be ignored.
		case name == "Chromium":
			chromium = brandVersion{"Chromium", version}
		case named.name == "":
			n, ok := brandNames[name]
			if !ok {
				n = name
			}
			named = brandVersion{n, version}
		}
	}
	if named.name != "" {
		return named
	}
	return chromium
}

// cutName splits a list item into its (unquoted) name and its parameters;
// a quoted name may hold semicolons.
func cutName(item string) (name, params string) {
	if !strings.HasPrefix(item, `"`) {
		name, params, _ = strings.Cut(item, ";")
		return strings.TrimSpace(name), params
	}
	for i := 1; i < len(item); i++ {
		switch item[i] {
		case '\\':
			i++
		case '"':
			return item[1:i], item[i+1:]
		}
	}
	return item, ""
}

// splitList splits a structured-header list at commas outside quotes.
func splitList(s string) []string {
	var out []string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			quoted = !quoted
		case ',':
			if !quoted {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}
