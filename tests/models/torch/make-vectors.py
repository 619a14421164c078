#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""make-vectors.py: PyTorch test vectors for the C networks, made with DLSIA's own modules.

    /usr/bin/python3 tests/models/torch/make-vectors.py [OUTDIR]     (default: this directory)

For every case below it builds a small network with DLSIA's classes (github.com/phzwart/dlsia,
dlsia/core/networks), gives it random weights (torch.manual_seed; BatchNorm weight, bias,
running_mean, running_var and num_batches_tracked are randomised too, so eval-mode BN matters),
runs a random input through it and writes

  NAME.safetensors     the model file, exactly as the C program writes one: an 8-byte
                       little-endian header length, a JSON header (padded with spaces to 8
                       bytes) holding "__metadata__" {"dlsia.config": <config JSON string>,
                       "format": "pt"} and one entry per state_dict tensor in state_dict order
                       {"dtype": "F32" | "I64", "shape", "data_offsets"}, then the raw
                       little-endian data in the same order.  Names, shapes and dtypes are
                       DLSIA's state_dict (spaces included: "Step Up 0.weight"; BN running
                       stats as F32; num_batches_tracked as I64 with shape []).
  NAME.io.safetensors  tensors "input" and "output" (NCHW float32), plus "latent" for the
                       autoencoders (MSAE: encoder(x); SAE: latent_vector(x)); metadata
                       {"mode": "eval" | "train", "case": NAME}: the module mode that produced
                       "output" (and "latent").  In train mode BN uses the batch statistics
                       (biased variance); the model file holds the weights from before that
                       forward pass (the running-stat update is not part of the vector).

and checks the round trip: each file is parsed back, loaded into a fresh DLSIA module with
load_state_dict(strict=True) via check-load.py, and the recomputed output must equal the stored
one exactly.  It also builds the configurations of the reference's parameter-count table
(/work/shared/reference/dlsia-networks.md, section 2.6), asserts their counts, and writes the
state_dict names, dtypes and shapes of three of them to names.txt (tab separated: name, dtype,
shape), for the C side's tensor-name tests.  Parameter count = sum of numel over parameters
with requires_grad (BN running stats excluded).

Cases: msdnet-bn, msdnet-w2-nobn, msdnet-custom, tunet-odd, tunet-gh, tunet-train (train mode),
smsnet-example (Classification), smsnet-random (Regression), smsnet-positive
(Regression_Positive: last 1x1 + BN + ReLU), smsnet-sigmoid (Regression_Sigmoid), msae, sae.
The SMSNet graphs and the sparse autoencoder's two graphs are drawn by DLSIA's own generator
(random_SMS_network / SparseAutoEncoder with a numpy seed); smsnet-example is the reference's worked example (seed 3, 2,080 parameters), reproduced
edge for edge.

