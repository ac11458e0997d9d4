package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5"

	"synack/engine/catalog"
	"synack/templates"
	"synack/web/classroom"
)

// ClassCookiePrefix names the cookie that carries a room's teacher secret (the room's
// code follows). It is HttpOnly and sent only under the room's own path, so the
// secret is never in an address a projector shows or a student can see.
const ClassCookiePrefix = "synack-teach-"

// ClassBoot is what the classroom script starts from (Boot.Class).
type ClassBoot struct {
	Code string `json:"code"`
	Role string `json:"role"` // "teacher" or "student"
	Key  string `json:"key,omitempty"`
	Join string `json:"join,omitempty"` // the address students open (teacher's view)
}

// classView rides in a request's context from a classroom handler to the player.
type classView struct {
	room *classroom.Room
	role string
	key  string
	join string // the join address, with scheme and host
	qr   string // the QR code of join, an <svg>
}

type classCtxKey struct{}

// hub is the classroom's NATS connection: Config.Classroom, else an embedded
// nats-server started at the first classroom request (and stopped with the server).
func (s *Server) hub() (*classroom.Hub, error) {
	return s.classHub()
}

func (s *Server) openHub() (*classroom.Hub, error) {
	if s.cfg.Classroom != nil {
		return s.cfg.Classroom, nil
	}
	h, err := classroom.Open(context.Background(), classroom.Config{Logger: s.log})
	if err == nil {
		s.ownHub = h
	}
	return h, err
}

// classError renders the page for a code that names no room (404) or an expired one
// (410), with the form to type another code.
func (s *Server) classError(w http.ResponseWriter, r *http.Request, code string, err error) {
	p := page(w, r, "", false)
	v := templates.ClassMessage{Page: p, Code: code}
	status := http.StatusNotFound
	switch {
	case errors.Is(err, classroom.ErrExpired):
		status, v.Message = http.StatusGone, catalog.In(p.Lang, "class.expired")
	case errors.Is(err, classroom.ErrNoRoom):
		v.Message = catalog.In(p.Lang, "class.noroom")
	case errors.Is(err, classroom.ErrTooManyRooms):
		status, v.Message = http.StatusServiceUnavailable, catalog.In(p.Lang, "class.toomany")
	case errors.Is(err, classroom.ErrNotTeacher):
		status, v.Message = http.StatusForbidden, catalog.In(p.Lang, "class.notteacher")
	case errors.Is(err, errNoClassLesson):
		status, v.Message = http.StatusBadRequest, catalog.In(p.Lang, "class.nolesson")
	default:
		s.log.Warn("classroom", "err", err)
		status, v.Message = http.StatusServiceUnavailable, catalog.In(p.Lang, "class.down")
	}
	p.Title = catalog.In(p.Lang, "class.title")
	v.Page = p
	render(w, r, status, templates.ClassMessagePage(v))
}

var errNoClassLesson = errors.New("no such lesson")

// handleClassJoin is /class: the form where a student types a room's code (and where
// the form sends it).
func (s *Server) handleClassJoin(w http.ResponseWriter, r *http.Request) {
	if typed := r.URL.Query().Get("code"); typed != "" {
		code := classroom.NormalizeCode(typed)
		if code == "" {
			s.classError(w, r, typed, classroom.ErrNoRoom)
			return
		}
		http.Redirect(w, r, "/class/"+code, http.StatusSeeOther)
		return
	}
	p := page(w, r, "", false)
	p.Title = catalog.In(p.Lang, "class.title")
	render(w, r, http.StatusOK, templates.ClassMessagePage(templates.ClassMessage{Page: p, Message: catalog.In(p.Lang, "class.typecode")}))
}

