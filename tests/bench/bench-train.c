/* SPDX-License-Identifier: MIT
 *
 * bench-train.c: training-step time of the three workloads of `dlsia bench --workload` (MSDNet
 * of 50 layers, SMSNet of 20 layers with the ensemble builder's defaults, TUNet of depth 4, all
 * in 1, out 2, one 256² image per step), at one thread and at all of them, beside Debian's
 * PyTorch training the same network the same way in the same run: CrossEntropyLoss with
 * ignore_index −1 on ~30 % unlabelled pixels, Adam (lr 1e-3), train mode.  The PyTorch modules
 * are plain torch with DLSIA's layer layout; the SMSNet gets our sampled graph's edges as JSON,
 * so both sides train the identical network (the parameter counts are compared).  The two sides
 * take turns: rounds of our steps, then PyTorch's (one PyTorch process per thread count, kept
 * open), so that a shared machine's slow spells fall on both; the ratio printed is the median of
 * the rounds' ratios, with their range.  Then peak memory training an MSDNet of 100 layers on
 * 512², each side in its own process: ours through the dlsia binary, PyTorch's from
 * resource.getrusage.
 *
 * Targets (dlsia's time or memory as a fraction of PyTorch's): MSDNet ≤ 0.10, SMSNet ≤ 0.10,
 * TUNet ≤ 0.75, memory ≤ 0.25.  Timing only, never a pass/fail test; when python3-torch is
 * missing the PyTorch columns are skipped.
 *
 *   bench-train [--size N] [--steps N] [--rounds N] [--workload NAME] [--dlsia PATH]
 *               [--no-torch] [--no-memory]
 */
#include "config.h"

#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-train.h"

