package packetdrill

import (
	"strings"
)

// A backquoted block is run by packetdrill with /bin/sh -c, which is dash on Debian: the
// runner reads the block as dash does (lists joined by ; & && || and newlines, words with
// quotes and $((...)), redirections), and runs its simple commands in that order with the
// statuses sh would see. The block's status is its last command's, as for sh -c.

// StepKind says what a simple command of a shell block does.
type StepKind uint8

// The kinds of simple command.
const (
	StepNone     StepKind = iota + 1 // nothing to run: redirections alone, true, :
	StepFalse                        // false: status 1
	StepSysctl                       // sets the sysctls in Sysctls
	StepDefaults                     // runs packetdrill's defaults.sh (Text is its path)
	StepRestore                      // set_sysctls.py's restore script: nothing to restore
	StepCommand                      // anything else: the stack runs it (Stack.Command)
)

// ShellStep is one simple command (or pipeline) of a block, in the order sh runs them.
type ShellStep struct {
	// Op is how the step joins the one before: "" (after ; & or a newline), "&&" or "||".
	Op string
	// Background: the command ends with &, so sh does not wait for its status (0).
	Background bool
	Kind       StepKind
	// Text is the command as written, with its redirections (what /bin/sh -c runs).
	Text string
	// Args are its words without the redirections (for a pipeline, with "|").
	Args    []string
	Sysctls []Sysctl
	// Negate: the pipeline was written after "!", so its status is inverted (Text and
	// Args leave the "!" out).
	Negate bool
}

type shWord struct {
	text  string
	redir bool // a redirection operator and its target: "> /dev/null", "2>&1"
}

