package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"synack/engine/catalog"
	"synack/engine/tcp"
	"synack/templates"
	"synack/web/lti"
)

// MaxLTIForm bounds the body of a launch, a login or a deep linking form (an id_token
// with its claims is a few KB).
const MaxLTIForm = 64 << 10

// MaxScoreBody bounds a page's score post.
const MaxScoreBody = 16 << 10

// ltiPage is the common view model of the LTI pages: they live in the platform's frame.
func ltiPage(w http.ResponseWriter, r *http.Request, lang string) templates.Page {
	p := page(w, r, "LTI", true)
	if lang != "" {
		p.Lang = lang
		p.T = func(k string) string { return catalog.In(lang, k) }
	}
	// A platform frames these pages; the course page is on the platform's own host.
	w.Header().Del("X-Frame-Options")
	setFrameAncestors(w, EmbedAncestors)
	return p
}

// setFrameAncestors rewrites the frame-ancestors of the response's CSP.
func setFrameAncestors(w http.ResponseWriter, anc string) {
	csp := w.Header().Get("Content-Security-Policy")
	if i := strings.Index(csp, "frame-ancestors "); i >= 0 {
		csp = csp[:i] + "frame-ancestors " + anc
	}
	w.Header().Set("Content-Security-Policy", csp)
}

// ltiRefuse shows why a launch was refused, with status 400 (403 for a forged or replayed
// token, 503 when the nonce store is full).
func (s *Server) ltiRefuse(w http.ResponseWriter, r *http.Request, err error) {
	lang, _ := pickLang(r)
	if f := r.PostForm.Get("lang"); f != "" && normLang(f) != "" {
		lang = normLang(f)
	}
	p := ltiPage(w, r, lang)
	p.Title = catalog.In(lang, "lti.err.title")
	kind := "claims"
	var le *lti.Error
	if errors.As(err, &le) {
		kind = string(le.Kind)
	} else if errors.Is(err, errNoLesson) {
		kind = "nolesson"
	} else if errors.Is(err, errNoLTI) {
		kind = "off"
	}
	status := http.StatusBadRequest
	switch kind {
	case "forged", "replayed":
		status = http.StatusForbidden
	case "busy":
		status = http.StatusServiceUnavailable
	case "off":
		status = http.StatusNotFound
	}
	s.log.Info("lti refused", "kind", kind, "err", err)
	render(w, r, status, templates.LTIErrorPage(templates.LTIError{Page: p, Kind: kind,
		Reason: catalog.In(lang, "lti.err."+kind), Detail: err.Error()}))
}

var (
	errNoLesson = errors.New("the link names no lesson of this site: the teacher picks one when adding the activity (deep linking)")
	errNoLTI    = errors.New("LTI is not configured on this server: start it with -lti FILE")
)

// postOnly answers a GET to an LTI route that a platform or a page POSTs to (a
// reloaded or bookmarked launch): 405, naming the method allowed.
func postOnly(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Allow", "POST")
	httpError(w, r, http.StatusMethodNotAllowed, "lti.post-only")
}

func (s *Server) handleJWKS(w http.ResponseWriter, r *http.Request) {
	if s.cfg.LTI == nil {
		notFound(w, r)
		return
	}
	b, err := s.cfg.LTI.KeySetJSON()
	if err != nil {
		httpError(w, r, http.StatusInternalServerError, "lti.keyset")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Write(b)
}

// handleLTILogin answers the platform's third-party login initiation (GET or POST) with
// a redirect to its authorization endpoint.
func (s *Server) handleLTILogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxLTIForm)
	if err := r.ParseForm(); err != nil {
		s.ltiRefuse(w, r, &lti.Error{Kind: lti.KindClaims, Err: err})
		return
	}
	if s.cfg.LTI == nil {
		s.ltiRefuse(w, r, errNoLTI)
		return
	}
	to, err := s.cfg.LTI.Login(lti.LoginRequestFrom(r.Form))
	if err != nil {
		s.ltiRefuse(w, r, err)
		return
	}
	http.Redirect(w, r, to, http.StatusFound)
}

