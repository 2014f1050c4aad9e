// Command houses writes houses.csv, the small synthetic data set of the
// README's command-line example (bsum train --data examples/houses/houses.csv
// --target price …), so that the example is reproducible:
//
//	go run ./examples/houses            # rewrites examples/houses/houses.csv
//	go run ./examples/houses -o my.csv  # writes elsewhere
//
// Each of the 200 rows is a house with an id, a street name (text, for
// bsum predict --keep), its area in m² (40 to 200), its number of rooms (1
// to 7, growing with the area) and its price in euros: a smooth, mildly
// nonlinear function of area and rooms plus 3% multiplicative noise. The
// rows come from a fixed seed, so the file is the same on every run.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
)

// Rows is the number of houses written.
const Rows = 200

func main() {
	out := flag.String("o", "examples/houses/houses.csv", "output file")
	flag.Parse()
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "houses:", err)
		os.Exit(1)
	}
	w := bufio.NewWriter(f)
	err = write(w)
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "houses:", err)
		os.Exit(1)
	}
}

var streets = []string{"Elm Street", "Station Road", "Mill Lane", "Church Walk", "Harbour View", "Oak Avenue", "Park Row", "High Street"}

// write writes the header and Rows rows.
func write(w io.Writer) error {
	rng := rand.New(rand.NewPCG(2026, 12))
	if _, err := fmt.Fprintln(w, "id,street,area,rooms,price"); err != nil {
		return err
	}
	for i := range Rows {
		area := 40 + 160*rng.Float64()
		rooms := math.Max(1, math.Min(7, math.Round(area/30+rng.NormFloat64()*0.7)))
		price := Price(area, rooms) * (1 + 0.03*rng.NormFloat64())
		street := streets[rng.IntN(len(streets))]
		if _, err := fmt.Fprintf(w, "H%03d,%d %s,%.1f,%.0f,%.0f\n", i+1, 1+rng.IntN(120), street, area, rooms, price); err != nil {
			return err
		}
	}
	return nil
}

// Price is the noise-free price of a house: a base, a concave price per m²
// and a premium for rooms that saturates.
func Price(area, rooms float64) float64 {
	return 40000 + 5200*math.Pow(area, 0.9) + 60000*math.Tanh(rooms/3)
}
