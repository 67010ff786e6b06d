#!/usr/bin/python3
"""mcflow's PyTorch references: the workloads of mcflow's Go benchmarks,
written in PyTorch (CPU, float64) so that `make bench` can time both in one
run and print the ratio (scripts/bench.sh).

Each case prints one line, `<case> <median seconds per unit> <unit>
check=<value>`; the check value shows that the work was done (a loss, an
energy), not a reference.

  mlp_step     MLP 2-32-32-1 with tanh on a batch of 1024: forward,
               loss = mean(out^2), backward, one Adam step
               (mcflow: BenchmarkMLPStep in ad/)
  op_overhead  (a * b).sum() and backward for 4-element a, b: the cost of
               one small differentiable operation (BenchmarkOpOverhead)
  ma_flow      one training step of a 2D Monge-Ampere flow on Ring2D: the
               potential u(x) = sum_k w_k ln cosh(W_k . x), 32 terms, 50
               RK4 steps of 0.1 for x and ln q, batch 1024, reverse KL,
               Adam (BenchmarkMAStep in nf/)
  realnvp      one reverse-KL training step of RealNVP on phi^4 (L = 8,
               m2 = -4, lambda = 8): 8 affine couplings with checkerboard
               masks, each an MLP 64-64-64-128 (tanh), batch 256, Adam
               (BenchmarkRealNVPStep in nf/)
  cnf          one reverse-KL training step of the equivariant continuous
               flow (Gerdes et al. 2022) on phi^4 at L = 32 (m2 = -4,
               lambda = 4.572): 20 features of 49 fixed frequencies, 21
               time-basis functions, kernels tied over the point group's
               orbits of displacements over the whole torus, the
               convolution by rfft2, the exact divergence, 50 RK4 steps
               integrated under autograd, batch 4, Adam; the time is per
               configuration (BenchmarkCNFTrainStep/L=32 in nf/)
  trg          ln Z / N of the 2D Ising model at K = 0.44 by the tensor
               renormalisation group, D_cut = 24, 20 coarse-graining steps,
               forward only (mcflow's tn/ computes ln Z, E and C)
  hmc_phi4     one leapfrog step of HMC on phi^4 (L = 64, m2 = -1,
               lambda = 1), 16 chains batched, the gradient by autograd
               (BenchmarkHMCPhi4Leapfrog in mc/hmc/)

Run with Debian's python3 (`make deps-bench` installs python3-torch);
--threads sets torch's thread count (default 1, as mcflow's benchmarks).
"""
import argparse
import math
import statistics
import time

import torch

torch.set_default_dtype(torch.float64)


def median_time(work, reps, warmup=2):
    """Median wall time of work() over reps calls, after warmup calls."""
    for _ in range(warmup):
        work()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def case_mlp_step(reps):
    torch.manual_seed(1)
    layers = [torch.nn.Linear(2, 32), torch.nn.Tanh(), torch.nn.Linear(32, 32), torch.nn.Tanh(), torch.nn.Linear(32, 1)]
    model = torch.nn.Sequential(*layers)
    adam = torch.optim.Adam(model.parameters(), lr=1e-3)
    batch = torch.randn(1024, 2)
    state = {}

    def work():
        loss = (model(batch) ** 2).mean()
        adam.zero_grad()
        loss.backward()
        adam.step()
        state["loss"] = loss.item()

    return median_time(work, 20 * reps), state["loss"]


def case_op_overhead(reps):
    a = torch.randn(4, requires_grad=True)
    b = torch.randn(4)
    per_call = 1000

    def work():
        for _ in range(per_call):
            (a * b).sum().backward()

    return median_time(work, reps) / per_call, float(a.grad.sum())


def ring2d_logp(x):
    r = torch.sqrt((x * x).sum(dim=1))
    return -((r - 2.0) ** 2) / 0.32


def case_ma_flow(reps):
    torch.manual_seed(1)
    dim, terms, dt, steps, batch = 2, 32, 0.1, 50, 1024
    W = (0.1 * torch.randn(terms, dim)).requires_grad_()
    w = (0.1 * torch.randn(terms)).requires_grad_()
    adam = torch.optim.Adam([W, w], lr=1e-2)

    def velocity(x):
        # dx/dt = grad u,  d ln q/dt = -laplacian u
        th = torch.tanh(x @ W.T)
        grad_u = (th * w) @ W
        lap_u = ((1.0 - th * th) * w) @ (W * W).sum(dim=1)
        return grad_u, -lap_u

    state = {}

    def work():
        x = torch.randn(batch, dim)
        logq = -0.5 * (x * x).sum(dim=1) - 0.5 * dim * math.log(2.0 * math.pi)
        for _ in range(steps):
            v1, l1 = velocity(x)
            v2, l2 = velocity(x + 0.5 * dt * v1)
            v3, l3 = velocity(x + 0.5 * dt * v2)
            v4, l4 = velocity(x + dt * v3)
            x = x + dt * (v1 + 2 * v2 + 2 * v3 + v4) / 6
            logq = logq + dt * (l1 + 2 * l2 + 2 * l3 + l4) / 6
        loss = (logq - ring2d_logp(x)).mean()
        adam.zero_grad()
        loss.backward()
        adam.step()
        state["loss"] = loss.item()

    return median_time(work, reps), state["loss"]


