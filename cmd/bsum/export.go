package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bsum-go/bsum/models"
)

func newExportCmd() *cobra.Command {
	var modelPath, npzPath string
	cmd := &cobra.Command{
		Use:   "export --model model.json --npz weights.npz",
		Short: "Export a model's weights and scaler as a NumPy .npz archive",
		Long: `Export the weights of a model file (any network, built-in or custom) as a
NumPy .npz archive: one float64 array per weight block, named by the block, of
shape (d_j, d_{j-1}) in row-major order ((d_j, d_{j-1}+1) with a folded bias,
the bias in the last column), so that numpy.load("weights.npz")["W1"] @ x is the
first layer's product. A model with a data scaler adds the arrays
scaler.feature_names, scaler.mean, scaler.std, scaler.target_names,
scaler.target_mode and the target statistics of that mode (scaler.range,
scaler.target_min, scaler.target_max for minmax; scaler.target_mean,
scaler.target_std for standard). The archive is written atomically.

Exit codes: 0 success, 1 the archive could not be written, 2 usage error or an
unreadable model file.`,
		Example: `  bsum export --model model.json --npz weights.npz
  python3 -c 'import numpy as np; z = np.load("weights.npz"); print(z["W1"].shape)'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return export(cmd, modelPath, npzPath)
		},
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.StringVar(&modelPath, "model", "", "model file written by 'bsum train --save' or models.Model.Save (required)")
	fl.StringVar(&npzPath, "npz", "", "the .npz archive to write (required)")
	return cmd
}

func export(cmd *cobra.Command, modelPath, npzPath string) error {
	if modelPath == "" {
		return usageErrorf("missing --model: give a model file written by 'bsum train --save'")
	}
	if npzPath == "" {
		return usageErrorf("missing --npz: give the name of the .npz archive to write")
	}
	if st, err := os.Stat(npzPath); err == nil && st.IsDir() {
		return usageErrorf("--npz %s is a folder; give a file name", npzPath)
	}
	m, err := models.Load(modelPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return usage(fmt.Errorf("--model %s: file not found", modelPath))
	case errors.Is(err, models.ErrModelFile):
		return usage(fmt.Errorf("--model: %w", err))
	case err != nil:
		return usage(fmt.Errorf("--model: %w", err))
	}
	if err := m.SaveNPZ(npzPath); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			err = fmt.Errorf("%w (does the folder %s exist?)", err, filepath.Dir(npzPath))
		}
		return failure(err)
	}
	blocks := make([]string, len(m.Blocks))
	for j, b := range m.Blocks {
		blocks[j] = fmt.Sprintf("%s %d×%d", plain(b.Name), b.Rows, b.Cols)
	}
	what := "no scaler"
	if m.Scaler != nil {
		what = "the scaler (" + string(m.Scaler.TargetMode) + " target)"
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "bsum: wrote %d weight blocks (%s) and %s to %s\n", len(m.Blocks), strings.Join(blocks, ", "), what, npzPath)
	return nil
}
