package asana_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/jarcoal/httpmock"

	"github.com/perfcopilot/asanagoals/asana"
)

// pat is a token of Asana's shape: 2/<user gid>/<app gid>:<secret>.
const pat = "2/1205551234567890/1205559876543210:0123456789abcdef0123456789abcdef"

// The user and app GIDs of a token are public: a message that names the
// token's user, its app, or both, keeps them.
func TestRedactor_String_keepsTheTokensPublicParts(t *testing.T) {
	r := asana.NewRedactor(pat)
	for _, s := range []string{
		"the token's user 1205551234567890 cannot read workspace 1200000000000001",
		"app 1205559876543210 is not installed",
		"owner 1205551234567890/1205559876543210",
		"https://app.asana.com/0/1205551234567890/list",
		"2/1205551234567890/1205559876543210:",
	} {
		if got := r.String(s); got != s {
			t.Errorf("String(%q) = %q, want it unchanged", s, got)
		}
	}
}

// Only the secret and the whole token go, never a shorter fragment of the
// token: a text that ends in the token's first characters ("2/12", as
// every modern Asana token starts) keeps its end.
func TestRedactor_String_keepsATextEndingInTheTokensFirstCharacters(t *testing.T) {
	r := asana.NewRedactor(pat)
	for _, s := range []string{"back on 12/2/12", "see 2/1", "2/120", "dates: 2/12"} {
		if got := r.String(s); got != s {
			t.Errorf("String(%q) = %q, want it unchanged", s, got)
		}
	}
}

// A token whose secret is shorter than eight characters (a placeholder
// such as "a" or "o") is not sought: it would cut ordinary words apart.
func TestRedactor_String_leavesTextAloneForAShortPlaceholderToken(t *testing.T) {
	for _, tok := range []string{"a", "o", "1/2:x", "seven77"} {
		for _, s := range []string{`{"errors":[{"message":"Not Authorized"}]}`, "seven77 items", "1/2:x"} {
			if got := asana.NewRedactor(tok).String(s); got != s {
				t.Errorf("token %q: String(%q) = %q, want it unchanged", tok, s, got)
			}
		}
	}
}

// Asana's 401 answer to a client with a placeholder token is read as
// Asana's message: the token is not sought in it, so the body stays JSON.
func TestClient_shortPlaceholderTokenKeepsAsanasAnswerWhole(t *testing.T) {
	for _, tok := range []string{"a", "o"} {
		mock := httpmock.NewMockTransport()
		mock.RegisterResponder("GET", apiRoot+"/users/me", httpmock.NewStringResponder(401,
			`{"errors":[{"message":"Not Authorized","help":"For more information on API status codes and how to handle them, read the docs on errors: https://developers.asana.com/docs/errors"}]}`))
		c, err := asana.NewClient(tok, asana.WithHTTPClient(&http.Client{Transport: mock}))
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Me(context.Background())
		var ae *asana.Error
		if !errors.As(err, &ae) || !errors.Is(err, asana.ErrUnauthorized) {
			t.Fatalf("token %q: err = %v, want a 401 *asana.Error", tok, err)
		}
		if len(ae.Errors) != 1 || ae.Errors[0].Message != "Not Authorized" || ae.Excerpt != "" {
			t.Errorf("token %q: Errors = %q, Excerpt = %q; want Asana's message as sent", tok, ae.Errors, ae.Excerpt)
		}
	}
}