def phi4_action(phi, m2, lam):
    """S of a batch of L x L fields: sum over sites of the lattice
    Laplacian term, m2 phi^2 and lam phi^4 (periodic)."""
    kinetic = torch.zeros_like(phi)
    for axis in (1, 2):
        kinetic = kinetic + phi * (2 * phi - phi.roll(1, axis) - phi.roll(-1, axis))
    return (kinetic + m2 * phi * phi + lam * phi ** 4).sum(dim=(1, 2))


def case_realnvp(reps):
    torch.manual_seed(1)
    L, batch, couplings, hidden = 8, 256, 8, 64
    n = L * L
    idx = torch.arange(L)
    even = ((idx[:, None] + idx[None, :]) % 2 == 0).reshape(n).to(torch.get_default_dtype())
    nets = [torch.nn.Sequential(torch.nn.Linear(n, hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, hidden),
                                torch.nn.Tanh(), torch.nn.Linear(hidden, 2 * n)) for _ in range(couplings)]
    adam = torch.optim.Adam([p for net in nets for p in net.parameters()], lr=1e-3)
    state = {}

    def work():
        z = torch.randn(batch, n)
        logq = -0.5 * (z * z).sum(dim=1) - 0.5 * n * math.log(2.0 * math.pi)
        x = z
        for k, net in enumerate(nets):
            frozen = even if k % 2 == 0 else 1.0 - even
            out = net(x * frozen)
            scale = torch.tanh(out[:, :n]) * (1.0 - frozen)
            shift = out[:, n:] * (1.0 - frozen)
            x = frozen * x + (1.0 - frozen) * (x * torch.exp(scale) + shift)
            logq = logq - scale.sum(dim=1)
        loss = (logq + phi4_action(x.reshape(batch, L, L), -4.0, 8.0)).mean()
        adam.zero_grad()
        loss.backward()
        adam.step()
        state["loss"] = loss.item()

    return median_time(work, reps), state["loss"]


