package dataset

import (
	_ "embed"
	"strings"
)

//go:embed bodyfat.csv
var bodyfatCSV string

// BodyFatTarget is the target column of the BodyFat regression task:
// percent body fat from Siri's equation.
const BodyFatTarget = "BodyFat"

// BodyFatFeatures returns the 13 input columns of the BodyFat regression
// task, in file order: Age (years), Weight (lb), Height (in) and ten body
// circumferences (cm). Density is not among them.
func BodyFatFeatures() []string {
	return []string{"Age", "Weight", "Height", "Neck", "Chest", "Abdomen",
		"Hip", "Thigh", "Knee", "Ankle", "Biceps", "Forearm", "Wrist"}
}

// BodyFat returns the embedded BodyFat data set as a raw table named
// "bodyfat.csv": 252 rows in the original StatLib order and 15 columns,
// Density, BodyFat, Age, Weight, Height, Neck, Chest, Abdomen, Hip,
// Thigh, Knee, Ankle, Biceps, Forearm, Wrist. Known oddities of the public
// data are kept: row 42 has Height 29.5, row 182 has BodyFat 0, and row 39
// weighs 363.15 lb. Each call returns a fresh copy.
func BodyFat() (*Table, error) {
	return ReadCSV(strings.NewReader(bodyfatCSV), "bodyfat.csv")
}

// BodyFatRegression returns the BodyFat task in the setting of the bsum
// paper: N = 252 samples, d0 = 13 inputs (BodyFatFeatures) standardised
// with the mean and population standard deviation of all rows, and
// dJ = 1 target (BodyFat) min-max scaled to [0, 1] for a logistic output
// layer. Use Set.Scaler.InverseY to turn predictions back into percent.
func BodyFatRegression() (*Set, error) {
	t, err := BodyFat()
	if err != nil {
		return nil, err
	}
	return t.Build(Config{
		Features: BodyFatFeatures(),
		Targets:  []string{BodyFatTarget},
		Target:   TargetMinMax,
		Range:    RangeLogistic,
	})
}
