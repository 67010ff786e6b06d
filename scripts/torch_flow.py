#!/usr/bin/python3
"""PyTorch reference for mcflow's convolutional coupling flow (`[train] net
= "conv"`): the lattice-field-theory tutorial's flow (arXiv:2101.08176) on
phi^4, L = 8, m^2 = -4, lambda = 8 -- 16 affine coupling layers with
checkerboard masks whose networks are 3x3 circular convolutions with
channels 1 -> 8 -> 8 -> 2 (tanh), a standard normal prior, reverse KL with
batch 64 and Adam (lr 1e-3), float64.

With --coupling spline the layers are rational-quadratic splines of 8 bins
on [-5, 5] (identity outside), as mcflow's `coupling = "spline"`.

usage: torch_flow.py [--steps N] [--threads T] [--coupling affine|spline] [--ess]
Prints "train_step <milliseconds per step>" (after 5 warm-up steps) and,
with --ess, every 500 steps and at the end "ess <steps> <ESS per sample on
10 000 fresh samples>".
"""
import argparse, math, time
import torch
import torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument("--steps", type=int, default=100)
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--coupling", choices=["affine", "spline"], default="affine")
ap.add_argument("--ess", action="store_true")
args = ap.parse_args()
steps = args.steps
torch.set_num_threads(args.threads)
torch.set_default_dtype(torch.float64)
torch.manual_seed(1)
L, m2, lam = 8, -4.0, 8.0


def action(phi):
    kin = sum(phi * (2 * phi - torch.roll(phi, 1, d) - torch.roll(phi, -1, d)) for d in (1, 2))
    return (kin + m2 * phi**2 + lam * phi**4).sum(dim=(1, 2))


def conv_net(cin, hidden, cout, final_tanh):
    layers, c = [], cin
    for h in hidden + [cout]:
        layers += [torch.nn.Conv2d(c, h, 3, padding=1, padding_mode="circular"), torch.nn.Tanh()]
        c = h
    return torch.nn.Sequential(*(layers if final_tanh else layers[:-1]))


K, BOUND = 8, 5.0
SHIFT = math.log(math.expm1(1 - 1e-3))


def spline(x, p):
    """Rational-quadratic spline of x (...) with raw parameters p (..., 3K-1)."""
    w = F.softmax(p[..., :K], -1) * (1 - 1e-3 * K) + 1e-3
    h = F.softmax(p[..., K:2 * K], -1) * (1 - 1e-3 * K) + 1e-3
    d = F.pad(F.softplus(p[..., 2 * K:] + SHIFT) + 1e-3, (1, 1), value=1.0)
    cx = F.pad(torch.cumsum(w, -1), (1, 0)) * 2 * BOUND - BOUND
    cy = F.pad(torch.cumsum(h, -1), (1, 0)) * 2 * BOUND - BOUND
    inside = (x >= -BOUND) & (x <= BOUND)
    xc = x.clamp(-BOUND, BOUND)
    k = (torch.searchsorted(cx.detach().contiguous(), xc.detach()[..., None], right=True) - 1).clamp(0, K - 1)
    g = lambda t, i: t.gather(-1, i)[..., 0]
    xk, yk, d0, d1 = g(cx, k), g(cy, k), g(d, k), g(d, k + 1)
    wk, hk = g(cx, k + 1) - xk, g(cy, k + 1) - yk
    s = hk / wk
    xi = (xc - xk) / wk
    xo = xi * (1 - xi)
    den = s + (d0 + d1 - 2 * s) * xo
    ys = yk + hk * (s * xi**2 + d0 * xo) / den
    ld = 2 * torch.log(s) + torch.log(d1 * xi**2 + 2 * s * xo + d0 * (1 - xi) ** 2) - 2 * torch.log(den)
    return torch.where(inside, ys, x), torch.where(inside, ld, torch.zeros_like(ld))


class Coupling(torch.nn.Module):
    def __init__(self, parity):
        super().__init__()
        ij = torch.arange(L)[:, None] + torch.arange(L)[None, :]
        self.register_buffer("mask", ((ij % 2) == parity).double())
        # the tutorial's affine nets end in tanh; the spline's raw parameters are unbounded
        self.net = conv_net(1, [8, 8], 2, True) if args.coupling == "affine" else conv_net(1, [8, 8], 3 * K - 1, False)

    def forward(self, x):
        frozen = self.mask * x
        out = self.net(frozen[:, None])
        if args.coupling == "spline":
            y, ld = spline(x, out.permute(0, 2, 3, 1))
            return frozen + (1 - self.mask) * y, ((1 - self.mask) * ld).sum(dim=(1, 2))
        s, t = out[:, 0], out[:, 1]
        y = frozen + (1 - self.mask) * (x * torch.exp(s) + t)
        return y, ((1 - self.mask) * s).sum(dim=(1, 2))


layers = torch.nn.ModuleList([Coupling(i % 2) for i in range(16)])
opt = torch.optim.Adam(layers.parameters(), lr=1e-3)


def sample(n):
    z = torch.randn(n, L, L)
    logq = -0.5 * (z**2).sum(dim=(1, 2)) - 0.5 * L * L * math.log(2 * math.pi)
    x = z
    for c in layers:
        x, ld = c(x)
        logq = logq - ld
    return x, logq


def ess(n=10000):
    with torch.no_grad():
        x, logq = sample(n)
        lw = -action(x) - logq
        w = torch.exp(lw - lw.max())
        return (w.sum() ** 2 / (w**2).sum()).item() / n


def train_step():
    x, logq = sample(64)
    loss = (logq + action(x)).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()


for _ in range(5):
    train_step()
t0 = time.perf_counter()
for k in range(1, steps + 1):
    train_step()
    if args.ess and (k % 500 == 0 or k == steps):
        el = time.perf_counter() - t0
        print("ess %d %.4f  (%.0f s)" % (k, ess(), el), flush=True)
        t0 += time.perf_counter() - t0 - el
print("train_step %.3f" % ((time.perf_counter() - t0) / steps * 1e3))
