package templates

import "github.com/a-h/templ"

// The only scripts the pages carry inline: each is fixed text, so the Content Security
// Policy allows it by its hash ('sha256-…', CSP Level 3 §8.4) and a cached page is served
// exactly as it was rendered, with no per-response nonce to fill in. Anything else runs
// from /static. A web test checks that every inline script of every page is one of these.
const (
	// ScriptJS marks the document as scripted before the first paint, so the styles of
	// the no-script fallback never flash.
	ScriptJS = `document.documentElement.classList.add("js")`
	// ScriptFitWidth reloads the page with width=narrow before its first paint when the
	// screen (or the frame) is too narrow for the wide diagram.
	ScriptFitWidth = `if(innerWidth<600){const u=new URL(location.href);u.searchParams.set("width","narrow");location.replace(u)}`
)

// InlineScripts lists every inline script a page may carry, for the policy's hashes.
var InlineScripts = []string{ScriptJS, ScriptFitWidth}

// inlineScript writes one of InlineScripts as a script element, byte for byte as hashed.
func inlineScript(src string) templ.Component {
	return templ.Raw("<script>" + src + "</script>")
}
