package templates

// Plots is the data phase's two figures under a story's diagram: their geometry for
// static/js/plots.js (which draws them and keeps them on the player's cursor), their
// standalone SVGs, and a table for each as its text alternative.
type Plots struct {
	Figures []PlotFigure
	// Data is both figures' geometry (engine/diagram.Plot), as JSON for plots.js.
	Data any
	// CCURL runs this story under both profiles side by side (/lab/cc), with the view's
	// parameters.
	CCURL string
}

// PlotFigure is one figure: its title and description, its SVG for readers without
// scripts (and to download), and its table.
type PlotFigure struct {
	Kind, Title, Desc, SVGURL string
	Head                      []string
	Rows                      []PlotRow
	// Note says when the table shows only some rows.
	Note string
}

// PlotRow is one row of a figure's table; URL opens the player at its step.
type PlotRow struct {
	Step  int
	URL   string
	Cells []string
}
