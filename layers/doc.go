// Package layers declares the building blocks of the networks that bsum
// trains: elementwise activation functions Σ_j, fully connected (Dense) and
// deep linear (Linear) layers, and the circular-convolution (Toeplitz) layer
// of the seed paper's Section 5.2 (Ghauch et al., "A Unified Framework for
// Training Neural Networks").
//
// Every layer declares exactly one weight block W_j through a
// graph.Builder, as the paper's model Z_j = Σ_j(W_j Z_{j−1}) requires; an
// optional bias is folded into that block as an extra column that multiplies
// a constant row of ones.
//
// # Derivatives
//
// Package graph differentiates a network with its own reverse sweep over the
// SymDiff methods of the Gorgonia ops in the graph, and applies the sweep
// twice (reverse over reverse) for exact block Hessian-vector products. Every
// op a layer uses must therefore be symbolically differentiable, and so must
// the nodes its SymDiff creates. The activations here are custom Gorgonia ops
// (one fused, allocation-light loop per tensor) whose SymDiff returns
// grad ⊙ f^{(k+1)}(x), where f^{(k+1)} is again such an op, with closed
// forms up to the third derivative, computed from the pre-activation x, never
// from the output y alone: σ' = y − y² and tanh' = 1 − y², as most
// frameworks compute them, cancel in the tails (σ'(37) would be 0 instead of
// 8.5e-17). The logistic's σ' node reads x and y = σ(x): y(1−y) up to
// x = 3, e^{−x}·y² beyond, so its exact derivative costs two flops and an
// exponential only in the right tail; tanh' = 4e/(1+e)² with e = e^{−2|x|}.
// Gradients, Hessian-vector and Gauss-Newton products and the explicit block
// matrices of package graph keep a relative error ≤ 1e-12 wherever the true
// value is a normal float64 (logistic and softplus inputs in [−745, 745],
// tanh in [−350, 350]; TestTailDerivativesOnGraph checks all twelve
// activations against 320-bit references). Values are exact for large |x|
// too (softplus(800) = 800, logistic(−745) = 5e-324, logistic(−800) = 0, no
// NaN for finite input inside the domain).
//
// Gorgonia's own elementwise ops were checked the same way (gradients and
// Hessian-vector products against finite differences) before choosing:
//
//   - gorgonia.InverseSqrt has a wrong derivative already at first order
//     (its SymDiff returns −g/(2y³) instead of −g·y³/2 for y = x^{−1/2}),
//     so ISRU and ISRLU must not be built from it;
//   - gorgonia.Mean fails at second order (a type mismatch in the node its
//     derivative creates);
//   - gorgonia.Softplus and gorgonia.Sigmoid differentiate correctly twice
//     but are inaccurate in the tail: Softplus returns x unchanged for
//     x > 16 (softplus(17) = 17 instead of 17 + 4.1e-8) and Sigmoid returns
//     exactly 1 for x > 19, so the symbolic derivative y(1−y) vanishes early;
//   - gorgonia.Rectify, LeakyRelu, Abs, Pow (constant exponent), Tanh, Sqrt, Log, Log1p, Expm1,
//     Inverse, Square and the arithmetic ops passed (away from kinks).
//
// The custom ops are used for all activations anyway: one fused loop per
// tensor is faster than chains of Gorgonia nodes, and the tails are exact.
//
// # Convexity metadata and Proposition 1
//
// Each Activation reports its graph.Shape (convex, concave, non-decreasing,
// non-increasing), the facts the paper's Proposition 1 combines. Several
// entries of the paper's Appendix A.1 list are false as stated; see the
// constructors (SELU, ELU with a > 1, ISRU, SoftExponential with a < 0 are
// not convex; LeakyReLU is convex only for a ≤ 1). Note also that
// Proposition 1 needs more than it states: for j < J the block function
// f_j(W_j) = ℓ(Σ_J(W_J ⋯ Σ_j(W_j Z))) is guaranteed convex only if the later
// weights W_{j+1}, …, W_J are entrywise non-negative, since a convex function
// mapped through a matrix with a negative entry need not be convex. Example:
// J = 2, Σ_1 = Σ_2 = softplus, ℓ the identity (convex, non-decreasing) and
// W_2 = −1 give f_1(w) = softplus(−softplus(w x)), which is bounded and not
// constant, hence not convex. The paper's appeal to "composition with an
// affine function" covers only the innermost product W_j Z_{j−1}. The
// metadata here is exact for the scalar functions; certifying a block
// problem (solvers.Certify) is a separate step.
package layers
