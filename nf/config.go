package nf

import (
	"math"
	"math/bits"
	"slices"
)

// Config is a flow's architecture: what `[train]` in a job file sets and
// what a saved flow carries as attributes.
type Config struct {
	Kind string // "realnvp", "monge-ampere" or "cnf"
	Dim  int

	// RealNVP: Layers affine coupling layers, each with an MLP of the
	// Hidden widths (tanh) giving scale and shift; Mask "halves" (first
	// and second half of the coordinates) or "checkerboard" (an L×L
	// lattice, Dim = L·L).
	Layers int
	Hidden []int
	Mask   string
	L      int
	// Net "conv" makes the coupling networks convolutions on the L×L
	// lattice (periodic, Kernel×Kernel, Hidden channels, tanh; needs the
	// checkerboard mask), translation-equivariant under the shifts that
	// preserve the mask; "" or "mlp": dense MLPs of the Hidden widths.
	Net    string `json:",omitempty"`
	Kernel int    `json:",omitempty"`
	// Coupling "spline" makes each layer's transform a rational-quadratic
	// spline of Bins bins on [−Bound, Bound] (the identity outside);
	// "" or "affine": scale and shift.
	Coupling string  `json:",omitempty"`
	Bins     int     `json:",omitempty"`
	Bound    float64 `json:",omitempty"`

	// Monge–Ampère: Potential "lncosh" (u = Σ_j w_j ln cosh(W_j·x), with
	// Hidden[0] terms, hand-written ∇u and ∇²u) or "mlp" (u an MLP of the
	// Hidden widths, ∇u and ∇²u by ad); Steps RK4 steps of size Eps.
	// Exact makes the log-density that of the discrete RK4 map (its
	// Jacobian by ad) with a Newton-refined inverse; Hutchinson estimates
	// ∇²u of the mlp potential with one Rademacher probe per point (for
	// large Dim; training only, the density is then stochastic).
	Potential  string
	Steps      int
	Eps        float64
	Exact      bool
	Hutchinson bool

	// CNF (the equivariant continuous flow on an L×L lattice): Features
	// (A), Frequencies (J) and TimeBasis functions, Steps RK4 steps over
	// t ∈ [0, 1]. DensityError is the measured standard deviation of the
	// difference between its RK4 log-density and that of the discrete map
	// (0 until measured; `mcflow train` measures it).
	Features     int     `json:",omitempty"`
	Frequencies  int     `json:",omitempty"`
	TimeBasis    int     `json:",omitempty"`
	DensityError float64 `json:",omitempty"`
	// TrainSteps are the RK4 steps the flow was trained with when Steps
	// was raised after training to hold DensityError below a tolerance
	// (CNF.TuneSteps), else 0.
	TrainSteps int `json:",omitempty"`

	// NeuralRG (on an L×L lattice, L a power of two): Depth scales from
	// the finest, Repeat pairs of block layers per scale, each block a
	// RealNVP on 4 sites with Layers couplings of Hidden widths.
	Depth  int `json:",omitempty"`
	Repeat int `json:",omitempty"`

	// Symmetric: "none", "equivariant" (g(−z) = −g(z)) or "mixture".
	Symmetric Symmetry
}

