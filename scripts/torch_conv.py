#!/usr/bin/python3
"""PyTorch reference for ad.Conv2D, made by `make bench`: the coupling
network of the lattice-field-theory tutorial (arXiv:2101.08176) on phi^4 at
L = 8 -- 3x3 convolutions with circular padding, channels 1 -> 8 -> 8 -> 2,
tanh between them, batch 64, float64 -- forward and backward to the
kernels, on one thread (as ad/conv_test.go's BenchmarkConv2D).

Prints "conv_net <microseconds per forward + backward>".
"""
import sys, time
import torch

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)
reps = int(sys.argv[1]) if len(sys.argv) > 1 else 200
g = torch.Generator().manual_seed(7)
x = torch.randn(64, 1, 8, 8, generator=g)
convs = [torch.nn.Conv2d(a, b, 3, padding=1, padding_mode="circular", bias=False) for a, b in [(1, 8), (8, 8), (8, 2)]]


def step():
    y = x
    for i, c in enumerate(convs):
        y = c(y)
        if i < len(convs) - 1:
            y = torch.tanh(y)
    y.sum().backward()


for _ in range(10):
    step()
t0 = time.perf_counter()
for _ in range(reps):
    step()
print("conv_net %.3f" % ((time.perf_counter() - t0) / reps * 1e6))
