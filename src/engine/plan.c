/* SPDX-License-Identifier: MIT
 *
 * plan.c: dls_graph_compile().  Decides which nodes share buffers (a concat's inputs are written
 * into its channel ranges; a slice is a view), how wide a halo every buffer needs and of what
 * kind, which kernel each op runs, and where everything lives: one value arena and one gradient
 * arena per graph, allocated once and reused by every step.  A training graph keeps every
 * activation; an inference graph lets buffers whose lifetimes do not overlap share memory, and
 * so do a training graph's gradients (a gradient lives from its last reader's backward to its
 * producer's).  Besides the memory, that keeps the gradient a node's backward has just written
 * in the caches for the next one, where a buffer of its own would come from DRAM.
 */
#include "engine-private.h"

#include <stdlib.h>
#ifdef __linux__
#include <sys/mman.h>
#endif

typedef struct
{
  DlsNode root;
  int start, end; /* first node writing it, last node reading it (gradients: the reverse) */
  int64_t size;   /* floats */
  int64_t offset;
} Block;

static void
plan_aliases (DlsGraph *g)
{
  for (int i = 0; i < g->n_nodes; i++)
    if (g->nodes[i].op == DLS_OP_SLICE)
      {
        g->nodes[i].alias_of = g->nodes[i].in[0];
        g->nodes[i].alias_c0 = g->nodes[i].a.slice.c0;
      }

  /* Later concats first, so that a chain concat(concat(concat(x, a), b), c) ends up as one
   * buffer owned by the last. */
  for (int i = g->n_nodes - 1; i >= 0; i--)
    {
      DlsNodeImpl *n = &g->nodes[i];
      int c0 = 0;

      if (n->op != DLS_OP_CONCAT)
        continue;
      for (int j = 0; j < n->n_in; j++)
        {
          DlsNodeImpl *x = &g->nodes[n->in[j]];
          bool repeated = false;

          for (int k = 0; k < j; k++)
            repeated |= n->in[k] == n->in[j];
          if (!repeated && dls_node_owns_values (x) && x->alias_of == DLS_NODE_NONE)
            {
              x->alias_of = i;
              x->alias_c0 = c0;
            }
          c0 += x->shape.c;
        }
    }

  for (int i = 0; i < g->n_nodes; i++)
    {
      DlsNodeImpl *n = &g->nodes[i];
      int c0 = 0;

      n->halo_by_members = n->op == DLS_OP_CONCAT;
      for (int j = 0; j < n->n_in && n->halo_by_members; j++)
        {
          DlsNodeImpl *x = &g->nodes[n->in[j]];
          n->halo_by_members = x->alias_of == i && x->alias_c0 == c0 && dls_node_owns_values (x)
                               && x->op != DLS_OP_INPUT;
          c0 += x->shape.c;
        }
    }

  for (int i = 0; i < g->n_nodes; i++)
    {
      DlsNodeImpl *n = &g->nodes[i];
      DlsNode r = i;
      int c0 = 0;

      while (g->nodes[r].alias_of != DLS_NODE_NONE)
        {
          c0 += g->nodes[r].alias_c0;
          r = g->nodes[r].alias_of;
        }
      n->root = r;
      n->root_c0 = c0;
    }
}

void
dls_plan_request_halo (DlsGraph *g, DlsNode x, int width, DlsHaloMode mode)
{
  DlsNodeImpl *r = &g->nodes[g->nodes[x].root];

  if (width <= 0)
    return;
  r->halo = MAX (r->halo, width);
  if (mode == DLS_HALO_ZERO)
    r->halo_zero_req = true;
  else if (mode == DLS_HALO_REFLECT)
    r->halo_reflect_req = true;
}

int
dls_plan_halo (DlsGraph *g, DlsNode x)
{
  return g->nodes[g->nodes[x].root].halo;
}

void
dls_plan_request_scratch (DlsGraph *g, size_t floats_per_thread)
{
  g->scratch_request = MAX (g->scratch_request, floats_per_thread);
}

static int64_t
round_up (int64_t x, int64_t a)
{
  return (x + a - 1) / a * a;
}

/* Floats from one channel's plane to the next.  Planes of large maps are padded to an odd
 * number of cache lines: with a stride that is (nearly) a multiple of 4 KiB, the same row of
 * twenty channels lands in the same L1 set and a direct convolution, which reads them all,
 * thrashes. */
