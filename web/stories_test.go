package web

import (
	"html"
	"strings"
	"testing"
	"testing/fstest"

	"synack/engine"
	"synack/lessons"
	"synack/lessons/stories"
)

// The server tells the stories of the catalogue it is given, and no others: a fake
// catalogue of one story is listed on the index and played at /lessons/{id}, and a story
// of the default catalogue that the fake lacks is not found.
func TestServerTellsTheStoriesItIsGiven(t *testing.T) {
	ran := 0
	fake, err := stories.New(stories.Story{ID: "a-fake-story",
		Title:   engine.Text{EN: "A fake story", ZH: "一个假故事"},
		Summary: engine.Text{EN: "Only this server's catalogue has it.", ZH: "只有这台服务器的目录里有它。"},
		Run: func(id string, p engine.Params) (*engine.Trace, error) {
			ran++
			return engine.ThreeWayHandshake.Run(id, p)
		}})
	if err != nil {
		t.Fatal(err)
	}
	les, err := lessons.Load(fstest.MapFS{}, fake)
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(Config{Stories: fake, Lessons: les})
	for _, lang := range Languages {
		b := body(t, get(t, s, "/?lang="+lang, nil))
		if !strings.Contains(b, html.EscapeString(fake.Stories()[0].Title.In(lang))) || !strings.Contains(b, "/lessons/a-fake-story") {
			t.Errorf("index (%s) does not list the fake story", lang)
		}
		if strings.Contains(b, "/lessons/three-way-handshake") {
			t.Errorf("index (%s) lists a story the fake catalogue does not have", lang)
		}
	}
	res := get(t, s, "/lessons/a-fake-story", nil)
	if b := body(t, res); res.StatusCode != 200 || !strings.Contains(b, "data-segment=") {
		t.Errorf("/lessons/a-fake-story: status %d or no diagram", res.StatusCode)
	}
	if ran == 0 {
		t.Error("the page did not run the fake story")
	}
	if res := get(t, s, "/lessons/three-way-handshake", nil); res.StatusCode != 404 {
		t.Errorf("/lessons/three-way-handshake with the fake catalogue: status %d, want 404", res.StatusCode)
	}
}
