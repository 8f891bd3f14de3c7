package asana

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/perfcopilot/asanagoals/internal/textline"
)

// Asana announces breaking changes in Asana-Change response headers, and
// lets clients opt in or out of a change during its deprecation period with
// Asana-Enable and Asana-Disable request headers (Asana's "Deprecations"
// page). A header looks like
//
//	Asana-Change: name=new_goal_memberships;info=https://asana.com/developers/…;affected=true
//
// and may appear several times on one response, or hold several changes
// separated by commas.
const (
	headerChange  = "Asana-Change"
	headerEnable  = "Asana-Enable"
	headerDisable = "Asana-Disable"
)

// Bounds on what a client keeps of Asana-Change headers, so that a hostile
// or broken server cannot grow a client's memory or flood its log.
const (
	// maxChanges is the most distinct changes a Client keeps (and logs);
	// Asana rarely has more than a handful under way.
	maxChanges = 32
	// maxChangeValues is the most Asana-Change header values read from one
	// response, and maxChangeEntries the most changes read from them.
	maxChangeValues  = 16
	maxChangeEntries = 32
	// maxChangeValueBytes is the longest header value read; a longer one is
	// skipped whole.
	maxChangeValueBytes = 2048
	// maxChangeNameBytes and maxChangeInfoBytes bound a change's name and
	// link.
	maxChangeNameBytes = 100
	maxChangeInfoBytes = 500
)

// Change is a breaking change Asana announced in an Asana-Change header.
type Change struct {
	// Name is the change's unique name, the word to send in Asana-Enable or
	// Asana-Disable (see WithAsanaEnable).
	Name string `json:"name"`
	// Info links to Asana's description of the change; "" when the header
	// had no link, or one that is not an http(s) URL.
	Info string `json:"info,omitempty"`
	// Affected is true when Asana said that a request of this client would
	// be affected by the change.
	Affected bool `json:"affected"`
	// Path is the API path of the first request whose answer announced
	// the change ("/goals"), or, once one was affected, of the first
	// affected request. It never holds a query string.
	Path string `json:"path"`
}

// Changes returns the breaking changes Asana has announced to this client
// so far, each once, in the order first seen; it keeps at most 32, more
// than Asana ever has under way.
func (c *Client) Changes() []Change {
	return c.changes.list()
}

// WithAsanaEnable sends "Asana-Enable: <names>" with every request: the
// client opts in to these announced changes before Asana turns them on for
// everyone. Names are Asana's change names (Change.Name); a name also given
// to WithAsanaDisable is an error.
func WithAsanaEnable(names ...string) Option {
	return func(c *config) error {
		return c.features.add(headerEnable, &c.features.enable, c.features.disable, names)
	}
}

// WithAsanaDisable sends "Asana-Disable: <names>" with every request: the
// client keeps the old behaviour of these changes while Asana's
// deprecation period lasts. A name also given to WithAsanaEnable is an
// error.
func WithAsanaDisable(names ...string) Option {
	return func(c *config) error {
		return c.features.add(headerDisable, &c.features.disable, c.features.enable, names)
	}
}

// features are the change names a client enables and disables.
type features struct {
	enable, disable []string
}

func (f *features) add(header string, into *[]string, other, names []string) error {
	for _, n := range names {
		if err := checkChangeName(n); err != nil {
			return fmt.Errorf("asana: %s: %w", header, err)
		}
		if slices.Contains(other, n) {
			return fmt.Errorf("asana: change %q is both enabled and disabled", n)
		}
		if !slices.Contains(*into, n) {
			*into = append(*into, n)
		}
	}
	return nil
}

// CheckChangeName returns an error when name cannot be an Asana change
// name, the word WithAsanaEnable and WithAsanaDisable send (Change.Name):
// a name is 1 to 100 bytes of ASCII letters, digits, '_', '-' and '.'.
// WithAsanaEnable and WithAsanaDisable refuse the same names, so a program
// can check names it was given before it builds a Client. The error quotes
// the name, cut to 40 bytes.
func CheckChangeName(name string) error {
	if err := checkChangeName(name); err != nil {
		return fmt.Errorf("asana: %w", err)
	}
	return nil
}

// checkChangeName is CheckChangeName without the package's prefix.
func checkChangeName(name string) error {
	if !validChangeName(name) {
		return fmt.Errorf("%q is not an Asana change name (letters, digits, '_', '-' or '.', at most %d bytes)",
			textline.Clip(name), maxChangeNameBytes)
	}
	return nil
}

// changeLog is what a Client knows of Asana-Change headers, and the
// Asana-Enable / Asana-Disable values it sends. The zero value sends
// nothing and knows nothing.
type changeLog struct {
	enable, disable string // request header values, "" for none

	mu      sync.Mutex
	changes []Change
	index   map[string]int
	full    bool // maxChanges reached and said so in the log
}

