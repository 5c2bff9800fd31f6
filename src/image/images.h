/* The daemon's image service: storage driver, layer store and image store,
 * opened at start and closed at shutdown. */
#pragma once

#include "basic/error.h"

struct daemon;

/* Opens the storage driver named by --storage-driver and loads the layer and
 * image stores from the data root, cleaning up what a crash left half-made. */
int images_init(struct daemon *d, struct error *err);
void images_done(struct daemon *d);
