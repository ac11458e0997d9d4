package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"synack/web"
)

// SIGTERM (here: the context ending) with silent clients connected: the program still
// exits within its shutdown deadline, not 5 s per client.
func TestServeShutsDownWithSilentClients(t *testing.T) {
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve", "-addr", "127.0.0.1:0"}, io.Discard, pw) }()
	var addr string
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if i := strings.Index(sc.Text(), "url=http://"); i >= 0 {
			addr = strings.TrimSuffix(strings.Fields(sc.Text()[i+len("url=http://"):])[0], "/")
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if addr == "" {
		t.Fatal("the server did not say where it listens")
	}
	for i := 0; i < 10; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", addr)
		br := bufio.NewReader(c)
		if line, _ := br.ReadString('\n'); !strings.Contains(line, "101") {
			t.Fatalf("upgrade %d: %q", i, line)
		}
	}
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(web.ShutdownTimeout + 2*time.Second):
		t.Fatalf("still running %s after shutdown began", web.ShutdownTimeout+2*time.Second)
	}
	d := time.Since(start)
	t.Logf("shutdown with 10 silent clients: %s", d)
	if d > web.ShutdownTimeout+time.Second {
		t.Fatalf("shutdown took %s, over its %s deadline", d, web.ShutdownTimeout)
	}
}

func TestServeFlagErrors(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "-max-sessions-per-ip", "0"},
		{"serve", "-max-sessions", "-1"},
		{"serve", "extra"},
		{"serve", "-trusted-proxies", "10.0.0.0/8,proxy.example"},
		{"serve", "-trusted-proxies", "10.0.0.0/33"},
	} {
		if _, stderr, code := runCLI(args...); code != 2 || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a message", args, code, stderr)
		}
	}
}

func TestParseProxies(t *testing.T) {
	got, err := parseProxies(" 10.0.0.5 , 192.168.7.9/16,,::1")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.0.0.5/32", "192.168.0.0/16", "::1/128"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("entry %d: %s, want %s", i, got[i], want[i])
		}
	}
	if _, err := parseProxies("10.0.0.0/8,proxy.example"); err == nil || !strings.Contains(err.Error(), `"proxy.example"`) {
		t.Errorf("a name: err %v, want one naming it", err)
	}
}

// serve -nats with no NATS server there fails at once, saying which address it tried.
func TestServeNATSUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // a port nothing listens on
	_, stderr, code := runCLI("serve", "-addr", "127.0.0.1:0", "-nats", "nats://"+addr)
	if code != 1 || !strings.Contains(stderr, "NATS at nats://"+addr) {
		t.Errorf("serve -nats nats://%s: exit %d, stderr %q; want 1 and the address", addr, code, stderr)
	}
}