// Defaults fills unset architecture fields with mcflow's defaults for a
// target of dimension dim (lattice side l, 0 if not a lattice).
func (c *Config) Defaults(dim, l int) {
	c.Dim = dim
	if c.Symmetric == "" {
		c.Symmetric = NoSymmetry
	}
	switch c.Kind {
	case "realnvp":
		if c.Layers == 0 {
			c.Layers = 8
		}
		if c.Hidden == nil {
			c.Hidden = []int{64, 64}
		}
		if c.Mask == "" {
			c.Mask = "halves"
			if l > 0 && l*l == dim {
				c.Mask = "checkerboard"
			}
		}
		if c.Mask == "checkerboard" {
			c.L = l
		}
		if c.Net == "conv" && c.Kernel == 0 {
			c.Kernel = 3
		}
		if c.Coupling == "spline" {
			if c.Bins == 0 {
				c.Bins = 8
			}
			if c.Bound == 0 {
				c.Bound = 5
			}
		}
	case "monge-ampere":
		if c.Potential == "" {
			c.Potential = "lncosh"
		}
		if c.Potential == "conv" {
			c.L = l
			if c.Kernel == 0 {
				c.Kernel = 3
			}
			if c.Hidden == nil {
				c.Hidden = []int{4}
			}
		}
		if c.Hidden == nil {
			c.Hidden = []int{32}
			if c.Potential == "mlp" {
				c.Hidden = []int{32, 32}
			}
		}
		if c.Steps == 0 {
			c.Steps = 50
		}
		if c.Eps == 0 {
			c.Eps = 0.1
		}
	case "neuralrg":
		c.L = l
		if c.Layers == 0 {
			c.Layers = 4
		}
		if c.Hidden == nil {
			c.Hidden = []int{32, 32}
		}
		if c.Repeat == 0 {
			c.Repeat = 2
		}
		if c.Depth == 0 {
			c.Depth = bits.Len(uint(l)) - 1 // log2 L: every scale
		}
	case "cnf":
		c.L = l
		c.Symmetric = Equivariant
		if c.Features == 0 {
			c.Features = 20
		}
		if c.Frequencies == 0 {
			c.Frequencies = 49
		}
		if c.TimeBasis == 0 {
			c.TimeBasis = 21
		}
		if c.Steps == 0 {
			c.Steps = 50
		}
	}
}

// Validate reports an inconsistent architecture.
func (c *Config) Validate() error {
	if c.Dim < 1 {
		return errorf("flow of dimension %d", c.Dim)
	}
	for _, h := range c.Hidden {
		if h < 1 {
			return errorf("hidden = %v: widths must be >= 1", c.Hidden)
		}
	}
	switch c.Symmetric {
	case "", NoSymmetry, Equivariant, Mixture:
	default:
		return errorf("symmetric = %q, want \"none\", \"equivariant\" or \"mixture\"", c.Symmetric)
	}
	switch c.Kind {
	case "realnvp":
		if c.Layers < 1 {
			return errorf("realnvp with layers = %d: want >= 1", c.Layers)
		}
		if len(c.Hidden) == 0 {
			return errorf("realnvp needs hidden widths, e.g. hidden = [64, 64]")
		}
		switch c.Mask {
		case "halves":
			if c.Dim < 2 {
				return errorf("realnvp needs dimension >= 2")
			}
		case "checkerboard":
			if c.L < 2 || c.L*c.L != c.Dim {
				return errorf("checkerboard mask needs an L×L lattice (L = %d, dimension %d)", c.L, c.Dim)
			}
		default:
			return errorf("mask = %q, want \"halves\" or \"checkerboard\"", c.Mask)
		}
		switch c.Net {
		case "", "mlp":
			if c.Kernel != 0 {
				return errorf("kernel = %d applies to net = \"conv\"", c.Kernel)
			}
		case "conv":
			if c.Mask != "checkerboard" {
				return errorf("net = \"conv\" needs a lattice target and the checkerboard mask")
			}
			if c.Kernel < 1 || c.Kernel%2 == 0 || c.Kernel > c.L {
				return errorf("kernel = %d: want an odd size <= L = %d", c.Kernel, c.L)
			}
		default:
			return errorf("net = %q, want \"mlp\" or \"conv\"", c.Net)
		}
		switch c.Coupling {
		case "", "affine":
			if c.Bins != 0 || c.Bound != 0 {
				return errorf("bins and bound apply to coupling = \"spline\"")
			}
		case "spline":
			if c.Bins < 2 || !(c.Bound > 0) || math.IsInf(c.Bound, 0) {
				return errorf("spline with bins = %d, bound = %v: want bins >= 2 and a finite bound > 0", c.Bins, c.Bound)
			}
		default:
			return errorf("coupling = %q, want \"affine\" or \"spline\"", c.Coupling)
		}
	case "monge-ampere":
		if !slices.Contains([]string{"lncosh", "mlp", "conv"}, c.Potential) {
			return errorf("potential = %q, want \"lncosh\", \"mlp\" or \"conv\"", c.Potential)
		}
		if len(c.Hidden) == 0 || (c.Potential != "mlp" && len(c.Hidden) != 1) {
			return errorf("potential %q with hidden = %v: lncosh and conv take one width (terms; features), mlp one or more", c.Potential, c.Hidden)
		}
		if c.Potential == "conv" {
			if c.L < 2 || c.L*c.L != c.Dim {
				return errorf("potential = \"conv\" needs an L×L lattice target (L = %d, dimension %d)", c.L, c.Dim)
			}
			if c.Kernel < 1 || c.Kernel%2 == 0 || c.Kernel > c.L {
				return errorf("kernel = %d: want an odd size <= L = %d", c.Kernel, c.L)
			}
		} else if c.Kernel != 0 {
			return errorf("kernel = %d applies to net = \"conv\" or potential = \"conv\"", c.Kernel)
		}
		if c.Steps < 1 || !(c.Eps > 0) {
			return errorf("monge-ampere with steps = %d, eps = %v: want steps >= 1 and eps > 0", c.Steps, c.Eps)
		}
		if c.Symmetric == Mixture {
			return errorf("symmetric = \"mixture\" needs an exactly invertible flow; use realnvp, or symmetric = \"equivariant\" (the lncosh potential is even, so that flow is always equivariant)")
		}
		if c.Hutchinson && (c.Exact || c.Potential != "mlp") {
			return errorf("hutchinson applies to the mlp potential without exact mode")
		}
	case "cnf":
		return c.validateCNF()
	case "neuralrg":
		return c.validateNeuralRG()
	default:
		return errorf("flow = %q, want \"realnvp\", \"monge-ampere\", \"cnf\" or \"neuralrg\"", c.Kind)
	}
	return nil
}

