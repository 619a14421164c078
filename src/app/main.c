/* SPDX-License-Identifier: MIT
 *
 * main.c: the entry point of dlsia-studio.  Sets up translations and runs DlsApplication;
 * everything else, command-line options included, lives in application.c.
 */
#include "config.h"

#include "application.h"

#include <glib/gi18n.h>
#include <locale.h>

int
main (int argc, char *argv[])
{
  g_autoptr (DlsApplication) app = NULL;
  int status;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = dls_application_new (APP_ID, G_APPLICATION_DEFAULT_FLAGS);
  status = g_application_run (G_APPLICATION (app), argc, argv);
  /* The run loop returns 0 once it has run; a failed --screenshot is reported here. */
  if (status == 0)
    status = dls_application_get_exit_status (app);
  return status;
}
