package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bsum-go/bsum/models"
	"github.com/bsum-go/bsum/models/dataset"
)

func newPredictCmd() *cobra.Command {
	var modelPath, dataPath, outPath string
	cmd := &cobra.Command{
		Use:   "predict --model model.json --data FILE.csv [--out preds.csv]",
		Short: "Predict with a trained model",
		Long: `Predict the target of every row of the CSV file --data with a model saved by
'bsum train --save'. The file needs the model's feature columns; other columns
(the target included) are ignored. Predictions are in the target's original
units, written as CSV with a header naming the target, to standard output or
to --out.`,
		Example: `  bsum predict --model model.json --data new.csv --out preds.csv`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return predict(cmd, modelPath, dataPath, outPath)
		},
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.StringVar(&modelPath, "model", "", "model file written by 'bsum train --save' (required)")
	fl.StringVar(&dataPath, "data", "", "CSV file with the model's feature columns, - for standard input, or bodyfat (required)")
	fl.StringVar(&outPath, "out", "", "write the predictions to this file instead of standard output")
	return cmd
}

func predict(cmd *cobra.Command, modelPath, dataPath, outPath string) error {
	if modelPath == "" {
		return usageErrorf("missing --model: give a model file written by 'bsum train --save'")
	}
	if dataPath == "" {
		return usageErrorf("missing --data: give a CSV file with the model's feature columns")
	}
	m, err := models.Load(modelPath)
	switch {
	case errors.Is(err, models.ErrModelFile):
		return failure(fmt.Errorf("%w; retrain and save the model with 'bsum train --save'", err))
	case errors.Is(err, fs.ErrNotExist):
		return failure(fmt.Errorf("--model %s: file not found (%w)", modelPath, err))
	case err != nil:
		return failure(err)
	}
	if m.Scaler == nil {
		return failure(fmt.Errorf("%s has no data scaler, so its inputs and outputs cannot be mapped to data units; save it with 'bsum train --save'", modelPath))
	}
	tab, err := loadTable(dataPath, cmd.InOrStdin(), m.Scaler.FeatureNames)
	if errors.Is(err, dataset.ErrUnknownColumn) {
		return failure(fmt.Errorf("%w; the model needs the columns %s", err, strings.Join(m.Scaler.FeatureNames, ", ")))
	}
	if err != nil {
		return failure(dataError(dataPath, err))
	}
	pred, n, err := m.PredictTable(tab)
	if err != nil {
		if errors.Is(err, dataset.ErrUnknownColumn) {
			return failure(fmt.Errorf("%w; the model needs the columns %s", err, strings.Join(m.Scaler.FeatureNames, ", ")))
		}
		return failure(err)
	}
	out := m.Net().Out()
	header := make([]string, out)
	for i := range header {
		if i < len(m.Scaler.TargetNames) && m.Scaler.TargetNames[i] != "" {
			header[i] = m.Scaler.TargetNames[i]
		} else {
			header[i] = "prediction_" + strconv.Itoa(i+1)
		}
	}
	write := func(w io.Writer) error {
		cw := csv.NewWriter(w)
		if err := cw.Write(header); err != nil {
			return err
		}
		row := make([]string, out)
		for r := 0; r < n; r++ {
			for i := range row {
				row[i] = strconv.FormatFloat(pred[i*n+r], 'g', -1, 64)
			}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	}
	if outPath == "" || outPath == "-" {
		if err := write(cmd.OutOrStdout()); err != nil {
			return failure(fmt.Errorf("writing the predictions: %w", err))
		}
		return nil
	}
	if st, err := os.Stat(outPath); err == nil && st.IsDir() {
		return usageErrorf("--out %s is a folder; give a file name", outPath)
	}
	if err := atomicWrite(outPath, write); err != nil {
		return failure(fmt.Errorf("writing the predictions: %w", err))
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "bsum: wrote %d predictions to %s\n", n, outPath)
	return nil
}
