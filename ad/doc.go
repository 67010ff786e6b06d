// Package ad is automatic differentiation for scientific programs on dense
// float64 tensors.
//
// # Reverse mode
//
// A program is written with the operations of this package on *Var values;
// each operation records a node (its inputs, outputs and vector-Jacobian
// product) as the program runs. There is no global tape and no global
// state: the graph is the values themselves, so every goroutine
// differentiates its own program, and parameters (leaf Vars made by Param)
// can be shared read-only by many goroutines at once.
//
//	x := ad.Param(ad.NewTensor([]float64{1, 2}, 2))
//	y := ad.Sum(ad.Mul(x, ad.Exp(x)))
//	g, _ := ad.Grad(y, []*ad.Var{x})                     // ∂y/∂x
//	g, _ = ad.Grad(y, []*ad.Var{x}, ad.CreateGraph())     // differentiable ∂y/∂x
//	h, _ := ad.Grad(ad.Sum(ad.Mul(g[0], v)), []*ad.Var{x}) // Hessian·v
//
// Every vector-Jacobian product is itself written with the operations of
// this package, so with CreateGraph the gradient is a program like any other
// and can be differentiated again: second and higher derivatives (specific
// heats, Laplacians, Hessian-vector products) come from the same code.
//
// # Broadcasting
//
// Binary elementwise operations broadcast as NumPy does (shapes aligned on
// their trailing axes, axes of length 1 stretched); gradients are summed
// back to each input's shape (SumTo).
//
// # Linear algebra
//
// SVD and Eigh are differentiable, with the Lorentzian-broadened
// 1/(x + ε/x) factors of Liao, Liu, Wang and Xiang, PRX 9, 031041 (2019),
// so that gradients stay finite at degenerate spectra; their backward rules
// are written in ad operations and are differentiable again.
//
// # Matrix products
//
// Large products go to OpenBLAS through cgo (one thread: mcflow
// parallelises above it), or to gonum's pure-Go GEMM when built with
// CGO_ENABLED=0 or the noblas tag (BLASName says which). Products with an
// inner or output dimension of at most 4 run in plain loops.
//
// # Forward mode
//
// Dual and HyperDual numbers give first and second derivatives of scalar
// programs (quadratures, special functions) without a graph.
package ad