static const char torch_script[]
    = "import sys, time, json, resource, statistics, torch, torch.nn as nn\n"
      "mode, work = sys.argv[1], sys.argv[2]\n"
      "size, batch, threads, steps, layers = map(int, sys.argv[3:8])\n"
      "graph = json.loads(sys.argv[8])\n"
      "torch.set_num_threads(threads)\n"
      "torch.manual_seed(0)\n"
      "base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
      "class MSD(nn.Module):\n"
      "    def __init__(s, L, maxd=10):\n"
      "        super().__init__()\n"
      "        s.convs = nn.ModuleList([nn.Conv2d(1 + i, 1, 3, padding=i % maxd + 1,\n"
      "                                           dilation=i % maxd + 1) for i in range(L)])\n"
      "        s.bns = nn.ModuleList([nn.BatchNorm2d(2 + i) for i in range(L)])\n"
      "        s.final = nn.Conv2d(1 + L, 2, 1)\n"
      "    def forward(s, x):\n"
      "        x = torch.relu(x)\n"
      "        for c, b in zip(s.convs, s.bns):\n"
      "            x = b(torch.relu(torch.cat([x, c(x)], 1)))\n"
      "        return s.final(x)\n"
      "def dbl(a, b, c):\n"
      "    return nn.Sequential(nn.Conv2d(a, b, 3, padding=1), nn.BatchNorm2d(b), nn.ReLU(),\n"
      "                         nn.Conv2d(b, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU())\n"
      "class TUNet(nn.Module):\n"
      "    def __init__(s, d=4, base=16, g=2.0, cin=1, cout=2):\n"
      "        super().__init__()\n"
      "        ei, em, eo = [], [], []\n"
      "        for i in range(d):\n"
      "            ei.append(cin if i == 0 else eo[i - 1])\n"
      "            em.append(base if i == 0 else int(ei[i] * g))\n"
      "            eo.append(em[i])\n"
      "        s.enc = nn.ModuleList([dbl(ei[i], em[i], eo[i]) for i in range(d - 1)])\n"
      "        s.bottom = dbl(ei[d - 1], em[d - 1], eo[d - 1])\n"
      "        s.ups, s.decs = nn.ModuleList(), nn.ModuleList()\n"
      "        for i in range(d - 2, -1, -1):\n"
      "            s.ups.append(nn.ConvTranspose2d(eo[d - 1] if i == d - 2 else em[i + 1], eo[i],\n"
      "                                            2, 2))\n"
      "            s.decs.append(dbl(2 * eo[i], eo[i], em[i]))\n"
      "        s.head = nn.Conv2d(em[0], cout, 1)\n"
      "        s.pool = nn.MaxPool2d(2, 2)\n"
      "    def forward(s, x):\n"
      "        skips = []\n"
      "        for e in s.enc:\n"
      "            x = e(x)\n"
      "            skips.append(x)\n"
      "            x = s.pool(x)\n"
      "        x = s.bottom(x)\n"
      "        for u, dec, sk in zip(s.ups, s.decs, reversed(skips)):\n"
      "            x = dec(torch.cat([sk, u(x, output_size=sk.shape[2:])], 1))\n"
      "        return s.head(x)\n"
      "class SMS(nn.Module):\n"
      "    def __init__(s, nodes, edges, cin=1, cout=2):\n"
      "        super().__init__()\n"
      "        O = nodes - 1\n"
      "        ch = [0] * nodes\n"
      "        ch[0] = cin\n"
      "        for u, v, d, c in edges:\n"
      "            ch[v] += c\n"
      "        s.nodes, s.edges, ops = nodes, edges, []\n"
      "        for u, v, d, c in edges:\n"
      "            if u == 0 or v != O:\n"
      "                dd = 1 if u == 0 else d\n"
      "                ops.append(nn.Sequential(\n"
      "                    nn.Conv2d(ch[u], c, 3, padding=dd, dilation=dd, "
      "padding_mode='reflect'),\n"
      "                    nn.BatchNorm2d(c, track_running_stats=False), nn.ReLU()))\n"
      "            else:\n"
      "                ops.append(nn.Conv2d(ch[u], c, 1, bias=False))\n"
      "        s.ops = nn.ModuleList(ops)\n"
      "        s.last = nn.Conv2d(ch[O], cout, 1)\n"
      "    def forward(s, x):\n"
      "        parts, acc = [[] for _ in range(s.nodes)], [None] * s.nodes\n"
      "        acc[0] = x\n"
      "        for (u, v, d, c), op in zip(s.edges, s.ops):\n"
      "            if acc[u] is None:\n"
      "                acc[u] = parts[u][0] if len(parts[u]) == 1 else torch.cat(parts[u], 1)\n"
      "            parts[v].append(op(acc[u]))\n"
      "        p = parts[-1]\n"
      "        return s.last(p[0] if len(p) == 1 else torch.cat(p, 1))\n"
      "if work == 'msdnet':\n"
      "    net = MSD(layers)\n"
      "elif work == 'tunet':\n"
      "    net = TUNet()\n"
      "else:\n"
      "    net = SMS(graph['nodes'], graph['edges'])\n"
      "net.train()\n"
      "opt = torch.optim.Adam(net.parameters(), lr=1e-3)\n"
      "lossf = nn.CrossEntropyLoss(ignore_index=-1)\n"
      "x = torch.rand(batch, 1, size, size)\n"
      "y = torch.randint(0, 2, (batch, size, size))\n"
      "y[torch.rand(batch, size, size) < 0.3] = -1\n"
      "def step():\n"
      "    opt.zero_grad()\n"
      "    loss = lossf(net(x), y)\n"
      "    loss.backward()\n"
      "    opt.step()\n"
      "nparams = sum(p.numel() for p in net.parameters() if p.requires_grad)\n"
      "if mode == 'memory':\n"
      "    step()\n"
      "    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, base_rss, nparams)\n"
      "    sys.exit(0)\n"
      "step(); step()\n"
      "print(nparams, flush=True)\n"
      "for line in sys.stdin:\n"
      "    ts = []\n"
      "    for _ in range(steps):\n"
      "        t = time.perf_counter(); step(); ts.append(time.perf_counter() - t)\n"
      "    print(statistics.median(ts) * 1000, flush=True)\n";

