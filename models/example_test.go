package models_test

import (
	"fmt"

	"github.com/bsum-go/bsum/models"
)

// The seed paper's BodyFat network from its Spec.
func ExampleBodyFat() {
	spec := models.BodyFat()
	net, err := spec.Net()
	if err != nil {
		panic(err)
	}
	for _, b := range net.Blocks() {
		fmt.Printf("%s %d×%d\n", b.Name, b.Rows, b.Cols)
	}
	_, chain := net.Chain()
	fmt.Println("loss:", net.Loss().Name(), "chain:", chain)
	// Output:
	// W1 10×13
	// W2 10×10
	// W3 10×10
	// W4 1×10
	// loss: l2 chain: true
}

// Layer sizes as the command line writes them.
func ExampleParseSizes() {
	sizes, err := models.ParseSizes("13-10-10-10-1")
	fmt.Println(sizes, err)
	// Output: [13 10 10 10 1] <nil>
}
