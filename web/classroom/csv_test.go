package classroom

import (
	"bytes"
	"encoding/csv"
	"testing"
)

// An export names no one who gave no nickname, marks right answers, and keeps a
// nickname a spreadsheet would run as a formula from being one.
func TestWriteCSV(t *testing.T) {
	r := &Room{Lang: "zh", Questions: handshakeQ}
	const anon, named = "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"
	votes := []Vote{{Question: 0, Round: 1, Student: anon, Choice: 2}, {Question: 0, Round: 2, Student: named, Choice: 1}}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, r, votes, map[string]string{named: `=HYPERLINK("x")`}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{CSVHeader,
		{"1", "7", "哪个状态？", "1", Respondent(anon, ""), "SYN-RECEIVED", "true"},
		{"1", "7", "哪个状态？", "2", `'=HYPERLINK("x")`, "SYN-SENT", "false"}}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d: %q", len(rows), len(want), rows)
	}
	for i := range want {
		for j := range want[i] {
			if rows[i][j] != want[i][j] {
				t.Errorf("row %d column %s = %q, want %q", i, CSVHeader[j], rows[i][j], want[i][j])
			}
		}
	}
	if got := Respondent(anon, ""); len(got) != len("anon-")+6 || got == Respondent(named, "") {
		t.Errorf("Respondent(%s) = %q", anon, got)
	}
}
