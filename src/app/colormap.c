/* SPDX-License-Identifier: MIT
 *
 * colormap.c: the colour tables (gray and matplotlib's viridis, magma, inferno, cividis and
 * turbo, rebuilt from 33 of their published points — every 8th entry and the last — by linear
 * interpolation, within 2/255 of matplotlib's tables, 5/255 for cividis), rendering of scalar
 * and label planes into premultiplied ARGB32 pixels, default class colours and percentile
 * display ranges.  No cairo or GTK here, and no colour management.
 */
#include "config.h"

#include <glib/gi18n.h>

#include <math.h>

#include "colormap.h"

#define N_ANCHORS 33

/* matplotlib's _cm_listed tables at entries 0, 8, 16, …, 248 and 255 (CC0 data). */
/* clang-format off */
static const float viridis_anchors[N_ANCHORS][3] = {
  { 0.267004f, 0.004874f, 0.329415f },
  { 0.277018f, 0.050344f, 0.375715f },
  { 0.282327f, 0.094955f, 0.417331f },
  { 0.282884f, 0.135920f, 0.453427f },
  { 0.278826f, 0.175490f, 0.483397f },
  { 0.270595f, 0.214069f, 0.507052f },
  { 0.258965f, 0.251537f, 0.524736f },
  { 0.244972f, 0.287675f, 0.537260f },
  { 0.229739f, 0.322361f, 0.545706f },
  { 0.214298f, 0.355619f, 0.551184f },
  { 0.199430f, 0.387607f, 0.554642f },
  { 0.185556f, 0.418570f, 0.556753f },
  { 0.172719f, 0.448791f, 0.557885f },
  { 0.160665f, 0.478540f, 0.558115f },
  { 0.149039f, 0.508051f, 0.557250f },
  { 0.137770f, 0.537492f, 0.554906f },
  { 0.127568f, 0.566949f, 0.550556f },
  { 0.120565f, 0.596422f, 0.543611f },
  { 0.120638f, 0.625828f, 0.533488f },
  { 0.132268f, 0.655014f, 0.519661f },
  { 0.157851f, 0.683765f, 0.501686f },
  { 0.196571f, 0.711827f, 0.479221f },
  { 0.246070f, 0.738910f, 0.452024f },
  { 0.304148f, 0.764704f, 0.419943f },
  { 0.369214f, 0.788888f, 0.382914f },
  { 0.440137f, 0.811138f, 0.340967f },
  { 0.515992f, 0.831158f, 0.294279f },
  { 0.595839f, 0.848717f, 0.243329f },
  { 0.678489f, 0.863742f, 0.189503f },
  { 0.762373f, 0.876424f, 0.137064f },
  { 0.845561f, 0.887322f, 0.099702f },
  { 0.926106f, 0.897330f, 0.104071f },
  { 0.993248f, 0.906157f, 0.143936f },
};

static const float magma_anchors[N_ANCHORS][3] = {
  { 0.001462f, 0.000466f, 0.013866f },
  { 0.013708f, 0.011771f, 0.068667f },
  { 0.039608f, 0.031090f, 0.133515f },
  { 0.074257f, 0.052017f, 0.202660f },
  { 0.113094f, 0.065492f, 0.276784f },
  { 0.159018f, 0.068354f, 0.352688f },
  { 0.211718f, 0.061992f, 0.418647f },
  { 0.265447f, 0.060237f, 0.461840f },
  { 0.316654f, 0.071690f, 0.485380f },
  { 0.366012f, 0.090314f, 0.497960f },
  { 0.414709f, 0.110431f, 0.504662f },
  { 0.463508f, 0.129893f, 0.507652f },
  { 0.512831f, 0.148179f, 0.507648f },
  { 0.562866f, 0.165368f, 0.504692f },
  { 0.613617f, 0.181811f, 0.498536f },
  { 0.664915f, 0.198075f, 0.488836f },
  { 0.716387f, 0.214982f, 0.475290f },
  { 0.767398f, 0.233705f, 0.457755f },
  { 0.816914f, 0.255895f, 0.436461f },
  { 0.863320f, 0.283729f, 0.412403f },
  { 0.904281f, 0.319610f, 0.388137f },
  { 0.937221f, 0.364929f, 0.368567f },
  { 0.960949f, 0.418323f, 0.359630f },
  { 0.976690f, 0.476226f, 0.364466f },
  { 0.986700f, 0.535582f, 0.382210f },
  { 0.992785f, 0.594891f, 0.410283f },
  { 0.996096f, 0.653659f, 0.446213f },
  { 0.997325f, 0.711848f, 0.488154f },
  { 0.996898f, 0.769591f, 0.534892f },
  { 0.995131f, 0.827052f, 0.585701f },
  { 0.992440f, 0.884330f, 0.640099f },
  { 0.989434f, 0.941470f, 0.697519f },
  { 0.987053f, 0.991438f, 0.749504f },
};

