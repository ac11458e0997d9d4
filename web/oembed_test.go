package web

import (
	"encoding/json"
	"image/png"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"synack/engine"
	"synack/engine/diagram"
)

var (
	oembedLink = regexp.MustCompile(`<link rel="alternate" type="application/json\+oembed" href="([^"]+)"`)
	ogImage    = regexp.MustCompile(`<meta property="og:image" content="([^"]+)"`)
)

// TestDiscoveryOnEveryPlayerPage: every lesson and scenario page links its oEmbed
// endpoint and an og:image; both answer, the image is a PNG as wide as the diagram.
func TestDiscoveryOnEveryPlayerPage(t *testing.T) {
	s := NewServer(Config{})
	ids := map[string]bool{}
	for _, l := range s.cfg.Lessons.All() {
		ids[l.ID] = true
	}
	for _, sc := range s.cfg.Stories.Stories() {
		ids[sc.ID] = true
	}
	for id := range ids {
		page := body(t, do(t, s, "GET", "/lessons/"+id+"?rtt=80ms", nil))
		m := oembedLink.FindStringSubmatch(page)
		og := ogImage.FindStringSubmatch(page)
		if m == nil || og == nil {
			t.Errorf("%s: oEmbed link %v, og:image %v: want both", id, m != nil, og != nil)
			continue
		}
		if !strings.HasPrefix(og[1], "http://example.com/lessons/"+id+"/diagram.png?") {
			t.Errorf("%s: og:image %q is not this site's absolute PNG address", id, og[1])
		}
		if id != "three-way-handshake" && id != "syn-flood" {
			continue // fetching every picture is the PNG test's job; two suffice here
		}
		ou, _ := url.Parse(strings.ReplaceAll(m[1], "&amp;", "&"))
		res := do(t, s, "GET", ou.RequestURI(), nil)
		var o OEmbed
		if err := json.NewDecoder(res.Body).Decode(&o); err != nil || res.StatusCode != 200 {
			t.Fatalf("%s: oEmbed: status %d, %v", id, res.StatusCode, err)
		}
		if o.Type != "rich" || o.Version != "1.0" || !strings.Contains(o.HTML, `src="http://example.com/embed/lessons/`+id+`?rtt=80ms"`) ||
			o.Width != OEmbedWidth || o.Height != OEmbedHeight {
			t.Errorf("%s: oEmbed = %+v", id, o)
		}
		iu, _ := url.Parse(strings.ReplaceAll(og[1], "&amp;", "&"))
		res = do(t, s, "GET", iu.RequestURI(), nil)
		img, err := png.Decode(res.Body)
		if err != nil || res.Header.Get("Content-Type") != "image/png" {
			t.Fatalf("%s: og:image: %v, %s", id, err, res.Header.Get("Content-Type"))
		}
		if img.Bounds().Dx() != int(diagram.DefaultWidth) || img.Bounds().Dx() != o.ThumbnailWidth || img.Bounds().Dy() != o.ThumbnailHeight {
			t.Errorf("%s: picture %v, oEmbed thumbnail %dx%d", id, img.Bounds(), o.ThumbnailWidth, o.ThumbnailHeight)
		}
	}
}

func TestOEmbed(t *testing.T) {
	s := NewServer(Config{})
	get := func(q url.Values) (*http.Response, OEmbed) {
		res := do(t, s, "GET", "/oembed?"+q.Encode(), nil)
		var o OEmbed
		if res.StatusCode == 200 {
			json.NewDecoder(res.Body).Decode(&o)
		}
		return res, o
	}
	page := "http://example.com/lessons/four-way-close?view=diagram&lang=zh"
	res, o := get(url.Values{"url": {page}, "format": {"json"}, "maxwidth": {"640"}})
	if res.StatusCode != 200 || o.Width != 640 || o.Height != SlideHeight*3/4 ||
		!strings.Contains(o.HTML, `src="http://example.com/embed/lessons/four-way-close?lang=zh&amp;view=diagram"`) ||
		o.Title != s.cfg.Lessons.All()[0].Title.In("zh") && !strings.Contains(o.Title, "挥手") {
		t.Errorf("oEmbed = %d %+v", res.StatusCode, o)
	}
	// maxwidth and maxheight never go under the least a view needs.
	if _, o := get(url.Values{"url": {page}, "maxwidth": {"299"}, "maxheight": {"239"}}); o.Width != OEmbedMinWidth || o.Height != OEmbedMinHeight {
		t.Errorf("maxwidth 299, maxheight 239: %dx%d, want %dx%d", o.Width, o.Height, OEmbedMinWidth, OEmbedMinHeight)
	}
	if _, o := get(url.Values{"url": {page}, "maxwidth": {"300"}}); o.Width != 300 {
		t.Errorf("maxwidth 300: width %d", o.Width)
	}
	for _, tc := range []struct {
		q    url.Values
		want int
	}{
		{url.Values{"url": {page}, "format": {"xml"}}, http.StatusNotImplemented}, // oEmbed §2.3.4
		{url.Values{"url": {"https://elsewhere.example/lessons/four-way-close"}}, http.StatusNotFound},
		{url.Values{"url": {"http://example.com/lessons/no-such"}}, http.StatusNotFound},
		{url.Values{"url": {"http://example.com/compare"}}, http.StatusNotFound},
		{url.Values{}, http.StatusBadRequest},
		{url.Values{"url": {page}, "maxwidth": {"wide"}}, http.StatusBadRequest},
	} {
		if res, _ := get(tc.q); res.StatusCode != tc.want {
			t.Errorf("oembed?%s: status %d, want %d", tc.q.Encode(), res.StatusCode, tc.want)
		}
	}
}