// The secret is removed in every spelling an answer can give it: URL- or
// JSON-escaped, a character that is not ASCII as its escaped UTF-8 bytes
// or as one \u escape, in either case of its letters, and alone as well as
// within the whole token.
func TestRedactor_String_removesTheSecretInEveryEncoding(t *testing.T) {
	const tok = "1/1234567890:sécrettokenvalüe"
	r := asana.NewRedactor(tok)
	for _, tc := range []struct{ in, want string }{
		{"t=" + url.QueryEscape(tok) + "&x=1", "t=[redacted]&x=1"},
		{"GET /x/" + url.PathEscape(tok), "GET /x/[redacted]"},
		{"GET /x/" + (&url.URL{Path: tok}).EscapedPath(), "GET /x/[redacted]"},
		{"lower-case hex: 1/1234567890:s%c3%a9crettokenvalu%cc%88", "lower-case hex: 1/1234567890:s%c3%a9crettokenvalu%cc%88"}, // ü spelled u and a combining diaeresis: another text
		{"lower-case hex: 1/1234567890:s%c3%a9crettokenval%c3%bce", "lower-case hex: [redacted]"},
		{"upper case: 1/1234567890:SÉCRETTOKENVALÜE.", "upper case: [redacted]."},
		{"upper case, escaped: S%C3%89CRETTOKENVAL%C3%9CE", "upper case, escaped: [redacted]"},
		{`JSON: "s\u00e9crettokenval\u00FCe", \u003cb\u003e`, `JSON: "[redacted]", \u003cb\u003e`},
		{`JSON: "1\/1234567890:s\u00e9cret\u0074okenvalüe"`, `JSON: "[redacted]"`},
		{"the secret alone: sécrettokenvalüe!", "the secret alone: [redacted]!"},
		{"its first 15 characters: sécrettokenval", "its first 15 characters: sécrettokenval"},
	} {
		if got := r.String(tc.in); got != tc.want {
			t.Errorf("String(%q)\n = %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

// redactTokens are the tokens FuzzRedactor redacts: Asana's shapes, a
// token without ':', one whose secret is not ASCII, one whose secret holds
// the characters escapes are made of, one whose secret is too short to
// seek alone, and placeholders too short to seek at all.
var redactTokens = []string{
	pat,
	"1/1234567890:supersecrettokenvalue",
	"supersecret_token_of_name_characters",
	"1/1234567890:sécrettokenvalüe",
	`0/1:sec%2Fret\u0041wi"th`,
	"2/1/1:short",
	"o",
}

// soughtOf is what a redactor for tok removes at the least: the secret
// after the token's last ':', or the whole token when the secret is
// shorter than eight characters; "" when that is shorter too.
func soughtOf(tok string) string {
	s := tok
	if i := strings.LastIndexByte(tok, ':'); i >= 0 && i+1 < len(tok) {
		s = tok[i+1:]
	}
	if utf8.RuneCountInString(s) < 8 {
		s = tok
	}
	if utf8.RuneCountInString(s) < 8 {
		return ""
	}
	return s
}

// spell writes tok as an answer may echo it. form picks the spelling, mask
// which characters an escaping spelling escapes.
func spell(tok string, form uint8, mask uint64) string {
	var b strings.Builder
	pick := func(i int) bool { return mask>>(uint(i)%64)&1 == 1 }
	jsonEsc := func(r rune, upper bool) {
		format := `\u%04x`
		if upper {
			format = `\u%04X`
		}
		if r > 0xffff {
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&b, format+format, r1, r2)
			return
		}
		fmt.Fprintf(&b, format, r)
	}
	urlEsc := func(r rune, upper bool) {
		format := "%%%02x"
		if upper {
			format = "%%%02X"
		}
		for _, c := range []byte(string(r)) {
			fmt.Fprintf(&b, format, c)
		}
	}
	switch form % 9 {
	case 0:
		return tok
	case 1:
		return strings.ToUpper(tok)
	case 2:
		return url.QueryEscape(tok)
	case 3:
		return url.PathEscape(tok)
	case 4, 5: // JSON, some characters \u-escaped; '"' and '\' always
		for i, r := range []rune(tok) {
			switch {
			case pick(i):
				jsonEsc(r, form%9 == 5)
			case r == '"' || r == '\\':
				b.WriteString(`\` + string(r))
			case r == '/':
				b.WriteString(`\/`)
			default:
				b.WriteRune(r)
			}
		}
	case 6, 7: // URL, some characters %-escaped; '%' always
		for i, r := range []rune(tok) {
			if pick(i) || r == '%' {
				urlEsc(r, form%9 == 7)
			} else {
				b.WriteRune(r)
			}
		}
	case 8: // upper-cased, each character raw, \u- or %-escaped; '%' and '\' never raw
		for i, r := range []rune(strings.ToUpper(tok)) {
			switch {
			case pick(2 * i):
				jsonEsc(r, pick(2*i+1))
			case pick(2*i+1) || r == '%' || r == '\\':
				urlEsc(r, pick(2*i))
			default:
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}

// The fuzz target's view of a text: with JSON escapes undone, URL escapes
// undone, or both, in one pass left to right, into bytes read as UTF-8.
var (
	jsonEscapeRE = `\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|\\u[0-9a-fA-F]{4}|\\["\\/bfnrt]`
	urlEscapeRE  = `%[0-9a-fA-F]{2}`
	decodeViews  = []*regexp.Regexp{
		regexp.MustCompile(jsonEscapeRE),
		regexp.MustCompile(urlEscapeRE),
		regexp.MustCompile(jsonEscapeRE + "|" + urlEscapeRE),
	}
)

func undo(m string) string {
	switch {
	case m[0] == '%':
		n, _ := strconv.ParseUint(m[1:], 16, 8)
		return string([]byte{byte(n)})
	case len(m) == 12:
		r1, _ := strconv.ParseUint(m[2:6], 16, 16)
		r2, _ := strconv.ParseUint(m[8:], 16, 16)
		return string(utf16.DecodeRune(rune(r1), rune(r2)))
	case len(m) == 6:
		n, _ := strconv.ParseUint(m[2:], 16, 16)
		return string(rune(n))
	}
	return map[byte]string{'"': `"`, '\\': `\`, '/': "/", 'b': "\b", 'f': "\f", 'n': "\n", 'r': "\r", 't': "\t"}[m[1]]
}

// holds reports whether s holds sought, letters in any case, as it is or
// in any view of it.
func holds(s, sought string) bool {
	if sought == "" {
		return false
	}
	if foldContains(s, sought) {
		return true
	}
	for _, re := range decodeViews {
		if foldContains(re.ReplaceAllStringFunc(s, undo), sought) {
			return true
		}
	}
	return false
}

// foldContains is strings.Contains under Unicode simple case folding.
func foldContains(s, sub string) bool {
	rs, sub1 := []rune(s), []rune(sub)
	for i := 0; i+len(sub1) <= len(rs); i++ {
		j := 0
		for j < len(sub1) && sameFold(rs[i+j], sub1[j]) {
			j++
		}
		if j == len(sub1) {
			return true
		}
	}
	return false
}

func sameFold(a, b rune) bool {
	if a == b {
		return true
	}
	for f := unicode.SimpleFold(a); f != a; f = unicode.SimpleFold(f) {
		if f == b {
			return true
		}
	}
	return false
}

// The spellings the fuzz target puts in its texts are the token, read back.
func TestSpell_holdsTheToken(t *testing.T) {
	for _, tok := range redactTokens {
		for form := range uint8(9) {
			for _, mask := range []uint64{0, 0xa5a5a5a5a5a5a5a5, ^uint64(0)} {
				if s := spell(tok, form, mask); !holds(s, tok) {
					t.Errorf("spell(%q, %d, %#x) = %q does not hold the token", tok, form, mask, s)
				}
			}
		}
	}
}

// The redactor removes the secret, and takes nothing from a text without
// it: whatever the text around it, a token written as it is, upper-cased,
// JSON- or URL-escaped (any of its characters, either case of hex digits)
// or in a mix of these comes out without its secret (or, when the secret
// is too short to seek alone, without the whole token); and a text that
// holds neither in any of these spellings comes out as it went in. A
// token too short to seek changes nothing.
func FuzzRedactor(f *testing.F) {
	for _, seed := range []struct{ before, after string }{
		{"Authorization: Bearer ", "\nAccept: application/json"},
		{`{"errors":[{"message":"Not Authorized: Bearer `, `"}]}`},
		{"<html><body>" + strings.Repeat("x", 82) + " Bearer ", "</body></html>"},
		{`<p>GET /users/me?access_token=`, `</p>`},
		{`"Bearer `, `", \u003cb\u003e`},
		{"cut short: Bearer ", ""},
		{`escapes stay: \u003cb\u003e \/ %2F `, ` %22`},
		{`a backslash before: \`, ` and a percent after %`},
		{"the token's user 1205551234567890 cannot read workspace ", " back on 12/2/12"},
	} {
		for form := range uint8(10) {
			f.Add(seed.before, seed.after, form, uint64(0xa5a5a5a5a5a5a5a5), uint8(form)%uint8(len(redactTokens)))
		}
	}
	f.Add(`{"errors":[{"message":"Not Authorized","help":"see https://developers.asana.com/docs/errors"}]}`, "", uint8(9), uint64(0), uint8(6))
	f.Add("back on 12/2/12", "", uint8(9), uint64(0), uint8(0))
	f.Add("the token's user 1205551234567890 cannot read workspace 1205559876543210", "", uint8(9), uint64(0), uint8(0))
	f.Add("15 of the secret: 0123456789ABCDE; 31: 0123456789abcdef0123456789abcde", "", uint8(9), uint64(0), uint8(0))
	f.Fuzz(func(t *testing.T, before, after string, form uint8, mask uint64, pick uint8) {
		tok := redactTokens[int(pick)%len(redactTokens)]
		in := before + after // form 9: no token put in
		if form%10 != 9 {
			in = before + spell(tok, form%10, mask) + after
		}
		out := asana.NewRedactor(tok).String(in)
		sought := soughtOf(tok)
		if holds(out, sought) {
			t.Fatalf("%q comes through the redactor:\nin  %q\nout %q", sought, in, out)
		}
		if !holds(in, sought) && out != in {
			t.Fatalf("a text without %q was changed:\nin  %q\nout %q", sought, in, out)
		}
	})
}

// leaked returns the longest piece of the token's secret (12 characters or
// more, the secret being what follows the token's last ':') in s, or in s
// with its escapes (Go quoting, JSON's \uXXXX and \/, URL %XX) undone, or
// "". The rest of the token, its user and app GIDs, is public.
func leaked(s, token string) string {
	secret := token[strings.LastIndexByte(token, ':')+1:]
	if p := leakedAsIs(s, secret); p != "" {
		return p
	}
	return leakedAsIs(unescapeAll(s), secret)
}

func unescapeAll(s string) string {
	for {
		t := strings.ReplaceAll(s, `\\`, `\`)
		if t == s {
			break
		}
		s = t
	}
	s = jsonEscape.ReplaceAllStringFunc(s, func(m string) string {
		n, err := strconv.ParseUint(m[2:], 16, 32)
		if err != nil {
			return m
		}
		return string(rune(n))
	})
	s = strings.ReplaceAll(s, `\/`, "/")
	if u, err := url.PathUnescape(s); err == nil {
		s = u
	}
	return s
}

var jsonEscape = regexp.MustCompile(`\\u[0-9a-fA-F]{4}`)

func leakedAsIs(s, token string) string {
	for n := len(token); n >= 12; n-- {
		for i := 0; i+n <= len(token); i++ {
			if strings.Contains(s, token[i:i+n]) {
				return token[i : i+n]
			}
		}
	}
	return ""
}

// jsonUnicodeEscape spells every character of s as a \u00XX escape.
func jsonUnicodeEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		fmt.Fprintf(&b, `\u%04x`, r)
	}
	return b.String()
}
