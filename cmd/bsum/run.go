package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes of the command.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// exitError carries the exit code an error should end the command with.
type exitError struct {
	code int
	err  error
	// data marks bad input data (exit code 2) rather than a bad command
	// line: no "Run --help" hint is printed.
	data bool
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageErrorf reports a usage error (exit code 2).
func usageErrorf(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// usage marks err as a usage error (exit code 2).
func usage(err error) error { return &exitError{code: exitUsage, err: err} }

// badData marks err as bad input data (exit code 2, like a usage error,
// but without the hint to read --help).
func badData(err error) error { return &exitError{code: exitUsage, err: err, data: true} }

// failure marks err as a runtime failure (exit code 1).
func failure(err error) error { return &exitError{code: exitFailure, err: err} }

// errReported is returned by a command that has already printed its
// messages and only needs to set the exit code.
type errReported struct{ code int }

func (e errReported) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// interruptContext returns a context cancelled by the first Ctrl-C or
// SIGTERM. After that the signals get their default behaviour back, so a
// second Ctrl-C kills a program that is slow to stop.
func interruptContext(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	return ctx, stop
}

// run executes the command line args (without the program name) and returns
// the exit code. It is main without the process: tests call it directly.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCmd(stdin, stdout, stderr)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	var rep errReported
	if errors.As(err, &rep) {
		return rep.code
	}
	code := exitUsage // errors cobra returns itself are usage errors
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	fmt.Fprintf(stderr, "bsum: %s\n", boundQuoted(err.Error()))
	if code == exitUsage && cmd != nil && (ee == nil || !ee.data) {
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
	}
	return code
}

func newRootCmd(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "bsum",
		Short: "Train neural networks with Block Successive Upper-bound Minimization",
		Long: `bsum trains neural networks declared as Gorgonia graphs with Block Successive
Upper-bound Minimization (Ghauch et al., "A Unified Framework for Training
Neural Networks"), and predicts with the trained models.

Exit codes, the same for every command:
  0    success
  2    bad invocation or bad input data, found before any work: an unknown or
       malformed flag or value, a missing or unreadable --data or --model file,
       CSV content that is not numeric, ragged or constant, an invalid model
       file, an --arch that does not fit the data or the machine's memory, an
       output folder that cannot be written
  1    the run itself failed: training diverged (NaN or Inf), a prediction is
       not a finite number, an output file could not be written at the end
  130  interrupted (Ctrl-C or SIGTERM); train still saves the weights reached`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cmd.SetOut(stderr)
			_ = cmd.Help()
			return usageErrorf("missing command (want train, predict, race, export, solvers or version)")
		},
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return usage(&flagError{boundFlagMessage(err.Error()), err})
	})
	root.AddCommand(newTrainCmd(), newPredictCmd(), newSolversCmd(), newVersionCmd())
	root.AddCommand(newExportCmd(), newRaceCmd())
	return root
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of bsum",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := "(devel)"
			goVersion := ""
			if bi, ok := debug.ReadBuildInfo(); ok {
				if bi.Main.Version != "" {
					v = bi.Main.Version
				}
				goVersion = bi.GoVersion
			}
			fmt.Fprintf(cmd.OutOrStdout(), "bsum %s %s\n", v, goVersion)
			return nil
		},
	}
}
