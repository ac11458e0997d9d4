// Package static embeds the browser's files: plain ES modules and CSS, no build step.
package static

import "embed"

// FS holds js/ and css/.
//
//go:embed js css
var FS embed.FS
