package web

import (
	"slices"

	"synack/lessons"
	"synack/templates"
)

// CatalogueGroups are the catalogue's sections, in the order the page lists them; each
// has a title (groupTitle).
var CatalogueGroups = []string{"handshake", "close", "states", "attacks", "tls", "data"}

// groupOf places the stories and lessons of the default catalogue in a section. A lesson
// not named here goes with its scenario's story; anything else is "data".
var groupOf = map[string]string{
	// stories
	"three-way-handshake": "handshake", "data-on-third-ack": "handshake", "tcp-fast-open": "handshake",
	"syn-ack-lost": "handshake", "old-duplicate-syn": "handshake", "simultaneous-open": "handshake",
	"four-way-close": "close", "three-way-close": "close", "half-close": "close", "simultaneous-close": "close",
	"lost-final-ack": "close", "orphan-fin-wait-2": "close",
	"syn-to-closed-port": "states", "connect-timeout": "states", "abort-rst": "states",
	"syn-flood": "attacks", "syn-cookies": "attacks",
	"http-over-tcp": "tls", "https-tls12": "tls", "https-tls13": "tls", "https-tls13-resume": "tls",
	"https-tls13-0rtt": "tls", "https-tls13-mlkem": "tls", "http3-quic": "tls", "http3-quic-0rtt": "tls",
	"http-over-tcp-fast-open": "tls", "https-tls13-fast-open": "tls",
	// lessons whose subject is not their scenario's section
	"tcp-header": "data", "reading-tcpdump": "data", "sequence-space": "data", "out-of-order": "data",
	"initial-sequence-numbers": "handshake", "why-not-two": "handshake", "ecn-handshake": "handshake",
	"state-machine": "states", "resets": "states", "time-wait": "close", "paws": "close", "time-wait-syn": "close",
	"orphans": "close", "time-wait-in-practice": "close",
	"close-with-unread-data": "states", "keepalive-half-open": "states", "listen-backlog": "states",
}

// groupTitle is a section's title in lang.
func groupTitle(lang, k string) string {
	switch k {
	case "handshake":
		return T(lang, "group.handshake")
	case "close":
		return T(lang, "group.close")
	case "states":
		return T(lang, "group.states")
	case "attacks":
		return T(lang, "group.attacks")
	case "tls":
		return T(lang, "group.tls")
	}
	return T(lang, "group.data")
}

func (s *Server) groupOfLesson(l *lessons.Lesson) string {
	if g, ok := groupOf[l.ID]; ok {
		return g
	}
	if g, ok := groupOf[l.Scenario]; ok {
		return g
	}
	return "data"
}

func groupOfStory(id string) string {
	if g, ok := groupOf[id]; ok {
		return g
	}
	return "data"
}

// tellers returns the lessons that tell the story id: those that run it, then those that
// name it among their related stories; if none does, the lessons of its section. A
// story's page links to them, so no page is a dead end.
func (s *Server) tellers(id string) []*lessons.Lesson {
	var out []*lessons.Lesson
	all := s.cfg.Lessons.All()
	for _, l := range all {
		if l.Scenario == id && l.ID != id {
			out = append(out, l)
		}
	}
	for _, l := range all {
		if slices.Contains(l.Related, id) && !slices.Contains(out, l) && l.ID != id {
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		g := groupOfStory(id)
		for _, l := range all {
			if s.groupOfLesson(l) == g && l.ID != id {
				out = append(out, l)
			}
		}
	}
	return out[:min(len(out), maxTellers)]
}

// maxTellers is the most lessons a story's page links to.
const maxTellers = 3

// catalogue builds the index's sections: every lesson, and every story no lesson runs (a
// story a lesson runs is reached through the lesson, so no title is listed twice).
func (s *Server) catalogue(lang string, thumbs map[string]string) []templates.CardGroup {
	byKey := map[string]*templates.CardGroup{}
	var out []templates.CardGroup
	for _, k := range CatalogueGroups {
		out = append(out, templates.CardGroup{Key: k, Title: groupTitle(lang, k)})
	}
	for i := range out {
		byKey[out[i].Key] = &out[i]
	}
	told := map[string]bool{}
	seen := map[string]bool{}
	for _, l := range s.cfg.Lessons.All() {
		told[l.ID], told[l.Scenario] = true, true
		title := l.Title.In(lang)
		seen[title] = true
		g := byKey[s.groupOfLesson(l)]
		g.Cards = append(g.Cards, templates.Card{ID: l.ID, Title: title, Summary: l.Summary.In(lang),
			URL: "/lessons/" + l.ID + "?lang=" + lang, Thumb: thumbs[l.ID], Lesson: true})
	}
	for _, sc := range s.cfg.Stories.Stories() {
		title := sc.Title.In(lang)
		if told[sc.ID] || seen[title] {
			continue
		}
		seen[title] = true
		g := byKey[groupOfStory(sc.ID)]
		g.Cards = append(g.Cards, templates.Card{ID: sc.ID, Title: title, Summary: sc.Summary.In(lang),
			URL: "/lessons/" + sc.ID + "?lang=" + lang, Thumb: thumbs[sc.ID]})
	}
	return slices.DeleteFunc(out, func(g templates.CardGroup) bool { return len(g.Cards) == 0 })
}