// handleLTILaunch verifies the platform's id_token. A resource link opens its lesson's
// embed (the grade token in the fragment, never sent to a server or logged); a deep
// linking request shows the lesson picker.
func (s *Server) handleLTILaunch(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxLTIForm)
	if err := r.ParseForm(); err != nil {
		s.ltiRefuse(w, r, &lti.Error{Kind: lti.KindClaims, Err: err})
		return
	}
	if s.cfg.LTI == nil {
		s.ltiRefuse(w, r, errNoLTI)
		return
	}
	l, err := s.cfg.LTI.VerifyLaunch(r.Context(), r.PostForm.Get("id_token"), r.PostForm.Get("state"))
	if err != nil {
		s.ltiRefuse(w, r, err)
		return
	}
	lang := normLang(l.Locale)
	if l.MessageType == lti.MsgDeepLinking {
		s.ltiPicker(w, r, l, lang)
		return
	}
	id, q, err := s.ltiTarget(l)
	if err != nil {
		s.ltiRefuse(w, r, err)
		return
	}
	if lang != "" && q.Get("lang") == "" {
		q.Set("lang", lang)
	}
	st, _ := s.lookup(id)
	v := ParseView(q, lang, LessonBounds(st.lesson))
	grade := ""
	if st.lesson != nil && len(st.lesson.Questions) > 0 {
		vq := v.Query()
		vq.Del("lang")
		title := l.Resource.Title
		if title == "" {
			title = st.title.In(v.Lang)
		}
		if grade, err = s.cfg.LTI.GradeToken(l, id, vq.Encode(), title); err != nil {
			s.ltiRefuse(w, r, err)
			return
		}
	}
	// The fragment carries the page's grade token (empty when ungraded): the embed reads
	// it, keeps it for the tab and removes it from the address.
	http.Redirect(w, r, "/embed/lessons/"+url.PathEscape(id)+"?"+q.Encode()+"#lti="+url.QueryEscape(grade), http.StatusSeeOther)
}

// ltiTarget reads the lesson and view of a resource link: the custom parameter lesson,
// else the target link's ?lesson= or its /lessons/{id} path; the target's other query
// parameters are the view's.
func (s *Server) ltiTarget(l *lti.Launch) (string, url.Values, error) {
	u, err := url.Parse(l.Target)
	if err != nil {
		return "", nil, errNoLesson
	}
	q := u.Query()
	id := q.Get("lesson")
	q.Del("lesson")
	if c := l.Custom["lesson"]; c != "" {
		id = c
	}
	if id == "" {
		if rest, ok := strings.CutPrefix(u.Path, "/lessons/"); ok {
			id = rest
		} else if rest, ok := strings.CutPrefix(u.Path, "/embed/lessons/"); ok {
			id = rest
		}
	}
	if _, ok := s.lookup(id); !ok || id == "" {
		return "", nil, errNoLesson
	}
	keep := url.Values{}
	for _, k := range []string{"rtt", "profile", "seed", "drop", "speed", "numbers", "lang", "view", "width"} {
		if x := q.Get(k); x != "" {
			keep.Set(k, x)
		}
	}
	return id, keep, nil
}

func (s *Server) ltiPicker(w http.ResponseWriter, r *http.Request, l *lti.Launch, lang string) {
	if lang == "" {
		lang, _ = pickLang(r)
	}
	tok, err := s.cfg.LTI.DeepLinkToken(l)
	if err != nil {
		s.ltiRefuse(w, r, err)
		return
	}
	p := ltiPage(w, r, lang)
	p.Title = catalog.In(lang, "lti.dl.title")
	v := templates.LTIDeepLink{Page: p, Token: tok}
	for _, les := range s.cfg.Lessons.All() {
		label := les.Title.In(lang)
		if n := len(les.Questions); n > 0 {
			label += " · " + strconv.Itoa(n) + " " + catalog.In(lang, "lti.dl.questions")
		}
		v.Lessons = append(v.Lessons, templates.Option{Value: les.ID, Label: label})
	}
	for _, name := range tcp.ProfileNames {
		v.Profiles = append(v.Profiles, templates.Option{Value: name, Label: catalog.In(lang, "profile."+name), Selected: name == "linux"})
	}
	render(w, r, http.StatusOK, templates.LTIDeepLinkPage(v))
}

