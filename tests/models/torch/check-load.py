#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""check-load.py: load one of our model files into DLSIA's own PyTorch module.

    /usr/bin/python3 tests/models/torch/check-load.py MODEL.safetensors [CASE.io.safetensors]

Reads a model file (safetensors: 8-byte little-endian header length, JSON header, raw
little-endian data; "__metadata__" holds "dlsia.config", the model config as a JSON string),
rebuilds the DLSIA module from the config (for SMSNet and the sparse autoencoder including the
stored graph), and calls load_state_dict(strict=True).  It prints

    ok: ARCH, N params

(N = sum of numel over parameters with requires_grad, DLSIA's count).  Given an io file (tensors
"input", "output" and for autoencoders "latent"; metadata "mode" = "eval" | "train"), it runs the
module in that mode on "input" and prints the max abs difference from the stored "output" (and
"latent").  Exit status 0 when the file loads, 1 otherwise; the differences are only printed
(use --tol X to make a difference above X an error).

It needs DLSIA's network sources in /tmp/dlsia-src (or $DLSIA_SRC): a directory holding
dlsia/__init__.py, dlsia/core/__init__.py, dlsia/core/helpers.py (may be empty),
dlsia/core/networks/__init__.py (empty) and these files from github.com/phzwart/dlsia,
dlsia/core/networks/: msdnet.py, tunet.py, smsnet.py, msae.py, sparsenet.py, scale_up_down.py,
graph_utils.py, msd_graph_tools.py (the vectors here were made with msdnet @3884320, tunet
@8b119cb, smsnet @3893a48, msae @0e374e7, sparsenet @a7f65fc, the rest @3910694; the
network code was copied unchanged, docstrings and unused helpers trimmed; the
networks/__init__.py of the repository imports AggNet etc., so use an empty one).  DLSIA code is
never committed here.  networkx, einops and plotly are not needed: this file installs minimal
stand-ins for exactly what those DLSIA files use (including enough of networkx for
random_SMS_network).  Debian's python3 with torch 1.13 and numpy is enough.

