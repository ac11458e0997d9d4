// Package templates holds synack's server-rendered views: templ components that take
// view-model structs and hold no logic of their own.
package templates

// Generated *_templ.go files are committed; templ names sources relative to the module root,
// so the generator runs from there (web tests check the output is fresh).
//go:generate sh -c "cd .. && go tool templ generate"

import "github.com/a-h/templ"

// Page is what every page needs: language, title, the other language's address.
type Page struct {
	Lang         string
	Title        string
	OtherLangURL string
	Embed        bool
	// FitWidth asks the page to reload itself with width=narrow, before its first paint,
	// when the screen (or the frame) is too narrow for the wide diagram.
	FitWidth bool
	T        func(key string) string
	// View is a compact embed's view ("diagram" or "lab"), "" for the whole page.
	View string
	// OEmbedURL is the page's oEmbed discovery link; OGImage (absolute) its preview
	// picture, with OGImageAlt its text alternative.
	OEmbedURL, OGImage, OGImageAlt string
}

// Card is one scenario or lesson in the catalogue.
type Card struct {
	ID, Title, Summary, URL string
	Thumb                   string // an <svg> drawn by diagram.Thumbnail, or ""
	Lesson                  bool   // a lesson, not a bare story
}

// CardGroup is one section of the catalogue (handshake, close, ...).
type CardGroup struct {
	Key, Title string
	Cards      []Card
}

// Index is the catalogue page.
type Index struct {
	Page   Page
	Groups []CardGroup
}

// Option is one choice of a select.
type Option struct {
	Value, Label string
	Selected     bool
}

// Line is one transcript line with the address of its step.
type Line struct {
	Index int
	Text  string
	URL   string
	Class string // "current" for the step shown, "future" after it
	// Links are lessons a narration line points to (an imported connection's anomalies).
	Links []Card
}

// LaneHead is a lane's name above the diagram; Left is its x as a CSS percentage.
type LaneHead struct {
	Name, Addr, Left string
}

// Player is the lesson player (also the embed view).
type Player struct {
	Page Page
	// PNGURL and MMDURL are the diagram's PNG and Mermaid exports (Share menu).
	PNGURL, MMDURL string
	ID             string
	Title          string
	Summary        string
	Problems       []string
	Profiles       []Option
	Speeds         []Option
	RTTms          string
	// ProfileLabel names the chosen profile (shown on the folded parameters).
	ProfileLabel string
	Seed         string
	Drop         string
	Lang         string
	SVG          templ.Component
	Lines        []Line
	Boot         any // reaches the browser through templ.JSONScript
	SVGURL       string
	PcapURL      string
	// PcapngURL exports pcapng, with the key log of TLS and QUIC runs embedded.
	PcapngURL string
	// NoStates hides the TCP state diagram for runs without TCP (QUIC over UDP).
	NoStates bool
	// ExpandURL, when set, is the same view with a flood's bundles drawn as every segment
	// (or back); ExpandNote says what the reader sees now and ExpandLink what the link does.
	ExpandURL, ExpandNote, ExpandLink string
	// Plots, when set, are the data phase's figures under the diagram (plots.templ).
	Plots *Plots
	// StatesLarge draws the state figure full width below the diagram (a lesson about
	// the state machine itself asks for it).
	StatesLarge bool
	OpenURL     string
	Steps       int
	// Narration and Questions come from a lesson (empty for a bare scenario).
	Narration []Line
	// NarrationNow is the narration at the first step shown.
	NarrationNow string
	// StepText is the step counter at the first step shown ("Step 1 of 42").
	StepText  string
	Lanes     []LaneHead
	Questions []QuestionView
	Related   []Card
	// OpensOnSegment says the first step shown is a segment, whose fields the inspector
	// shows as soon as its bytes arrive (the panel keeps their room from the first paint).
	OpensOnSegment bool
	// Tellers are the lessons that tell a bare story's tale (empty on a lesson's page).
	Tellers []Card
	// Sources names the RFC sections and Linux sources a lesson relies on.
	Sources string
	// Omitted says why steps or questions of the lesson are not shown on this run.
	Omitted []string
	// Tcpdump is the run as tcpdump -S prints it, one line per segment (Index: its step).
	Tcpdump []Line
	// Class is a classroom's panel over the player, and ClassRole "teacher" or
	// "student" (empty for the plain player).
	Class     templ.Component
	ClassRole string
	// Import says the player shows a connection of the reader's own capture: no
	// parameters to change, no embed or export of a story.
	Import bool
}

// QuestionView is a predict-then-reveal question as printed (no-JS and print form).
type QuestionView struct {
	Step    int
	Ask     string
	Choices []string
	Answer  string
	Explain string
}

// Lab is the sandbox page.
type Lab struct {
	Page   Page
	Boot   any
	Speeds []Option
	// Loss, Rate and Queue are the network knobs as the address gives them ("" for
	// none): seeded random loss, a bottleneck's Mbit/s and its queue in packets.
	Loss, Rate, Queue string
	// CCURL runs the lab's network under both profiles side by side (/lab/cc).
	CCURL string
}

// NotFound is the page for an unknown scenario.
type NotFound struct {
	Page Page
}

// Compare is the handshake comparison page.
type Compare struct {
	Page               Page
	RTTms              int
	MinRTTms, MaxRTTms int
	Lose               bool
	Problems           []string
	Rows               []CompareRow
	OpenURL            string // the full page, for the embedded view's link
}

// CompareRow is one variant's column: numbers preformatted, its SVG drawn in Go.
type CompareRow struct {
	ID, Title                     string
	Modelled                      bool
	Packets, Before, First, Bytes string
	FirstMs                       string
	// Bar is the style of the row's bar: --r round trips to the first byte, on a scale of
	// --m (the same for every row), one block per round trip.
	Bar        string
	SVG        string
	Transcript []string
	PlayerURL  string
	// LessonURL and LessonTitle name the lesson that tells this variant's story.
	LessonURL, LessonTitle string
}

// ClassPanel is a classroom's panel above the player.
type ClassPanel struct {
	Page   Page
	Code   string
	Role   string // "teacher" or "student"
	Join   string // the address students open
	QR     templ.Component
	CSVURL string
}

// ClassMessage is a classroom page that says something instead: a wrong or expired
// code, or the form to type one.
type ClassMessage struct {
	Page    Page
	Code    string
	Message string
}

// LTIError is a refused LTI launch: Kind is the machine-readable reason, Reason its
// sentence, Detail the technical message for an administrator.
type LTIError struct {
	Page   Page
	Kind   string
	Reason string
	Detail string
}

// LTIDeepLink is the lesson picker a teacher sees in a deep linking request.
type LTIDeepLink struct {
	Page     Page
	Token    string
	Lessons  []Option
	Profiles []Option
}

// LTIReturn posts a signed deep linking response back to the platform.
type LTIReturn struct {
	Page      Page
	ReturnURL string
	JWT       string
}