static const float inferno_anchors[N_ANCHORS][3] = {
  { 0.001462f, 0.000466f, 0.013866f },
  { 0.013995f, 0.011225f, 0.071862f },
  { 0.042253f, 0.028139f, 0.141141f },
  { 0.081962f, 0.043328f, 0.215289f },
  { 0.129285f, 0.047293f, 0.290788f },
  { 0.183429f, 0.040329f, 0.354971f },
  { 0.238273f, 0.036621f, 0.396353f },
  { 0.290763f, 0.045644f, 0.418637f },
  { 0.341500f, 0.062325f, 0.429425f },
  { 0.391453f, 0.080927f, 0.433109f },
  { 0.441207f, 0.099338f, 0.431594f },
  { 0.491022f, 0.117179f, 0.425552f },
  { 0.540920f, 0.134729f, 0.415123f },
  { 0.590734f, 0.152563f, 0.400290f },
  { 0.640135f, 0.171438f, 0.381065f },
  { 0.688653f, 0.192239f, 0.357603f },
  { 0.735683f, 0.215906f, 0.330245f },
  { 0.780517f, 0.243327f, 0.299523f },
  { 0.822386f, 0.275197f, 0.266085f },
  { 0.860533f, 0.311892f, 0.230606f },
  { 0.894305f, 0.353399f, 0.193584f },
  { 0.923215f, 0.399359f, 0.155193f },
  { 0.946965f, 0.449191f, 0.115272f },
  { 0.965397f, 0.502249f, 0.073859f },
  { 0.978422f, 0.557937f, 0.034931f },
  { 0.985952f, 0.615750f, 0.025592f },
  { 0.987874f, 0.675267f, 0.065257f },
  { 0.984075f, 0.736087f, 0.129527f },
  { 0.974638f, 0.797692f, 0.206332f },
  { 0.960626f, 0.859069f, 0.298010f },
  { 0.947594f, 0.917399f, 0.410665f },
  { 0.954529f, 0.965896f, 0.540361f },
  { 0.988362f, 0.998364f, 0.644924f },
};

static const float cividis_anchors[N_ANCHORS][3] = {
  { 0.000000f, 0.135112f, 0.304751f },
  { 0.000000f, 0.157932f, 0.357521f },
  { 0.000000f, 0.178802f, 0.414764f },
  { 0.017852f, 0.198528f, 0.441248f },
  { 0.103401f, 0.220406f, 0.435790f },
  { 0.154261f, 0.242475f, 0.430120f },
  { 0.195057f, 0.264372f, 0.425924f },
  { 0.230871f, 0.286134f, 0.423498f },
  { 0.263738f, 0.307831f, 0.422789f },
  { 0.294669f, 0.329531f, 0.423716f },
  { 0.324250f, 0.351289f, 0.426250f },
  { 0.352892f, 0.373153f, 0.430226f },
  { 0.380830f, 0.395164f, 0.435653f },
  { 0.408226f, 0.417357f, 0.442570f },
  { 0.435168f, 0.439763f, 0.451134f },
  { 0.461616f, 0.462405f, 0.461969f },
  { 0.488697f, 0.485318f, 0.471008f },
  { 0.517920f, 0.508454f, 0.472707f },
  { 0.547840f, 0.531895f, 0.471704f },
  { 0.578236f, 0.555673f, 0.468724f },
  { 0.609105f, 0.579816f, 0.463638f },
  { 0.640352f, 0.604354f, 0.456791f },
  { 0.671991f, 0.629316f, 0.448018f },
  { 0.704037f, 0.654731f, 0.437147f },
  { 0.736488f, 0.680629f, 0.424028f },
  { 0.769353f, 0.707035f, 0.408516f },
  { 0.802667f, 0.733978f, 0.390153f },
  { 0.836429f, 0.761483f, 0.368747f },
  { 0.870717f, 0.789572f, 0.343333f },
  { 0.905589f, 0.818257f, 0.312889f },
  { 0.941147f, 0.847530f, 0.275815f },
  { 0.977780f, 0.877281f, 0.227954f },
  { 0.995737f, 0.909344f, 0.217772f },
};