SMSNet graph convention (see also make-vectors.py): the config's "graph" is
{"nodes": N, "edges": [[from, to, dilation, channels], ...], "sizes": [p_0, ..., p_{N-1}]} with
node 0 = input, node N-1 = output, and the edges listed in the order DLSIA's SMSNet applies
them (its action_list).  The graph is rebuilt with nodes inserted in order of their first
appearance as an edge source (the rest ascending, output last) and the edges in list order; the
rebuilt module's action order is then checked against the list, so a list whose edges are not
grouped by source node is rejected rather than silently reordered.
"""

import json
import os
import struct
import sys
import types
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn

DLSIA_SRC = os.environ.get("DLSIA_SRC", "/tmp/dlsia-src")


# ------------------------------------------------------------------------------------------
# Stand-ins for networkx / einops / plotly (only what the DLSIA network files use)
# ------------------------------------------------------------------------------------------

class _NodeView:
    def __init__(self, g):
        self._g = g

    def __call__(self, data=False):
        return list(self._g._node.items()) if data else list(self._g._node)

    def __iter__(self):
        return iter(list(self._g._node))

    def __len__(self):
        return len(self._g._node)

    def __contains__(self, n):
        return n in self._g._node

    def __getitem__(self, n):
        return self._g._node[n]

    def items(self):
        return self._g._node.items()


class _DegreeView:
    def __init__(self, g, kind):
        self._g, self._kind = g, kind

    def _deg(self, n):
        g = self._g
        if self._kind == "in":
            return len(g._pred[n])
        if self._kind == "out":
            return len(g._succ[n])
        return len(g._pred[n]) + len(g._succ[n])

    def __call__(self, nbunch=None):
        if nbunch is None:
            return self
        if nbunch in self._g._node:
            return self._deg(nbunch)
        return [(n, self._deg(n)) for n in nbunch]

    def __getitem__(self, n):
        return self._deg(n)

    def __iter__(self):
        return iter([(n, self._deg(n)) for n in self._g._node])

    def __len__(self):
        return len(self._g._node)


class DiGraph:
    """The subset of networkx.DiGraph that DLSIA's SMSNet code uses, with networkx's ordering
    rules: nodes iterate in insertion order, out-edges in the order they were added."""

    def __init__(self, incoming_graph_data=None):
        self._node, self._succ, self._pred, self.graph = {}, {}, {}, {}

    def clear(self):
        self.__init__()

    def is_multigraph(self):
        return False

    def is_directed(self):
        return True

    def add_node(self, n, **attr):
        if n not in self._node:
            self._node[n] = {}
            self._succ[n] = {}
            self._pred[n] = {}
        self._node[n].update(attr)

    def add_nodes_from(self, nodes, **attr):
        for n in nodes:
            if isinstance(n, tuple) and len(n) == 2 and isinstance(n[1], dict):
                self.add_node(n[0], **{**attr, **n[1]})
            else:
                self.add_node(n, **attr)

    def add_edge(self, u, v, **attr):
        self.add_node(u)
        self.add_node(v)
        d = self._succ[u].get(v, {})
        d.update(attr)
        self._succ[u][v] = d
        self._pred[v][u] = d

    def add_edges_from(self, ebunch, **attr):
        for e in ebunch:
            if len(e) == 3:
                self.add_edge(e[0], e[1], **{**attr, **e[2]})
            else:
                self.add_edge(e[0], e[1], **attr)

    def remove_node(self, n):
        for v in list(self._succ[n]):
            del self._pred[v][n]
        for u in list(self._pred[n]):
            del self._succ[u][n]
        del self._node[n], self._succ[n], self._pred[n]

    @property
    def nodes(self):
        return _NodeView(self)

    def edges(self, nbunch=None, data=False):
        if nbunch is None:
            srcs = list(self._node)
        elif nbunch in self._node:
            srcs = [nbunch]
        else:
            srcs = list(nbunch)
        out = []
        for u in srcs:
            for v, d in self._succ[u].items():
                out.append((u, v, d) if data else (u, v))
        return out

    def get_edge_data(self, u, v, default=None):
        return self._succ.get(u, {}).get(v, default)

    def has_edge(self, u, v):
        return v in self._succ.get(u, {})

    @property
    def in_degree(self):
        return _DegreeView(self, "in")

    @property
    def out_degree(self):
        return _DegreeView(self, "out")

    @property
    def degree(self):
        return _DegreeView(self, "all")

    def neighbors(self, n):
        return iter(self._succ[n])

    successors = neighbors

    def predecessors(self, n):
        return iter(self._pred[n])

    def __iter__(self):
        return iter(list(self._node))

    def __len__(self):
        return len(self._node)

    def __contains__(self, n):
        return n in self._node

    def __getitem__(self, n):
        return self._succ[n]

    def order(self):
        return len(self._node)

    number_of_nodes = order

    def number_of_edges(self):
        return sum(len(s) for s in self._succ.values())


def _topological_generations(G):
    # networkx 3.0's algorithm (Kahn by generations), which fixes DLSIA's node relabelling
    indegree_map = {v: d for v, d in G.in_degree() if d > 0}
    zero_indegree = [v for v, d in G.in_degree() if d == 0]
    while zero_indegree:
        this_generation = zero_indegree
        zero_indegree = []
        for node in this_generation:
            for child in G.neighbors(node):
                indegree_map[child] -= 1
                if indegree_map[child] == 0:
                    zero_indegree.append(child)
                    del indegree_map[child]
        yield this_generation
    if indegree_map:
        raise ValueError("graph contains a cycle")


def _topological_sort(G):
    for generation in _topological_generations(G):
        yield from generation


def _relabel_nodes(G, mapping, copy=True):
    # networkx 3.0 _relabel_copy: node order of G kept, names mapped
    assert copy
    H = G.__class__()
    H.add_nodes_from(mapping.get(n, n) for n in G)
    for n, d in G.nodes.items():
        H._node[mapping.get(n, n)].update(d.copy())
    H.add_edges_from((mapping.get(a, a), mapping.get(b, b), d.copy())
                     for (a, b, d) in G.edges(data=True))
    H.graph.update(G.graph)
    return H


class _Dense:
    def __init__(self, a):
        self._a = a

    def todense(self):
        return self._a

    toarray = todense


def _adjacency_matrix(G, nodelist=None, dtype=None, weight="weight"):
    # networkx 3.0 returns a scipy sparse *array*; .todense() gives an ndarray in node order
    nodes = list(G) if nodelist is None else list(nodelist)
    index = {n: i for i, n in enumerate(nodes)}
    vals = [d.get(weight, 1) for _, _, d in G.edges(data=True)]
    a = np.zeros((len(nodes), len(nodes)), dtype=np.asarray(vals).dtype if vals else np.int64)
    for u, v, d in G.edges(data=True):
        if u in index and v in index:
            a[index[u], index[v]] = d.get(weight, 1)
    return _Dense(a)


def _from_numpy_array(A, parallel_edges=False, create_using=None):
    if create_using is None:
        G = DiGraph()
    elif isinstance(create_using, type):
        G = create_using()
    else:
        G = create_using
        G.clear()
    n, m = A.shape
    assert n == m
    G.add_nodes_from(range(n))
    G.add_edges_from((int(u), int(v), {"weight": A[u, v].item()}) for u, v in zip(*A.nonzero()))
    return G


def _rearrange(x, pattern, **sizes):
    p = " ".join(pattern.split())
    if p == "N C Y X -> N (C Y X)":
        return x.reshape(x.shape[0], -1)
    if p == "N (C Y X) -> N C Y X":
        return x.reshape(x.shape[0], sizes["C"], sizes["Y"], sizes["X"])
    raise NotImplementedError("einops stand-in: pattern %r" % pattern)


def install_shims():
    if "networkx" not in sys.modules:
        nx = types.ModuleType("networkx")
        nx.__stand_in__ = True
        nx.DiGraph = DiGraph
        nx.nodes = lambda G: G.nodes
        nx.topological_sort = _topological_sort
        nx.topological_generations = _topological_generations
        nx.relabel_nodes = _relabel_nodes
        nx.from_numpy_array = _from_numpy_array
        nx.adjacency_matrix = _adjacency_matrix
        for path in ("algorithms", "algorithms.dag", "relabel", "linalg", "linalg.graphmatrix"):
            mod = types.ModuleType("networkx." + path)
            sys.modules["networkx." + path] = mod
        sys.modules["networkx.algorithms.dag"].topological_sort = _topological_sort
        sys.modules["networkx.algorithms.dag"].topological_generations = _topological_generations
        sys.modules["networkx.algorithms"].dag = sys.modules["networkx.algorithms.dag"]
        sys.modules["networkx.relabel"].relabel_nodes = _relabel_nodes
        sys.modules["networkx.linalg.graphmatrix"].adjacency_matrix = _adjacency_matrix
        sys.modules["networkx.linalg"].graphmatrix = sys.modules["networkx.linalg.graphmatrix"]
        nx.algorithms = sys.modules["networkx.algorithms"]
        nx.relabel = sys.modules["networkx.relabel"]
        nx.linalg = sys.modules["networkx.linalg"]
        sys.modules["networkx"] = nx
    if "einops" not in sys.modules:
        ein = types.ModuleType("einops")
        ein.rearrange = _rearrange
        sys.modules["einops"] = ein
    if "plotly" not in sys.modules:
        plotly = types.ModuleType("plotly")
        px = types.ModuleType("plotly.express")
        plotly.express = px
        sys.modules["plotly"] = plotly
        sys.modules["plotly.express"] = px


def import_dlsia():
    install_shims()
    if not os.path.isdir(os.path.join(DLSIA_SRC, "dlsia", "core", "networks")):
        sys.exit("DLSIA sources not found in %s (see the header of %s)" % (DLSIA_SRC, __file__))
    if DLSIA_SRC not in sys.path:
        sys.path.insert(0, DLSIA_SRC)
    from dlsia.core.networks import msdnet, tunet, smsnet, msae, sparsenet, scale_up_down
    return types.SimpleNamespace(msdnet=msdnet, tunet=tunet, smsnet=smsnet, msae=msae,
                                 sparsenet=sparsenet, scale_up_down=scale_up_down)


# ------------------------------------------------------------------------------------------
# safetensors, by hand
# ------------------------------------------------------------------------------------------

_DTYPES = {"F32": (np.float32, 4), "F64": (np.float64, 8), "I64": (np.int64, 8),
           "I32": (np.int32, 4), "U8": (np.uint8, 1)}


def write_safetensors(path, tensors, metadata):
    """tensors: ordered (name, torch tensor) pairs; float tensors are written as F32, integer
    ones as I64.  metadata: dict of str -> str.  Header: __metadata__ first, then the tensors
    in the given order with data laid out in that order; padded with spaces to 8 bytes."""
    header = OrderedDict()
    header["__metadata__"] = OrderedDict((k, str(v)) for k, v in metadata.items())
    blobs, off = [], 0
    for name, t in tensors:
        t = t.detach().cpu()
        if t.is_floating_point():
            a, dt = t.to(torch.float32).numpy().astype("<f4"), "F32"
        else:
            a, dt = t.to(torch.int64).numpy().astype("<i8"), "I64"
        b = np.ascontiguousarray(a).tobytes()
        header[name] = OrderedDict([("dtype", dt), ("shape", list(t.shape)),
                                    ("data_offsets", [off, off + len(b)])])
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    """Returns (OrderedDict name -> torch tensor in header order, metadata dict)."""
    with open(path, "rb") as f:
        raw = f.read()
    (hlen,) = struct.unpack("<Q", raw[:8])
    if 8 + hlen > len(raw):
        raise ValueError("%s: header length %d does not fit the file" % (path, hlen))
    header = json.loads(raw[8:8 + hlen].decode("utf-8"), object_pairs_hook=OrderedDict)
    data = raw[8 + hlen:]
    meta = header.pop("__metadata__", {}) or {}
    out = OrderedDict()
    for name, info in header.items():
        dt, size = _DTYPES[info["dtype"]]
        b, e = info["data_offsets"]
        shape = [int(s) for s in info["shape"]]
        if e - b != size * int(np.prod(shape, dtype=np.int64)) or e > len(data):
            raise ValueError("%s: tensor %r has bad data_offsets" % (path, name))
        a = np.frombuffer(data[b:e], dtype=np.dtype(dt).newbyteorder("<")).reshape(shape)
        out[name] = torch.from_numpy(a.astype(dt, copy=True))
    return out, meta


# ------------------------------------------------------------------------------------------
# config <-> DLSIA modules
# ------------------------------------------------------------------------------------------

def count_params(net):
    return sum(p.numel() for p in net.parameters() if p.requires_grad)


def graph_to_config(sms):
    """A DLSIA SMSNet's graph as config JSON, edges in its action_list order."""
    G = sms.network_graph
    n = len(G)
    assert sorted(G) == list(range(n)), "graph nodes are not 0..N-1"
    edges = []
    for name, u, v in sms.action_list[:-1]:
        props = G.get_edge_data(u, v)
        edges.append([int(u), int(v), int(props["dilation"]), int(props["channels"])])
    sizes = [int(G.nodes[i]["size"]) for i in range(n)]
    return {"nodes": n, "edges": edges, "sizes": sizes}


