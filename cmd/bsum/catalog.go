package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/bsum-go/bsum/solvers"
)

func newSolversCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "solvers",
		Short: "List the solvers, surrogates, step-size rules and block rules",
		Long: `List the named solvers (--solver), surrogate bounds, step-size rules (--step)
and block rules (--blocks) with the paper's equation or section for each.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "KIND\tNAME\tEQUATION\tSUMMARY")
			for _, e := range solvers.Catalog() {
				eq := e.Equation
				if eq == "" {
					eq = "-"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.Kind, e.Name, eq, e.Summary)
			}
			if err := tw.Flush(); err != nil {
				return failure(err)
			}
			return nil
		},
	}
}

// catalogNames lists the catalogue names of one kind.
func catalogNames(kind string) []string {
	var names []string
	for _, e := range solvers.Catalog() {
		if e.Kind == kind {
			names = append(names, e.Name)
		}
	}
	return names
}
