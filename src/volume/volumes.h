/* The daemon's local volume driver: opened at start, closed at shutdown. */
#pragma once

#include "basic/error.h"

struct daemon;

int volumes_init(struct daemon *d, struct error *err);
void volumes_done(struct daemon *d);