def build_smsnet(D, graph, in_channels, out_channels, in_shape, out_shape, stride_base,
                 network_type):
    sms = D.smsnet
    n = int(graph["nodes"])
    edges = [tuple(int(x) for x in e) for e in graph["edges"]]
    sizes = [int(s) for s in graph.get("sizes") or [0] * n]
    if len(sizes) != n:
        raise ValueError("graph: %d sizes for %d nodes" % (len(sizes), n))
    order = []
    for u, v, _, _ in edges:
        if u not in order:
            order.append(u)
    order += [i for i in range(n) if i not in order and i != n - 1]
    if n - 1 in order:
        raise ValueError("graph: the output node %d has out-edges" % (n - 1))
    order.append(n - 1)
    if order[0] != 0:
        raise ValueError("graph: the first edge must leave the input node 0")
    G = DiGraph()
    for i in order:
        G.add_node(i, size=sizes[i])
    for u, v, d, c in edges:
        if G.has_edge(u, v):
            raise ValueError("graph: edge %d->%d listed twice" % (u, v))
        G.add_edge(u, v, dilation=d, channels=c)
    count = OrderedDict((i, 0) for i in order)
    count[0] = in_channels
    for u, v, d, c in edges:
        count[v] += c
    lo, hi = min(sizes + [0]), max(sizes + [0])
    tables = {}
    for key, dim, k in (("W3", 0, 3), ("H3", 1, 3), ("W1", 0, 1), ("H1", 1, 1)):
        tables[key] = D.scale_up_down.scaling_table(input_size=int(in_shape[dim]),
                                                    stride_base=int(stride_base),
                                                    min_power=lo, max_power=hi, kernel=k)
    last = {"Regression": sms.Linear, "Classification": sms.Linear,
            "Regression_Sigmoid": sms.LinearSigmoid,
            "Regression_Positive": sms.LinearReLU}[network_type]
    net = sms.SMSNet(in_channels=in_channels, out_channels=out_channels,
                     in_shape=tuple(in_shape), out_shape=tuple(out_shape),
                     scaling_table=tables, network_graph=G, channel_count=count,
                     last_action=last)
    applied = [(u, v) for _, u, v in net.action_list[:-1]]
    if applied != [(u, v) for u, v, _, _ in edges]:
        raise ValueError("graph: DLSIA would apply the edges in the order %s, not in the listed "
                         "order (list every node's out-edges together, sources in a "
                         "topological order)" % applied)
    return net


