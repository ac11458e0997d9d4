package web

import (
	"net/http"

	"synack/engine/catalog"
)

// httpError answers a request that failed with status and a plain-text body: key's
// catalogue text, formatted with args as catalog.F does, in the reader's language
// (?lang=, the cookie, Accept-Language). It is the one place a handler writes an error
// body, so none is English-only (TestErrorBodiesAreCatalogued).
func httpError(w http.ResponseWriter, r *http.Request, status int, key string, args ...any) {
	lang, _ := pickLang(r)
	http.Error(w, catalog.F(key, args...).In(lang), status)
}

// httpFail is httpError for an error: key's text takes the error's message as its
// argument, itself in the reader's language when it is a catalogue error
// (catalog.Errorf: a parameter out of range, a lab action refused).
func httpFail(w http.ResponseWriter, r *http.Request, status int, key string, err error) {
	lang, _ := pickLang(r)
	httpError(w, r, status, key, catalog.Message(lang, err))
}

// notFound is http.NotFound in the reader's language.
func notFound(w http.ResponseWriter, r *http.Request) {
	httpError(w, r, http.StatusNotFound, "error.notfound.page")
}

// refused is a request refused: its status and the catalogue text that says why.
type refused struct {
	status int
	key    string
	args   []any
}

// refuse returns a refusal with status and key's text formatted with args.
func refuse(status int, key string, args ...any) *refused { return &refused{status, key, args} }

func (e *refused) write(w http.ResponseWriter, r *http.Request) {
	httpError(w, r, e.status, e.key, e.args...)
}