static const double targets[DLS_BENCH_WORKLOAD_COUNT] = {
  [DLS_BENCH_MSDNET] = 0.10,
  [DLS_BENCH_SMSNET] = 0.10,
  [DLS_BENCH_TUNET] = 0.75,
};
#define MEMORY_TARGET 0.25

static const char *
python_path (void)
{
  /* Debian's own interpreter: the python3 first on PATH may be another one, without torch */
  return g_file_test ("/usr/bin/python3", G_FILE_TEST_IS_EXECUTABLE) ? "/usr/bin/python3"
                                                                     : "python3";
}

/* The PyTorch side's command line and environment, for `mode` memory or time */
typedef struct
{
  char *a[5]; /* size, batch, threads, steps, layers */
  char *argv[12];
  GStrv env;
} TorchCommand;

static void
torch_command (TorchCommand *c, const char *mode, DlsBenchWorkload w, int size, int batch,
               int threads, int steps, int layers, const char *graph_json)
{
  const int v[5] = { size, batch, threads, steps, layers };
  char *argv[] = { (char *) python_path (), "-c", (char *) torch_script, (char *) mode,
                   (char *) dls_bench_workload_name (w) };

  for (int i = 0; i < 5; i++)
    c->a[i] = g_strdup_printf ("%d", v[i]);
  memcpy (c->argv, argv, sizeof argv);
  memcpy (c->argv + 5, c->a, sizeof c->a);
  c->argv[10] = (char *) graph_json;
  c->argv[11] = NULL;
  /* as in the reference measurements: OpenMP and OpenBLAS on the same thread count */
  c->env = g_get_environ ();
  c->env = g_environ_setenv (c->env, "OMP_NUM_THREADS", c->a[2], TRUE);
  c->env = g_environ_setenv (c->env, "OPENBLAS_NUM_THREADS", c->a[2], TRUE);
}

static void
torch_command_clear (TorchCommand *c)
{
  for (int i = 0; i < 5; i++)
    g_free (c->a[i]);
  g_strfreev (c->env);
}

/* Runs the PyTorch side's memory measurement; out[0..2] = its peak MB, the RSS after `import
 * torch` (MB) and the parameter count.  FALSE when torch cannot run. */
static gboolean
torch_memory (DlsBenchWorkload w, int size, int threads, int layers, double out[3])
{
  g_autofree char *sout = NULL, *serr = NULL;
  g_auto (GStrv) fields = NULL;
  TorchCommand c;
  int status = 0;
  gboolean ran;

  torch_command (&c, "memory", w, size, 1, threads, 1, layers, "{}");
  ran = g_spawn_sync (NULL, c.argv, c.env, G_SPAWN_SEARCH_PATH, NULL, NULL, &sout, &serr, &status,
                      NULL)
        && g_spawn_check_wait_status (status, NULL);
  torch_command_clear (&c);
  if (!ran)
    {
      if (serr && strstr (serr, "No module named 'torch'") == NULL && *serr)
        g_printerr ("# PyTorch failed: %s\n", serr);
      return FALSE;
    }
  fields = g_strsplit (g_strstrip (sout), " ", 3);
  if (g_strv_length (fields) != 3)
    return FALSE;
  for (int i = 0; i < 3; i++)
    out[i] = g_ascii_strtod (fields[i], NULL);
  return out[0] > 0;
}

/* A PyTorch process kept open for the timing rounds: it builds the network, takes two warm-up
 * steps and prints its parameter count, then answers each line it reads with the median of
 * `steps` timed steps.  Rounds alternate with ours, so that both sides see the same spells of a
 * shared machine's load rather than one side a quiet minute and the other a busy one. */
typedef struct
{
  GPid pid;
  FILE *to, *from;
  int err; /* its stderr: a temporary file, read when it fails (a pipe could fill up) */
  double n_params;
} TorchSession;

static gboolean
read_number (FILE *f, double *v)
{
  char line[128];

  if (fgets (line, sizeof line, f) == NULL)
    return FALSE;
  *v = g_ascii_strtod (line, NULL);
  return *v > 0;
}

