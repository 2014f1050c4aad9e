package mpi

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestLaunchedSize(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want int
	}{
		{"none", nil, 0},
		{"open mpi", map[string]string{"OMPI_COMM_WORLD_SIZE": "3"}, 3},
		{"pmi", map[string]string{"PMI_SIZE": "8"}, 8},
		{"open mpi first", map[string]string{"OMPI_COMM_WORLD_SIZE": "2", "PMI_SIZE": "8"}, 2},
		{"garbage skipped", map[string]string{"OMPI_COMM_WORLD_SIZE": "x", "PMIX_SIZE": "4"}, 4},
		{"zero", map[string]string{"PMI_SIZE": "0"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, v := range launcherSizeVars {
				t.Setenv(v, "")
			}
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			assert.Equal(t, tc.want, LaunchedSize())
		})
	}
}
