// Package dataset is the data layer of bsum: it reads numeric CSV tables
// and IDX arrays, selects feature and target columns, scales them, and
// hands the trainer feature-major matrices.
//
// # Layout
//
// A [Set] stores its inputs X as an In×N matrix and its targets Y as an
// Out×N matrix, both row-major in a []float64 with one row per feature (or
// target) and one column per sample:
//
//	X[i*N+n] // feature i of sample n
//	Y[k*N+n] // target k of sample n
//
// # Pipeline
//
//	tab, err := dataset.LoadCSV("data.csv")       // or dataset.BodyFat()
//	trainTab, testTab := tab.Split(0.8, rng)       // split raw rows first
//	train, err := trainTab.Build(dataset.Config{   // fit the Scaler on training rows only
//		Targets: []string{"y"},
//		Target:  dataset.TargetMinMax,
//		Range:   dataset.RangeLogistic,
//	})
//	test, err := train.Scaler.Apply(testTab)       // reuse the fitted Scaler
//
// Features are standardised (z-scores) with the population standard
// deviation (divide by N, not N−1), so every standardised training column
// has mean 0 and population standard deviation 1 up to rounding. Targets
// are left as they are ([TargetIdentity]), min-max mapped to a range that
// matches the output activation ([TargetMinMax] with [RangeLogistic] or
// [RangeTanh]), or standardised ([TargetStandard]). The [Scaler] is plain
// JSON so it can be stored next to a saved model and used at prediction
// time; [Scaler.InverseY] maps predictions back to original units.
//
// # Errors
//
// Problems with the data are reported as [*ParseError], which names the
// file, line and column as precisely as they are known and wraps one of
// the exported sentinel errors ([ErrEmpty], [ErrRagged], [ErrNotNumeric],
// …) so that callers can test them with [errors.Is]. A CSV syntax error
// (such as an unterminated quote) names the line and field where the
// malformed field starts, and where the parser gave up if that is another
// line. Messages quote at most about 80 characters of any offending
// field, column name or requested name, followed by an ellipsis and the
// full length in bytes, so binary input never floods a terminal.
//
// # IDX and Fashion-MNIST
//
// [ReadIDX] and [LoadIDX] read the IDX format of MNIST-style data sets,
// plain or gzip-compressed (recognised by its magic bytes), checking the
// header before allocating: more than [IDXOptions].MaxBytes is refused at
// once, an uncompressed file that announces more data than its length is
// refused before its data is read, and otherwise memory grows only with the
// data that really arrives.
// Malformed input wraps [ErrIDX]. [FashionMNIST] loads Zalando's
// Fashion-MNIST from the folder of the Debian package dataset-fashion-mnist
// ([FashionMNISTDefaultDir]), from $BSUM_FASHION_MNIST, or from
// [FashionMNISTOptions].Dir, with pixels scaled to [0, 1] (or standardised
// with training statistics) and one-hot targets:
//
//	train, test, err := dataset.FashionMNIST(dataset.FashionMNISTOptions{})
//	// train.X is 784×60000, train.Y is 10×60000; test has 10,000 samples
//
// When the files are missing the error wraps [ErrNotInstalled] and gives
// the command to install them (apt-get install -y dataset-fashion-mnist).
//
// # Shards
//
// In a data-parallel run each participant (an MPI rank) holds the
// contiguous samples graph.ShardRange(N, rank, size). [LoadCSVShard] and
// [ReadCSVRows] parse only a shard's rows of a CSV file (every row is still
// checked for syntax and width), [Table.Shard] cuts a loaded table, and
// [Table.BuildShard] scales a shard with the statistics of all rows, reduced
// through a [Reducer] (graph.Reducer satisfies it). [FashionMNISTShard]
// reads only a shard's images and standardises them with the statistics of
// the whole training set, bit for bit those of [FashionMNIST], by adding the
// participants' pixel histograms.
//
// # Concurrency
//
// The functions of the package are safe for concurrent use. A [Table],
// [Set], [Scaler] or [IDX] is a plain value: it may be read by many
// goroutines at once (a Scaler's transforms only read it), but must not be
// modified while others use it.
//
// # BodyFat
//
// The package embeds the BodyFat data set (Penrose, Nelson and Fisher,
// 1985; StatLib "bodyfat", 252 men, 15 columns). [BodyFat] returns the raw
// table and [BodyFatRegression] the setting of the bsum paper: the 13
// body measurements Age…Wrist standardised as inputs and BodyFat, min-max
// scaled to [0, 1], as the target. Density is left out because it
// determines BodyFat almost exactly (Siri: BodyFat ≈ 495/Density − 450).
package dataset