def _norm2d(name):
    if name is None:
        return None
    if name == "BatchNorm2d":
        return nn.BatchNorm2d
    raise ValueError("normalization %r" % name)


def build_module(cfg, D=None):
    D = D or import_dlsia()
    arch = cfg["architecture"]
    if arch == "msdnet":
        if cfg.get("final_layer") is not None:
            raise ValueError("msdnet: final_layer must be null")
        custom = cfg.get("custom_msdnet")
        return D.msdnet.MixedScaleDenseNetwork(
            in_channels=cfg["in_channels"], out_channels=cfg["out_channels"],
            num_layers=cfg["num_layers"], layer_width=cfg["layer_width"],
            max_dilation=cfg["max_dilation"],
            custom_msdnet=None if custom is None else np.array(custom),
            normalization=_norm2d(cfg.get("normalization", "BatchNorm2d")),
            final_layer=None, conv_kernel_size=cfg.get("conv_kernel_size", 3),
            dropout=cfg.get("dropout"))
    if arch == "tunet":
        if cfg.get("final_activation") is not None:
            raise ValueError("tunet: final_activation must be null")
        return D.tunet.TUNet(
            image_shape=tuple(cfg["image_shape"]), in_channels=cfg["in_channels"],
            out_channels=cfg["out_channels"], depth=cfg["depth"],
            base_channels=cfg["base_channels"], growth_rate=cfg["growth_rate"],
            hidden_rate=cfg["hidden_rate"],
            normalization=_norm2d(cfg.get("normalization", "BatchNorm2d")),
            conv_kernel_size=cfg.get("conv_kernel_size", 3),
            maxpool_kernel_size=cfg.get("maxpool_kernel_size", 2))
    if arch == "smsnet":
        return build_smsnet(D, cfg["graph"], cfg["in_channels"], cfg["out_channels"],
                            cfg["in_shape"], cfg["out_shape"], cfg.get("stride_base", 2),
                            cfg.get("network_type", "Regression"))
    if arch == "msae":
        return D.msae.MSAE(
            input_shape=tuple(cfg["input_shape"]), depth=cfg["depth"],
            base_channels=cfg["base_channels"], growth_rate=cfg["growth_rate"],
            latent_dimension=cfg["latent_dimension"], max_dilation=cfg["max_dilation"],
            MS_depth=cfg["MS_depth"], final_action=cfg.get("final_action"))
    if arch == "sae":
        if cfg.get("final_transform") is not None:
            raise ValueError("sae: final_transform must be null")
        sb = cfg.get("stride_base", 2)
        enc = build_smsnet(D, cfg["encoder_graph"], cfg["in_channels"], cfg["out_channels"],
                           cfg["in_shape"], cfg["latent_shape"], sb, "Regression")
        dec = build_smsnet(D, cfg["decoder_graph"], cfg["out_channels"], cfg["in_channels"],
                           cfg["latent_shape"], cfg["in_shape"], sb, "Regression")
        return D.sparsenet.SparseAutoEncoder(
            in_shape=tuple(cfg["in_shape"]), latent_shape=tuple(cfg["latent_shape"]),
            latent_sequence=list(cfg["latent_sequence"]), dropout_p=cfg["dropout_p"],
            in_channels=cfg["in_channels"], out_channels=cfg["out_channels"],
            depth=cfg.get("depth", 20), dilations=cfg.get("dilations"),
            hidden_channels=cfg.get("hidden_channels", 10), stride_base=sb,
            final_transform=None, encoder=enc, decoder=dec)
    raise ValueError("unknown architecture %r" % arch)


