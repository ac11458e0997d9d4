package web

import (
	"encoding/json"
	"html"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var bootScript = regexp.MustCompile(`(?s)<script[^>]*id="boot"[^>]*>(.*?)</script>`)

func lessonBoot(t *testing.T, s *Server, target string) (Boot, string) {
	t.Helper()
	b := body(t, get(t, s, target, nil))
	m := bootScript.FindStringSubmatch(b)
	if m == nil {
		t.Fatalf("%s: no boot data", target)
	}
	var boot Boot
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &boot); err != nil {
		t.Fatalf("%s: %v", target, err)
	}
	if boot.Lesson == nil {
		t.Fatalf("%s: no lesson in the boot data", target)
	}
	return boot, b
}

// The cases issue 12 found: under the rfc profile each question offers the engine's
// answer, explains it with the run's own numbers and names the profile; the page ends
// with the lesson's sources.
func TestLessonPagesUnderTheRFCProfile(t *testing.T) {
	s := NewServer(Config{})
	for _, tc := range []struct {
		target, ask, answer, explains string
	}{
		{"/lessons/syn-flood?profile=rfc&lang=en", "How many SYNs", "8", "RFC profile"},
		{"/lessons/time-wait?profile=rfc&lang=en", "TIME-WAIT end", "240", "2 × MSL"},
		{"/lessons/syn-cookies?profile=rfc&lang=en", "What does the server send it next", "PSH ACK", "RFC profile"},
		{"/lessons/syn-flood?profile=rfc&lang=zh", "真正的客户端在放弃之前", "8", "RFC 行为模型"},
	} {
		boot, page := lessonBoot(t, s, tc.target)
		i := slices.IndexFunc(boot.Lesson.Questions, func(q LessonQuestion) bool { return strings.Contains(q.Ask, tc.ask) })
		if i < 0 {
			t.Errorf("%s: no question %q", tc.target, tc.ask)
			continue
		}
		q := boot.Lesson.Questions[i]
		if q.Answer != tc.answer || !slices.Contains(q.Choices, q.Answer) || !strings.HasPrefix(q.Explain, tc.answer) || !strings.Contains(q.Explain, tc.explains) {
			t.Errorf("%s: %q answer %q among %q, explained %q", tc.target, q.Ask, q.Answer, q.Choices, q.Explain)
		}
		if q.Reveal < q.Step {
			t.Errorf("%s: %q is asked at step %d, after step %d reveals it", tc.target, q.Ask, q.Step, q.Reveal)
		}
		if !strings.Contains(page, `data-testid="lesson-sources"`) || boot.Lesson.Sources == "" {
			t.Errorf("%s: the lesson's sources are not on the page", tc.target)
		}
	}
	// A question about Linux's own numbers is not asked of the RFC run.
	boot, _ := lessonBoot(t, s, "/lessons/orphans?profile=rfc&lang=en")
	for _, q := range boot.Lesson.Questions {
		if strings.Contains(q.Ask, "does Linux keep") {
			t.Errorf("orphans?profile=rfc asks %q", q.Ask)
		}
	}
}

// A drop that takes away what a step or question is about hides it, and the page says
// why in the reader's language (issue 20, item 6).
func TestLessonPageSaysWhatADropHid(t *testing.T) {
	s := NewServer(Config{})
	for lang, want := range map[string]string{
		"en": "Question 2 is not asked: it is about the PSH ACK from the client to the server carrying 100 bytes",
		"zh": "第 2 题不提问：它问的是客户端发往服务器的 PSH ACK（100 字节数据）",
	} {
		boot, page := lessonBoot(t, s, "/lessons/sequence-space?drop=1&lang="+lang)
		if !slices.ContainsFunc(boot.Lesson.Omitted, func(o string) bool { return strings.HasPrefix(o, want) }) {
			t.Errorf("%s: omitted %q, want one starting %q", lang, boot.Lesson.Omitted, want)
		}
		if !strings.Contains(page, `data-testid="lesson-omitted"`) || !strings.Contains(html.UnescapeString(page), want) {
			t.Errorf("%s: the page does not say why the question is gone", lang)
		}
		for _, q := range boot.Lesson.Questions {
			if strings.Contains(q.Ask, "100") && strings.Contains(q.Ask, "PSH") {
				t.Errorf("%s: the question about the 100-byte write is still asked: %q", lang, q.Ask)
			}
		}
	}
	_, page := lessonBoot(t, s, "/lessons/three-way-handshake?lang=en")
	if strings.Contains(page, `data-testid="lesson-omitted"`) {
		t.Error("a run without drops leaves nothing out, yet the page lists omissions")
	}
}

// A lesson opened to play (?autoplay=1&speed=8, what an embed asks for) arrives with its
// first segment's arrow already drawn in the page, at the step the live player starts
// from: the first arrow is shown at the first paint, with no socket round trip and no
// script before it (BenchmarkBrowserFirstArrowCold measures that paint).
func TestLessonArrivesWithItsFirstArrow(t *testing.T) {
	s := NewServer(Config{})
	for _, id := range []string{"three-way-handshake", "four-way-close", "tcp-fast-open"} {
		for _, q := range []string{"", "&width=narrow"} {
			target := "/lessons/" + id + "?lang=en&autoplay=1&speed=8" + q
			boot, page := lessonBoot(t, s, target)
			fig := regexp.MustCompile(`(?s)<figure class="diagram".*?</figure>`).FindString(page)
			shown := regexp.MustCompile(`<g class="sa-seg[^"]*"`).FindAllString(fig, -1)
			n := 0
			for _, g := range shown {
				if !strings.Contains(g, "sa-hidden") {
					n++
				}
			}
			want := 0
			for _, st := range boot.Layout.Steps[:boot.Step+1] {
				if st.Kind == "segment" {
					want++
				}
			}
			if want == 0 {
				t.Errorf("%s: the story starts (step %d) before its first segment", target, boot.Step+1)
			}
			if n != want {
				t.Errorf("%s: the page draws %d segment arrows at step %d, want %d", target, n, boot.Step+1, want)
			}
		}
	}
}
