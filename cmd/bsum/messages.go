package main

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/bsum-go/bsum/internal/quote"
)

// Messages stay readable (issue 8 §5): every value a message echoes from
// the command line, a CSV header or a model file goes through q (quoted,
// at most quote.Max characters and an ellipsis), or plain in unquoted
// lists of names. File names are shown whole.

// q quotes a user-given value for a message (internal/quote.Quote): as %q
// would for a short value, cut with an ellipsis and its length for a long
// one.
func q(s string) string { return quote.Quote(s) }

// plain is a name for an unquoted list: s itself when it is short and
// printable, else s quoted and bounded by q.
func plain(s string) string {
	if len(s) <= quote.Max && s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return r == utf8.RuneError || !unicode.IsPrint(r) || r == ','
	}) {
		return s
	}
	return q(s)
}

// plainList joins names (see plain) with ", ", listing at most
// quote.MaxListed followed by the number left out.
func plainList(names []string) string {
	var b strings.Builder
	for i, n := range names {
		if i == quote.MaxListed {
			fmt.Fprintf(&b, ", … (%d more)", len(names)-quote.MaxListed)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(plain(n))
	}
	return b.String()
}

// maxFlagMessage bounds pflag's error messages (see boundFlagMessage).
const maxFlagMessage = 400

// boundQuoted bounds the quoted parts of a message formatted elsewhere
// (cobra's "unknown command %q", pflag's "invalid argument %q for %q
// flag"): every Go-quoted string longer than quote.Max characters is
// requoted by q. The rest of msg is kept.
func boundQuoted(msg string) string {
	if len(msg) <= quote.Max {
		return msg
	}
	var b strings.Builder
	for i := 0; i < len(msg); {
		if msg[i] == '"' {
			if lit, err := strconv.QuotedPrefix(msg[i:]); err == nil {
				if s, err := strconv.Unquote(lit); err == nil && len(lit) > quote.Max+2 {
					b.WriteString(q(s))
				} else {
					b.WriteString(lit)
				}
				i += len(lit)
				continue
			}
		}
		b.WriteByte(msg[i])
		i++
	}
	return b.String()
}

// boundFlagMessage bounds a pflag error, whose templates are short but may
// echo a flag name unquoted: a long name after "unknown flag: ", "bad flag
// syntax: " or "flag needs an argument: " is quoted by q; otherwise
// boundQuoted, then a cut at maxFlagMessage bytes with an ellipsis and the
// length.
func boundFlagMessage(msg string) string {
	for _, prefix := range []string{"unknown flag: ", "bad flag syntax: ", "flag needs an argument: "} {
		if rest, ok := strings.CutPrefix(msg, prefix); ok && len(rest) > quote.Max {
			return prefix + q(rest)
		}
	}
	out := boundQuoted(msg)
	if len(out) <= maxFlagMessage {
		return out
	}
	cut := maxFlagMessage
	for cut > 0 && !utf8.RuneStart(out[cut]) {
		cut--
	}
	return strings.ToValidUTF8(out[:cut], "�") + fmt.Sprintf("… (%d bytes)", len(out))
}

// flagError is a pflag error with its text bounded (boundFlagMessage); it
// unwraps to the original.
type flagError struct {
	msg string
	err error
}

func (e *flagError) Error() string { return e.msg }
func (e *flagError) Unwrap() error { return e.err }
