#!/usr/bin/python3
# SPDX-License-Identifier: MIT
#
# make-vectors.py: writes vectors.json, the numbers PyTorch computes for the layers of DLSIA
# (convolutions, pooling, upsampling, linear, BatchNorm, activations, cross-entropy, Adam, SGD),
# which tests/engine/test-torch.c checks the engine against.  Each case holds its arguments,
# inputs, weights, an upstream gradient `dout` and the expected outputs and gradients.
#
# Run it from the repository root with Debian's interpreter, which has PyTorch:
#     /usr/bin/python3 tests/engine/torch/make-vectors.py
# It is deterministic (fixed seed, one thread, float32 throughout).  PyTorch is needed only to
# regenerate the vectors, never to build or test; the output is committed.

import json
import os
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

SEED = 20240611
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "vectors.json")


def f32_str(v):
    """The shortest decimal that reads back as the same float32."""
    v = float(v)
    want = struct.pack("<f", v)
    for p in range(6, 10):
        s = "%.*g" % (p, v)
        if struct.pack("<f", float(s)) == want:
            return s
    return repr(v)


class F32List:
    """A list of float32 values, written compactly by dump()."""

    def __init__(self, values):
        self.values = values


def tensor(t):
    t = t.detach().to(torch.float32).contiguous()
    return {"shape": list(t.shape), "data": F32List(t.flatten().tolist())}


def labels(t):
    return {"shape": list(t.shape), "data": [int(v) for v in t.flatten().tolist()]}


def dump(o, out):
    if isinstance(o, F32List):
        out.append("[" + ",".join(f32_str(v) for v in o.values) + "]")
    elif isinstance(o, dict):
        out.append("{")
        for i, (k, v) in enumerate(o.items()):
            if i:
                out.append(",")
            out.append(json.dumps(k) + ":")
            dump(v, out)
        out.append("}")
    elif isinstance(o, list):
        out.append("[")
        for i, v in enumerate(o):
            if i:
                out.append(",")
            dump(v, out)
        out.append("]")
    elif isinstance(o, float):
        out.append(repr(o))
    else:
        out.append(json.dumps(o))


def randn(*shape):
    return torch.randn(*shape, dtype=torch.float32)


def leaf(t):
    return t.clone().requires_grad_(True)


# ---- convolutions ----


def conv2d_case(name, N, C, OC, H, W, K, stride, padding, dilation, mode, bias):
    conv = nn.Conv2d(C, OC, K, stride=stride, padding=padding, dilation=dilation, bias=bias,
                     padding_mode=mode)
    x = leaf(randn(N, C, H, W))
    y = conv(x)
    dout = randn(*y.shape)
    y.backward(dout)
    t = {"x": tensor(x), "weight": tensor(conv.weight)}
    if bias:
        t["bias"] = tensor(conv.bias)
    t.update({"dout": tensor(dout), "out": tensor(y), "grad_x": tensor(x.grad),
              "grad_weight": tensor(conv.weight.grad)})
    if bias:
        t["grad_bias"] = tensor(conv.bias.grad)
    return {"op": "conv2d", "name": name,
            "args": {"stride": stride, "padding": padding, "dilation": dilation,
                     "pad_mode": mode},
            "tensors": t}


def conv_transpose2d_case(name, N, C, OC, H, W, K, stride, padding, output_padding, dilation,
                          bias):
    conv = nn.ConvTranspose2d(C, OC, K, stride=stride, padding=padding,
                              output_padding=output_padding, dilation=dilation, bias=bias)
    x = leaf(randn(N, C, H, W))
    y = conv(x)
    dout = randn(*y.shape)
    y.backward(dout)
    t = {"x": tensor(x), "weight": tensor(conv.weight)}
    if bias:
        t["bias"] = tensor(conv.bias)
    t.update({"dout": tensor(dout), "out": tensor(y), "grad_x": tensor(x.grad),
              "grad_weight": tensor(conv.weight.grad)})
    if bias:
        t["grad_bias"] = tensor(conv.bias.grad)
    return {"op": "conv_transpose2d", "name": name,
            "args": {"stride": stride, "padding": padding, "output_padding": output_padding,
                     "dilation": dilation},
            "tensors": t}


