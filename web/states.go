package web

import (
	"bytes"
	"encoding/json"
	"net/http"

	"synack/engine/diagram"
)

// stateLang is the language of a state-figure request: ?lang= when it names one, else
// the reader's language.
func stateLang(r *http.Request) string {
	lang, _ := pickLang(r)
	return lang
}

// handleStatesJSON serves RFC 9293 Figure 5 laid out (diagram.StateMachine) for the
// state panel to draw.
func (s *Server) handleStatesJSON(w http.ResponseWriter, r *http.Request) {
	b, err := json.Marshal(diagram.StateMachine(stateLang(r)))
	if err != nil {
		httpError(w, r, http.StatusInternalServerError, "error.states")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Vary", "Cookie, Accept-Language")
	w.Write(b)
}

// handleStatesSVG serves the same figure as an SVG document.
func (s *Server) handleStatesSVG(w http.ResponseWriter, r *http.Request) {
	var buf bytes.Buffer
	if err := diagram.WriteStateSVG(&buf, diagram.StateMachine(stateLang(r))); err != nil {
		httpError(w, r, http.StatusInternalServerError, "error.states")
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Vary", "Cookie, Accept-Language")
	w.Write(buf.Bytes())
}
