package templates

// Import is the /import page.
type Import struct {
	Page    Page
	Limits  string
	Strings map[string]string // the words import.js uses
}

// Script is the /script page.
type Script struct {
	Page    Page
	Limits  string
	Strings map[string]string // the words script.js uses
}
