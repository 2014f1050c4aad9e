package quote

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

func TestQuote(t *testing.T) {
	long := strings.Repeat("x", 2_000_147)
	for _, tc := range []struct {
		name, in, want string
	}{
		{"empty", "", `""`},
		{"short", "NA", `"NA"`},
		{"escapes", "a\"b\n", `"a\"b\n"`},
		{"exactly 80", strings.Repeat("a", 80), `"` + strings.Repeat("a", 80) + `"`},
		{"81 cut", strings.Repeat("a", 81), `"` + strings.Repeat("a", 80) + `"… (81 bytes)`},
		{"huge", long, `"` + strings.Repeat("x", 80) + `"… (2000147 bytes)`},
		// \x00 takes 4 characters quoted: 20 of them fill the budget.
		{"binary", strings.Repeat("\x00", 100), `"` + strings.Repeat(`\x00`, 20) + `"… (100 bytes)`},
		{"invalid UTF-8", "\xff\xfe", `"\xff\xfe"`},
		// A multi-byte rune is never split.
		{"runes", strings.Repeat("é", 81), `"` + strings.Repeat("é", 80) + `"… (162 bytes)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Quote(tc.in)
			assert.Equal(t, tc.want, got)
			assert.True(t, utf8.ValidString(got))
			assert.LessOrEqual(t, utf8.RuneCountInString(got), Max+30)
			if len(tc.in) <= Max {
				assert.Equal(t, strconv.Quote(tc.in), got, "a short value is quoted as %%q quotes it")
			}
		})
	}
}

func TestList(t *testing.T) {
	names := make([]string, 25)
	for i := range names {
		names[i] = string(rune('a' + i))
	}
	assert.Equal(t, `"a", "b"`, List(names[:2]))
	got := List(names)
	assert.True(t, strings.HasSuffix(got, `"t", … (5 more)`), got)
	assert.Equal(t, 20, strings.Count(got, `"`)/2)
	assert.Equal(t, "", List(nil))
}

func FuzzQuote(f *testing.F) {
	for _, s := range []string{"", "NA", "a\"b\n", "\x00\xff", strings.Repeat("é", 90)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Quote(s)
		assert.True(t, utf8.ValidString(got))
		assert.LessOrEqual(t, utf8.RuneCountInString(got), Max+30)
		if q := strconv.Quote(s); utf8.RuneCountInString(q) <= Max+2 {
			assert.Equal(t, q, got)
		} else {
			unq, err := strconv.Unquote(got[:strings.LastIndex(got, `"`)+1])
			assert.NoError(t, err)
			assert.True(t, strings.HasPrefix(s, unq), "the kept part is a prefix of the value")
		}
	})
}