static void
torch_close (TorchSession *t)
{
  if (t->to)
    fclose (t->to); /* end of input: the script's loop ends */
  if (t->from)
    fclose (t->from);
  if (t->err >= 0)
    close (t->err);
  if (t->pid)
    {
      waitpid (t->pid, NULL, 0);
      g_spawn_close_pid (t->pid);
    }
  memset (t, 0, sizeof *t);
  t->err = -1;
}

static gboolean
torch_open (TorchSession *t, DlsBenchWorkload w, int size, int threads, int steps, int layers,
            const char *graph_json)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *err_path = NULL;
  TorchCommand c;
  int in, out;
  gboolean ok;

  memset (t, 0, sizeof *t);
  t->err = g_file_open_tmp ("bench-train-torch-XXXXXX", &err_path, &error);
  if (t->err < 0)
    {
      g_printerr ("# PyTorch not started: %s\n", error->message);
      return FALSE;
    }
  g_unlink (err_path);
  torch_command (&c, "time", w, size, 1, threads, steps, layers, graph_json);
  ok = g_spawn_async_with_pipes_and_fds (NULL, (const char *const *) c.argv,
                                         (const char *const *) c.env,
                                         G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD, NULL,
                                         NULL, -1, -1, t->err, NULL, NULL, 0, &t->pid, &in, &out,
                                         NULL, &error);
  torch_command_clear (&c);
  if (!ok)
    {
      g_printerr ("# PyTorch did not start: %s\n", error->message);
      torch_close (t);
      return FALSE;
    }
  t->to = fdopen (in, "w");
  t->from = fdopen (out, "r");
  if (t->to && t->from && read_number (t->from, &t->n_params))
    return TRUE;
  if (t->pid)
    {
      /* it has ended (its output did): say why, unless torch is simply not installed */
      char buf[4096];
      ssize_t n;

      waitpid (t->pid, NULL, 0);
      g_spawn_close_pid (t->pid);
      t->pid = 0;
      n = pread (t->err, buf, sizeof buf - 1, 0);
      buf[MAX (n, 0)] = '\0';
      if (n > 0 && strstr (buf, "No module named 'torch'") == NULL)
        g_printerr ("# PyTorch failed: %s\n", buf);
    }
  torch_close (t);
  return FALSE;
}

/* The median step time of one more round, or 0 when the process has gone */
static double
torch_round (TorchSession *t)
{
  double ms = 0;

  if (fputs ("time\n", t->to) == EOF || fflush (t->to) != 0 || !read_number (t->from, &ms))
    return 0;
  return ms;
}

/* {"nodes": N, "edges": [[u, v, dilation, channels], …]} of an SMSNet; "{}" otherwise. */
static char *
graph_json (const DlsModel *m)
{
  const DlsSmsGraph *g = &m->config.graph;
  GString *s;

  if (m->config.arch != DLS_ARCH_SMSNET)
    return g_strdup ("{}");
  s = g_string_new (NULL);
  g_string_append_printf (s, "{\"nodes\": %d, \"edges\": [", g->n_nodes);
  for (int e = 0; e < g->n_edges; e++)
    g_string_append_printf (s, "%s[%d, %d, %d, %d]", e ? ", " : "", g->edges[e].from,
                            g->edges[e].to, g->edges[e].dilation, g->edges[e].channels);
  g_string_append (s, "]}");
  return g_string_free (s, FALSE);
}

static const char *
verdict (double ratio, double target, char *buf, size_t n)
{
  if (ratio <= target)
    return "met";
  if (ratio <= 2 * target)
    g_snprintf (buf, n, "missed (%.1f× the target)", ratio / target);
  else
    g_snprintf (buf, n, "FAR FROM TARGET (%.1f× the target)", ratio / target);
  return buf;
}

/* One workload at one thread count: `rounds` rounds, each of our `steps` steps then PyTorch's,
 * and the medians over the rounds (the ratio's median is that of the rounds' ratios). */
