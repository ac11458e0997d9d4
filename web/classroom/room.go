package classroom

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Phase is where a room's current question stands.
type Phase string

// The phases of a question, in Peer Instruction's order: students vote with the
// histogram hidden, the teacher shows it, may open a revote, and reveals the answer.
const (
	PhaseNone      Phase = ""          // no question open
	PhaseVoting    Phase = "voting"    // students answer; only the number of answers is shown
	PhaseHistogram Phase = "histogram" // the votes are shown; answering is closed
	PhaseAnswer    Phase = "answer"    // the right answer is shown
)

// Question is one of a room's questions as the room needs it: where it is asked, what
// may be answered and what is right. Its wording stays with the lesson.
type Question struct {
	Step    int               `json:"step"`          // asked before this step (counted from 0) is shown
	Ask     map[string]string `json:"ask,omitempty"` // the wording by language ("en", "zh"), for the export
	Choices []string          `json:"choices"`
	Answer  string            `json:"answer"`
	// Explain is the explanation shown with the answer, by language ("en", "zh").
	Explain map[string]string `json:"explain,omitempty"`
}

// Room is a room's whole state, as stored in the bucket under its code.
type Room struct {
	Code    string `json:"code"`
	KeyHash string `json:"key_hash"` // SHA-256 of the teacher's secret, hex
	Lesson  string `json:"lesson"`
	Query   string `json:"query"` // the lesson's parameters (rtt, profile, seed, …)
	Lang    string `json:"lang"`  // the teacher's language (the CSV's)

	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`

	Questions []Question `json:"questions"`

	Step     int   `json:"step"`     // the teacher's step, counted from 0
	Question int   `json:"question"` // the open question's index, -1 for none
	Phase    Phase `json:"phase"`
	Round    int   `json:"round"` // the open question's round of voting, from 1
	// Counts are the votes of the open question's round per choice, frozen when the
	// teacher shows the histogram (nil while voting).
	Counts []int `json:"counts,omitempty"`
}

// Errors a room operation returns; the web layer words them for people.
var (
	ErrNoRoom        = errors.New("no room with that code")
	ErrExpired       = errors.New("the room has expired")
	ErrRoomFull      = errors.New("the room is full")
	ErrTooManyRooms  = errors.New("too many rooms are open on this server")
	ErrNotTeacher    = errors.New("only the teacher may do that")
	ErrAnswered      = errors.New("you have already answered this question")
	ErrNotVoting     = errors.New("this question is not open for answers")
	ErrBadChoice     = errors.New("that is not one of the choices")
	ErrBadQuestion   = errors.New("no such question")
	ErrTooManyRounds = errors.New("no more revotes on this question")
	ErrBadRequest    = errors.New("bad room request")
)

// codeAlphabet has no letters that read alike (0/O, 1/I/L), so a code read off a
// projector is typed right.
const codeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// CodeLen is the length of a room code: 31⁶ ≈ 890 million codes.
const CodeLen = 6

func newCode() string {
	var b [CodeLen]byte
	rand.Read(b[:])
	for i := range b {
		b[i] = codeAlphabet[int(b[i])%len(codeAlphabet)]
	}
	return string(b[:])
}

// NormalizeCode reads a typed code: case and spaces do not matter. It returns "" for
// anything that cannot be a code.
func NormalizeCode(s string) string {
	s = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	if len(s) != CodeLen {
		return ""
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(codeAlphabet, s[i]) < 0 {
			return ""
		}
	}
	return s
}

// newSecret returns a random 128-bit secret, hex.
func newSecret() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func hashKey(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:])
}

// IsTeacher reports whether key is the room's teacher secret.
func (r *Room) IsTeacher(key string) bool {
	if key == "" || r.KeyHash == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(hashKey(key)), []byte(r.KeyHash)) == 1
}

// validStudentID reports whether id is one the server handed out (32 hex digits).
func validStudentID(id string) bool {
	if len(id) != 32 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil && strings.ToLower(id) == id
}

// CleanNickname trims a nickname and cuts it to MaxNickname characters; control
// characters are dropped.
func CleanNickname(s string) string {
	s = strings.TrimSpace(s)
	var b strings.Builder
	n := 0
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			continue
		}
		if n == MaxNickname {
			break
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// Command is what a teacher asks of a room.
type Command struct {
	Type     string `json:"type"` // step, ask, show, revote, reveal, close
	Step     int    `json:"step"`
	Question int    `json:"question"`
}

// apply changes the room as the teacher's command says. counts gives the current
// round's votes per choice (read when the histogram is shown).
func (r *Room) apply(c Command, counts func() ([]int, error)) error {
	switch c.Type {
	case "step":
		if c.Step < 0 || c.Step > 1<<20 {
			return fmt.Errorf("%w: step %d", ErrBadRequest, c.Step)
		}
		r.Step = c.Step
		// Going back before the open question's step closes it: it is asked again
		// when the teacher comes to it.
		if r.Question >= 0 && r.Step < r.Questions[r.Question].Step-1 {
			r.closeQuestion()
		}
	case "ask":
		if c.Question < 0 || c.Question >= len(r.Questions) {
			return fmt.Errorf("%w: %d", ErrBadQuestion, c.Question)
		}
		if r.Question == c.Question && r.Phase != PhaseNone {
			return nil // asked already (a second tab, a reconnect): keep its votes
		}
		r.Question, r.Phase, r.Round, r.Counts = c.Question, PhaseVoting, 1, nil
	case "show", "reveal":
		if r.Question < 0 {
			return ErrBadQuestion
		}
		if r.Phase == PhaseVoting {
			n, err := counts()
			if err != nil {
				return err
			}
			r.Counts = n
		}
		if c.Type == "show" && r.Phase == PhaseVoting {
			r.Phase = PhaseHistogram
		} else if c.Type == "reveal" {
			r.Phase = PhaseAnswer
		}
	case "revote":
		if r.Question < 0 {
			return ErrBadQuestion
		}
		if r.Round >= MaxRounds {
			return ErrTooManyRounds
		}
		r.Round++
		r.Phase, r.Counts = PhaseVoting, nil
	case "close":
		r.closeQuestion()
	default:
		return fmt.Errorf("%w: unknown command %q", ErrBadRequest, c.Type)
	}
	return nil
}

func (r *Room) closeQuestion() {
	r.Question, r.Phase, r.Round, r.Counts = -1, PhaseNone, 0, nil
}

// choiceIndex is the index of choice in the open question, or -1.
func (r *Room) choiceIndex(choice string) int {
	if r.Question < 0 {
		return -1
	}
	for i, c := range r.Questions[r.Question].Choices {
		if c == choice {
			return i
		}
	}
	return -1
}