static const float turbo_anchors[N_ANCHORS][3] = {
  { 0.189950f, 0.071760f, 0.232170f },
  { 0.225000f, 0.163540f, 0.450960f },
  { 0.251070f, 0.252370f, 0.633740f },
  { 0.268160f, 0.338250f, 0.780500f },
  { 0.276280f, 0.421180f, 0.891230f },
  { 0.275430f, 0.501150f, 0.965940f },
  { 0.258620f, 0.579580f, 0.998760f },
  { 0.213820f, 0.658860f, 0.979590f },
  { 0.158440f, 0.735510f, 0.923050f },
  { 0.111670f, 0.805690f, 0.845250f },
  { 0.092670f, 0.865540f, 0.762300f },
  { 0.120140f, 0.911930f, 0.686600f },
  { 0.196590f, 0.949010f, 0.594660f },
  { 0.305130f, 0.976970f, 0.489870f },
  { 0.427780f, 0.994190f, 0.385750f },
  { 0.546580f, 0.999070f, 0.295810f },
  { 0.643620f, 0.989990f, 0.233560f },
  { 0.725960f, 0.964700f, 0.206400f },
  { 0.804730f, 0.924520f, 0.204590f },
  { 0.875300f, 0.872670f, 0.215550f },
  { 0.933010f, 0.812360f, 0.226670f },
  { 0.973230f, 0.746820f, 0.225360f },
  { 0.993140f, 0.674080f, 0.203480f },
  { 0.995930f, 0.587030f, 0.168990f },
  { 0.983600f, 0.492910f, 0.128490f },
  { 0.958010f, 0.399580f, 0.088310f },
  { 0.921050f, 0.314890f, 0.054750f },
  { 0.874220f, 0.245260f, 0.032970f },
  { 0.816080f, 0.184620f, 0.018090f },
  { 0.746170f, 0.130980f, 0.008510f },
  { 0.664490f, 0.084360f, 0.004240f },
  { 0.571030f, 0.044740f, 0.005290f },
  { 0.479600f, 0.015830f, 0.010550f },
};

/* clang-format on */

typedef struct
{
  const char *id;
  const char *label;
  const float (*anchors)[3]; /* NULL: gray */
} ColormapInfo;

static const ColormapInfo colormaps[DLS_N_COLORMAPS] = {
  [DLS_COLORMAP_GRAY] = { "gray", N_ ("Gray"), NULL },
  [DLS_COLORMAP_VIRIDIS] = { "viridis", N_ ("Viridis"), viridis_anchors },
  [DLS_COLORMAP_MAGMA] = { "magma", N_ ("Magma"), magma_anchors },
  [DLS_COLORMAP_INFERNO] = { "inferno", N_ ("Inferno"), inferno_anchors },
  [DLS_COLORMAP_CIVIDIS] = { "cividis", N_ ("Cividis"), cividis_anchors },
  [DLS_COLORMAP_TURBO] = { "turbo", N_ ("Turbo"), turbo_anchors },
};

static guint32 tables[DLS_N_COLORMAPS][256];

static guint8
to_byte (double v)
{
  return (guint8) CLAMP (lround (v * 255.0), 0, 255);
}

static gpointer
build_tables (gpointer data)
{
  for (int c = 0; c < DLS_N_COLORMAPS; c++)
    for (int i = 0; i < 256; i++)
      {
        const float (*a)[3] = colormaps[c].anchors;
        guint8 rgb[3];

        if (a == NULL)
          rgb[0] = rgb[1] = rgb[2] = (guint8) i;
        else
          {
            /* Anchor k sits at entry 8k, the last one at 255. */
            int k = MIN (i / 8, N_ANCHORS - 2);
            int e0 = 8 * k, e1 = k == N_ANCHORS - 2 ? 255 : e0 + 8;
            double t = (double) (i - e0) / (e1 - e0);

            for (int ch = 0; ch < 3; ch++)
              rgb[ch] = to_byte (a[k][ch] + t * (a[k + 1][ch] - a[k][ch]));
          }
        tables[c][i] = 0xff000000u | (guint32) rgb[0] << 16 | (guint32) rgb[1] << 8 | rgb[2];
      }
  return NULL;
}

