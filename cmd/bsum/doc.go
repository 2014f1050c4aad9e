// Command bsum trains neural networks with Block Successive Upper-bound
// Minimization (BSUM, Ghauch et al., "A Unified Framework for Training Neural
// Networks") and predicts with the trained models.
//
// Usage:
//
//	bsum train   --data FILE.csv|bodyfat --target COLUMN [flags]
//	bsum train   --data fashion-mnist --arch 784-…-10 [--train-n N --test-n N] [flags]
//	bsum predict --model model.json --data FILE.csv [--out preds.csv]
//	bsum predict --model model.json --data fashion-mnist [--out labels.csv]
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
// # Run control
//
// --val-frac F holds out a share F (0 < F < 1) of the training rows, drawn
// reproducibly with --seed, as a validation set evaluated at every record;
// the summary gives its loss and metric (normalised MSE, or accuracy for a
// classification loss) and --history gains val_loss and val_metric
// columns. --patience N (needs --val-frac) stops once the validation loss
// has not improved for N records and keeps the best weights seen; the
// summary's "weights:" line says which iteration's weights the model holds.
// Stop rules like trainlm's: --goal F (f ≤ F), --ftol T (f changed by at
// most T·|f| over one sweep), --gtol T (every block's ‖∇_j f‖ ≤ T),
// --gamma-max G (LM's damping reached G), besides --iters, --sweeps, --tol
// and --time. The summary prints the status (iteration limit, goal
// reached, function convergence, gradient threshold, damping limit,
// stationary, early stopped, time limit, canceled, failed), the reason
// with its numbers, and the evaluation counts (objective, gradient,
// curvature products and matrices, full-set and validation evaluations).
// --eval-every N evaluates the whole training set (and the validation set)
// only every N iterations and at the last, for mini-batch runs on large
// data. --log-every N writes a log line every N records (iteration, f,
// validation metric, ‖∇f‖, α, γ) to standard error; it replaces the
// progress bar, which would overwrite the lines.
//
// # Fashion-MNIST
//
// --data fashion-mnist reads the four IDX files of Zalando's Fashion-MNIST
// from --data-dir, else $BSUM_FASHION_MNIST, else
// /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist; when
// they are missing the exit code is 2 and the message gives the apt-get
// command). Pixels are scaled to [0, 1] and the labels one-hot; the loss
// defaults to softmax-cross-entropy on an identity (logit) output, and
// --arch must run from 784 to 10. --train-n and --test-n keep only the
// first N images for quick runs. The summary gives the test accuracy and a
// 10×10 confusion matrix (rows: true class, named; columns: predicted
// class; the recall of each class). predict --data fashion-mnist applies
// the model's stored pixel scaling to the test images, prints the
// accuracy and confusion matrix, and with --out writes one CSV row per
// image (image, label, predicted, predicted_class).
//
// A build without the openblas tag runs its matrix products in pure Go; a
// large run (weights × training rows ≥ 10⁷, or any Fashion-MNIST run)
// prints a one-line hint to install OpenBLAS and build with -tags openblas.
//
// A progress bar with the current objective and normalised MSE is drawn on
// standard error when it is a terminal, unless --quiet or --log-every is
// given. Ctrl-C (or
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
//	     constant, missing or malformed Fashion-MNIST files, an invalid
//	     model file, an --arch that does not fit the
//	     data or the machine's memory, an output folder that cannot be
//	     written
//	1    the run itself failed: training diverged (NaN or Inf), a
//	     prediction is not a finite number, an output file could not be
//	     written at the end
//	130  interrupted (Ctrl-C or SIGTERM)
package main
