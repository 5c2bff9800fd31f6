/* The image service's lifecycle in the daemon. */
#include "image/images.h"

#include "daemon/daemon.h"

int images_init(struct daemon *d, struct error *err)
{
	(void)d;
	(void)err;
	return 0;
}

void images_done(struct daemon *d)
{
	(void)d;
}
