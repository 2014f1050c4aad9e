package dataset

import iquote "github.com/bsum-go/bsum/internal/quote"

// maxQuoted is the most characters of an input value that an error message
// quotes (counted in the quoted, escaped form, without the quotes).
const maxQuoted = iquote.Max

// quote returns s as a Go-quoted string for an error message, keeping at
// most maxQuoted characters of its escaped form (internal/quote.Quote, the
// helper the model readers and the command share):
//
//	"ab\x00c…" (2000147 bytes)
//
// Every message of this package that echoes input (fields, column names,
// requested names) goes through quote.
func quote(s string) string { return iquote.Quote(s) }

// quoteList quotes each name (see quote) and joins them with ", ", listing
// at most 20 names followed by the number left out (internal/quote.List).
func quoteList(names []string) string { return iquote.List(names) }