Recreating /tmp/dlsia-src (DLSIA code is never committed here): make the directories
/tmp/dlsia-src/dlsia/core/networks, put empty __init__.py files in dlsia/, dlsia/core/ and
dlsia/core/networks/ and an empty dlsia/core/helpers.py, and copy from phzwart/dlsia
dlsia/core/networks/ the files msdnet.py (@3884320), tunet.py (@8b119cb, the version with
final_activation), smsnet.py (@3893a48), msae.py (@0e374e7), sparsenet.py (@a7f65fc, the
version whose SparseAutoEncoder has latent_sequence), scale_up_down.py, graph_utils.py and
msd_graph_tools.py (@3910694).  Set DLSIA_SRC to use another directory.  networkx, einops and
plotly are replaced by the minimal stand-ins in check-load.py (its networkx stand-in follows
networkx 3.0's node/edge ordering, relabel_nodes and topological_sort, which decide DLSIA's
edge order; it reproduces the reference's seed-3 example exactly).  Debian's /usr/bin/python3
with torch 1.13 and numpy 1.24 made the committed files.

Conventions the C side must follow (read from DLSIA's code, checked by these vectors):

* MSDNet: the Sequential applies the registered `activation` (ReLU) to the raw input first,
  then per layer i: cat([x, conv_0(x), ..., conv_{w-1}(x)]) -> ReLU -> BN over all channels;
  convs are zero-padded, padding = d; dilation of layer i, conv j = ((i*w + j) % max_dilation)
  + 1, or custom_msdnet tiled to num_layers (1-D) / taken as (width x layers) (2-D).  Then a
  1x1 "final_convolution".
* TUNet: conv -> BN -> ReLU (BN before ReLU); MaxPool(2,2); ConvTranspose(k 2, s 2, p 0) with
  output_padding = N_i - 2*floor(N_i/2) per dim from image_shape; decoder input is
  cat([skip, up]) (skip first).  ConvTranspose weights are [C_in, C_out, kH, kW].
* SMSNet (config "graph" {"nodes": N, "edges": [[u, v, dilation, channels], ...], "sizes"}):
  - node 0 is the input, node N-1 the output ("last node"); accumulator(0) = x.
  - The edges run in the listed order (DLSIA's action_list: nodes in networkx insertion order,
    each node's out-edges in insertion order).  That order is NOT always "sources ascending":
    DLSIA's relabel_nodes keeps the pre-relabelling node order, so e.g. node 3's edges can run
    before node 2's (smsnet-random is such a graph).  Each edge's output is appended to its
    target's accumulator in that order, which fixes the input-channel order of every weight
    downstream.  Do not sort the edges.
  - edge from node 0 (I->O included): Conv2d k 3, dilation 1 (whatever the stored dilation),
    padding 1, padding_mode reflect -> BatchNorm2d(track_running_stats=False) -> ReLU.
  - edge into node N-1 from u != 0: 1x1 Conv2d, bias=False, no BN, no activation.
  - other edges: Conv2d k 3, dilation d, padding d, reflect -> BN(batch stats) -> ReLU.
  - "Last_Action": 1x1 conv with bias (Regression/Classification), + Sigmoid
    (Regression_Sigmoid), + BN(batch stats) + ReLU (Regression_Positive).
  - BN in SMSNet never has running statistics: batch statistics in eval mode too; its
    state_dict has only .weight/.bias.
  - Scale changes (sizes = node powers p, base b = stride_base, per spatial dim k with
    H_k = in_shape[k] of that SMSNet): size(p) = floor((H_k - 1) / b^-p) + 1 for p <= 0 and
    H_k * b^p for p > 0.  An edge u->v with D = p_v - p_u:
      D < 0: the same op with stride b^-D (3x3: still padding d, reflect; 1x1: padding 0);
      D = 0: stride 1;
      D > 0: ConvTranspose2d with stride s = b^D, padding_mode zeros, the same kernel
             (3x3 with dilation d and padding d, or 1x1 with padding 0), output_padding
             op = size(p_v) - ((size(p_u) - 1) * s + 1), i.e. (H_k - 1) mod s for p_v = 0.
             Output size (size(p_u) - 1) * s + 1 + op = size(p_v).  A 1x1 ConvTranspose with
             stride s spreads each input pixel to every s-th output pixel, zeros between.
    The ConvTranspose of an edge from node 0 is 3x3, dilation 1, padding 1.
* MSAE: per level MixedScaleWide (for d = 1..max_dilation: MS_depth x [conv3x3 dil d, pad d,
  zeros -> ReLU -> BN], i.e. ReLU before BN; cat over d; 1x1 "aggregate") then MaxPool(2);
  flatten (C, Y, X order) -> Linear -> latent; decoder Linear -> reshape -> per level
  ConvTranspose(k 2, s 2, output_padding from input_shape) then MixedScaleWide.
* SAE: encoder SMSNet (in_channels -> out_channels at latent_shape, powers -P..0), flatten,
  encoder_fc_layers [Linear, BatchNorm1d, ReLU, Dropout]* + Linear, decoder_fc_layers mirrored,
  unflatten to (out_channels, h, w), decoder SMSNet (out_channels -> in_channels, powers 0..P).
  "out_channels" is the latent image's channel count; the reconstruction has in_channels.
"""

import importlib.util
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("check_load", os.path.join(HERE, "check-load.py"))
cl = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cl)


# ------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------

def randomize_bn_(net, gen):
    """Random BN affine parameters and running statistics (kept reproducible by gen)."""
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                n = m.num_features
                if m.affine:
                    m.weight.copy_(0.5 + torch.rand(n, generator=gen))
                    m.bias.copy_(0.3 * torch.randn(n, generator=gen))
                if m.track_running_stats:
                    m.running_mean.copy_(0.3 * torch.randn(n, generator=gen))
                    m.running_var.copy_(0.5 + 1.5 * torch.rand(n, generator=gen))
                    m.num_batches_tracked.fill_(int(torch.randint(1, 100, (1,), generator=gen)))


def msdnet_formula(cin, cout, L, w, bn=True):
    p = 0
    for i in range(L):
        p += w * (9 * (cin + i * w) + 1) + (2 * (cin + (i + 1) * w) if bn else 0)
    return p + (cin + L * w) * cout + cout


def tunet_formula(cin, cout, d, b, g, h):
    ein, emid, eout = {0: cin}, {}, {}
    for i in range(d):
        if i > 0:
            ein[i] = eout[i - 1]
        emid[i] = int(b) if i == 0 else int(ein[i] * g)
        eout[i] = int(emid[i] * h)

    def conv(a, c, k=9):
        return a * c * k + c

    def dbl(a, m, c):
        return conv(a, m) + 2 * m + conv(m, c) + 2 * c

    p = sum(dbl(ein[i], emid[i], eout[i]) for i in range(d))
    p += sum(dbl(2 * eout[i], eout[i], emid[i]) for i in range(1, d - 1))
    p += dbl(2 * eout[0], eout[0], emid[0]) + emid[0] * cout + cout
    p += conv(eout[d - 1], eout[d - 2], 4) + sum(conv(emid[i + 1], eout[i], 4)
                                                 for i in range(d - 2))
    return p


def smsnet_formula(graph, cin, cout, network_type):
    n = graph["nodes"]
    ch = {0: cin}
    for u, v, dil, c in graph["edges"]:
        ch[v] = ch.get(v, 0) + c
    p = 0
    for u, v, dil, c in graph["edges"]:
        if u == 0:
            p += ch[0] * c * 9 + 3 * c
        elif v == n - 1:
            p += ch[u] * c
        else:
            p += ch[u] * c * 9 + 3 * c
    p += ch[n - 1] * cout + cout
    if network_type == "Regression_Positive":
        p += 2 * cout
    return p


def describe_graph(g):
    n, s = g["nodes"], g["sizes"]
    parts = []
    for u, v, d, c in g["edges"]:
        kind = "conv3x3" if (u == 0 or v != n - 1) else "1x1"
        dp = s[v] - s[u]
        scale = "" if dp == 0 else (" down x%d" % 2 ** -dp if dp < 0 else " up x%d" % 2 ** dp)
        parts.append("%d->%d(d%d,c%d,%s%s)" % (u, v, 1 if u == 0 else d, c, kind, scale))
    return "nodes %d, sizes %s\n      %s" % (n, s, "\n      ".join(
        " ".join(parts[i:i + 5]) for i in range(0, len(parts), 5)))


# ------------------------------------------------------------------------------------------
# the cases
# ------------------------------------------------------------------------------------------

SMS_EXAMPLE_LP = {"LL_alpha": 0.0, "LL_gamma": 0.0, "LL_max_degree": 5, "LL_min_degree": 1,
                  "IL": 0.995, "LO": 0.995, "IO": True}
SMS_RANDOM_LP = {"LL_alpha": 0.5, "LL_gamma": 0.5, "LL_max_degree": 4, "LL_min_degree": 1,
                 "IL": 0.5, "LO": 0.5, "IO": True}


def msdnet_cfg(cin, cout, L, w, maxd, bn, custom=None, seed=0):
    return {"format": 1, "architecture": "msdnet", "in_channels": cin, "out_channels": cout,
            "num_layers": L, "layer_width": w, "max_dilation": maxd, "custom_msdnet": custom,
            "normalization": "BatchNorm2d" if bn else None, "dropout": None,
            "conv_kernel_size": 3, "final_layer": None, "seed": seed}


def tunet_cfg(shape, cin, cout, d, b, g, h, seed=0):
    return {"format": 1, "architecture": "tunet", "image_shape": list(shape),
            "in_channels": cin, "out_channels": cout, "depth": d, "base_channels": b,
            "growth_rate": float(g), "hidden_rate": float(h), "conv_kernel_size": 3,
            "maxpool_kernel_size": 2, "normalization": "BatchNorm2d", "final_activation": None,
            "seed": seed}


def msae_cfg(shape, d, b, g, lat, maxd, msd, seed=0):
    return {"format": 1, "architecture": "msae", "input_shape": list(shape), "depth": d,
            "base_channels": b, "growth_rate": float(g), "latent_dimension": lat,
            "max_dilation": maxd, "MS_depth": msd, "final_action": None, "seed": seed}


def make_smsnet(D, seed, cin, cout, layers, dil, hidden, lp, network_type, shape):
    np.random.seed(seed)
    net = D.smsnet.random_SMS_network(in_channels=cin, out_channels=cout, layers=layers,
                                      dilation_choices=dil, in_shape=tuple(shape),
                                      out_shape=tuple(shape), hidden_out_channels=hidden,
                                      layer_probabilities=dict(lp), dilation_mode="Edges",
                                      network_type=network_type)
    cfg = {"format": 1, "architecture": "smsnet", "in_channels": cin, "out_channels": cout,
           "layers": layers, "dilation_choices": list(dil), "hidden_out_channels": list(hidden),
           "layer_probabilities": dict(lp), "dilation_mode": "Edges",
           "network_type": network_type, "in_shape": list(shape), "out_shape": list(shape),
           "stride_base": 2, "graph": cl.graph_to_config(net), "seed": seed}
    return net, cfg


def make_sae(D, seed):
    kw = dict(in_shape=(16, 16), latent_shape=(4, 4), latent_sequence=[8, 3], dropout_p=0.05,
              in_channels=1, out_channels=2, depth=5, dilations=[1, 2], hidden_channels=2)
    np.random.seed(seed)
    net = D.sparsenet.SparseAutoEncoder(**kw)
    cfg = {"format": 1, "architecture": "sae", "in_shape": [16, 16], "latent_shape": [4, 4],
           "latent_sequence": [8, 3], "dropout_p": 0.05, "in_channels": 1, "out_channels": 2,
           "depth": 5, "dilations": [1, 2], "hidden_channels": 2,
           "alpha_range": [0.75, 1.0], "gamma_range": [0.0, 0.5], "max_degree": 5,
           "min_degree": 1, "pIL": 1.0, "pLO": 1.0, "IO": True, "stride_base": 2,
           "final_transform": None, "encoder_graph": cl.graph_to_config(net.encode),
           "decoder_graph": cl.graph_to_config(net.decode), "seed": seed}
    return net, cfg


def cases(D):
    """(name, config, module-or-None, input shape, mode, expected params or None)"""
    yield "msdnet-bn", msdnet_cfg(1, 2, 8, 1, 4, True, seed=11), None, (2, 1, 23, 29), "eval"
    yield ("msdnet-w2-nobn", msdnet_cfg(2, 3, 5, 2, 5, False, seed=12), None, (1, 2, 17, 19),
           "eval")
    yield ("msdnet-custom", msdnet_cfg(1, 1, 6, 1, 10, True, custom=[1, 3, 7], seed=13), None,
           (2, 1, 20, 20), "eval")
    yield "tunet-odd", tunet_cfg((37, 45), 1, 2, 3, 4, 2, 1, seed=21), None, (2, 1, 37, 45), "eval"
    yield "tunet-gh", tunet_cfg((32, 32), 2, 3, 3, 4, 1.5, 2, seed=22), None, (1, 2, 32, 32), "eval"
    yield ("tunet-train", tunet_cfg((20, 27), 1, 2, 3, 4, 2, 1, seed=23), None, (2, 1, 20, 27),
           "train")
    net, cfg = make_smsnet(D, 3, 1, 2, 5, [1, 2, 3, 4], [6], SMS_EXAMPLE_LP, "Classification",
                           (24, 24))
    yield "smsnet-example", cfg, net, (2, 1, 24, 24), "eval"
    net, cfg = make_smsnet(D, 14, 2, 3, 6, [1, 2, 3, 4], [2, 3], SMS_RANDOM_LP, "Regression",
                           (21, 25))
    yield "smsnet-random", cfg, net, (2, 2, 21, 25), "eval"
    net, cfg = make_smsnet(D, 5, 1, 2, 4, [1, 2, 3], [2], SMS_RANDOM_LP, "Regression_Positive",
                           (19, 16))
    yield "smsnet-positive", cfg, net, (2, 1, 19, 16), "eval"
    net, cfg = make_smsnet(D, 8, 1, 1, 3, [1, 2], [2], SMS_RANDOM_LP, "Regression_Sigmoid",
                           (15, 18))
    yield "smsnet-sigmoid", cfg, net, (3, 1, 15, 18), "eval"
    yield "msae", msae_cfg((1, 16, 16), 2, 4, 2, 8, 2, 1, seed=41), None, (2, 1, 16, 16), "eval"
    net, cfg = make_sae(D, 2)
    yield "sae", cfg, net, (2, 1, 16, 16), "eval"


def expected_count(cfg):
    a = cfg["architecture"]
    if a == "msdnet" and cfg["custom_msdnet"] is None:
        return msdnet_formula(cfg["in_channels"], cfg["out_channels"], cfg["num_layers"],
                              cfg["layer_width"], cfg["normalization"] is not None)
    if a == "msdnet":
        return msdnet_formula(cfg["in_channels"], cfg["out_channels"], cfg["num_layers"], 1,
                              cfg["normalization"] is not None)
    if a == "tunet":
        return tunet_formula(cfg["in_channels"], cfg["out_channels"], cfg["depth"],
                             cfg["base_channels"], cfg["growth_rate"], cfg["hidden_rate"])
    if a == "smsnet":
        return smsnet_formula(cfg["graph"], cfg["in_channels"], cfg["out_channels"],
                              cfg["network_type"])
    return None


# ------------------------------------------------------------------------------------------
# reference table rows (section 2.6)
# ------------------------------------------------------------------------------------------

def reference_rows(D, names_path):
    M, T, A = D.msdnet.MixedScaleDenseNetwork, D.tunet.TUNet, D.msae.MSAE
    rows = [
        ("TUNet 2D 64x64 in1 out2 d4 b16 g2 h1", 483170, True,
         lambda: T((64, 64), 1, 2, 4, 16, growth_rate=2, hidden_rate=1)),
        ("TUNet same, normalization=None", 481762, False,
         lambda: T((64, 64), 1, 2, 4, 16, growth_rate=2, hidden_rate=1, normalization=None)),
        ("TUNet 32x32 in1 out1 d3 b10", 46131, False, lambda: T((32, 32), 1, 1, 3, 10)),
        ("TUNet 64x128 in1 out4 d3 b4 g1.5", 3855, False,
         lambda: T((64, 128), 1, 4, 3, 4, growth_rate=1.5)),
        ("TUNet in1 out3 d4 b8", 121403, False, lambda: T((64, 64), 1, 3, 4, 8)),
        ("TUNet in1 out3 d4 b32", 1927907, False, lambda: T((64, 64), 1, 3, 4, 32)),
        ("MSDNet 2D in1 out2 L50 w1 maxdil10 BN", 14279, True,
         lambda: M(1, 2, num_layers=50, layer_width=1, max_dilation=10)),
        ("MSDNet same, normalization=None", 11629, False,
         lambda: M(1, 2, num_layers=50, layer_width=1, max_dilation=10, normalization=None)),
        ("MSDNet in1 out1 L40 defaults", 9182, False, lambda: M(1, 1, num_layers=40)),
        ("MSDNet in1 out2 L100", 56054, False, lambda: M(1, 2, num_layers=100)),
        ("MSDNet in1 out3 L20 w2", 8246, False, lambda: M(1, 3, num_layers=20, layer_width=2)),
        ("MSAE (1,32,32) d2 b16 g2 latent16 maxdil1 MS_depth2", 98097, True,
         lambda: A((1, 32, 32), 2, 16, 2, 16, 1, 2)),
        ("MSAE (1,32,32) d3 b8 g2 latent16 maxdil5 MS_depth1", 90285, False,
         lambda: A((1, 32, 32), 3, 8, 2, 16, 5, 1)),
        ("MSAE (1,64,64) d3 b16 g2 latent16 maxdil3 MS_depth1", 317485, False,
         lambda: A((1, 64, 64), 3, 16, 2, 16, 3, 1)),
    ]
    lines = ["# state_dict names of reference rows (dlsia-networks.md 2.6), written by "
             "make-vectors.py", "# name<TAB>dtype<TAB>shape (shape [] = scalar)"]
    for label, want, dump, build in rows:
        net = build()
        n = cl.count_params(net)
        status = "ok" if n == want else "MISMATCH"
        print("  reference %-55s %9d params (table %d) %s" % (label, n, want, status))
        assert n == want, label
        if dump:
            sd = net.state_dict()
            lines.append("")
            lines.append("## %s: %d params, %d tensors" % (label, n, len(sd)))
            for k, t in sd.items():
                lines.append("%s\t%s\t%s" % (k, "I64" if t.dtype == torch.int64 else "F32",
                                             list(t.shape)))
    with open(names_path, "w") as f:
        f.write("\n".join(lines) + "\n")


# ------------------------------------------------------------------------------------------

def main(argv):
    outdir = argv[1] if len(argv) > 1 else HERE
    os.makedirs(outdir, exist_ok=True)
    torch.set_num_threads(1)
    D = cl.import_dlsia()
    total = 0
    print("cases:")
    for name, cfg, net, xshape, mode in cases(D):
        seed = cfg["seed"]
        torch.manual_seed(seed)
        if net is None:
            net = cl.build_module(cfg, D)
        else:
            # graph drawn by DLSIA's generator; rebuild the weights from the torch seed
            torch.manual_seed(seed)
            fresh = cl.build_module(cfg, D)
            assert list(fresh.state_dict()) == list(net.state_dict()), name
            net = fresh
        gen = torch.Generator().manual_seed(1000 + seed)
        randomize_bn_(net, gen)
        net.eval()
        x = torch.randn(xshape, generator=gen)
        if cfg["architecture"] == "msdnet":
            assert (x < 0).any()
        out, lat = cl.run_case(net, cfg["architecture"], x, mode)
        assert torch.isfinite(out).all()

        mpath = os.path.join(outdir, name + ".safetensors")
        iopath = os.path.join(outdir, name + ".io.safetensors")
        cl.write_safetensors(mpath, list(net.state_dict().items()),
                             {"dlsia.config": json.dumps(cfg), "format": "pt"})
        io = [("input", x), ("output", out)]
        if lat is not None:
            io.append(("latent", lat))
        cl.write_safetensors(iopath, io, {"mode": mode, "case": name})

        # round trip: parse back, fresh DLSIA module, strict load, recompute, exact
        net2, cfg2, file_names, module_names = cl.load_model_file(mpath, D)
        assert cfg2 == json.loads(json.dumps(cfg)) and file_names == module_names, name
        for (k, a), (k2, b) in zip(net.state_dict().items(), net2.state_dict().items()):
            assert k == k2 and a.dtype == b.dtype and torch.equal(a, b), (name, k)
        tio, meta = cl.read_safetensors(iopath)
        assert meta["mode"] == mode and torch.equal(tio["input"], x)
        out2, lat2 = cl.run_case(net2, cfg2["architecture"], tio["input"], meta["mode"])
        diff = (out2 - tio["output"]).abs().max().item()
        if lat2 is not None:
            diff = max(diff, (lat2 - tio["latent"]).abs().max().item())
        assert diff == 0.0, (name, diff)

        n = cl.count_params(net)
        want = expected_count(cfg)
        ref = {"smsnet-example": 2080}.get(name)
        sizes = os.path.getsize(mpath) + os.path.getsize(iopath)
        total += sizes
        note = ""
        if want is not None:
            assert n == want, (name, n, want)
            note += " = formula"
        if ref is not None:
            assert n == ref, (name, n, ref)
            note += " = reference table"
        print("  %-15s %-6s %6d params%s; out %s%s; %d + %d bytes; round trip diff %g" % (
            name, cfg["architecture"], n, note, list(out.shape),
            "" if lat is None else ", latent %s" % list(lat.shape),
            os.path.getsize(mpath), os.path.getsize(iopath), diff))
        if cfg["architecture"] == "smsnet":
            print("      " + describe_graph(cfg["graph"]))
        if cfg["architecture"] == "sae":
            print("      encoder " + describe_graph(cfg["encoder_graph"]))
            print("      decoder " + describe_graph(cfg["decoder_graph"]))
    print("  all vector files: %d bytes" % total)
    assert total < 1000000
    print("reference table:")
    reference_rows(D, os.path.join(outdir, "names.txt"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
