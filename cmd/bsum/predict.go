package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bsum-go/bsum/models"
	"github.com/bsum-go/bsum/models/dataset"
)

// predictFlags are the flags of bsum predict.
type predictFlags struct {
	model, data, out string
	keep             string
	dataDir          string
	testN            int
}

func newPredictCmd() *cobra.Command {
	var f predictFlags
	cmd := &cobra.Command{
		Use:   "predict --model model.json --data FILE.csv [--out preds.csv] [--keep id,name]",
		Short: "Predict with a trained model",
		Long: `Predict the target of every row of the CSV file --data with a model saved by
'bsum train --save'. The file needs the model's feature columns; other columns
(the target included) are ignored unless --keep copies them to the output.
Predictions are in the target's original units, written as CSV with a header
naming the target, to standard output or to --out.

A prediction that is not a finite number (an overflow, for inputs far outside
the training data) is never printed: predict exits with 1 naming the first
such row.

With --data fashion-mnist the model (trained with --data fashion-mnist)
classifies the Fashion-MNIST test images, scaled as in training; predict prints
the accuracy and the confusion matrix, and --out writes one CSV row per image
(image, label, predicted, predicted_class).`,
		Example: `  bsum predict --model model.json --data new.csv --out preds.csv
  bsum predict --model model.json --data new.csv --keep id,name
  bsum predict --model fashion.json --data fashion-mnist --out labels.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := oneProcess("predict"); err != nil {
				return err
			}
			return predict(cmd, &f)
		},
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.StringVar(&f.model, "model", "", "model `FILE` written by 'bsum train --save' (required)")
	fl.StringVar(&f.data, "data", "", "CSV `FILE` with the model's feature columns, - for standard input, or bodyfat (required)")
	fl.StringVar(&f.out, "out", "", "write the predictions to `FILE` instead of standard output")
	fl.StringVar(&f.keep, "keep", "", "copy these columns of --data (comma-separated `LIST`, any content) to the output, before the predictions")
	fl.StringVar(&f.dataDir, "data-dir", "", "with --data fashion-mnist: the `FOLDER` of its IDX files (default: $"+dataset.FashionMNISTEnv+", else "+dataset.FashionMNISTDefaultDir+")")
	fl.IntVar(&f.testN, "test-n", 0, "with --data fashion-mnist: the first `N` test images only (0: all 10,000)")
	return cmd
}

func predict(cmd *cobra.Command, f *predictFlags) error {
	if f.model == "" {
		return usageErrorf("missing --model: give a model file written by 'bsum train --save'")
	}
	if f.data == "" {
		return usageErrorf("missing --data: give a CSV file with the model's feature columns, or fashion-mnist")
	}
	fashion := f.data == fashionName
	if !fashion && (cmd.Flags().Changed("data-dir") || cmd.Flags().Changed("test-n")) {
		return usageErrorf("--data-dir and --test-n apply only to --data %s", fashionName)
	}
	if fashion && f.keep != "" {
		return usageErrorf("--keep copies CSV columns; --data %s has none (--out writes the image index and labels)", fashionName)
	}
	if f.testN < 0 {
		return usageErrorf("--test-n must be ≥ 0 (0: all images), got %d", f.testN)
	}
	keep, err := parseList("--keep", f.keep)
	if err != nil {
		return err
	}
	toFile := f.out != "" && f.out != "-"
	if toFile {
		if err := checkWritable("--out", f.out); err != nil {
			return err
		}
	}
	m, err := models.Load(f.model)
	switch {
	case errors.Is(err, models.ErrModelFile):
		return badData(fmt.Errorf("%w; retrain and save the model with 'bsum train --save'", err))
	case errors.Is(err, fs.ErrNotExist):
		return usageErrorf("--model %s: file not found", f.model)
	case err != nil:
		return badData(err)
	}
	if m.Scaler == nil {
		return badData(fmt.Errorf("%s has no data scaler, so its inputs and outputs cannot be mapped to data units; save it with 'bsum train --save'", f.model))
	}
	if fashion {
		return predictFashion(cmd, f, m, toFile)
	}
	src, err := readSource(f.data, cmd.InOrStdin())
	if err != nil {
		return err
	}
	tab, err := src.table(m.Scaler.FeatureNames)
	if errors.Is(err, dataset.ErrUnknownColumn) {
		return badData(fmt.Errorf("%w; the model needs the columns %s", err, plainList(m.Scaler.FeatureNames)))
	}
	if err != nil {
		return badData(err)
	}
	var kept [][]string
	if len(keep) > 0 {
		if kept, err = src.keepColumns(keep); err != nil {
			return err
		}
	}
	pred, n, err := m.PredictTable(tab)
	if err != nil {
		if errors.Is(err, dataset.ErrUnknownColumn) {
			return badData(fmt.Errorf("%w; the model needs the columns %s", err, plainList(m.Scaler.FeatureNames)))
		}
		return failure(err)
	}
	if len(keep) > 0 && len(kept) != n {
		return failure(fmt.Errorf("--keep: read %d rows of %s but predicted %d", len(kept), src.name, n))
	}
	if ctx := cmd.Context(); ctx != nil && ctx.Err() != nil {
		fmt.Fprintln(cmd.ErrOrStderr(), "bsum: interrupted; no predictions written")
		return errReported{exitInterrupted}
	}
	out := m.Net().Out()
	if err := checkFinite(pred, out, n, src); err != nil {
		return failure(err)
	}
	header := append([]string(nil), keep...)
	for i := 0; i < out; i++ {
		name := "prediction_" + strconv.Itoa(i+1)
		if i < len(m.Scaler.TargetNames) && m.Scaler.TargetNames[i] != "" {
			name = m.Scaler.TargetNames[i]
		}
		header = append(header, name)
	}
	write := func(w io.Writer) error {
		cw := csv.NewWriter(w)
		if err := cw.Write(header); err != nil {
			return err
		}
		row := make([]string, len(header))
		for r := 0; r < n; r++ {
			if kept != nil {
				copy(row, kept[r])
			}
			for i := 0; i < out; i++ {
				row[len(keep)+i] = strconv.FormatFloat(pred[i*n+r], 'g', -1, 64)
			}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	}
	if !toFile {
		if err := write(cmd.OutOrStdout()); err != nil {
			return failure(fmt.Errorf("writing the predictions: %w", err))
		}
		return nil
	}
	if err := atomicWrite(f.out, write); err != nil {
		return failure(fmt.Errorf("writing the predictions: %w", err))
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "bsum: wrote %d predictions to %s\n", n, f.out)
	return nil
}

// checkFinite returns an error naming the first data row (1-based, the
// header not counted, with its line in the file) with a NaN or infinite
// prediction, and how many rows have one. pred holds out rows of n
// predictions.
func checkFinite(pred []float64, out, n int, src *source) error {
	first, count := -1, 0
	for r := 0; r < n; r++ {
		for i := 0; i < out; i++ {
			if v := pred[i*n+r]; math.IsNaN(v) || math.IsInf(v, 0) {
				if first < 0 {
					first = r
				}
				count++
				break
			}
		}
	}
	if first < 0 {
		return nil
	}
	vals := make([]string, out)
	for i := range vals {
		vals[i] = strconv.FormatFloat(pred[i*n+first], 'g', -1, 64)
	}
	where := src.name
	if line := src.lineOfRow(first); line > 0 {
		where += ":" + strconv.Itoa(line)
	}
	return fmt.Errorf("%s: data row %d: the prediction is %s, not a finite number (%d of %d rows); its inputs are probably far outside the training data, or the model's weights overflow; nothing was written",
		where, first+1, strings.Join(vals, ", "), count, n)
}

// predictFashion classifies the Fashion-MNIST test images with m (pixels
// scaled by the model's own scaler), prints the accuracy and the confusion
// matrix, and with --out writes one row per image: its index in the test
// file, the true label and the predicted label and class.
func predictFashion(cmd *cobra.Command, f *predictFlags, m *models.Model, toFile bool) error {
	if net := m.Net(); net.In() != dataset.FashionMNISTPixels || net.Out() != dataset.FashionMNISTClassesN {
		return badData(fmt.Errorf("%s maps %d inputs to %d outputs; --data %s needs a model from %d pixels to %d classes (train one with --data %s)",
			f.model, net.In(), net.Out(), fashionName, dataset.FashionMNISTPixels, dataset.FashionMNISTClassesN, fashionName))
	}
	set, err := fashionTestSet(f.dataDir, f.testN, m.Scaler)
	if err != nil {
		return err
	}
	rep, err := classifyModel(m, set)
	if err != nil {
		return failure(fmt.Errorf("classifying the test images: %w", err))
	}
	if ctx := cmd.Context(); ctx != nil && ctx.Err() != nil {
		fmt.Fprintln(cmd.ErrOrStderr(), "bsum: interrupted; no predictions written")
		return errReported{exitInterrupted}
	}
	classes := m.Scaler.TargetNames
	write := func(w io.Writer) error {
		cw := csv.NewWriter(w)
		if err := cw.Write([]string{"image", "label", "predicted", "predicted_class"}); err != nil {
			return err
		}
		for j, p := range rep.pred {
			if err := cw.Write([]string{strconv.Itoa(j), strconv.Itoa(rep.truth[j]), strconv.Itoa(p), className(classes, p)}); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	}
	if toFile {
		if err := atomicWrite(f.out, write); err != nil {
			return failure(fmt.Errorf("writing the predictions: %w", err))
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "bsum: wrote %d predicted labels to %s\n", len(rep.pred), f.out)
	} else if f.out == "-" {
		if err := write(cmd.OutOrStdout()); err != nil {
			return failure(fmt.Errorf("writing the predictions: %w", err))
		}
		return nil
	}
	rep.print(cmd.OutOrStdout(), "test", classes)
	return nil
}
