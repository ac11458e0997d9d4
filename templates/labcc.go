package templates

// LabCC is the side-by-side of Reno (the rfc profile) and CUBIC (linux) on one run of a
// data story: the knobs, what each run came to, why they differ, and both runs' figures
// on one time axis.
type LabCC struct {
	Page     Page
	Problems []string
	// Story is the story's id; Stories the ones it can be.
	Story   string
	Stories []Option
	// RTT (ms), Seed, Loss, Rate (Mbit/s) and Queue are the knobs as the form shows them.
	RTT, Seed, Loss, Rate, Queue string
	Rows                         []CCRow
	Why                          []string
	Sides                        []CCSide
	// LabURL opens the lab with the same knobs; ShareURL is this comparison's address.
	LabURL, ShareURL string
	// Stops is how many places the time slider stops at.
	Stops int
	// Data is both runs' figures and the time slider's stops, as JSON for labcc.js.
	Data any
}

// CCRow is one measure of the summary: a value per side, rfc first.
type CCRow struct {
	Key, Label string
	Values     []string
}

// CCSide is one profile's run: its name, what the profile does, its figures and the
// player for it.
type CCSide struct {
	Profile, Title, About, PlayerURL string
	Figures                          []PlotFigure
}
