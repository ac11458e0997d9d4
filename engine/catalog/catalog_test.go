package catalog

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
)

func TestCatalogueLoads(t *testing.T) {
	es, err := Entries()
	if err != nil {
		t.Fatal(err)
	}
	if len(es) < 100 {
		t.Fatalf("catalogue has %d entries; the embedded files did not load", len(es))
	}
}

// Every key has both languages (load refuses an empty one) and the same format
// arguments in each: the same verb for each argument, whatever the order. A language
// may leave an argument out (Chinese often says less: "the client entered X (because
// Y)" is "客户端进入 X"), but only with explicit argument numbers (%[n]s), which keep
// fmt from complaining of an extra argument.
func TestBothLanguagesTakeTheSameArguments(t *testing.T) {
	es, err := Entries()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		en, zh := verbs(e.Text.EN), verbs(e.Text.ZH)
		if !sameArguments(en, zh, e.Text.EN, e.Text.ZH) {
			t.Errorf("%s: %q: en takes %v, zh takes %v", e.File, e.Key, en, zh)
		}
		for _, lang := range []string{"en", "zh"} {
			if got := F(e.Key, args(max(len(en), len(zh), maxArg(en), maxArg(zh)), en, zh)...).In(lang); strings.Contains(got, "%!") {
				t.Errorf("%s: %q formats badly in %s: %s", e.File, e.Key, lang, got)
			}
		}
	}
}

// sameArguments reports whether two formats take the same arguments: each argument
// both use has the same verb, and one that only one uses is left out of the other
// with explicit argument numbers.
func sameArguments(a, b map[int]byte, fa, fb string) bool {
	for k, v := range a {
		w, ok := b[k]
		if ok && w != v || !ok && !strings.Contains(fb, "%[") {
			return false
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok && !strings.Contains(fa, "%[") {
			return false
		}
	}
	return true
}

func maxArg(m map[int]byte) int {
	n := 0
	for k := range m {
		n = max(n, k)
	}
	return n
}

// args makes n arguments fit for the verbs of either format.
func args(n int, a, b map[int]byte) []any {
	out := make([]any, n)
	for i := range out {
		v := a[i+1]
		if v == 0 {
			v = b[i+1]
		}
		switch v {
		case 'd':
			out[i] = 1
		case 'g', 'f':
			out[i] = 1.5
		default:
			out[i] = "x"
		}
	}
	return out
}

// verbs returns a format's verbs by argument number (1-based), as fmt numbers them:
// in order, or as %[n]v says.
func verbs(format string) map[int]byte {
	out := map[int]byte{}
	arg := 1
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		i++
		if i < len(format) && format[i] == '%' {
			continue
		}
		for i < len(format) && strings.IndexByte("+-# 0123456789.", format[i]) >= 0 {
			i++
		}
		if i < len(format) && format[i] == '[' {
			end := strings.IndexByte(format[i:], ']')
			if end > 0 {
				if n, err := strconv.Atoi(format[i+1 : i+end]); err == nil {
					arg = n
				}
				i += end + 1
			}
		}
		if i < len(format) {
			out[arg] = format[i]
			arg++
		}
	}
	return out
}

