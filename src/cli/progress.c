/* SPDX-License-Identifier: MIT
 *
 * progress.c: training progress on stderr (see progress.h).
 */
#include "config.h"

#include <math.h>

#include "progress.h"

void
cli_format_time (char *buf, size_t n, double s)
{
  if (s < 0 || !isfinite (s))
    g_strlcpy (buf, "?", n);
  else if (s < 60)
    g_snprintf (buf, n, "%.0fs", s);
  else if (s < 3600)
    g_snprintf (buf, n, "%dm%02ds", (int) s / 60, (int) s % 60);
  else
    g_snprintf (buf, n, "%dh%02dm", (int) s / 3600, (int) s / 60 % 60);
}

void
cli_train_progress (const DlsTrainProgress *p, void *user_data)
{
  CliProgress *pr = user_data;
  gint64 now = g_get_monotonic_time ();
  char eta[32];

  cli_format_time (eta, sizeof eta, p->eta);
  if (p->epoch_done)
    {
      g_autofree char *ep = p->n_epochs ? g_strdup_printf ("%d/%d", p->epoch + 1, p->n_epochs)
                                        : g_strdup_printf ("%d", p->epoch + 1);

      if (pr->tty)
        g_printerr ("\r\033[K");
      if (isfinite (p->cc))
        g_printerr ("member %d/%d  epoch %s  loss %.5f  val loss %.5f  val CC %.4f%s\n",
                    p->member + 1, p->n_members, ep, p->loss, p->val_loss, p->cc,
                    p->improved ? "  (best)" : "");
      else
        g_printerr ("member %d/%d  epoch %s  loss %.4f  val loss %.4f  val F1 micro %.3f macro "
                    "%.3f%s\n",
                    p->member + 1, p->n_members, ep, p->loss, p->val_loss, p->f1_micro, p->f1_macro,
                    p->improved ? "  (best)" : "");
      return;
    }
  if (!pr->tty || now - pr->last < 100000)
    return;
  pr->last = now;
  {
    int width = 24, filled = p->n_steps ? width * p->step / p->n_steps : 0;
    char bar[32];

    for (int i = 0; i < width; i++)
      bar[i] = i < filled ? '#' : '.';
    bar[width] = '\0';
    char total[16] = "";

    if (p->n_epochs)
      g_snprintf (total, sizeof total, "/%d", p->n_epochs);
    g_printerr ("\r\033[Kmember %d/%d  epoch %d%s  [%s] %d/%d  loss %.4f  ETA %s", p->member + 1,
                p->n_members, p->epoch + 1, total, bar, p->step, p->n_steps, p->loss, eta);
  }
}
