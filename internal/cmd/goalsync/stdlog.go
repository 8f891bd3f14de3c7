package main

import (
	"bytes"
	"io"
	"log"
	"sync"

	"github.com/perfcopilot/asanagoals/asana"
	"github.com/perfcopilot/asanagoals/internal/textline"
)

// routeStdLog sends the standard logger's lines to w the way the command
// writes its own: prefixed "goalsync: ", one line each, with the token
// removed. Go's HTTP stack logs through the standard logger (a server that
// sends bytes after a complete answer makes net/http log the first of them,
// and a hostile one can echo the token there), so no line of it may reach
// stderr unredacted.
func routeStdLog(w io.Writer, token string) {
	log.SetFlags(0)
	log.SetPrefix("")
	log.SetOutput(&stdLogWriter{w: w, redact: newTokenRedactor(token)})
}

// newTokenRedactor returns the redactor of the command's output: the
// token's, unless the token is so short that redacting it would blank out
// ordinary words.
func newTokenRedactor(token string) asana.Redactor {
	if len(token) < minRedactLen {
		return asana.NewRedactor("")
	}
	return asana.NewRedactor(token)
}

// stdLogWriter is the standard logger's output: each Write is one log line.
type stdLogWriter struct {
	mu     sync.Mutex
	w      io.Writer
	redact asana.Redactor
}

func (s *stdLogWriter) Write(p []byte) (int, error) {
	line := textline.OneLine(s.redact.String(string(bytes.TrimRight(p, "\n"))))
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := io.WriteString(s.w, "goalsync: "+line+"\n"); err != nil {
		return 0, err
	}
	return len(p), nil
}