static int64_t
plane_stride (const DlsNodeImpl *r)
{
  int64_t hp = r->shape.h + 2 * r->halo, wp = r->shape.w + 2 * r->halo;
  int64_t plane = hp * wp * r->shape.d;

  if (plane < 1024 || r->shape.c == 1)
    return plane;
  plane = round_up (plane, 16);
  if ((plane / 16) % 2 == 0)
    plane += 16;
  return plane;
}

static int64_t
root_floats (const DlsNodeImpl *r)
{
  return (int64_t) r->shape.n * r->shape.c * plane_stride (r);
}

static DlsView
root_view (const DlsNodeImpl *r, float *base)
{
  DlsView v;
  int64_t wp = r->shape.w + 2 * r->halo;

  v.sh = wp;
  v.sc = plane_stride (r);
  v.sn = v.sc * r->shape.c;
  v.halo = r->halo;
  v.p = base ? base + r->halo * wp + r->halo : NULL;
  return v;
}

/* The activation and gradient arenas, zeroed.  Large ones of training graphs are aligned to
 * 2 MiB and asked to be backed by transparent huge pages: a direct convolution reads three rows
 * of every input channel side by side, each plane in other 4 KiB pages, and with small pages
 * most of those loads miss the TLB (an SMSNet step is about 18 % slower).  Getting huge pages
 * may cost the kernel a second or two of compaction at the first touch, which many training
 * steps repay but a prediction would only feel, so graphs without a backward pass keep small
 * pages.  Freed with g_free (the C library's free) like any other block. */
static float *
arena_alloc (size_t floats, bool huge_pages)
{
  size_t bytes = sizeof (float) * floats, huge = (size_t) 2 << 20;
  void *p = NULL;

#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (huge_pages && bytes >= 2 * huge)
    {
      bytes = (bytes + huge - 1) / huge * huge;
      if (posix_memalign (&p, huge, bytes) != 0)
        return NULL;
      madvise (p, bytes, MADV_HUGEPAGE); /* a hint: without it, small pages still work */
      memset (p, 0, bytes);
      return p;
    }
#endif
  p = g_try_malloc0 (bytes);
  return p;
}

/* First-fit placement of blocks ordered by start; blocks whose lifetimes overlap never share. */
static int64_t
place_blocks (Block *blocks, int n, bool reuse)
{
  int64_t total = 0;

  for (int i = 0; i < n; i++)
    {
      int64_t off = 0;
      bool moved = true;

      if (!reuse)
        {
          blocks[i].offset = total;
          total += blocks[i].size;
          continue;
        }
      /* Slide past every live block that overlaps [off, off + size). */
      while (moved)
        {
          moved = false;
          for (int j = 0; j < i; j++)
            {
              bool live = blocks[j].end >= blocks[i].start && blocks[j].start <= blocks[i].end;
              if (live && off < blocks[j].offset + blocks[j].size
                  && blocks[j].offset < off + blocks[i].size)
                {
                  off = blocks[j].offset + blocks[j].size;
                  moved = true;
                }
            }
        }
      blocks[i].offset = off;
      total = MAX (total, off + blocks[i].size);
    }
  return total;
}

/* The nodes between which a root's gradient lives, in node order: backward writes it first at
 * its last reader (grad_touch) and reads it last at its first member (or that member's group
 * leader).  Gradients that the
 * caller may read after backward (inputs, outputs, the loss) live throughout. */
static void
grad_lifetime (DlsGraph *g, DlsNode r, int *lo, int *hi)
{
  DlsNodeImpl *root = &g->nodes[r];
  bool pinned = root->grad_touch < 0;

  *lo = r;
  for (int i = 0; i < g->n_nodes; i++)
    if (g->nodes[i].root == r)
      {
        /* a convolution group's leader reads its members' dY (ops-conv.c) */
        *lo = MIN (*lo, g->nodes[i].dx_leader != DLS_NODE_NONE ? g->nodes[i].dx_leader : i);
        pinned |= g->nodes[i].op == DLS_OP_INPUT || g->nodes[i].keep
                  || g->nodes[i].last_use >= g->n_nodes;
      }
  *hi = MAX (root->grad_touch, r);
  if (pinned)
    {
      *lo = 0;
      *hi = g->n_nodes;
    }
}

static int
by_end_desc (const void *a, const void *b)
{
  const Block *x = a, *y = b;

  return x->end != y->end ? y->end - x->end : x->root - y->root;
}

