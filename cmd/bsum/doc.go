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
// train reads a CSV file with a header row (or, with --data bodyfat, the
// embedded BodyFat data set, whose target defaults to BodyFat and whose
// features default to its 13 body measurements). Without --features every
// column but the target is a feature and must be numeric; a text column is
// refused (exit 2) with the list of numeric columns and the --features that
// selects them. train standardises the features, scales the target (min-max
// to [0, 1] for a logistic output, to [-1, 1] for tanh, standardised for an
// identity output and deep-linear networks, unchanged otherwise; a constant
// target is refused), builds the network given by --arch (the first size
// must be the number of features and the last the number of targets; empty
// parts such as 2--3-1 are refused) and runs the solver given by --solver
// (see bsum solvers). Before any allocation the memory of the run (weights,
// activations of the batch, the explicit curvature matrices of lm,
// lm-hessian and exact-bcd) is estimated and a run that does not fit the
// machine's available memory is refused. --iters counts block updates (one
// per iteration, J per iteration with --blocks jacobi); --sweeps N runs N×J.
//
// It prints a summary: why the run stopped, the iterations and block
// updates, the final objective f and normalised MSE ‖Y−H‖²/‖Y−mean Y‖², the
// wall time and whether the paper's convergence theory covers the run
// ("yes" only for a run that ended normally with a certified method).
// --history writes every iteration as CSV (k, blocks, block_names, f, nmse,
// stationarity, grad_norm, alpha, gamma, batch, elapsed_seconds; blocks are
// the 0-based indices of the updated blocks, as in solvers.Record.Blocks, so
// 0 is W1, and block_names their names, both separated by ';'), --plot draws
// the normalised MSE per iteration on a log scale, and --save writes the
// model (architecture, weights, data scaler and a record of the run) as
// JSON, atomically. Output folders are checked for writability before
// training; if --save still fails at the end, the model is written to a
// bsum-model-*.json file in the working directory and its name printed.
// Files are created with mode 0644, subject to the umask.
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
// model's feature columns (other columns, the target included, are ignored
// unless --keep copies them to the output) and writes one prediction per
// row, in the target's original units, as CSV with a header naming the
// target, to standard output or to --out. --data - reads the CSV from
// standard input. A prediction that is not finite is never written: predict
// exits with 1 naming the first such row.
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
