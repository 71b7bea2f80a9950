#ifndef TIDE_CEPOLL_SHIM_H
#define TIDE_CEPOLL_SHIM_H
/* Glibc's Swift module map leaves out sys/epoll.h; tide-loadgen's event loop needs it. */
#include <sys/epoll.h>
#include <netinet/tcp.h>
#endif
