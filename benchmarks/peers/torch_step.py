"""Peer for the step benchmark: one training step of the CuevaRNN (N 100, T 500; forward, backward
through time, Adam) in PyTorch on the CPU, written from the paper's equations as our fused BPTT
computes them:
    x_t = 0.9 x_{t-1} + 0.1 (tanh(x_{t-1}) W_rec + I_t W_in + b + xi_t),  y_t = tanh(x_t) W_out
    loss = mean squared error + 1e-4 (mean W_in^2 + mean W_out^2) + 1e-3 mean(u^2)
on fixed random inputs, targets and noise (the timing does not depend on their values).
Usage: python3 torch_step.py BATCH THREADS REPEATS -> one JSON line on stdout."""
import json
import statistics
import sys
import time

import torch


def main():
    batch, threads, repeats = (int(a) for a in sys.argv[1:4])
    torch.set_num_threads(threads)
    T, N, n_in = 500, 100, 2
    g = torch.Generator().manual_seed(0)
    q, _ = torch.linalg.qr(torch.randn(N, N, generator=g))
    w_rec = q.clone().requires_grad_()
    w_in = (torch.randn(n_in, N, generator=g) / n_in ** 0.5).requires_grad_()
    b = torch.zeros(N, requires_grad=True)
    w_out = (0.05 * torch.randn(N, 2, generator=g)).requires_grad_()
    inputs = torch.randn(T, batch, n_in, generator=g)
    targets = 0.1 * torch.randn(T, batch, 2, generator=g)
    noise = 0.05 * torch.randn(T, batch, N, generator=g)
    opt = torch.optim.Adam([w_rec, w_in, b, w_out], lr=1e-3)

    def step():
        x = torch.zeros(batch, N)
        sq_err = 0.0
        sq_rate = 0.0
        for t in range(T):
            x = 0.9 * x + 0.1 * (torch.tanh(x) @ w_rec + inputs[t] @ w_in + b + noise[t])
            u = torch.tanh(x)
            sq_err = sq_err + ((u @ w_out - targets[t]) ** 2).sum()
            sq_rate = sq_rate + (u ** 2).sum()
        loss = sq_err / (T * batch * 2) + 1e-4 * ((w_in ** 2).mean() + (w_out ** 2).mean()) + 1e-3 * sq_rate / (T * batch * N)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_([w_rec, w_in, b, w_out], 1.0)
        opt.step()

    step()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"batch": batch, "threads": threads, "median_ms": statistics.median(times), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
