/* The volume service's lifecycle in the daemon. */
#include "volume/volumes.h"

#include "daemon/daemon.h"

int volumes_init(struct daemon *d, struct error *err)
{
	(void)d;
	(void)err;
	return 0;
}

void volumes_done(struct daemon *d)
{
	(void)d;
}