static int
by_touch_desc (gconstpointer a, gconstpointer b, gpointer data)
{
  DlsGraph *g = data;
  int ta = g->nodes[*(const DlsNode *) a].grad_touch;
  int tb = g->nodes[*(const DlsNode *) b].grad_touch;

  return tb - ta;
}

static gboolean compile (DlsGraph *g, bool with_backward, GError **error);

gboolean
dls_graph_compile (DlsGraph *g, bool with_backward, GError **error)
{
  g_autoptr (GError) local = NULL;

  if (compile (g, with_backward, &local))
    return TRUE;
  /* A graph that failed to compile stays failed: its half-made plan is not reused. */
  if (g->error == NULL && !g->compiled)
    g->error = g_error_copy (local);
  g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
}

static gboolean
compile (DlsGraph *g, bool with_backward, GError **error)
{
  g_autofree Block *blocks = NULL;
  int n_blocks = 0;
  size_t aux_total = 0;
  int n_threads;

  if (g->error)
    {
      g_propagate_error (error, g_error_copy (g->error));
      return FALSE;
    }
  if (g->compiled)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_STATE, "the graph is already compiled");
      return FALSE;
    }
  if (g->n_nodes == 0)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_STATE, "the graph is empty");
      return FALSE;
    }
  if (!dls_params_is_allocated (g->params))
    {
      if (!dls_params_alloc (g->params, error))
        return FALSE;
      /* A new set: PyTorch starts BatchNorm running variances at one. */
      for (int i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].op == DLS_OP_BATCHNORM && g->nodes[i].in[4] != DLS_NODE_NONE)
          {
            DlsNodeImpl *rv = &g->nodes[g->nodes[i].in[4]];
            float *v = dls_params_data (g->params, rv->a.param.index);
            for (int64_t j = 0; j < dls_shape_numel (rv->shape); j++)
              v[j] = 1.0f;
          }
    }

  /* Gradients flow from weights and inputs that ask for them. */
  for (int i = 0; i < g->n_nodes; i++)
    {
      DlsNodeImpl *n = &g->nodes[i];

      if (n->op == DLS_OP_PARAM)
        {
          const DlsParamInfo *info = dls_params_info (g->params, n->a.param.index);
          if (info == NULL || info->kind != n->a.param.kind)
            {
              g_set_error (error, DLS_ERROR, DLS_ERROR_STATE,
                           "parameter “%s” no longer matches its set", n->name);
              return FALSE;
            }
          continue;
        }
      if (n->op == DLS_OP_INPUT || n->op == DLS_OP_LABELS)
        continue;
      n->requires_grad = false;
      for (int j = 0; j < n->n_in; j++)
        if (n->in[j] != DLS_NODE_NONE)
          n->requires_grad |= g->nodes[n->in[j]].requires_grad;
    }

  for (int i = 0; i < g->n_nodes; i++)
    g->nodes[i].last_use = i;
  for (int i = 0; i < g->n_nodes; i++)
    for (int j = 0; j < g->nodes[i].n_in; j++)
      if (g->nodes[i].in[j] != DLS_NODE_NONE)
        g->nodes[g->nodes[i].in[j]].last_use = i;
  g->nodes[g->n_nodes - 1].keep = true;
  for (int i = 0; i < g->n_nodes; i++)
    if (g->nodes[i].keep || g->nodes[i].op == DLS_OP_CROSS_ENTROPY
        || g->nodes[i].op == DLS_OP_MSE_MASKED || g->nodes[i].op == DLS_OP_L1_MASKED
        || g->nodes[i].op == DLS_OP_DICE || g->nodes[i].op == DLS_OP_FOCAL
        || g->nodes[i].op == DLS_OP_TVERSKY)
      g->nodes[i].last_use = g->n_nodes;

  plan_aliases (g);
  dls_conv_plan_groups (g);

  /* Ops size their per-task state from this: it stays fixed for the graph's life. */
  g->scratch_threads = dls_engine_get_threads ();
  g->scratch_request = 0;
  /* Twice: the first pass settles every halo, the second sizes scratch with them. */
  for (int pass = 0; pass < 2; pass++)
    for (int i = 0; i < g->n_nodes; i++)
      {
        DlsNodeImpl *n = &g->nodes[i];
        if (dls_op_info (n->op)->plan)
          dls_op_info (n->op)->plan (g, n);
      }

  /* Halo kinds, per root. */
  for (int i = 0; i < g->n_nodes; i++)
    {
      DlsNodeImpl *r = &g->nodes[i];
      if (r->root != i)
        continue;
      if (r->halo_zero_req && r->halo_reflect_req)
        {
          g_autofree char *what = r->name ? g_strdup_printf ("“%s”", r->name)
                                          : g_strdup_printf ("the output of %s (node %d)",
                                                             dls_op_info (r->op)->name, i);
          g_set_error (error, DLS_ERROR, DLS_ERROR_ARGUMENT,
                       "%s is read by both zero-padded and reflect-padded convolutions; give "
                       "each its own copy (for example through dls_graph_scale (x, 1))",
                       what);
          return FALSE;
        }
      r->halo_mode = r->halo_reflect_req ? DLS_HALO_REFLECT : DLS_HALO_ZERO;
    }

  /* Blocks: one per root buffer. */
  blocks = g_new0 (Block, g->n_nodes);
  for (int i = 0; i < g->n_nodes; i++)
    {
      DlsNodeImpl *n = &g->nodes[i];
      if (n->root == i && dls_node_owns_values (n))
        {
          blocks[n_blocks].root = i;
          blocks[n_blocks].start = i;
          blocks[n_blocks].end = i;
          /* slack after the last plane: vector loads of a row's last strip may run past it */
          blocks[n_blocks].size = round_up (root_floats (n) + 2 * n->halo + 128, 16);
          n->grad_touch = -1;
          n_blocks++;
        }
    }
  for (int b = 0; b < n_blocks; b++)
    {
      /* Members of a root may be written before the root node itself (a concat's inputs). */
      DlsNode r = blocks[b].root;
      for (int i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].root == r)
          {
            blocks[b].start = MIN (blocks[b].start, g->nodes[i].op == DLS_OP_INPUT ? 0 : i);
            blocks[b].end = MAX (blocks[b].end, g->nodes[i].last_use);
          }
    }
  /* The first node of a backward pass to write into a root's gradient: its last reader, not
   * counting convolutions whose input gradient their group's leader writes. */
  for (int i = 0; i < g->n_nodes; i++)
    for (int j = 0; j < g->nodes[i].n_in; j++)
      if (g->nodes[i].in[j] != DLS_NODE_NONE
          && (j > 0 || g->nodes[i].dx_leader == DLS_NODE_NONE || g->nodes[i].dx_leader == i))
        {
          DlsNodeImpl *r = &g->nodes[g->nodes[g->nodes[i].in[j]].root];
          r->grad_touch = MAX (r->grad_touch, i);
        }

  g->values_len = place_blocks (blocks, n_blocks, !with_backward);
  g->values = arena_alloc (g->values_len + 64, with_backward);
  if (g->values == NULL)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_MEMORY,
                   "not enough memory for the activations (%.1f MB)", g->values_len * 4.0 / 1e6);
      return FALSE;
    }
  for (int b = 0; b < n_blocks; b++)
    {
      DlsNodeImpl *r = &g->nodes[blocks[b].root];
      r->value_off = blocks[b].offset;
      r->value = root_view (r, g->values + blocks[b].offset);
    }

  if (with_backward)
    {
      g_autofree Block *gb = g_new0 (Block, g->n_nodes);
      int64_t total;
      int n_gb = 0;

      for (int b = 0; b < n_blocks; b++)
        {
          DlsNodeImpl *r = &g->nodes[blocks[b].root];
          bool needs = false;
          for (int i = 0; i < g->n_nodes; i++)
            needs |= g->nodes[i].root == blocks[b].root && g->nodes[i].requires_grad;
          r->grad_off = -1;
          if (!needs)
            continue;
          gb[n_gb] = blocks[b];
          grad_lifetime (g, blocks[b].root, &gb[n_gb].start, &gb[n_gb].end);
          n_gb++;
        }
      /* in the order backward first writes them */
      qsort (gb, n_gb, sizeof (Block), by_end_desc);
      total = place_blocks (gb, n_gb, true);
      for (int b = 0; b < n_gb; b++)
        g->nodes[gb[b].root].grad_off = gb[b].offset;
      g->grads_len = total;
      g->grads = arena_alloc (total + 64, true);
      if (g->grads == NULL)
        {
          g_set_error (error, DLS_ERROR, DLS_ERROR_MEMORY,
                       "not enough memory for the gradients (%.1f MB)", total * 4.0 / 1e6);
          return FALSE;
        }
      for (int b = 0; b < n_blocks; b++)
        {
          DlsNodeImpl *r = &g->nodes[blocks[b].root];
          r->grad = root_view (r, r->grad_off >= 0 ? g->grads + r->grad_off : NULL);
        }
    }

  /* Views of members; parameters point into their set. */
  for (int i = 0; i < g->n_nodes; i++)
    {
      DlsNodeImpl *n = &g->nodes[i];
      if (n->op == DLS_OP_PARAM)
        {
          int idx = n->a.param.index;
          int64_t numel = dls_shape_numel (n->shape);
          n->value = (DlsView){ .sn = numel / n->shape.n,
                                .sc = n->shape.h * n->shape.w,
                                .sh = n->shape.w };
          n->grad = n->value;
          if (n->a.param.kind != DLS_PARAM_COUNTER)
            n->value.p = dls_params_data (g->params, idx);
          n->grad.p = n->a.param.kind == DLS_PARAM_WEIGHT ? dls_params_grad (g->params, idx) : NULL;
        }
      else if (n->op != DLS_OP_LABELS && n->root != i)
        {
          DlsNodeImpl *r = &g->nodes[n->root];
          n->value = dls_view_channels (r->value, n->root_c0);
          n->grad = r->grad.p ? dls_view_channels (r->grad, n->root_c0) : r->grad;
        }
      if (n->op == DLS_OP_LABELS)
        n->aux_bytes = sizeof (int32_t) * n->shape.n * n->shape.h * n->shape.w;
      aux_total += round_up (n->aux_bytes, 64);
    }

  g->aux_len = aux_total;
  g->aux_arena = aux_total ? g_try_malloc0 (aux_total) : NULL;
  if (aux_total && g->aux_arena == NULL)
    {
      g_set_error (error, DLS_ERROR, DLS_ERROR_MEMORY, "not enough memory for the graph");
      return FALSE;
    }
  {
    size_t off = 0;
    for (int i = 0; i < g->n_nodes; i++)
      if (g->nodes[i].aux_bytes)
        {
          g->nodes[i].aux = g->aux_arena + off;
          off += round_up (g->nodes[i].aux_bytes, 64);
        }
  }

  n_threads = g->scratch_threads;
  g->scratch_stride = round_up (g->scratch_request, 16);
  if (g->scratch_stride)
    {
      g->scratch = g_try_malloc (sizeof (float) * g->scratch_stride * n_threads);
      if (g->scratch == NULL)
        {
          g_set_error (error, DLS_ERROR, DLS_ERROR_MEMORY,
                       "not enough memory for scratch space (%.1f MB)",
                       g->scratch_stride * n_threads * 4.0 / 1e6);
          return FALSE;
        }
    }
  g->ancestor = g_new0 (uint8_t, g->n_nodes);
  g->grad_roots = g_new0 (DlsNode, g->n_nodes);
  for (int b = 0; b < n_blocks; b++)
    if (g->nodes[blocks[b].root].grad.p != NULL)
      g->grad_roots[g->n_grad_roots++] = blocks[b].root;
  g_qsort_with_data (g->grad_roots, g->n_grad_roots, sizeof (DlsNode), by_touch_desc, g);
  /* A root's first writer in backward may overwrite its gradient instead of zeroing and adding,
   * when it reads the whole root as its first input and nothing else of it. */
  for (int i = 0; i < g->n_grad_roots; i++)
    {
      DlsNode r = g->grad_roots[i];
      DlsNodeImpl *k;
      bool sole = true;

      g->nodes[r].grad_assigner = DLS_NODE_NONE;
      if (g->nodes[r].grad_touch < 0)
        continue;
      k = &g->nodes[g->nodes[r].grad_touch];
      for (int j = 1; j < k->n_in; j++)
        sole &= k->in[j] == DLS_NODE_NONE || g->nodes[k->in[j]].root != r;
      if (k->assigns_input_grad && k->in[0] == r && sole)
        g->nodes[r].grad_assigner = g->nodes[r].grad_touch;
    }
  g->with_backward = with_backward;
  g->compiled = true;
  if (g_getenv ("DLSIA_PROFILE") != NULL)
    g->prof = g_new0 (double, 2 * (size_t) g->n_nodes);
  return TRUE;
}

size_t
dls_graph_arena_bytes (DlsGraph *g)
{
  return sizeof (float)
             * (g->values_len + g->grads_len + g->scratch_stride * (size_t) g->scratch_threads)
         + g->aux_len;
}
