#!/usr/bin/env python3
"""Reference values of the continuous Bernoulli for tests/continuous_bernoulli.rs, at 60 digits.

Each input is taken exactly as the f64 the test passes (mpmath.mpf(float) is exact), so the
reference is the true value at that input, not at a nearby decimal. Run: python3 scripts/cb-reference.py
"""
import mpmath as mp

mp.mp.dps = 60

def log_c_of_p(p):
    p = mp.mpf(p)
    if p == mp.mpf("0.5"):
        return mp.log(2)
    t = 1 - 2 * p
    return mp.log(2 * mp.atanh(t) / t)

def of_logit(l):
    l = mp.mpf(l)
    # enough digits that sigmoid(700) is not rounded to 1
    with mp.workdps(400):
        return _of_logit(l)

def _of_logit(l):
    if l == 0:
        return mp.log(2), mp.mpf(1) / 2
    s = 1 / (1 + mp.exp(-l))
    log_c = mp.log(l / mp.tanh(l / 2))
    # mean p/(2p-1) + 1/(2 atanh(1-2p)), the paper's form, in p = sigmoid(l)
    mean = s / (2 * s - 1) + 1 / (2 * mp.atanh(1 - 2 * s))
    return log_c, mean

ps = [1e-7, 1e-4, 0.01, 0.1, 0.25, 0.4, 0.5 - 1e-7, 0.5, 0.5 + 1e-7, 0.6, 0.75, 0.9, 0.99,
      1 - 1e-4, 1 - 1e-7]
print("// (p, ln C(p))")
for p in ps:
    print(f"    ({p!r}, {mp.nstr(log_c_of_p(p), 20)}),")
ls = [1e-8, -1e-8, 1e-3, 0.05, -0.05, 0.0999999, 0.1, 0.1000001, 0.3, 0.5, -0.5, 1.0, 3.0, -3.0,
      10.0, -10.0, 40.0, 100.0, -100.0, 700.0]
print("// (l, ln C(l), mean(l))")
for l in ls:
    c, m = of_logit(l)
    print(f"    ({l!r}, {mp.nstr(c, 20)}, {mp.nstr(m, 20)}),")