func newChangeLog(f features) changeLog {
	return changeLog{enable: strings.Join(f.enable, ","), disable: strings.Join(f.disable, ",")}
}

// setHeaders adds the opt-in and opt-out headers to a request.
func (l *changeLog) setHeaders(h http.Header) {
	if l.enable != "" {
		h.Set(headerEnable, l.enable)
	}
	if l.disable != "" {
		h.Set(headerDisable, l.disable)
	}
}

// observe reads the Asana-Change headers of an answer to path, keeps each
// new change and logs it once, at warn level. Values carrying the client's
// token are dropped: an echo, not an announcement.
func (l *changeLog) observe(ctx context.Context, logger *slog.Logger, red redactor, path string, h http.Header) {
	values := h.Values(headerChange)
	if len(values) == 0 {
		return
	}
	parsed := parseChanges(values, red)
	if len(parsed) == 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.index == nil {
		l.index = make(map[string]int)
	}
	for _, ch := range parsed {
		ch.Path = path
		if i, ok := l.index[ch.Name]; ok {
			old := &l.changes[i]
			if ch.Affected && !old.Affected {
				old.Affected, old.Path = true, path
			}
			if old.Info == "" {
				old.Info = ch.Info
			}
			continue
		}
		if len(l.changes) >= maxChanges {
			if !l.full {
				l.full = true
				logger.LogAttrs(ctx, slog.LevelWarn, "asana: more breaking changes announced than a client keeps; further ones are not logged",
					slog.Int("kept", maxChanges))
			}
			continue
		}
		l.index[ch.Name] = len(l.changes)
		l.changes = append(l.changes, ch)
		logger.LogAttrs(ctx, slog.LevelWarn, "asana: Asana announced a breaking change",
			slog.String("change", ch.Name), slog.String("info", ch.Info),
			slog.Bool("affected", ch.Affected), slog.String("path", path))
	}
}

func (l *changeLog) list() []Change {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.changes)
}

// parseChanges reads Asana-Change header values: each holds one or more
// comma-separated changes, each a list of key=value pairs separated by
// semicolons (name, info, affected). An entry without a valid name is
// skipped, an invalid link is dropped, and a name seen twice is kept once
// (affected if any said so). It reads at most maxChangeValues values and
// maxChangeEntries entries; a value longer than maxChangeValueBytes is
// skipped whole.
func parseChanges(values []string, red redactor) []Change {
	var out []Change
	entries := 0
	for _, v := range values[:min(len(values), maxChangeValues)] {
		if len(v) > maxChangeValueBytes {
			continue
		}
		for entry := range strings.SplitSeq(v, ",") {
			if entries++; entries > maxChangeEntries {
				return out
			}
			ch, ok := parseChange(entry, red)
			if !ok {
				continue
			}
			if i := slices.IndexFunc(out, func(c Change) bool { return c.Name == ch.Name }); i >= 0 {
				out[i].Affected = out[i].Affected || ch.Affected
				if out[i].Info == "" {
					out[i].Info = ch.Info
				}
				continue
			}
			out = append(out, ch)
		}
	}
	return out
}

// parseChange reads one "name=…;info=…;affected=true" entry. Keys are
// matched without regard to case; the first of a repeated key counts.
func parseChange(entry string, red redactor) (Change, bool) {
	var ch Change
	var haveName, haveInfo, haveAffected bool
	for pair := range strings.SplitSeq(entry, ";") {
		k, v, ok := strings.Cut(pair, "=")
		if !ok {
			continue
		}
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
		switch {
		case k == "name" && !haveName:
			haveName = true
			ch.Name = v
		case k == "info" && !haveInfo:
			haveInfo = true
			ch.Info = v
		case k == "affected" && !haveAffected:
			haveAffected = true
			ch.Affected = strings.EqualFold(v, "true")
		}
	}
	if !validChangeName(ch.Name) || red.string(ch.Name) != ch.Name {
		return Change{}, false
	}
	if !validInfo(ch.Info) || red.string(ch.Info) != ch.Info {
		ch.Info = ""
	}
	return ch, true
}

// validChangeName reports whether s looks like an Asana change name:
// letters, digits, '_', '-' and '.', at most maxChangeNameBytes.
func validChangeName(s string) bool {
	if s == "" || len(s) > maxChangeNameBytes {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// validInfo reports whether s is an absolute http(s) URL of printable
// ASCII, at most maxChangeInfoBytes, without credentials.
func validInfo(s string) bool {
	if s == "" || len(s) > maxChangeInfoBytes {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil
}