const char *
dls_colormap_id (DlsColormap c)
{
  g_return_val_if_fail ((guint) c < DLS_N_COLORMAPS, NULL);
  return colormaps[c].id;
}

const char *
dls_colormap_label (DlsColormap c)
{
  g_return_val_if_fail ((guint) c < DLS_N_COLORMAPS, NULL);
  return colormaps[c].label;
}

gboolean
dls_colormap_from_id (const char *id, DlsColormap *out)
{
  if (id == NULL)
    return FALSE;
  for (int c = 0; c < DLS_N_COLORMAPS; c++)
    if (g_str_equal (id, colormaps[c].id))
      {
        if (out)
          *out = (DlsColormap) c;
        return TRUE;
      }
  return FALSE;
}

const guint32 *
dls_colormap_table (DlsColormap c)
{
  static GOnce once = G_ONCE_INIT;

  g_return_val_if_fail ((guint) c < DLS_N_COLORMAPS, NULL);
  g_once (&once, build_tables, NULL);
  return tables[c];
}

/* 0xAARRGGBB unpremultiplied, with its alpha multiplied by a (0..1) → premultiplied. */
static inline guint32
premultiply (guint32 argb, double a)
{
  /* The stored alpha first, then each channel scaled by exactly that alpha (so a channel never
   * exceeds it); integer rounding, as this runs per pixel when a weight plane is given. */
  guint32 A = (guint32) (((argb >> 24) & 0xff) * a + 0.5);

  if (A == 0)
    return 0;
  return A << 24 | (((argb >> 16) & 0xff) * A + 127) / 255 << 16
         | (((argb >> 8) & 0xff) * A + 127) / 255 << 8 | ((argb & 0xff) * A + 127) / 255;
}

void
dls_render_scalar (const DlsFloatPlane *p, int x0, int y0, int w, int h, DlsColormap c, float lo,
                   float hi, double alpha, guint32 *out, int out_stride)
{
  const guint32 *table;
  guint32 lut[256];
  double k;

  g_return_if_fail (p != NULL && out != NULL);
  g_return_if_fail (x0 >= 0 && y0 >= 0 && w >= 0 && h >= 0);
  g_return_if_fail (x0 + w <= p->width && y0 + h <= p->height);
  g_return_if_fail (out_stride >= w);

  table = dls_colormap_table (c);
  g_return_if_fail (table != NULL);
  alpha = isnan (alpha) ? 0 : CLAMP (alpha, 0.0, 1.0);
  for (int i = 0; i < 256; i++)
    lut[i] = alpha >= 1.0 ? table[i] : premultiply (table[i], alpha);
  k = hi > lo ? 255.0 / ((double) hi - lo) : 0;

  for (int j = 0; j < h; j++)
    {
      guint32 *row = out + (gsize) j * out_stride;
      gsize idx = p->origin + (gssize) (y0 + j) * p->sy + (gssize) x0 * p->sx;

      for (int i = 0; i < w; i++, idx += p->sx)
        {
          float v = p->volume[idx];
          int e;

          if (isnan (v))
            {
              row[i] = 0;
              continue;
            }
          if (v <= lo && !(hi == lo && v >= lo))
            e = 0;
          else if (v >= hi)
            e = 255;
          else
            e = (int) CLAMP (((double) v - lo) * k + 0.5, 0, 255);
          row[i] = lut[e];
        }
    }
}

void
dls_render_labels (const DlsLabelPlane *p, const DlsFloatPlane *weight, int x0, int y0, int w,
                   int h, const guint32 *palette, int n_palette, double alpha, guint32 *out,
                   int out_stride)
{
  guint32 lut[256];

  g_return_if_fail (p != NULL && out != NULL);
  g_return_if_fail (palette != NULL || n_palette <= 0);
  g_return_if_fail (x0 >= 0 && y0 >= 0 && w >= 0 && h >= 0);
  g_return_if_fail (x0 + w <= p->width && y0 + h <= p->height);
  g_return_if_fail (weight == NULL || (weight->width == p->width && weight->height == p->height));
  g_return_if_fail (out_stride >= w);

  alpha = isnan (alpha) ? 0 : CLAMP (alpha, 0.0, 1.0);
  lut[0] = 0;
  for (int k = 1; k < 256; k++)
    lut[k] = k < n_palette ? premultiply (palette[k], alpha) : 0;

  for (int j = 0; j < h; j++)
    {
      guint32 *row = out + (gsize) j * out_stride;
      gsize idx = dls_label_plane_index (p, x0, y0 + j);
      gsize widx = weight ? dls_float_plane_index (weight, x0, y0 + j) : 0;

      for (int i = 0; i < w; i++, idx += p->sx)
        {
          guint8 k = p->volume[idx];

          if (weight == NULL)
            row[i] = lut[k];
          else
            {
              float wt = weight->volume[widx];

              wt = isnan (wt) ? 0.0f : CLAMP (wt, 0.0f, 1.0f);
              row[i] = k == 0 || k >= n_palette ? 0 : premultiply (palette[k], alpha * wt);
              widx += weight->sx;
            }
        }
    }
}

