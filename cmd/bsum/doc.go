// Command bsum trains neural networks with Block Successive Upper-bound
// Minimization (BSUM, Ghauch et al., "A Unified Framework for Training Neural
// Networks") and predicts with the trained models.
//
// Usage:
//
//	bsum train   --data FILE.csv|bodyfat --target COLUMN [flags]
//	bsum predict --model model.json --data FILE.csv [--out preds.csv]
//	bsum solvers
//	bsum version
//
// # train
//
// train reads a numeric CSV file with a header row (or, with --data bodyfat,
// the embedded BodyFat data set, whose target defaults to BodyFat and whose
// features default to its 13 body measurements), standardises the features,
// scales the target into the range of the output activation (min-max to
// [0, 1] for logistic, [-1, 1] for tanh, unchanged otherwise), builds the
// network given by --arch (the first size must be the number of features and
// the last the number of targets) and runs the solver given by --solver (see
// bsum solvers). It prints a summary: why the run stopped, the iterations,
// the final objective f and normalised MSE ‖Y−H‖²/‖Y−mean Y‖², the wall time
// and whether the paper's convergence theory covers the method. --history
// writes every iteration as CSV (k, blocks, f, nmse, stationarity, grad_norm,
// alpha, gamma, batch, elapsed_seconds; blocks are the 1-based indices j of
// the updated blocks W_j, separated by ';'), --plot draws the normalised MSE
// per iteration on a log scale, and --save writes the model (architecture,
// weights, data scaler and a record of the run) as JSON, atomically.
//
// A progress bar with the current objective and normalised MSE is drawn on
// standard error when it is a terminal, unless --quiet is given. Ctrl-C (or
// SIGTERM) stops training cleanly: the weights reached so far are still
// saved with --save, and the exit code is 130. A run that fails (a NaN or an
// infinite value) reports the iteration and block, saves the last finite
// weights with --save, and exits with 1.
//
// # predict
//
// predict loads a model saved by train and a CSV file holding at least the
// model's feature columns (other columns, the target included, are ignored)
// and writes one prediction per row, in the target's original units, as CSV
// with a header naming the target, to standard output or to --out. --data -
// reads the CSV from standard input.
//
// # solvers
//
// solvers lists the named solvers, surrogates, step-size rules and block
// rules with the paper's equation for each.
//
// # Exit codes
//
// The same for every command:
//
//	0    success
//	2    bad invocation or bad input data, found before any work: an
//	     unknown or malformed flag or value, a missing or unreadable --data
//	     or --model file, CSV content that is not numeric, ragged or
//	     constant, an invalid model file, an --arch that does not fit the
//	     data or the machine's memory, an output folder that cannot be
//	     written
//	1    the run itself failed: training diverged (NaN or Inf), a
//	     prediction is not a finite number, an output file could not be
//	     written at the end
//	130  interrupted (Ctrl-C or SIGTERM)
package main
