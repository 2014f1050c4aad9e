package dataset

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxQuoted is the most characters of an input value that an error message
// quotes (counted in the quoted, escaped form, without the quotes).
const maxQuoted = 80

// maxListed is the most column names an error message lists.
const maxListed = 20

// quote returns s as a Go-quoted string for an error message, keeping at
// most maxQuoted characters of its escaped form. A longer s is cut at a
// character boundary and followed by an ellipsis and its length in bytes,
// so binary input or a huge field never floods a message:
//
//	"ab\x00c…" (2000147 bytes)
//
// Every message of this package that echoes input (fields, column names,
// requested names) goes through quote.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	n := 0 // characters of the escaped body written so far
	for i := 0; i < len(s); {
		_, size := utf8.DecodeRuneInString(s[i:])
		q := strconv.Quote(s[i : i+size]) // escapes invalid bytes as \xNN
		q = q[1 : len(q)-1]
		if n+utf8.RuneCountInString(q) > maxQuoted {
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

// quoteList quotes each name (see quote) and joins them with ", ", listing
// at most maxListed names followed by the number left out.
func quoteList(names []string) string {
	var b strings.Builder
	for i, name := range names {
		if i == maxListed {
			fmt.Fprintf(&b, ", … (%d more)", len(names)-maxListed)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quote(name))
	}
	return b.String()
}
