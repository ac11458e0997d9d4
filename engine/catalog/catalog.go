// Package catalog is synack's one string catalogue: every user-visible string of the
// pages, the diagrams, the transcripts, the lessons' computed answers and the command
// line, in English and Chinese (zh-CN), keyed by a dotted name ("player.play",
// "note.rst-no-socket").
//
// The strings live in the JSON files of this folder, one file per area (site, player,
// compare, stories, diagram, inspector, answers, params); each file is one object whose
// members are "key": {"en": "…", "zh": "…"}. To add a string, add a line to the file of
// its area (or a new *.json file for a new area) and look it up with T, F or In. A text
// with arguments is a fmt format; both languages take the same arguments (use %[2]s to
// reorder them). The package's tests check that every key has both languages and the
// same arguments in each, that no key is defined twice, that every key the code names
// exists and that every key is used somewhere.
//
// The page's JavaScript gets its strings from the page (a JSON block the server writes,
// see In and Subset), never from tables in .js files.
//
// Lesson narration and questions are data of their own (lessons/*.md) and are not here.
package catalog

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

//go:embed *.json
var files embed.FS

// Text is a user-visible string in both of synack's languages. The catalogue is a leaf
// of the module (it imports nothing of it), so the engine and every layer above may use
// it; engine.Text is this type.
type Text struct {
	EN string `json:"en"`
	ZH string `json:"zh"`
}

// In returns the text in the given language ("zh" or "zh-CN" for Chinese, anything else English).
func (t Text) In(lang string) string {
	if lang == "zh" || lang == "zh-CN" {
		return t.ZH
	}
	return t.EN
}

// Error is an error a reader sees, its message a catalogue text: Error gives the
// English, Message the reader's language.
type Error struct{ Text Text }

// Errorf returns an Error whose message is key's text formatted with args (as F).
func Errorf(key string, args ...any) error { return &Error{Text: F(key, args...)} }

func (e *Error) Error() string { return e.Text.EN }

// Message returns err's message in lang: an Error's (wrapped or not) in that language,
// any other error's own text.
func Message(lang string, err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Text.In(lang)
	}
	return err.Error()
}

// Entry is one key's text and the file that defines it.
type Entry struct {
	Key  string
	Text Text
	File string
}

// entries holds the catalogue, read once from the embedded files. They are checked by
// the package's tests, so a load error is a programming error that cannot reach a user.
var entries, loadErr = load(files)

// load reads every *.json file of fsys into one map, refusing a key defined twice (in
// one file or in two), a key without both languages and a file that is not one object
// of key → {"en", "zh"}.
func load(fsys fs.FS) (map[string]Entry, error) {
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, err
	}
	out := map[string]Entry{}
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			return nil, fmt.Errorf("catalog: %s: want one JSON object of key: {en, zh}", name)
		}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return nil, fmt.Errorf("catalog: %s at byte %d: %w", name, dec.InputOffset(), err)
			}
			key := tok.(string) // object keys are always strings
			var t Text
			if err := dec.Decode(&t); err != nil {
				return nil, fmt.Errorf("catalog: %s: key %q: %w", name, key, err)
			}
			if prev, dup := out[key]; dup {
				return nil, fmt.Errorf("catalog: %s: key %q is already defined in %s", name, key, prev.File)
			}
			if t.EN == "" || t.ZH == "" {
				return nil, fmt.Errorf("catalog: %s: key %q needs both \"en\" and \"zh\"", name, key)
			}
			out[key] = Entry{Key: key, Text: t, File: name}
		}
		if _, err := dec.Token(); err != nil {
			return nil, fmt.Errorf("catalog: %s at byte %d: %w", name, dec.InputOffset(), err)
		}
	}
	return out, nil
}

// T returns key's text in both languages. A key the catalogue does not hold comes back
// as itself in both (the package's tests keep that from happening).
func T(key string) Text {
	if e, ok := entries[key]; ok {
		return e.Text
	}
	return Text{EN: key, ZH: key}
}

// F returns key's text formatted with args (as fmt.Sprintf) in both languages. An
// argument that is itself a Text is put in each language's own form.
func F(key string, args ...any) Text {
	t := T(key)
	return Text{EN: fmt.Sprintf(t.EN, localize(args, "en")...), ZH: fmt.Sprintf(t.ZH, localize(args, "zh")...)}
}

func localize(args []any, lang string) []any {
	var out []any
	for i, a := range args {
		if t, ok := a.(Text); ok {
			if out == nil {
				out = append([]any(nil), args...)
			}
			out[i] = t.In(lang)
		}
	}
	if out == nil {
		return args
	}
	return out
}

// Join joins parts, each language with its own separator: the text of sepKey.
func Join(sepKey string, parts []Text) Text {
	sep := T(sepKey)
	en := make([]string, len(parts))
	zh := make([]string, len(parts))
	for i, p := range parts {
		en[i], zh[i] = p.EN, p.ZH
	}
	return Text{EN: strings.Join(en, sep.EN), ZH: strings.Join(zh, sep.ZH)}
}

// In returns key's text in lang ("zh" or "zh-CN" for Chinese, anything else English).
func In(lang, key string) string { return T(key).In(lang) }

// Has reports whether the catalogue holds key.
func Has(key string) bool {
	_, ok := entries[key]
	return ok
}

// Subset returns, in lang, every key that starts with one of prefixes: the strings a
// page hands its JavaScript.
func Subset(lang string, prefixes ...string) map[string]string {
	out := map[string]string{}
	for k, e := range entries {
		for _, p := range prefixes {
			if strings.HasPrefix(k, p) {
				out[k] = e.Text.In(lang)
				break
			}
		}
	}
	return out
}

// Entries returns the whole catalogue sorted by key, for tests and tools.
func Entries() ([]Entry, error) {
	if loadErr != nil {
		return nil, loadErr
	}
	out := make([]Entry, 0, len(entries))
	for _, e := range entries {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}
