package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"

	"synack/lessons/stories"
	"synack/web"
)

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	maxSessions := fs.Int("max-sessions", web.DefaultMaxSessions, "most concurrent WebSocket sessions")
	perIP := fs.Int("max-sessions-per-ip", web.DefaultMaxSessionsPerIP, "most concurrent WebSocket sessions from one client address")
	hosts := fs.String("allowed-hosts", "", "comma-separated host names the site is served under (loopback names are always allowed; * allows any)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErr("serve: unexpected argument %q", pos[0])
	}
	if *maxSessions < 1 || *perIP < 1 {
		return usageErr("serve: -max-sessions and -max-sessions-per-ip must be at least 1")
	}
	var allowed []string
	for _, h := range strings.Split(*hosts, ",") {
		if h = strings.TrimSpace(h); h != "" {
			allowed = append(allowed, h)
		}
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	srv := web.NewServer(web.Config{Logger: log, Stories: stories.Default(), MaxSessions: *maxSessions, MaxSessionsPerIP: *perIP, AllowedHosts: allowed})
	return srv.ListenAndServe(ctx, *addr, func(a net.Addr) {
		log.Info("serving synack", "url", "http://"+a.String()+"/")
	})
}
