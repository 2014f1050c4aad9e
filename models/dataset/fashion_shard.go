package dataset

import "fmt"

// FashionMNISTShard loads the part of Fashion-MNIST that participant
// red.Rank() of red.Size() holds in a data-parallel run: the contiguous
// samples graph.ShardRange(N, rank, size) of the training set and of the
// test set, where N is the number of samples [FashionMNIST] would load with
// the same options (opt.TrainN / opt.TestN, or the whole files). Only the
// images and labels of the shard are kept (a gzip file is still
// decompressed up to the shard's end). The Sets are laid out and named as
// FashionMNIST's, with N the shard's size; the Shards say which samples
// they are.
//
// With opt.Standardize the Scaler is the one FashionMNIST computes from
// all N training samples, bit for bit, on every participant: each one
// counts the pixel values of its own shard (a 784×256 histogram), the
// counts are added with red.Sum (exact: they are integers below 2⁵³), and
// the statistics are computed from the total histogram as in FashionMNIST.
// So the shards' X are exactly the corresponding columns of the unsharded
// X. Every participant must call it with the same options. Errors are
// those of FashionMNIST, and ErrBadConfig for an impossible rank or size.
func FashionMNISTShard(opt FashionMNISTOptions, red Reducer) (train, test *Set, trainShard, testShard Shard, err error) {
	fail := func(err error) (*Set, *Set, Shard, Shard, error) { return nil, nil, Shard{}, Shard{}, err }
	if opt.TrainN < 0 || opt.TestN < 0 {
		return fail(fmt.Errorf("dataset: Fashion-MNIST: %w: TrainN %d and TestN %d must not be negative",
			ErrBadConfig, opt.TrainN, opt.TestN))
	}
	rank, size := red.Rank(), red.Size()
	dir := FashionMNISTDir(opt.Dir)
	names := []string{FashionMNISTTrainImages, FashionMNISTTrainLabels, FashionMNISTTestImages, FashionMNISTTestLabels}
	paths := make([]string, len(names))
	for i, name := range names {
		if paths[i], err = findIDX(dir, name); err != nil {
			return fail(err)
		}
	}
	load := func(imgPath, lblPath string, limit int) (img, lbl *IDX, sh Shard, err error) {
		typ, dims, err := idxDims(imgPath)
		if err != nil {
			return nil, nil, Shard{}, err
		}
		if err := checkImages(&IDX{Type: typ, Dims: dims}, imgPath); err != nil {
			return nil, nil, Shard{}, err
		}
		n := dims[0]
		if limit > 0 {
			n = min(n, limit)
		}
		if sh, err = newShard(n, rank, size); err != nil {
			return nil, nil, Shard{}, err
		}
		ltyp, ldims, err := idxDims(lblPath)
		if err != nil {
			return nil, nil, Shard{}, err
		}
		if len(ldims) != 1 || ldims[0] < n {
			return nil, nil, Shard{}, fmt.Errorf("dataset: %s: %w: a %s array of labels for %d images",
				lblPath, ErrLabels, shape(ldims), n)
		}
		if img, err = loadIDXShard(imgPath, typ, dims, sh.Lo, sh.Hi); err != nil {
			return nil, nil, Shard{}, err
		}
		if lbl, err = loadIDXShard(lblPath, ltyp, ldims, sh.Lo, sh.Hi); err != nil {
			return nil, nil, Shard{}, err
		}
		return img, lbl, sh, nil
	}
	trImg, trLbl, trSh, err := load(paths[0], paths[1], opt.TrainN)
	if err != nil {
		return fail(err)
	}
	teImg, teLbl, teSh, err := load(paths[2], paths[3], opt.TestN)
	if err != nil {
		return fail(err)
	}
	classes := FashionMNISTClasses()
	features := pixelNames(FashionMNISTSide, FashionMNISTSide)
	sc := &Scaler{
		FeatureNames: features,
		Mean:         make([]float64, FashionMNISTPixels),
		Std:          make([]float64, FashionMNISTPixels),
		TargetNames:  classes,
		TargetMode:   TargetIdentity,
	}
	if opt.Standardize {
		if trSh.N == 0 {
			return fail(fmt.Errorf("dataset: Fashion-MNIST: %w: no training samples to standardise with", ErrTooFewRows))
		}
		local := pixelHist(trImg.Data, FashionMNISTPixels)
		// The pixel counts, and each participant's idea of N (which must
		// add up to Size·N).
		counts := make([]float64, 0, FashionMNISTPixels*256+1)
		for i := range local {
			for _, c := range local[i] {
				counts = append(counts, float64(c))
			}
		}
		counts = append(counts, float64(trSh.N))
		if err := red.Sum(counts); err != nil {
			return fail(fmt.Errorf("dataset: Fashion-MNIST: adding the pixel histograms of %d participants: %w", size, err))
		}
		hist := make([][256]int64, FashionMNISTPixels)
		var total int64
		for i := range hist {
			for v := range hist[i] {
				hist[i][v] = int64(counts[i*256+v])
			}
		}
		for _, c := range hist[0] {
			total += c
		}
		if total != int64(trSh.N) || counts[len(counts)-1] != float64(size*trSh.N) {
			return fail(fmt.Errorf("dataset: Fashion-MNIST: the participants' shards hold %d training samples, want %d "+
				"(do all participants use the same options and files?)", total, trSh.N))
		}
		histStats(hist, trSh.N, sc.Mean, sc.Std)
	} else {
		for i := range sc.Std {
			sc.Std[i] = 255
		}
	}
	if train, err = imageSet(trImg, trLbl, paths[1], features, classes, sc); err != nil {
		return fail(err)
	}
	if test, err = imageSet(teImg, teLbl, paths[3], features, classes, sc); err != nil {
		return fail(err)
	}
	return train, test, trSh, teSh, nil
}
