// Package quote bounds what an error message echoes of its input: a field,
// a header, a flag value or a name read from a file is quoted with at most
// Max characters, so binary input or a huge value never floods a message.
// The CSV reader (models/dataset), the model and archive readers (models)
// and the command (cmd/bsum) all quote through it.
package quote

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Max is the most characters of an input value that Quote keeps (counted in
// the quoted, escaped form, without the quotes).
const Max = 80

// MaxListed is the most names that List quotes.
const MaxListed = 20

// Quote returns s as a Go-quoted string for an error message, keeping at
// most Max characters of its escaped form. A longer s is cut at a character
// boundary and followed by an ellipsis and its length in bytes:
//
//	"ab\x00c…" (2000147 bytes)
//
// A short s is quoted exactly as strconv.Quote (and so fmt's %q) quotes it.
func Quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	n := 0 // characters of the escaped body written so far
	for i := 0; i < len(s); {
		_, size := utf8.DecodeRuneInString(s[i:])
		q := strconv.Quote(s[i : i+size]) // escapes invalid bytes as \xNN
		q = q[1 : len(q)-1]
		if n+utf8.RuneCountInString(q) > Max {
			b.WriteString(`"…`)
			fmt.Fprintf(&b, " (%d bytes)", len(s))
			return b.String()
		}
		b.WriteString(q)
		n += utf8.RuneCountInString(q)
		i += size
	}
	b.WriteByte('"')
	return b.String()
}

// List quotes each name (see Quote) and joins them with ", ", listing at
// most MaxListed names followed by the number left out.
func List(names []string) string {
	var b strings.Builder
	for i, name := range names {
		if i == MaxListed {
			fmt.Fprintf(&b, ", … (%d more)", len(names)-MaxListed)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(Quote(name))
	}
	return b.String()
}