static void
bench_threads (DlsBenchWorkload w, const DlsModel *m, const char *json, int size, int steps,
               int rounds, gboolean no_torch, int threads)
{
  g_autoptr (GError) error = NULL;
  DlsBenchTrainArgs a = { .workload = w, .size = size, .batch = 1, .steps = steps };
  g_autofree double *ours = g_new (double, rounds), *theirs = g_new (double, rounds);
  g_autofree double *ratio = g_new (double, rounds);
  TorchSession t = { .err = -1 };
  gboolean torch = !no_torch;
  int64_t n_params = 0;
  const char *name = dls_bench_workload_name (w);
  char buf[64], target[16], spread[48] = "";
  double lo, hi, torch_params;

  dls_engine_set_threads (threads);
  torch = torch && torch_open (&t, w, size, threads, steps, m->config.num_layers, json);
  torch_params = t.n_params;
  for (int r = 0; r < rounds; r++)
    {
      DlsBenchTrainResult res;

      if (!dls_bench_train (&a, &res, &error))
        {
          printf ("%-8s %-7d failed: %s\n", name, threads, error->message);
          torch_close (&t);
          return;
        }
      ours[r] = res.ms_per_step;
      n_params = res.n_params;
      if (torch && (theirs[r] = torch_round (&t)) <= 0)
        {
          printf ("# PyTorch stopped answering after %d rounds\n", r);
          torch = FALSE;
        }
      if (torch)
        ratio[r] = ours[r] / theirs[r];
    }
  torch_close (&t);
  if (!torch)
    {
      printf ("%-8s %-7d %10.1f %12s %9s %9s %8s  %s\n", name, threads,
              dls_median (ours, rounds), no_torch ? "skipped" : "no torch", "-", "-", "-", "-");
      return;
    }
  lo = hi = ratio[0];
  for (int r = 1; r < rounds; r++)
    lo = MIN (lo, ratio[r]), hi = MAX (hi, ratio[r]);
  if (rounds > 1)
    g_snprintf (spread, sizeof spread, " (rounds %.3f–%.3f)", lo, hi);
  g_snprintf (target, sizeof target, "≤ %.2f", targets[w]);
  {
    double o = dls_median (ours, rounds), p = dls_median (theirs, rounds);
    double q = dls_median (ratio, rounds);
    printf ("%-8s %-7d %10.1f %12.1f %9.3f %8.1f× %10s  %s%s\n", name, threads, o, p, q, 1 / q,
            target, verdict (q, targets[w], buf, sizeof buf), spread);
  }
  if ((int64_t) torch_params != n_params)
    printf ("#   parameter counts differ: dlsia %" G_GINT64_FORMAT ", PyTorch %.0f — "
            "the networks are not the same\n",
            n_params, torch_params);
}

static void
bench_workload (DlsBenchWorkload w, int size, int steps, int rounds, gboolean no_torch, int all)
{
  g_autoptr (GError) error = NULL;
  DlsBenchTrainArgs a = { .workload = w, .size = size, .batch = 1, .steps = steps };
  DlsModel *m = dls_bench_train_model (&a, &error);
  g_autofree char *json = NULL;

  if (m == NULL)
    {
      printf ("%-8s %s\n", dls_bench_workload_name (w), error->message);
      return;
    }
  json = graph_json (m);
  bench_threads (w, m, json, size, steps, rounds, no_torch, 1);
  if (all > 1)
    bench_threads (w, m, json, size, steps, rounds, no_torch, all);
  dls_model_free (m);
}

static char *
find_dlsia (const char *given)
{
  g_autofree char *exe = NULL, *dir = NULL;
  char *path;

  if (given)
    return g_strdup (given);
  /* build/tests/bench/bench-train → build/src/cli/dlsia */
  exe = g_file_read_link ("/proc/self/exe", NULL);
  if (exe == NULL)
    return NULL;
  dir = g_path_get_dirname (exe);
  path = g_build_filename (dir, "..", "..", "src", "cli", "dlsia", NULL);
  if (g_file_test (path, G_FILE_TEST_IS_EXECUTABLE))
    return path;
  g_free (path);
  return NULL;
}

