// Package losses provides the data-fit terms ℓ(H, Y) of the seed paper
// ("A Unified Framework for Training Neural Networks") as graph.Loss values,
// and the proximal operator of the non-smooth L1 regulariser (Appendix A.6).
//
// H is the network output and Y the targets, both dJ×B with one column per
// sample; every loss is averaged over the B columns:
//
//	l2                         (1/B)‖Y − H‖²_F                              (16)
//	exponential                c·exp((1/c)(1/B)‖Y − H‖²_F)                   (A.12)
//	cross-entropy              −(1/B)Σ[Y log H + (1−Y) log(1−H)], H ∈ (0,1)   (A.14)
//	cross-entropy-with-logits  the same with H = σ(Z), from the logits Z
//	squared-hinge              (1/(2cB))Σ max(0, 1 − Y∘H)², Y = ±1           (A.17)
//	logistic                   (1/B)Σₙ log(1 + exp(−yₙᵀhₙ)), Y = ±1          (A.18)
//	softmax-cross-entropy      (1/B)Σₙ [log Σᵢ exp(Hᵢₙ) − yₙᵀhₙ], Y one-hot
//
// Package graph differentiates a loss symbolically, twice (reverse over
// reverse) for Hessian-vector products and for the loss Hessian ∇²_H ℓ of its
// Gauss-Newton products, so every loss is built from operations whose
// derivatives are again differentiable: Gorgonia's Sub, Add, HadamardProd,
// Mul, Square, Exp, Log, Neg and full Sum, plus the custom ops of this
// package, which evaluate softplus, max(0,·)², the binary cross-entropy and
// the softmax cross-entropy together with all the derivatives the sweeps ask
// for, in float64 loops that neither overflow nor produce 0·∞. The softmax
// cross-entropy is one fused op per derivative (value; gradient
// (softmax(H) − Y)/B; Hessian product (diag(s) − ssᵀ)C/B per column; the
// derivative of that product), each a single pass over the columns with the
// column maximum as the shift. Probed the same way (probe_test.go),
// Gorgonia's Log1p, Rectify, Abs and Mean survive two differentiations;
// these are not used: Softplus (differentiable, but its value jumps by 1.1e-7
// at x = 16, where it switches to returning x), SoftMax (its derivative op
// inherits the forward op's DiffWRT and panics when differentiated again),
// LogSumExp (no broadcasting, so it fails on matrix columns; on a vector it
// computes log(Σ exp(h−m) + m) instead of m + log Σ exp(h−m)). Exp of a
// scalar node is avoided too: when evaluated by Gorgonia's own Do its
// derivative multiplies a float64 by a 0-d tensor and fails.
//
// Which cross-entropy to use: both are exact in value, gradient and Hessian
// for any finite logits (|z| = 800 included) when CrossEntropy sits on a
// logistic output (layers.Logistic or Gorgonia's Sigmoid): it then reads the
// logit z under h = σ(z) and evaluates y·softplus(−z) + (1−y)·softplus(z),
// differentiated in z, so neither the rounding of h to 0 or 1 nor 1/h
// overflowing matters. On any other output CrossEntropy works from the
// probability H alone: finite for H in [0,1] where the label agrees (H = 0
// with Y = 0 costs 0), with curvature Y/H² that overflows for H below about
// 1e-154. The Gauss-Newton curvature ∇²_H ℓ is always taken in H (package
// graph evaluates the loss Hessian on a copy whose input is H itself), so
// for saturated probabilities (h rounded to 1 with y < 1, i.e. z ≳ 37) it
// is +Inf; CrossEntropyWithLogits on a linear output has the exact σ'(z)
// there too and remains the recommended form for Gauss-Newton methods.
//
// Shape reports each loss's curvature and monotonicity in H, the facts
// Proposition 1 of the paper combines; none of these losses is monotone in
// H. The L1 regulariser is not part of the differentiated graph: solvers use
// SoftThreshold, its proximal operator. The smooth Tikhonov regulariser is
// graph.Tikhonov.
package losses