def latent_of(net, arch, x):
    if arch == "msae":
        return net.encoder(x)
    if arch == "sae":
        return net.latent_vector(x)
    return None


def run_case(net, arch, x, mode):
    """Output (and latent) of net on x in mode "eval" or "train", without changing net's
    state (running statistics are restored after a train-mode pass)."""
    saved = {k: v.clone() for k, v in net.state_dict().items()}
    net.train(mode == "train")
    with torch.no_grad():
        out = net(x)
        if mode == "train":
            net.load_state_dict(saved)
        lat = latent_of(net, arch, x)
        if mode == "train":
            net.load_state_dict(saved)
    net.eval()
    return out, lat


def load_model_file(path, D=None):
    tensors, meta = read_safetensors(path)
    if "dlsia.config" not in meta:
        raise ValueError("%s: no dlsia.config in the metadata" % path)
    cfg = json.loads(meta["dlsia.config"])
    net = build_module(cfg, D)
    sd = net.state_dict()
    for name, t in tensors.items():
        if name in sd and sd[name].dtype != t.dtype:
            if sd[name].dtype == torch.int64:
                raise ValueError("%s: %s should be I64" % (path, name))
            raise ValueError("%s: %s should be F32" % (path, name))
    net.load_state_dict(tensors, strict=True)
    net.eval()
    return net, cfg, list(tensors), list(sd)


