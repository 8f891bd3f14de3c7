package main

import (
	"bufio"
	"bytes"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A server that sends bytes after a complete answer makes net/http log
// them through the standard logger. Routed as the command routes it, the
// line is the command's: prefixed, one line, the token gone in every form.
func TestStdLogLinesAreRedacted(t *testing.T) {
	const token = "2/1205551234567890/1205559876543210:0123456789abcdef0123456789abcdef"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		req, err := http.ReadRequest(bufio.NewReader(conn))
		if err != nil {
			return
		}
		echo := "you sent " + req.Header.Get("Authorization") + " and " + strings.ToUpper(token[strings.LastIndex(token, ":")+1:])
		io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"+echo)
		io.Copy(io.Discard, conn) // until the client hangs up
	}()

	var buf bytes.Buffer
	routeStdLog(&buf, token)
	defer log.SetOutput(io.Discard)
	logged := make(chan struct{})
	log.SetOutput(teeOnce{w: log.Writer(), done: logged})

	req, _ := http.NewRequest(http.MethodGet, "http://"+ln.Addr().String()+"/", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := (&http.Client{Transport: &http.Transport{}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	select {
	case <-logged:
	case <-time.After(5 * time.Second):
		t.Fatal("net/http logged nothing about the unsolicited bytes")
	}
	out := buf.String()
	if !strings.HasPrefix(out, "goalsync: ") || !strings.Contains(out, "Unsolicited response") {
		t.Errorf("std log line = %q, want the command's prefix and net/http's words", out)
	}
	for _, leak := range []string{token, "0123456789abcdef", "0123456789ABCDEF", "1205559876543210:"} {
		if strings.Contains(out, leak) {
			t.Errorf("std log line %q holds %q", out, leak)
		}
	}
}

// teeOnce writes to w and closes done after the first write.
type teeOnce struct {
	w    io.Writer
	done chan struct{}
}

func (t teeOnce) Write(p []byte) (int, error) {
	n, err := t.w.Write(p)
	select {
	case <-t.done:
	default:
		close(t.done)
	}
	return n, err
}
