package main

import (
	"context"
	"io"
	"log/slog"
	"net"

	"synack/web"
)

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	maxSessions := fs.Int("max-sessions", web.DefaultMaxSessions, "most concurrent WebSocket sessions")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErr("serve: unexpected argument %q", pos[0])
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	srv := web.NewServer(web.Config{Logger: log, MaxSessions: *maxSessions})
	return srv.ListenAndServe(ctx, *addr, func(a net.Addr) {
		log.Info("serving synack", "url", "http://"+a.String()+"/")
	})
}
