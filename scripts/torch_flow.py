#!/usr/bin/python3
"""PyTorch reference for mcflow's convolutional coupling flow (`[train] net
= "conv"`): the lattice-field-theory tutorial's flow (arXiv:2101.08176) on
phi^4, L = 8, m^2 = -4, lambda = 8 -- 16 affine coupling layers with
checkerboard masks whose networks are 3x3 circular convolutions with
channels 1 -> 8 -> 8 -> 2 (tanh), a standard normal prior, reverse KL with
batch 64 and Adam (lr 1e-3), float64.

usage: torch_flow.py [STEPS [THREADS]]
Prints "train_step <milliseconds per step>" and, every 500 steps and at the
end, "ess <steps> <ESS per sample on 10 000 fresh samples>".
"""
import math, sys, time
import torch

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 100
torch.set_num_threads(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
torch.set_default_dtype(torch.float64)
torch.manual_seed(1)
L, m2, lam = 8, -4.0, 8.0


def action(phi):
    kin = sum(phi * (2 * phi - torch.roll(phi, 1, d) - torch.roll(phi, -1, d)) for d in (1, 2))
    return (kin + m2 * phi**2 + lam * phi**4).sum(dim=(1, 2))


def conv_net(cin, hidden, cout):
    layers, c = [], cin
    for h in hidden + [cout]:
        layers += [torch.nn.Conv2d(c, h, 3, padding=1, padding_mode="circular"), torch.nn.Tanh()]
        c = h
    return torch.nn.Sequential(*layers)


class Coupling(torch.nn.Module):
    def __init__(self, parity):
        super().__init__()
        ij = torch.arange(L)[:, None] + torch.arange(L)[None, :]
        self.register_buffer("mask", ((ij % 2) == parity).double())
        self.net = conv_net(1, [8, 8], 2)

    def forward(self, x):
        frozen = self.mask * x
        out = self.net(frozen[:, None])
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


t0 = time.perf_counter()
for k in range(1, steps + 1):
    x, logq = sample(64)
    loss = (logq + action(x)).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    if k % 500 == 0 or k == steps:
        el = time.perf_counter() - t0
        print("ess %d %.4f  (%.0f s)" % (k, ess(), el), flush=True)
        t0 += time.perf_counter() - t0 - el
print("train_step %.3f" % ((time.perf_counter() - t0) / steps * 1e3))
