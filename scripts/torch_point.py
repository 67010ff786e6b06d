#!/usr/bin/python3
"""PyTorch reference for mcflow's per-step flow work (nf.Point), made by
`make bench`: an equivariant RealNVP of the shape of testdata/flows/phi4-L8-*
(phi^4 L=8, 8 affine couplings with checkerboard masks, one hidden layer of
64, tanh; s even and t odd in the kept coordinates) evaluated at one point,
on one thread, as flow-MH and latent HMC need it:

  logq    ln q(x) through the inverse (flow-MH after a local move)
  latent  ln p(g(z)) + ln|det dg/dz| and its gradient in z (one latent-HMC
          leapfrog step; p is phi^4 L=8, m2=-4, lam=4)
  sample  64 draws x = g(z) with ln q (one flow-MH batch), per draw

Prints "<workload> <microseconds per point>" for each.
"""
import sys, time
import torch

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)
L, H, NL = 8, 64, 8
N = L * L


def masks():
    base = torch.tensor([float((i // L + i % L) % 2 == 1) for i in range(N)])
    return [base if l % 2 == 0 else 1 - base for l in range(NL)]


class Flow(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.nets = torch.nn.ModuleList(
            torch.nn.Sequential(torch.nn.Linear(N, H), torch.nn.Tanh(), torch.nn.Linear(H, 2 * N)) for _ in range(NL))
        self.m = masks()

    def st(self, l, x):
        xm = x * self.m[l]
        out = self.nets[l](torch.cat([xm, -xm], 0))
        b = x.shape[0]
        p, q = out[:b], out[b:]
        s = 0.5 * (p[:, :N] + q[:, :N])
        t = 0.5 * (p[:, N:] - q[:, N:])
        inv = 1 - self.m[l]
        return torch.tanh(s) * inv, t * inv

    def forward(self, z):
        x, ld = z, 0
        for l in range(NL):
            s, t = self.st(l, x)
            x = x * torch.exp(s) + t
            ld = ld + s.sum(1)
        return x, ld

    def inverse(self, x):
        z, ld = x, 0
        for l in reversed(range(NL)):
            s, t = self.st(l, z)
            z = (z - t) * torch.exp(-s)
            ld = ld - s.sum(1)
        return z, ld


def lognormal(z):
    return -0.5 * (z * z).sum(1) - 0.5 * N * torch.log(torch.tensor(2 * torch.pi))


def phi4_logp(x, m2=-4.0, lam=4.0):
    f = x.view(-1, L, L)
    kin = sum(f * (2 * f - torch.roll(f, 1, d) - torch.roll(f, -1, d)) for d in (1, 2)) * 0.5
    pot = 0.5 * m2 * f * f + lam * f ** 4
    return -(kin + pot).sum((1, 2))


def timeit(fn, reps):
    for _ in range(20):
        fn()
    t = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t) / reps


def main():
    torch.manual_seed(0)
    f = Flow()
    x = (torch.arange(N, dtype=torch.float64) % 7 / 3 - 1).view(1, N)

    def logq():
        with torch.no_grad():
            z, ld = f.inverse(x)
            return (lognormal(z) + ld).item()

    def latent():
        z = x.clone().requires_grad_(True)
        xv, ld = f.forward(z)
        lp = phi4_logp(xv) + ld
        (g,) = torch.autograd.grad(lp.sum(), z)
        return g

    def sample():
        with torch.no_grad():
            z = torch.randn(64, N)
            xs, ld = f.forward(z)
            return lognormal(z) - ld

    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    print("logq", timeit(logq, reps) * 1e6)
    print("latent", timeit(latent, reps) * 1e6)
    print("sample", timeit(sample, max(1, reps // 10)) * 1e6 / 64)


if __name__ == "__main__":
    main()
