package dataset_test

import (
	"fmt"
	"log"

	"github.com/bsum-go/bsum/models/dataset"
)

// Example loads the embedded BodyFat regression task and prints its size
// and the first standardised input (Age of the first man).
func Example() {
	set, err := dataset.BodyFatRegression()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("N:", set.N)
	fmt.Println("d0:", set.In)
	fmt.Println("dJ:", set.Out)
	fmt.Printf("%s of sample 0: %.4f\n", set.FeatureNames[0], set.X[0*set.N+0])
	// Output:
	// N: 252
	// d0: 13
	// dJ: 1
	// Age of sample 0: -1.7401
}