/* Okabe & Ito's eight colours without black (which disappears on dark images), then Tableau
 * 10's, less the ones too close to those. */
static const guint32 class_colors[] = {
  0xffe69f00, /* orange */
  0xff56b4e9, /* sky blue */
  0xff009e73, /* bluish green */
  0xfff0e442, /* yellow */
  0xff0072b2, /* blue */
  0xffd55e00, /* vermillion */
  0xffcc79a7, /* reddish purple */
  0xff4e79a7, /* Tableau: blue */
  0xffe15759, /* red */
  0xff76b7b2, /* teal */
  0xff59a14f, /* green */
  0xff9467bd, /* purple (Tableau 10 classic: the newer one is too close to reddish purple) */
  0xffff9da7, /* pink */
  0xff9c755f, /* brown */
  0xffbab0ac, /* grey */
};

guint32
dls_class_color_default (int k)
{
  if (k <= 0)
    return 0;
  return class_colors[(k - 1) % G_N_ELEMENTS (class_colors)];
}

/* The histogram has this many bins between the finite minimum and maximum; the percentile is
 * interpolated inside its bin, so the error is below one bin (range / 65536). */
#define N_BINS 65536

void
dls_percentile_range (const float *data, gsize n, double p_lo, double p_hi, float *lo, float *hi)
{
  g_autofree guint64 *hist = NULL;
  float mn = INFINITY, mx = -INFINITY;
  guint64 count = 0;
  double scale;
  const double ps[2] = { CLAMP (p_lo, 0, 100), CLAMP (p_hi, 0, 100) };
  float res[2];

  g_return_if_fail (data != NULL || n == 0);

  for (gsize i = 0; i < n; i++)
    {
      float v = data[i];

      if (isfinite (v))
        {
          mn = MIN (mn, v);
          mx = MAX (mx, v);
          count++;
        }
    }
  if (count == 0)
    {
      res[0] = 0;
      res[1] = 1;
      goto out;
    }
  if (mn == mx)
    {
      res[0] = res[1] = mn;
      goto out;
    }

  hist = g_new0 (guint64, N_BINS);
  scale = N_BINS / ((double) mx - mn);
  for (gsize i = 0; i < n; i++)
    {
      float v = data[i];

      if (isfinite (v))
        {
          gsize b = (gsize) (((double) v - mn) * scale);

          hist[MIN (b, N_BINS - 1)]++;
        }
    }

  /* The value of rank q = p/100 · (count − 1) (numpy's linear percentile), found in its bin
   * and placed by linear interpolation inside it. */
  for (int t = 0; t < 2; t++)
    {
      double q = ps[t] / 100.0 * (double) (count - 1);
      guint64 below = 0;
      gsize b = 0;

      while (b < N_BINS - 1 && below + hist[b] <= (guint64) q)
        below += hist[b++];
      if (hist[b] == 0)
        res[t] = (float) (mn + (b + 1) / scale); /* only when q hits the very top */
      else
        {
          double f = (q - below + 0.5) / hist[b];

          res[t] = (float) (mn + (b + CLAMP (f, 0.0, 1.0)) / scale);
        }
      res[t] = CLAMP (res[t], mn, mx);
    }
  if (ps[0] <= 0)
    res[0] = mn;
  if (ps[1] >= 100)
    res[1] = mx;
  if (ps[0] >= 100)
    res[0] = mx;
  if (ps[1] <= 0)
    res[1] = mn;

out:
  if (lo)
    *lo = res[0];
  if (hi)
    *hi = res[1];
}
