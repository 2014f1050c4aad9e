package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseThreads(t *testing.T) {
	tests := []struct {
		in   string
		want []int
		err  bool
	}{
		{"1", []int{1}, false},
		{"1,2", []int{1, 2}, false},
		{" 2 , 1 ,", []int{2, 1}, false},
		{"", nil, true},
		{",", nil, true},
		{"0", nil, true},
		{"1,x", nil, true},
		{"-2", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseThreads(tc.in)
			if tc.err {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "-threads")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func FuzzParseThreads(f *testing.F) {
	f.Add("1,2")
	f.Add(" 3 ,, 0")
	f.Fuzz(func(t *testing.T, in string) {
		got, err := parseThreads(in)
		if err != nil {
			return
		}
		if len(got) == 0 {
			t.Fatal("empty list without an error")
		}
		for _, n := range got {
			if n < 1 {
				t.Fatalf("thread count %d from %q", n, in)
			}
		}
	})
}

func TestThreadEnv(t *testing.T) {
	env := threadEnv([]string{"PATH=/bin", "GOMAXPROCS=8", "OPENBLAS_NUM_THREADS=8", "OMP_NUM_THREADS=8", "X=GOMAXPROCS=1"}, 2)
	assert.Equal(t, []string{"PATH=/bin", "X=GOMAXPROCS=1", "GOMAXPROCS=2", "OPENBLAS_NUM_THREADS=2", "OMP_NUM_THREADS=2"}, env)
	for _, kv := range env {
		assert.False(t, strings.HasSuffix(kv, "=8"), kv)
	}
}