// handleLTIDeepLink answers the picker: a signed LtiDeepLinkingResponse with one
// ltiResourceLink (and a line item when the lesson asks questions and the platform
// accepts one), posted back to the platform by the browser.
func (s *Server) handleLTIDeepLink(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxLTIForm)
	if err := r.ParseForm(); err != nil {
		s.ltiRefuse(w, r, &lti.Error{Kind: lti.KindClaims, Err: err})
		return
	}
	if s.cfg.LTI == nil {
		s.ltiRefuse(w, r, errNoLTI)
		return
	}
	sess, err := s.cfg.LTI.OpenDeepLink(r.PostForm.Get("dl"))
	if err != nil {
		s.ltiRefuse(w, r, err)
		return
	}
	lang := normLang(r.PostForm.Get("lang"))
	if lang == "" {
		lang = "en"
	}
	id := r.PostForm.Get("lesson")
	st, ok := s.lookup(id)
	if !ok {
		s.ltiRefuse(w, r, errNoLesson)
		return
	}
	v := ParseView(r.PostForm, lang, LessonBounds(st.lesson))
	q := v.Query()
	q.Del("lang")
	if r.PostForm.Get("view") == "diagram" {
		q.Set("view", "diagram")
	}
	lq := url.Values{"lesson": {id}}
	for k, x := range q {
		lq[k] = x
	}
	item := lti.ContentItem{Type: "ltiResourceLink", Title: st.title.In(lang), Text: st.summary.In(lang),
		URL: s.cfg.LTI.URL() + "/lti/launch?" + lq.Encode(), Custom: map[string]string{"lesson": id}}
	if st.lesson != nil && len(st.lesson.Questions) > 0 {
		item.LineItem = &lti.LineItemSpec{ScoreMaximum: float64(len(st.lesson.Questions)), Label: st.title.In(lang), ResourceID: id}
	}
	ret, tok, err := s.cfg.LTI.DeepLinkResponse(sess, []lti.ContentItem{item})
	if err != nil {
		s.ltiRefuse(w, r, err)
		return
	}
	p := ltiPage(w, r, lang)
	p.Title = catalog.In(lang, "lti.return.title")
	// The form posts to the platform: allow exactly its origin.
	if u, err := url.Parse(ret); err == nil {
		csp := w.Header().Get("Content-Security-Policy")
		csp = strings.Replace(csp, "form-action 'self'", "form-action 'self' "+u.Scheme+"://"+u.Host, 1)
		w.Header().Set("Content-Security-Policy", csp)
	}
	render(w, r, http.StatusOK, templates.LTIReturnPage(templates.LTIReturn{Page: p, ReturnURL: ret, JWT: tok}))
}

// ScoreRequest is what a launched page posts to /lti/score: its grade token and the
// answers given so far, question index (from 0) → the choice picked.
type ScoreRequest struct {
	Token   string            `json:"token"`
	Answers map[string]string `json:"answers"`
	Lang    string            `json:"lang"`
}

// ScoreResult is /lti/score's answer.
type ScoreResult struct {
	Given     int    `json:"given"`
	Maximum   int    `json:"maximum"`
	Completed bool   `json:"completed"`
	Error     string `json:"error,omitempty"`
	Message   string `json:"message"`
}

// handleLTIScore grades a page's answers on the server (against the lesson run with the
// parameters the grade token fixed) and posts the score to the platform.
func (s *Server) handleLTIScore(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	var req ScoreRequest
	reply := func(status int, res ScoreResult) {
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(res)
	}
	lang := "en"
	// fail answers with what went wrong, for the page's log, and the reader's words.
	fail := func(status int, err error) {
		reply(status, ScoreResult{Error: err.Error(), Message: catalog.In(lang, "lti.score.failed")})
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxScoreBody))
	if err == nil {
		err = json.Unmarshal(b, &req)
	}
	if err != nil {
		fail(http.StatusBadRequest, fmt.Errorf("body: %w", err))
		return
	}
	if l := normLang(req.Lang); l != "" {
		lang = l
	}
	if s.cfg.LTI == nil {
		fail(http.StatusNotFound, errNoLTI)
		return
	}
	g, err := s.cfg.LTI.OpenGrade(req.Token)
	if err != nil {
		fail(http.StatusForbidden, err)
		return
	}
	st, ok := s.lookup(g.Lesson)
	if !ok || st.lesson == nil {
		fail(http.StatusBadRequest, errNoLesson)
		return
	}
	q, _ := url.ParseQuery(g.Query)
	v, rn, err := s.runView(g.Lesson, st, q, lang)
	if err != nil {
		fail(http.StatusBadRequest, err)
		return
	}
	res, err := grade(placeLesson(st.lesson, rn.tr, rn.layout, v.Params, lang).Questions, req.Answers)
	if err != nil {
		fail(http.StatusBadRequest, err)
		return
	}
	if err := s.cfg.LTI.PostScore(r.Context(), g, lti.Score{Given: res.Given, Maximum: res.Maximum, Completed: res.Completed}); err != nil {
		s.log.Warn("lti score", "err", err)
		reply(http.StatusBadGateway, ScoreResult{Given: res.Given, Maximum: res.Maximum, Error: err.Error(), Message: catalog.In(lang, "lti.score.failed")})
		return
	}
	res.Message = catalog.In(lang, "lti.score.saved")
	reply(http.StatusOK, res)
}

// grade counts the right answers among a page's (keyed by the question's number, from
// 0); an answer to a question the lesson does not have is an error.
func grade(qs []LessonQuestion, answers map[string]string) (ScoreResult, error) {
	res := ScoreResult{Maximum: len(qs)}
	for k, choice := range answers {
		i, err := strconv.Atoi(k)
		if err != nil || i < 0 || i >= len(qs) {
			return ScoreResult{}, fmt.Errorf("answer to question %q: this lesson has %d questions, numbered from 0", k, len(qs))
		}
		if choice == qs[i].Answer {
			res.Given++
		}
	}
	res.Completed = len(answers) == len(qs)
	return res, nil
}