# ---- pooling, upsampling, linear, activations ----


def unary_case(op, name, x, fn, args):
    x = leaf(x)
    y = fn(x)
    dout = randn(*y.shape)
    y.backward(dout)
    return {"op": op, "name": name, "args": args,
            "tensors": {"x": tensor(x), "dout": tensor(dout), "out": tensor(y),
                        "grad_x": tensor(x.grad)}}


def maxpool_case(name, N, C, H, W, k, s, p):
    return unary_case("maxpool2d", name, randn(N, C, H, W),
                      lambda x: F.max_pool2d(x, k, stride=s, padding=p),
                      {"kernel": k, "stride": s, "padding": p})


def upsample_case(name, N, C, H, W, OH, OW):
    return unary_case("upsample_nearest", name, randn(N, C, H, W),
                      lambda x: F.interpolate(x, size=(OH, OW), mode="nearest"),
                      {"h": OH, "w": OW})


def linear_case():
    lin = nn.Linear(7, 4, bias=True)
    x = leaf(randn(3, 7))
    y = lin(x)
    dout = randn(*y.shape)
    y.backward(dout)
    return {"op": "linear", "name": "bias", "args": {},
            "tensors": {"x": tensor(x), "weight": tensor(lin.weight), "bias": tensor(lin.bias),
                        "dout": tensor(dout), "out": tensor(y), "grad_x": tensor(x.grad),
                        "grad_weight": tensor(lin.weight.grad),
                        "grad_bias": tensor(lin.bias.grad)}}


# ---- BatchNorm ----


def bn_pass(bn, x, training, backward):
    """One forward (and backward for a fresh dout); returns the step record."""
    bn.train(training)
    bn.zero_grad(set_to_none=True)
    x = leaf(x)
    y = bn(x)
    step = {"training": training, "x": tensor(x)}
    if backward:
        dout = randn(*y.shape)
        y.backward(dout)
        step.update({"dout": tensor(dout), "out": tensor(y), "grad_x": tensor(x.grad),
                     "grad_weight": tensor(bn.weight.grad), "grad_bias": tensor(bn.bias.grad)})
    if bn.track_running_stats:
        step.update({"running_mean": tensor(bn.running_mean),
                     "running_var": tensor(bn.running_var),
                     "num_batches_tracked": int(bn.num_batches_tracked)})
    return step


def batchnorm_case(name, bn, shape, passes):
    """passes: (training, backward) for each forward, every one on a new input."""
    with torch.no_grad():
        bn.weight.copy_(torch.rand(bn.num_features) + 0.5)
        bn.bias.copy_(randn(bn.num_features))
    t = {"weight": tensor(bn.weight), "bias": tensor(bn.bias)}
    if bn.track_running_stats:
        t.update({"running_mean": tensor(bn.running_mean),
                  "running_var": tensor(bn.running_var)})
    # Inputs off zero mean and unit variance, so that normalising does something.
    steps = [bn_pass(bn, randn(*shape) * 1.5 + 0.7, training, backward)
             for training, backward in passes]
    return {"op": "batchnorm", "name": name,
            "args": {"eps": bn.eps, "momentum": bn.momentum,
                     "track_running_stats": bn.track_running_stats},
            "tensors": t, "steps": steps}


# ---- cross-entropy ----


def cross_entropy_case(name, weights):
    logits = leaf(randn(2, 4, 3, 5))
    y = torch.randint(0, 4, (2, 3, 5))
    y[torch.rand(2, 3, 5) < 0.25] = -1
    w = torch.tensor(weights, dtype=torch.float32) if weights else None
    loss = F.cross_entropy(logits, y, weight=w, ignore_index=-1)
    loss.backward()
    args = {"ignore_index": -1}
    if weights:
        args["weights"] = F32List(weights)
    return {"op": "cross_entropy", "name": name, "args": args,
            "tensors": {"logits": tensor(logits), "labels": labels(y),
                        "loss": tensor(loss.reshape(1)), "grad_logits": tensor(logits.grad)}}


# ---- optimizers ----


