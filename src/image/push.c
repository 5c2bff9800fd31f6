#include "image/registry_ops.h"
#include "shared/http_server.h"
void image_push_and_reply(struct daemon *d, struct http_conn *conn, const char *name,
			  const char *tag, const char *auth)
{
	http_reply_error(conn, 501, "push is not implemented yet");
}
