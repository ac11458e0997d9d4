package web

import (
	"net/http"
	"strings"

	"synack/engine/catalog"
)

// Languages the site speaks.
var Languages = []string{"en", "zh"}

// LangCookie remembers a reader's language choice.
const LangCookie = "synack-lang"

// pickLang chooses the language: ?lang=, then the cookie, then Accept-Language.
func pickLang(r *http.Request) (lang string, fromQuery bool) {
	if l := normLang(r.URL.Query().Get("lang")); l != "" {
		return l, true
	}
	if c, err := r.Cookie(LangCookie); err == nil {
		if l := normLang(c.Value); l != "" {
			return l, false
		}
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.TrimSpace(strings.SplitN(part, ";", 2)[0])
		if l := normLang(tag); l != "" {
			return l, false
		}
	}
	return "en", false
}

func normLang(s string) string {
	s = strings.ToLower(s)
	switch {
	case s == "zh" || strings.HasPrefix(s, "zh-"):
		return "zh"
	case s == "en" || strings.HasPrefix(s, "en-"):
		return "en"
	}
	return ""
}

// T returns the text of a catalogue key (engine/catalog) in lang: catalog.In, in the
// short form handlers use.
func T(lang, key string) string { return catalog.In(lang, key) }

// scriptKeys are the families of catalogue keys (engine/catalog) a page hands its
// scripts: a script that needs a string of another family adds its prefix here
// (TestPageHandsScriptsTheirStrings names any key a script uses that is missing).
var scriptKeys = []string{"player.", "lesson.", "field.", "diagram.", "class."}

// pageStrings are the words a page hands its scripts, in lang.
func pageStrings(lang string) map[string]string {
	return catalog.Subset(lang, scriptKeys...)
}