/* Ours: the peak RSS that `dlsia bench --workload msdnet` reports from its own process. */
static double
dlsia_peak_mb (const char *dlsia, int layers, int size)
{
  g_autofree char *sout = NULL, *serr = NULL, *a_layers = g_strdup_printf ("%d", layers);
  g_autofree char *a_size = g_strdup_printf ("%d", size);
  g_autoptr (JsonParser) parser = json_parser_new ();
  char *argv[] = { (char *) dlsia, "bench", "--workload", "msdnet", "--layers", a_layers,
                   "--size",       a_size,  "--steps",    "1",      NULL };
  JsonObject *o;
  int status = 0;

  if (!g_spawn_sync (NULL, argv, NULL, 0, NULL, NULL, &sout, &serr, &status, NULL)
      || !g_spawn_check_wait_status (status, NULL))
    {
      g_printerr ("# %s bench failed: %s\n", dlsia, serr ? serr : "");
      return -1;
    }
  if (!json_parser_load_from_data (parser, sout, -1, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return -1;
  o = json_node_get_object (json_parser_get_root (parser));
  return json_object_get_double_member_with_default (o, "peak_rss_mb", -1);
}

/* MemAvailable in MB, or a large number when it cannot be read. */
static double
available_mb (void)
{
  g_autofree char *text = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/meminfo", &text, NULL, NULL)
      || (line = strstr (text, "MemAvailable:")) == NULL)
    return 1e12;
  return g_ascii_strtod (line + strlen ("MemAvailable:"), NULL) / 1024.0;
}

/* Whether a run whose peak is about `need` MB fits beside everything else on the machine (it is
 * shared: an out-of-memory kill may hit someone else's process). */
static gboolean
fits (double need)
{
  return need * 1.1 + 2048 < available_mb ();
}

static void
print_memory_row (int size, double ours, gboolean ours_est, double theirs, gboolean theirs_est,
                  gboolean last)
{
  char buf[64], o[32], t[32];

  g_snprintf (o, sizeof o, "%s%.0f", ours_est ? "~" : "", ours);
  g_snprintf (t, sizeof t, "%s%.0f", theirs_est ? "~" : "", theirs);
  if (ours <= 0)
    strcpy (o, "-");
  if (theirs <= 0)
    strcpy (t, "-");
  if (ours > 0 && theirs > 0)
    printf ("%-6d %12s %12s %9.3f %*s  %s%s\n", size, o, t, ours / theirs, last ? 10 : 8,
            last ? "≤ 0.25" : "-",
            last ? verdict (ours / theirs, MEMORY_TARGET, buf, sizeof buf)
                 : "(smaller image, for scale)",
            ours_est || theirs_est ? "; ~: extrapolated ×4 from 256², not run" : "");
  else
    printf ("%-6d %12s %12s %9s\n", size, o, t, "-");
}

static void
bench_memory (const char *dlsia, gboolean no_torch, int all)
{
  const int layers = 100, small = 256, size = 512;
  double ours_s, ours, t_s[3] = { -1, -1, -1 }, t[3] = { -1, -1, -1 };
  gboolean ours_est = FALSE, theirs_est = FALSE;

  printf ("\nPeak RSS, MSDNet %d layers, batch 1, training steps (dlsia: 2 warm-up + 1), %d "
          "threads, each side in its own process\n",
          layers, all);
  if (dlsia == NULL)
    {
      printf ("dlsia binary not found: pass --dlsia PATH\n");
      return;
    }
  printf ("%-6s %12s %12s %9s %8s  %s\n", "size", "dlsia MB", "PyTorch MB", "dlsia/PT", "target",
          "verdict");
  /* 256² first: cheap, and it predicts what 512² needs (the maps are 4× larger) */
  ours_s = dlsia_peak_mb (dlsia, layers, small);
  if (!no_torch)
    torch_memory (DLS_BENCH_MSDNET, small, all, layers, t_s);
  print_memory_row (small, ours_s, FALSE, t_s[0], FALSE, FALSE);

  if (ours_s > 0 && fits (4 * ours_s))
    ours = dlsia_peak_mb (dlsia, layers, size);
  else
    {
      ours = 4 * ours_s;
      ours_est = TRUE;
    }
  if (t_s[0] > 0 && fits (4 * t_s[0]))
    torch_memory (DLS_BENCH_MSDNET, size, all, layers, t);
  else if (t_s[0] > 0)
    {
      t[0] = t_s[1] + 4 * (t_s[0] - t_s[1]); /* what `import torch` holds does not grow */
      theirs_est = TRUE;
    }
  print_memory_row (size, ours, ours_est, t[0], theirs_est, TRUE);
  if (ours_est || theirs_est)
    printf ("#   %.0f MB are available on this machine: a run needing more was not started\n",
            available_mb ());
  if (t_s[1] > 0)
    printf ("#   PyTorch's process holds %.0f MB after `import torch` alone\n", t_s[1]);
  if (no_torch)
    printf ("#   PyTorch skipped\n");
}

int
main (int argc, char **argv)
{
  int size = 256, steps = 5, rounds = 3;
  gboolean no_torch = FALSE, no_memory = FALSE;
  g_autofree char *workload = NULL, *dlsia_arg = NULL, *dlsia = NULL;
  GOptionEntry entries[] = {
    { "size", 's', 0, G_OPTION_ARG_INT, &size, "Image side (256)", "N" },
    { "steps", 'n', 0, G_OPTION_ARG_INT, &steps, "Timed steps after 2 warm-ups, median (5)", "N" },
    { "rounds", 'r', 0, G_OPTION_ARG_INT, &rounds,
      "Rounds, ours and PyTorch's steps in turn; medians over them (3)", "N" },
    { "workload", 'w', 0, G_OPTION_ARG_STRING, &workload, "Only this workload", "NAME" },
    { "dlsia", 0, 0, G_OPTION_ARG_FILENAME, &dlsia_arg, "The dlsia binary (memory test)", "PATH" },
    { "no-torch", 0, 0, G_OPTION_ARG_NONE, &no_torch, "Skip PyTorch", NULL },
    { "no-memory", 0, 0, G_OPTION_ARG_NONE, &no_memory, "Skip the memory comparison", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("— training steps against PyTorch");
  g_autoptr (GError) error = NULL;
  DlsBenchWorkload only = DLS_BENCH_WORKLOAD_COUNT;
  int all = dls_engine_get_threads ();

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || size < 16 || steps < 1 || rounds < 1
      || (workload && !dls_bench_workload_from_name (workload, &only)))
    {
      g_printerr ("bench-train: %s\n", error ? error->message : "bad arguments");
      return 2;
    }
  dlsia = find_dlsia (dlsia_arg);
  setvbuf (stdout, NULL, _IOLBF, 0); /* rows appear as they are measured, under meson too */

  printf ("Training step (forward, cross-entropy on ~30 %% unlabelled pixels, backward, Adam), "
          "batch 1, %d²: %d rounds, each the median of %d steps after 2 warm-ups, ours then "
          "PyTorch's; medians over the rounds\n",
          size, rounds, steps);
  printf ("engine: %s kernels, OpenBLAS %s, %d cores; PyTorch: %s\n", dls_engine_kernel_isa (),
          dls_engine_blas_corename (), all, python_path ());
  printf ("msdnet: 50 layers, dilations 1–10, BatchNorm; smsnet: ensemble-builder defaults, 20 "
          "layers, seed 0; tunet: depth 4, base 16, growth 2\n\n");
  printf ("%-8s %-7s %10s %12s %9s %9s %8s  %s\n", "workload", "threads", "dlsia ms", "PyTorch ms",
          "dlsia/PT", "speedup", "target", "verdict");
  for (int w = 0; w < DLS_BENCH_WORKLOAD_COUNT; w++)
    if (only == DLS_BENCH_WORKLOAD_COUNT || only == (DlsBenchWorkload) w)
      bench_workload (w, size, steps, rounds, no_torch, all);
  dls_engine_set_threads (all);
  if (!no_memory)
    bench_memory (dlsia, no_torch, all);
  return 0;
}
