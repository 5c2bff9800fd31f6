/* The volume service's lifecycle in the daemon: the local volume store under
 * <data-root>/volumes, publishing to the daemon's event log. */
#include "volume/volumes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "basic/cleanup.h"
#include "daemon/daemon.h"
#include "volume/volume_store.h"

int volumes_init(struct daemon *d, struct error *err)
{
	_cleanup_free_ char *root = NULL;
	if (asprintf(&root, "%s/volumes", d->cfg.data_root) < 0)
		return error_set(err, -ENOMEM, "out of memory");
	return volume_store_open(root, d->events, &d->volumes, err);
}

void volumes_done(struct daemon *d)
{
	volume_store_close(d->volumes);
	d->volumes = NULL;
}
