/* Rows of `system df` from the /system/df JSON (cmd_system_df.c); pure,
 * for tests. */
#pragma once

#include <jansson.h>

/* The summary: Images, Containers, Local Volumes, Build Cache, with Type,
 * TotalCount, Active, Size and Reclaimable as docker renders them. */
json_t *df_summary_rows(json_t *df);
/* -v's volume rows: Name, Links, Size. */
json_t *df_volume_rows(json_t *volumes);
