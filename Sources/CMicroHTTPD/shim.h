#ifndef TIDE_CMICROHTTPD_SHIM_H
#define TIDE_CMICROHTTPD_SHIM_H
#include <stdarg.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <microhttpd.h>

/* MHD_start_daemon is variadic and cannot be called from Swift. The wrappers
   below pass a fixed option list; extend them here, never from Swift. */
/* Placeholder: the TideHTTP module defines the exact wrapper it needs. */
#endif
