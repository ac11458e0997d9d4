package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"

	"synack/lessons/stories"
	"synack/web"
	"synack/web/classroom"
	"synack/web/lti"
)

// fdHeadroom is the open files kept for page requests, the listener and the rest when
// the session cap is fitted to the open-file limit.
const fdHeadroom = 256

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	maxSessions := fs.Int("max-sessions", web.DefaultMaxSessions, "most concurrent WebSocket sessions")
	perIP := fs.Int("max-sessions-per-ip", web.DefaultMaxSessionsPerIP, "most concurrent WebSocket sessions from one client address")
	proxies := fs.String("trusted-proxies", "", "comma-separated addresses or CIDR prefixes of reverse proxies whose X-Forwarded-For names the client (for -max-sessions-per-ip)")
	ltiFile := fs.String("lti", "", "LTI 1.3 config file: the tool's URL and key, the platforms registered (see README)")
	hosts := fs.String("allowed-hosts", "", "comma-separated host names the site is served under (loopback names are always allowed; * allows any)")
	natsURL := fs.String("nats", "", "NATS server or cluster for classroom rooms shared by every replica (nats://host:4222[,nats://host2:4222]); empty embeds one in this process")
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
	trusted, err := parseProxies(*proxies)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	// Every session is an open socket: raise the soft open-file limit to the hard one,
	// and keep the session cap inside it, with room for page requests.
	if files := raiseFDLimit(); files > 0 && uint64(*maxSessions)+fdHeadroom > files {
		capped := max(1, int(files)-fdHeadroom)
		log.Warn("the open-file limit is lower than -max-sessions; sessions capped to fit", "limit", files, "max_sessions", capped)
		*maxSessions = capped
	}
	var tool *lti.Tool
	if *ltiFile != "" {
		cfg, err := lti.LoadConfig(*ltiFile)
		if err != nil {
			return usageErr("serve: -lti: %v", err)
		}
		if tool, err = lti.New(cfg, lti.Options{}); err != nil {
			return usageErr("serve: -lti: %v", err)
		}
		if cfg.KeyFile == "" {
			log.Warn("LTI: no private_key_file: a key was generated for this run; platforms must fetch the new key set, and replicas would each have their own")
		}
	}
	// Classroom rooms: an external NATS server or cluster when -nats names one (every
	// replica connected to it shares the rooms), else one embedded in this process.
	hub, err := classroom.Open(ctx, classroom.Config{URL: *natsURL, Logger: log})
	if err != nil {
		return err
	}
	defer hub.Close()
	srv := web.NewServer(web.Config{Logger: log, Stories: stories.Default(), MaxSessions: *maxSessions, MaxSessionsPerIP: *perIP, AllowedHosts: allowed,
		TrustedProxies: trusted, LTI: tool, Classroom: hub})
	return srv.ListenAndServe(ctx, *addr, func(a net.Addr) {
		log.Info("serving synack", "url", "http://"+a.String()+"/")
	})
}

// parseProxies reads -trusted-proxies: addresses ("10.0.0.5") and prefixes
// ("10.0.0.0/8"), comma-separated.
func parseProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if a, err := netip.ParseAddr(f); err == nil {
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, usageErr("serve: -trusted-proxies: %q is neither an address nor a prefix such as 10.0.0.0/8", f)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
