package classroom

import (
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"io"
	"strconv"
)

// CSVHeader is the first row of a room's answers export.
var CSVHeader = []string{"question", "step", "ask", "round", "respondent", "choice", "correct"}

// Respondent names a student in an export: their nickname, else a short name derived
// from their id (the same in every row, telling nobody who they are).
func Respondent(student, nick string) string {
	if nick != "" {
		return nick
	}
	h := sha256.Sum256([]byte(student))
	return "anon-" + hex.EncodeToString(h[:3])
}

// WriteCSV writes a room's answers, one row per answer, questions and steps counted
// from 1 as people count, each question worded in the teacher's language.
func WriteCSV(w io.Writer, r *Room, votes []Vote, nicks map[string]string) error {
	cw := csv.NewWriter(w)
	cw.Write(CSVHeader)
	for _, v := range votes {
		if v.Question < 0 || v.Question >= len(r.Questions) {
			continue
		}
		q := r.Questions[v.Question]
		if v.Choice < 0 || v.Choice >= len(q.Choices) {
			continue
		}
		choice := q.Choices[v.Choice]
		cw.Write([]string{strconv.Itoa(v.Question + 1), strconv.Itoa(q.Step + 1), csvSafe(q.Ask[r.Lang]), strconv.Itoa(v.Round),
			csvSafe(Respondent(v.Student, nicks[v.Student])), csvSafe(choice), strconv.FormatBool(choice == q.Answer)})
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe keeps a spreadsheet from reading a cell as a formula (a nickname such as
// "=HYPERLINK(…)"): such a cell starts with an apostrophe.
func csvSafe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}