func equalVerbs(a, b map[int]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestVerbs(t *testing.T) {
	for _, tc := range []struct {
		format string
		want   map[int]byte
	}{
		{"plain", map[int]byte{}},
		{"100%% sure", map[int]byte{}},
		{"%s to %d", map[int]byte{1: 's', 2: 'd'}},
		{"%[2]d 个 %[1]s", map[int]byte{1: 's', 2: 'd'}},
		{"%.1f ms", map[int]byte{1: 'f'}},
	} {
		if got := verbs(tc.format); !equalVerbs(got, tc.want) {
			t.Errorf("verbs(%q) = %v, want %v", tc.format, got, tc.want)
		}
	}
}

// load refuses a key defined twice, in one file or across two, and a key lacking a
// language, naming the file.
func TestLoadRefusesBadFiles(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"twice in a file", map[string]string{"a.json": `{"k": {"en": "x", "zh": "y"}, "k": {"en": "x", "zh": "y"}}`}, `a.json: key "k" is already defined in a.json`},
		{"in two files", map[string]string{"a.json": `{"k": {"en": "x", "zh": "y"}}`, "b.json": `{"k": {"en": "x", "zh": "y"}}`}, `b.json: key "k" is already defined in a.json`},
		{"no zh", map[string]string{"a.json": `{"k": {"en": "x"}}`}, `a.json: key "k" needs both "en" and "zh"`},
		{"unknown field", map[string]string{"a.json": `{"k": {"en": "x", "zh": "y", "fr": "z"}}`}, `a.json: key "k"`},
		{"not an object", map[string]string{"a.json": `["k"]`}, `a.json: want one JSON object`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for name, data := range tc.files {
				fsys[name] = &fstest.MapFile{Data: []byte(data)}
			}
			_, err := load(fsys)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("load = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestFormatAndJoin(t *testing.T) {
	got := F("describe.state", "0.000", "client", "CLOSED", "SYN-SENT", T("cause.active OPEN (connect)"))
	if want := "0.000 client: CLOSED → SYN-SENT (active OPEN (connect))"; got.EN != want {
		t.Errorf("F en = %q, want %q", got.EN, want)
	}
	if want := "0.000 client：CLOSED → SYN-SENT（主动打开（connect））"; got.ZH != want {
		t.Errorf("F zh = %q, want %q", got.ZH, want)
	}
	j := Join("sep.comma", []Text{T("lane.client"), T("lane.server")})
	if j.EN != "client, server" || j.ZH != "客户端，服务器" {
		t.Errorf("Join = %+v", j)
	}
	if u := T("no.such.key"); u.EN != "no.such.key" || u.ZH != "no.such.key" {
		t.Errorf("T(unknown) = %+v, want the key in both", u)
	}
}

// keyUse finds a key the code names: catalog.T/F/Has/Join("key"), catalog.In(lang,
// "key"), web's T(lang, "key"), a view's or a script's T("key"), a script's t["key"]
// a view's labButton(…, "key"), catalog.Errorf("key") and web's httpError, httpFail
// and refuse(…, "key"). A key is lower-case words joined by dots.
var keyUse = regexp.MustCompile(`(?:\b(?:T|F|Has)\(|\bcatalog\.(?:Join|Errorf)\(|\b(?:In|T)\([^,()"]+, |\bt\[|labButton\([^()\n]*, |\b(?:httpError|httpFail|refuse)\([^"\n]*, )"([a-z][a-z0-9-]*(?:\.[A-Za-z0-9-]+)+)"`)

// dynamicPrefixes are the families of keys the code builds from data rather than names
// one by one, each with where the name comes from. Their keys count as used.
var dynamicPrefixes = map[string]string{
	"note.":      "the engine's note keys (engine/diagram NoteText; its tests check every note a story makes has one)",
	"cause.":     "the engine's state-change causes, in English (engine/diagram causeText)",
	"timer.":     "engine.TimerKind.String() (engine/diagram timerText, TimerLabel)",
	"lane.":      "the endpoint roles of engine/diagram laneRoles",
	"states.":    "the words around the state figure, engine/diagram smStrings",
	"story.":     "story ids (lessons/stories, engine/handshakes)",
	"field.":     "the header field names the inspector shows (web: the page hands them to static/js/inspector.js)",
	"profile.":   "the profile names (linux, rfc)",
	"lti.err.":   "the kinds of refusal of an LTI launch (web/lti Kind, and web's nolesson and off)",
	"class.err.": "the classroom socket's error codes (web/classroom errCode), worded by static/js/classroom.js",
	"ws.refuse.": "why web refuses a live session before the upgrade (web/ws.go refusal)",
}

// Every key the code names is in the catalogue, and every key in the catalogue is used:
// named somewhere in the code, the views or the scripts, or one of a dynamic family.
func TestEveryKeyExistsAndIsUsed(t *testing.T) {
	root := filepath.Join("..", "..")
	named := map[string][]string{} // key -> where
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != root && (strings.HasPrefix(n, ".") || n == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		ext := filepath.Ext(path)
		if ext != ".go" && ext != ".templ" && ext != ".js" || strings.HasSuffix(path, "_templ.go") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range keyUse.FindAllSubmatch(data, -1) {
			k := string(m[1])
			if strings.Contains(k, ".") {
				named[k] = append(named[k], path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	for k, where := range named {
		if strings.HasSuffix(k, ".") || strings.HasSuffix(where[0], "catalog_test.go") {
			continue // a prefix ("note." + key), or this file's own examples
		}
		if !Has(k) {
			missing = append(missing, k+" (named in "+where[0]+")")
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("key %s is not in the catalogue", m)
	}
	es, err := Entries()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if _, ok := named[e.Key]; ok {
			continue
		}
		dynamic := false
		for p := range dynamicPrefixes {
			dynamic = dynamic || strings.HasPrefix(e.Key, p)
		}
		if !dynamic {
			t.Errorf("%s: key %q is not used anywhere", e.File, e.Key)
		}
	}
}