func TestDiagramExports(t *testing.T) {
	s := NewServer(Config{})
	res := do(t, s, "GET", "/lessons/three-way-handshake/diagram.png?width=narrow&scale=2", nil)
	img, err := png.Decode(res.Body)
	if err != nil || img.Bounds().Dx() != 2*int(diagram.NarrowWidth) {
		t.Fatalf("narrow PNG at scale 2: %v, %v", err, img.Bounds())
	}
	res = do(t, s, "GET", "/lessons/three-way-handshake/diagram.mmd?lang=zh", nil)
	out := body(t, res)
	if res.StatusCode != 200 || !strings.HasPrefix(out, "sequenceDiagram\n    accTitle: 三次握手\n") || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("diagram.mmd: %d %q\n%s", res.StatusCode, res.Header.Get("Content-Type"), out)
	}
	page := body(t, do(t, s, "GET", "/lessons/three-way-handshake?rtt=80ms", nil))
	for _, want := range []string{`href="/lessons/three-way-handshake/diagram.png?lang=en&amp;rtt=80ms" data-testid="share-png"`,
		`href="/lessons/three-way-handshake/diagram.mmd?lang=en&amp;rtt=80ms" data-testid="share-mmd"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the Share menu lacks %s", want)
		}
	}
	if res := do(t, s, "GET", "/lessons/nope/diagram.png", nil); res.StatusCode != 404 {
		t.Errorf("diagram.png of an unknown lesson: %d", res.StatusCode)
	}
	_ = engine.DefaultParams
}

func TestCompactEmbeds(t *testing.T) {
	s := NewServer(Config{})
	for _, tc := range []struct{ path, class string }{
		{"/embed/lessons/three-way-handshake?view=diagram", `class="embed view-diagram"`},
		{"/embed/lab?view=lab", `class="embed view-lab"`},
		{"/embed/lab", `class="embed"`},
		{"/lessons/three-way-handshake?view=diagram", `<body class="">`}, // compact views are for embeds
	} {
		res := do(t, s, "GET", tc.path, nil)
		page := body(t, res)
		if res.StatusCode != 200 || !strings.Contains(page, tc.class) {
			t.Errorf("%s: status %d, no %s", tc.path, res.StatusCode, tc.class)
		}
		if strings.HasPrefix(tc.path, "/embed/") && !strings.Contains(res.Header.Get("Content-Security-Policy"), "frame-ancestors "+EmbedAncestors) {
			t.Errorf("%s: may not be framed: %s", tc.path, res.Header.Get("Content-Security-Policy"))
		}
	}
}

// FuzzOEmbed: whatever url, format, maxwidth and maxheight say, /oembed answers 200 with
// a rich response inside the bounds asked for, or a 4xx/501 — never a 500 or a panic.
func FuzzOEmbed(f *testing.F) {
	s := NewServer(Config{})
	f.Add("http://example.com/lessons/three-way-handshake?rtt=80ms", "json", "640", "")
	f.Add("/embed/lessons/syn-flood?view=diagram", "", "", "100")
	f.Add("http://example.com/lessons/../compare", "xml", "x", "-1")
	f.Fuzz(func(t *testing.T, u, format, mw, mh string) {
		q := url.Values{"url": {u}, "format": {format}, "maxwidth": {mw}, "maxheight": {mh}}
		res := do(t, s, "GET", "/oembed?"+q.Encode(), nil)
		switch res.StatusCode {
		case 200:
			var o OEmbed
			if err := json.NewDecoder(res.Body).Decode(&o); err != nil || o.Type != "rich" || !strings.HasPrefix(o.HTML, "<iframe ") {
				t.Fatalf("200 without a rich response: %v %+v", err, o)
			}
			if n, err := strconv.Atoi(mw); err == nil && n >= OEmbedMinWidth && o.Width > n {
				t.Fatalf("width %d over maxwidth %d", o.Width, n)
			}
		case 400, 404, 501:
		default:
			t.Fatalf("status %d", res.StatusCode)
		}
	})
}