// handleClassNew is /class/new?lesson=ID&…: it opens a room on the lesson with the
// address's parameters and sends the teacher to the room's teacher view, with the
// room's secret in a cookie.
func (s *Server) handleClassNew(w http.ResponseWriter, r *http.Request) {
	lang, _ := pickLang(r)
	id := r.URL.Query().Get("lesson")
	st, ok := s.lookup(id)
	if !ok {
		s.classError(w, r, "", errNoClassLesson)
		return
	}
	// The room's questions are placed on the run its pages show (the default width).
	q0 := r.URL.Query()
	q0.Del("width")
	q0.Del("expand")
	v, rn, err := s.runView(id, st, q0, lang)
	if err != nil {
		httpFail(w, r, http.StatusBadRequest, "error.run", err)
		return
	}
	sp := classroom.Spec{Lesson: id, Lang: lang}
	q := v.Query()
	q.Del("step")
	q.Del("speed")
	q.Del("lang")
	sp.Query = q.Encode()
	if st.lesson != nil {
		for _, qq := range st.lesson.Place(rn.tr, rn.layout, v.Params).Questions {
			sp.Questions = append(sp.Questions, classroom.Question{Step: qq.Step, Choices: qq.Choices, Answer: qq.Answer,
				Ask:     map[string]string{"en": qq.Ask.In("en"), "zh": qq.Ask.In("zh")},
				Explain: map[string]string{"en": qq.Explain.In("en"), "zh": qq.Explain.In("zh")}})
		}
	}
	h, err := s.hub()
	if err != nil {
		s.classError(w, r, "", err)
		return
	}
	room, key, err := h.Create(r.Context(), sp)
	if err != nil {
		s.classError(w, r, "", err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: ClassCookiePrefix + room.Code, Value: key, Path: "/class/" + room.Code,
		MaxAge: int(classroom.RoomLifetime.Seconds()), HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/class/"+room.Code+"/teach?lang="+lang, http.StatusSeeOther)
}

// teacherKey is the secret the request carries for the room, or "".
func teacherKey(r *http.Request, code string) string {
	if c, err := r.Cookie(ClassCookiePrefix + code); err == nil {
		return c.Value
	}
	return ""
}

// room reads the room the address names, answering with the error page if it cannot.
func (s *Server) room(w http.ResponseWriter, r *http.Request) (*classroom.Room, bool) {
	typed := chi.URLParam(r, "code")
	code := classroom.NormalizeCode(typed)
	if code == "" {
		s.classError(w, r, typed, classroom.ErrNoRoom)
		return nil, false
	}
	h, err := s.hub()
	if err != nil {
		s.classError(w, r, code, err)
		return nil, false
	}
	room, _, err := h.Get(r.Context(), code)
	if err != nil {
		s.classError(w, r, code, err)
		return nil, false
	}
	if typed != code {
		http.Redirect(w, r, "/class/"+code+strings.TrimPrefix(r.URL.Path, "/class/"+typed)+"?"+r.URL.RawQuery, http.StatusSeeOther)
		return nil, false
	}
	return room, true
}

func (s *Server) handleClassStudent(w http.ResponseWriter, r *http.Request) {
	room, ok := s.room(w, r)
	if !ok {
		return
	}
	s.classPlayer(w, r, &classView{room: room, role: "student"})
}

func (s *Server) handleClassTeacher(w http.ResponseWriter, r *http.Request) {
	room, ok := s.room(w, r)
	if !ok {
		return
	}
	key := teacherKey(r, room.Code)
	if !room.IsTeacher(key) {
		s.classError(w, r, room.Code, classroom.ErrNotTeacher)
		return
	}
	join := joinURL(r, room.Code)
	lang, _ := pickLang(r)
	svg, err := classroom.QRSVG(join, catalog.In(lang, "class.qr")+" "+join)
	if err != nil {
		s.classError(w, r, room.Code, err)
		return
	}
	s.classPlayer(w, r, &classView{room: room, role: "teacher", key: key, join: join, qr: svg})
}

// joinURL is the address a student opens: this site's scheme and host, /class/CODE.
func joinURL(r *http.Request, code string) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/class/" + code
}

// classPlayer draws the lesson's player for a room: the player handler runs with the
// room's lesson and parameters, and the room's panel and script added.
func (s *Server) classPlayer(w http.ResponseWriter, r *http.Request, cv *classView) {
	w.Header().Set("Cache-Control", "no-store")
	q, _ := url.ParseQuery(cv.room.Query)
	lang, _ := pickLang(r)
	q.Set("lang", lang)
	q.Set("step", strconv.Itoa(cv.room.Step+1)) // the page opens where the teacher is
	for _, k := range []string{"width", "expand"} {
		if x := r.URL.Query().Get(k); x != "" {
			q.Set(k, x)
		}
	}
	rctx := chi.NewRouteContext()
	rctx.URLParams.Add("id", cv.room.Lesson)
	ctx := context.WithValue(context.WithValue(r.Context(), chi.RouteCtxKey, rctx), classCtxKey{}, cv)
	r2 := r.Clone(ctx)
	r2.URL.RawQuery = q.Encode()
	s.handlePlayer(false)(w, r2)
}

// classify turns a player page into a room's view: the room's panel on top, the
// player's own choices (parameters, sharing) away, and for a student no answers in
// the page.
func classify(r *http.Request, vm *templates.Player, boot *Boot) {
	cv, ok := r.Context().Value(classCtxKey{}).(*classView)
	if !ok {
		return
	}
	vm.ClassRole = cv.role
	boot.Class = &ClassBoot{Code: cv.room.Code, Role: cv.role, Key: cv.key, Join: cv.join}
	cp := templates.ClassPanel{Page: vm.Page, Code: cv.room.Code, Role: cv.role, Join: cv.join, QR: templ.Raw(cv.qr),
		CSVURL: "/class/" + cv.room.Code + "/answers.csv"}
	if boot.Lesson != nil {
		lb := *boot.Lesson
		lb.Questions = nil
		for _, q := range boot.Lesson.Questions {
			if cv.role == "student" {
				q.Answer, q.Explain = "", ""
			}
			lb.Questions = append(lb.Questions, q)
		}
		boot.Lesson = &lb
	}
	if cv.role == "student" {
		vm.Questions = nil
	}
	vm.Class = templates.ClassPanelView(cp)
}

// handleClassCSV is the teacher's download of every answer given in the room.
func (s *Server) handleClassCSV(w http.ResponseWriter, r *http.Request) {
	room, ok := s.room(w, r)
	if !ok {
		return
	}
	h, _ := s.hub()
	room, votes, nicks, err := h.Votes(r.Context(), room.Code, teacherKey(r, room.Code))
	if err != nil {
		s.classError(w, r, chi.URLParam(r, "code"), err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Disposition", `attachment; filename="synack-`+room.Code+`.csv"`)
	classroom.WriteCSV(w, room, votes, nicks)
}

// handleClassWS is a room's socket, for the teacher and the students alike.
func (s *Server) handleClassWS(w http.ResponseWriter, r *http.Request) {
	if !s.upgradeAllowed(w, r) {
		return
	}
	code := classroom.NormalizeCode(chi.URLParam(r, "code"))
	h, err := s.hub()
	if err != nil {
		httpError(w, r, http.StatusServiceUnavailable, "class.down")
		return
	}
	h.ServeWS(w, r, code)
}