// shellSteps splits a block into its simple commands. Pipelines stay whole (one Command
// step whose status is its last command's).
func shellSteps(src string) []ShellStep {
	var steps []ShellStep
	var words []shWord
	var cur strings.Builder
	have, inWord := false, false
	start := -1 // where the current command's text starts in src
	op := ""
	pipe := false
	flushWord := func() {
		if have {
			words = append(words, shWord{text: cur.String()})
		}
		cur.Reset()
		have, inWord = false, false
	}
	endCmd := func(end int, bg bool, next string) {
		flushWord()
		text := ""
		if start >= 0 {
			text = strings.TrimSpace(strings.ReplaceAll(src[start:end], "\\\n", " "))
		}
		if text != "" || bg {
			st := classify(words, text)
			st.Op, st.Background = op, bg
			if pipe {
				st.Kind, st.Sysctls = StepCommand, nil
			}
			steps = append(steps, st)
		}
		words, start, op, pipe = nil, -1, next, false
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		if start < 0 && c != ' ' && c != '\t' && c != '\n' && c != ';' {
			start = i
		}
		switch {
		case c == '\\' && i+1 < len(src) && src[i+1] == '\n':
			i++ // a line continuation
		case c == '\\' && i+1 < len(src):
			i++
			cur.WriteByte(src[i])
			have, inWord = true, true
		case c == '\'' || c == '"':
			end := strings.IndexByte(src[i+1:], c)
			if end < 0 {
				end = len(src) - i - 1
			}
			body := src[i+1 : i+1+end]
			if c == '"' {
				body = expandArith(body)
			}
			cur.WriteString(body)
			have, inWord = true, true
			i += end + 1
		case c == '#' && !inWord:
			if start == i && len(words) == 0 {
				start = -1 // a line that is only a comment
			}
			for i < len(src) && src[i] != '\n' {
				i++
			}
			i--
		case c == '$' && strings.HasPrefix(src[i:], "$(("):
			end := strings.Index(src[i:], "))")
			if end < 0 {
				cur.WriteString(src[i:])
				i = len(src)
			} else {
				cur.WriteString(arith(src[i+3 : i+end]))
				i += end + 1
			}
			have, inWord = true, true
		case c == ' ' || c == '\t':
			flushWord()
		case c == '>' || c == '<':
			// A redirection: an fd number written just before it belongs to it.
			fd := ""
			if inWord && isDigits(cur.String()) {
				fd = cur.String()
				cur.Reset()
				have, inWord = false, false
			} else {
				flushWord()
			}
			j := i + 1
			for j < len(src) && (src[j] == '>' || src[j] == '&' || src[j] == '|') && j-i < 2 {
				j++
			}
			opText := fd + src[i:j]
			for j < len(src) && (src[j] == ' ' || src[j] == '\t') {
				j++
			}
			k := j
			for k < len(src) && !strings.ContainsRune(" \t\n;&|<>", rune(src[k])) {
				k++
			}
			words = append(words, shWord{text: opText + src[j:k], redir: true})
			i = k - 1
		case c == '\n' || c == ';':
			endCmd(i, false, "")
		case c == '&' && i+1 < len(src) && src[i+1] == '&':
			endCmd(i, false, "&&")
			i++
		case c == '|' && i+1 < len(src) && src[i+1] == '|':
			endCmd(i, false, "||")
			i++
		case c == '&':
			endCmd(i, true, "")
		case c == '|':
			flushWord()
			words = append(words, shWord{text: "|"})
			pipe = true
		default:
			cur.WriteByte(c)
			have, inWord = true, true
		}
	}
	endCmd(len(src), false, "")
	return steps
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// expandArith evaluates the $((...)) of a double-quoted string.
func expandArith(s string) string {
	for {
		i := strings.Index(s, "$((")
		if i < 0 {
			return s
		}
		end := strings.Index(s[i:], "))")
		if end < 0 {
			return s
		}
		v := arith(s[i+3 : i+end])
		if strings.HasPrefix(v, "$((") {
			return s
		}
		s = s[:i] + v + s[i+end+2:]
	}
}

// classify says what a simple command does, from its words.
func classify(words []shWord, text string) ShellStep {
	negate := false
	if len(words) > 1 && !words[0].redir && words[0].text == "!" && strings.HasPrefix(text, "!") {
		words, text, negate = words[1:], strings.TrimSpace(text[1:]), true
	}
	st := ShellStep{Text: text, Kind: StepCommand, Negate: negate}
	var f []string
	var redirs []string
	for _, w := range words {
		if w.redir {
			redirs = append(redirs, w.text)
		} else {
			f = append(f, w.text)
		}
	}
	st.Args = f
	switch {
	case len(f) == 0 || len(f) == 1 && (f[0] == "true" || f[0] == ":"):
		st.Kind = StepNone
	case len(f) == 1 && f[0] == "false":
		st.Kind = StepFalse
	case strings.HasSuffix(f[0], "defaults.sh"):
		st.Kind, st.Text = StepDefaults, f[0]
	case len(f) == 1 && strings.HasPrefix(f[0], "/tmp/sysctl_restore_"):
		st.Kind = StepRestore
	case len(f) >= 2 && strings.HasSuffix(f[0], "set_sysctls.py"):
		// packetdrill's set_sysctls.py writes /proc/sys/...=value pairs (and leaves a
		// script that restores them, which the runner has no need of: its stacks start
		// from packetdrill's defaults every run).
		var scs []Sysctl
		for _, kv := range f[1:] {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || !strings.HasPrefix(k, "/proc/sys/") {
				return st
			}
			scs = append(scs, Sysctl{Name: sysctlBase(k), Value: v})
		}
		st.Kind, st.Sysctls = StepSysctl, scs
	case f[0] == "sysctl":
		var scs []Sysctl
		for _, kv := range f[1:] {
			if strings.HasPrefix(kv, "-") {
				continue
			}
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return st // sysctl reading a value: the stack runs it
			}
			scs = append(scs, Sysctl{Name: sysctlBase(k), Value: v})
		}
		if len(scs) > 0 {
			st.Kind, st.Sysctls = StepSysctl, scs
		}
	case len(f) == 2 && f[0] == "echo" && len(redirs) == 1 && strings.HasPrefix(redirs[0], ">/proc/sys/net/"):
		st.Kind, st.Sysctls = StepSysctl, []Sysctl{{Name: sysctlBase(strings.TrimPrefix(redirs[0], ">")), Value: f[1]}}
	case len(f) == 2 && f[0] == "echo" && len(redirs) == 1 && strings.HasPrefix(redirs[0], ">"+modulePrefix):
		// A module parameter (echo 3 > /sys/module/tcp_cubic/parameters/hystart_detect):
		// set as a sysctl named module.parameter.
		mod, param, ok := strings.Cut(strings.TrimPrefix(redirs[0], ">"+modulePrefix), "/parameters/")
		if ok && mod != "" && param != "" && !strings.Contains(param, "/") {
			st.Kind, st.Sysctls = StepSysctl, []Sysctl{{Name: mod + "." + param, Value: f[1]}}
		}
	case len(f) == 1 && strings.HasPrefix(f[0], "/proc/sys/net/") && strings.Contains(f[0], "="):
		k, v, _ := strings.Cut(f[0], "=")
		st.Kind, st.Sysctls = StepSysctl, []Sysctl{{Name: sysctlBase(k), Value: strings.TrimSpace(v)}}
	}
	return st
}

// modulePrefix is where Linux shows a module's parameters (/sys/module/M/parameters/P).
const modulePrefix = "/sys/module/"

// CommandWords returns the words of a command as sh would pass them to it: the first
// simple command of cmd, without its redirections.
func CommandWords(cmd string) []string {
	if st := shellSteps(cmd); len(st) > 0 {
		return st[0].Args
	}
	return nil
}

// Sysctls returns every sysctl the block sets, in order (whether or not sh runs them all).
func (sh *Shell) Sysctls() []Sysctl {
	var out []Sysctl
	for _, st := range sh.Steps {
		out = append(out, st.Sysctls...)
	}
	return out
}