def main(argv):
    tol = None
    if "--tol" in argv:
        i = argv.index("--tol")
        tol = float(argv[i + 1])
        del argv[i:i + 2]
    if len(argv) not in (2, 3):
        print(__doc__.split("\n\n")[1])
        return 2
    torch.set_num_threads(1)
    try:
        net, cfg, file_names, module_names = load_model_file(argv[1])
    except Exception as e:  # noqa: BLE001 - report any failure as a failed load
        print("FAILED: %s: %s" % (argv[1], e))
        return 1
    arch = cfg["architecture"]
    print("ok: %s, %d params" % (arch, count_params(net)))
    if file_names != module_names:
        print("note: tensor order differs from DLSIA's state_dict order")
    if len(argv) == 3:
        io, meta = read_safetensors(argv[2])
        mode = meta.get("mode", "eval")
        out, lat = run_case(net, arch, io["input"], mode)
        worst = 0.0
        for key, got in (("output", out), ("latent", lat)):
            if key in io and got is not None:
                ref = io[key]
                if tuple(ref.shape) != tuple(got.shape):
                    print("%s: shape %s, stored %s" % (key, tuple(got.shape), tuple(ref.shape)))
                    return 1
                d = (got - ref).abs().max().item()
                scale = ref.abs().max().item()
                worst = max(worst, d)
                print("%s (%s mode): max abs diff %.3g (max |stored| %.3g)" % (key, mode, d,
                                                                                scale))
        if tol is not None and not worst <= tol:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