def optimizer_case(op, name, make, args, n_steps=5):
    p = nn.Parameter(randn(10))
    opt = make([p])
    t = {"param": tensor(p)}
    steps = []
    for _ in range(n_steps):
        g = randn(10)
        p.grad = g.clone()
        opt.step()
        steps.append({"grad": tensor(g), "param": tensor(p)})
    return {"op": op, "name": name, "args": args, "tensors": t, "steps": steps}


def adam_case(name, lr, wd):
    return optimizer_case("adam", name,
                          lambda ps: torch.optim.Adam(ps, lr=lr, betas=(0.9, 0.999), eps=1e-8,
                                                      weight_decay=wd),
                          {"lr": lr, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8,
                           "weight_decay": wd})


def sgd_case(name, nesterov):
    return optimizer_case("sgd", name,
                          lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0,
                                                     nesterov=nesterov, weight_decay=1e-3),
                          {"lr": 0.1, "momentum": 0.9, "dampening": 0.0, "weight_decay": 1e-3,
                           "nesterov": nesterov})


def main():
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float32)

    cases = [
        conv2d_case("zeros-dilated", 2, 2, 3, 7, 9, 3, 1, 2, 2, "zeros", True),
        conv2d_case("reflect-dilated", 2, 3, 1, 9, 8, 3, 1, 3, 3, "reflect", True),
        conv2d_case("strided-5x5", 2, 2, 4, 11, 10, 5, 2, 1, 1, "zeros", False),
        conv2d_case("reflect-strided", 2, 1, 2, 6, 7, 3, 2, 1, 1, "reflect", True),
        conv_transpose2d_case("k2-s2-outpad", 2, 3, 2, 5, 6, 2, 2, 0, 1, 1, True),
        conv_transpose2d_case("k3-s2-p1-outpad", 2, 2, 3, 4, 5, 3, 2, 1, 1, 1, True),
        conv_transpose2d_case("k3-p2-dilated", 2, 2, 2, 5, 4, 3, 1, 2, 0, 2, False),
        # output padding below the dilation rather than the stride
        conv_transpose2d_case("k3-p2-dilated-outpad", 1, 2, 3, 4, 5, 3, 1, 2, 1, 2, True),
        maxpool_case("k2-s2", 2, 3, 7, 9, 2, 2, 0),
        maxpool_case("k3-s2-p1", 2, 2, 8, 7, 3, 2, 1),
        upsample_case("5x7-to-11x13", 2, 2, 5, 7, 11, 13),
        upsample_case("6x6-to-12x12", 1, 3, 6, 6, 12, 12),
        upsample_case("7x5-to-3x4", 2, 2, 7, 5, 3, 4),
        linear_case(),
        batchnorm_case("2d", nn.BatchNorm2d(3), (2, 3, 4, 5),
                       [(True, False), (True, True), (False, True)]),
        batchnorm_case("1d", nn.BatchNorm1d(5), (4, 5),
                       [(True, False), (True, True), (False, True)]),
        batchnorm_case("2d-batch-stats", nn.BatchNorm2d(3, track_running_stats=False),
                       (2, 3, 4, 5), [(False, True)]),
        unary_case("softmax", "channels", randn(2, 3, 4, 5), lambda x: F.softmax(x, dim=1), {}),
        unary_case("sigmoid", "plain", randn(2, 3, 4, 5) * 3, torch.sigmoid, {}),
        unary_case("relu", "plain", randn(2, 3, 4, 5), F.relu, {}),
        cross_entropy_case("weighted", [1.0, 2.0, 0.5, 3.0]),
        cross_entropy_case("unweighted", None),
        adam_case("weight-decay", 1e-2, 0.01),
        adam_case("plain", 1e-3, 0.0),
        sgd_case("momentum", False),
        sgd_case("nesterov", True),
    ]

    doc = {
        "comment": "Produced by /usr/bin/python3 tests/engine/torch/make-vectors.py; "
                   "do not edit by hand.",
        "torch_version": torch.__version__,
        "seed": SEED,
        "cases": cases,
    }
    out = []
    dump(doc, out)
    text = "".join(out) + "\n"
    with open(OUT, "w") as f:
        f.write(text)
    print("%s: %d cases, %d bytes, torch %s" % (os.path.relpath(OUT), len(cases), len(text),
                                                torch.__version__))


if __name__ == "__main__":
    sys.exit(main())