func (c *Config) validateCNF() error {
	if c.L < 2 || c.L*c.L != c.Dim {
		return errorf("flow = \"cnf\" needs an L×L lattice target (L = %d, dimension %d)", c.L, c.Dim)
	}
	if c.Features < 1 || c.Frequencies < 1 || c.Steps < 1 {
		return errorf("cnf with features = %d, frequencies = %d, steps = %d: want each >= 1", c.Features, c.Frequencies, c.Steps)
	}
	if c.TimeBasis < 1 || c.TimeBasis%2 == 0 {
		return errorf("cnf with time_basis = %d: want an odd number (1, then a sine and a cosine per frequency)", c.TimeBasis)
	}
	if c.Symmetric != Equivariant {
		return errorf("cnf is Z2-equivariant by construction (symmetric = %q refused)", c.Symmetric)
	}
	if !(c.DensityError >= 0) {
		return errorf("cnf with density error %v: want >= 0", c.DensityError)
	}
	return nil
}

func (c *Config) validateNeuralRG() error {
	if c.L < 2 || c.L*c.L != c.Dim || c.L&(c.L-1) != 0 {
		return errorf("flow = \"neuralrg\" needs an L×L lattice target with L a power of two (L = %d, dimension %d)", c.L, c.Dim)
	}
	if max := bits.Len(uint(c.L)) - 1; c.Depth < 1 || c.Depth > max {
		return errorf("neuralrg with depth = %d: want 1 to log2(L) = %d scales", c.Depth, max)
	}
	if c.Repeat < 1 || c.Layers < 1 || len(c.Hidden) == 0 {
		return errorf("neuralrg with repeat = %d, layers = %d, hidden = %v: want repeat >= 1, layers >= 1 and hidden widths", c.Repeat, c.Layers, c.Hidden)
	}
	return nil
}