def case_cnf(reps, L=32, batch=4, features=20, freqs=49, nbasis=21, steps=50):
    torch.manual_seed(1)
    n, m = L * L, L // 2
    d = torch.arange(L)
    a = torch.minimum(d, L - d)
    lo = torch.minimum(a[:, None], a[None, :])
    hi = torch.maximum(a[:, None], a[None, :])
    orbit = hi * (hi + 1) // 2 + lo  # (L, L): the orbit of each displacement
    orbits = (m + 1) * (m + 2) // 2
    W = (0.01 * torch.randn(orbits, features, nbasis)).requires_grad_()
    F = (torch.randn(features, freqs + 1) * (freqs + 1) ** -1.5).requires_grad_()
    omega = 5.0 * torch.arange(1, freqs + 1) / freqs
    adam = torch.optim.Adam([W, F], lr=5e-3)
    ks = torch.arange(1, (nbasis - 1) // 2 + 1)
    state = {}

    def velocity(phi, t):
        tau = torch.cat([torch.ones(1), torch.stack([torch.sin(2 * math.pi * ks * t), torch.cos(2 * math.pi * ks * t)], 1).reshape(-1)])
        K = W @ tau  # (orbits, features)
        kspec = torch.fft.rfft2(K[orbit].permute(2, 0, 1)).real  # real: the kernel is even
        arg = phi[..., None] * omega
        h = torch.cat([phi[..., None], torch.sin(arg)], -1) @ F.T  # (b, L, L, A)
        dh = torch.cat([torch.ones_like(phi)[..., None], omega * torch.cos(arg)], -1) @ F.T
        v = torch.fft.irfft2((torch.fft.rfft2(h.permute(0, 3, 1, 2)) * kspec).sum(1), s=(L, L))
        return v, (dh.sum((1, 2)) * K[0]).sum(-1)

    def work():
        z = torch.randn(batch, L, L)
        logq = -0.5 * (z * z).sum((1, 2)) - 0.5 * n * math.log(2.0 * math.pi)
        x, h = z, 1.0 / steps
        for i in range(steps):
            t = i * h
            k1, d1 = velocity(x, t)
            k2, d2 = velocity(x + 0.5 * h * k1, t + 0.5 * h)
            k3, d3 = velocity(x + 0.5 * h * k2, t + 0.5 * h)
            k4, d4 = velocity(x + h * k3, t + h)
            x = x + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
            logq = logq - h / 6 * (d1 + 2 * d2 + 2 * d3 + d4)
        loss = (logq + phi4_action(x, -4.0, 4.572)).mean()
        adam.zero_grad()
        loss.backward()
        adam.step()
        state["loss"] = loss.item()

    return median_time(work, reps, warmup=1) / batch, state["loss"]


def trg_lnz(K, dcut=24, steps=20):
    """ln Z / N of the 2D Ising model by Levin and Nave's TRG."""
    # the bond matrix exp(K s s') = A A^T gives the site tensor
    bond = torch.tensor([[math.exp(K), math.exp(-K)], [math.exp(-K), math.exp(K)]])
    u, s, _ = torch.linalg.svd(bond)
    a = u * torch.sqrt(s)
    T = torch.einsum("si,sj,sk,sl->ijkl", a, a, a, a)
    lnz, d = 0.0, 2
    for step in range(steps):
        norm = T.abs().max()
        T = T / norm
        lnz += math.log(norm) * 2.0 ** (steps - step)
        chi = min(d * d, dcut)
        # split T (indices left, up, right, down) along both diagonals
        u1, s1, v1 = torch.linalg.svd(T.permute(0, 1, 2, 3).reshape(d * d, d * d))
        u2, s2, v2 = torch.linalg.svd(T.permute(1, 2, 3, 0).reshape(d * d, d * d))
        r1, r2 = torch.sqrt(s1[:chi]), torch.sqrt(s2[:chi])
        A = (u1[:, :chi] * r1).reshape(d, d, chi)       # left, up | new
        B = (v1[:chi].T * r1).reshape(d, d, chi)        # right, down | new
        C = (u2[:, :chi] * r2).reshape(d, d, chi)       # up, right | new
        D = (v2[:chi].T * r2).reshape(d, d, chi)        # down, left | new
        # contract the four halves around a plaquette into the new tensor
        # corners P, Q, R, S of a plaquette (P, R of the first sublattice):
        # P.right = Q.left (a), Q.down = R.up (b), R.left = S.right (c),
        # S.up = P.down (e); the new legs point left, up, right, down
        T = torch.einsum("aei,baj,cbk,ecm->ijkm", B, D, A, C)
        d = chi
    lnz += math.log(torch.einsum("ijij->", T).item())
    return lnz / 2.0 ** steps


def case_trg(reps):
    state = {}

    def work():
        with torch.no_grad():
            state["lnz"] = trg_lnz(0.44)

    return median_time(work, reps, warmup=1), state["lnz"]


def case_hmc_phi4(reps):
    torch.manual_seed(1)
    L, chains, leapfrogs, eps = 64, 16, 10, 0.05
    phi = 0.1 * torch.randn(chains, L, L)

    def force(q):
        q = q.detach().requires_grad_()
        (g,) = torch.autograd.grad(phi4_action(q, -1.0, 1.0).sum(), q)
        return g

    def work():
        nonlocal phi
        q, p = phi.clone(), torch.randn_like(phi)
        p = p - 0.5 * eps * force(q)
        for i in range(leapfrogs):
            q = q + eps * p
            p = p - (eps if i < leapfrogs - 1 else 0.5 * eps) * force(q)
        phi = q

    return median_time(work, reps) / leapfrogs, float((phi * phi).mean())


CASES = {
    "mlp_step": (case_mlp_step, "s/step"),
    "op_overhead": (case_op_overhead, "s/(mul+sum+backward)"),
    "ma_flow": (case_ma_flow, "s/step"),
    "realnvp": (case_realnvp, "s/step"),
    "cnf": (case_cnf, "s/configuration"),
    "trg": (case_trg, "s/lnZ"),
    "hmc_phi4": (case_hmc_phi4, "s/leapfrog(16 chains)"),
}

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("case", choices=sorted(CASES))
    ap.add_argument("--reps", type=int, default=10, help="timed repetitions (the median is printed)")
    ap.add_argument("--threads", type=int, default=1, help="torch's threads (default 1)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    fn, unit = CASES[args.case]
    seconds, check = fn(args.reps)
    print(f"{args.case} {seconds:.6g} {unit} check={check}")
