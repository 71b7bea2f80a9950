#ifndef TIDE_CMICROHTTPD_SHIM_H
#define TIDE_CMICROHTTPD_SHIM_H
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <stdio.h>
#include <errno.h>
#include <unistd.h>
#include <netdb.h>
#include <sys/types.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <microhttpd.h>

/* MHD_start_daemon and MHD_get_connection_info are variadic and cannot be called
   from Swift; these fixed-signature wrappers are what TideHTTP calls. */

/* Opens a listening TCP socket on host:port (port 0 = ephemeral). Returns the fd,
   or -1 with errno set (or -2 when the host does not resolve). */
static inline int tide_listen(const char *host, uint16_t port, int backlog) {
    struct addrinfo hints;
    struct addrinfo *res = NULL;
    char service[8];
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(service, sizeof service, "%u", (unsigned)port);
    if (getaddrinfo(host, service, &hints, &res) != 0 || res == NULL) return -2;
    int fd = -1;
    int saved = 0;
    for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) { saved = errno; continue; }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, backlog) == 0) break;
        saved = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) errno = saved;
    return fd;
}

/* The port a socket is bound to, or 0. */
static inline uint16_t tide_bound_port(int fd) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) return 0;
    if (ss.ss_family == AF_INET) return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return 0;
}

/* Starts a daemon on an already listening socket. key/cert (PEM text) may be NULL for plain HTTP. */
static inline struct MHD_Daemon *tide_mhd_start(
    unsigned int flags, int listen_fd, unsigned int connection_limit, unsigned int timeout_seconds,
    size_t connection_memory_limit, unsigned int thread_pool_size, MHD_AccessHandlerCallback handler,
    void *handler_cls, MHD_RequestCompletedCallback completed, void *completed_cls, const char *key_pem,
    const char *cert_pem) {
    /* A pool of 1 is the single internal thread (MHD refuses THREAD_POOL_SIZE 1 with some flags). */
    unsigned int pool = thread_pool_size > 1 ? thread_pool_size : 0;
    if (key_pem != NULL && cert_pem != NULL) {
        return MHD_start_daemon(flags | MHD_USE_TLS, 0, NULL, NULL, handler, handler_cls,
            MHD_OPTION_LISTEN_SOCKET, (MHD_socket)listen_fd,
            MHD_OPTION_CONNECTION_LIMIT, connection_limit,
            MHD_OPTION_CONNECTION_TIMEOUT, timeout_seconds,
            MHD_OPTION_CONNECTION_MEMORY_LIMIT, connection_memory_limit,
            MHD_OPTION_NOTIFY_COMPLETED, completed, completed_cls,
            MHD_OPTION_THREAD_POOL_SIZE, pool,
            MHD_OPTION_HTTPS_MEM_KEY, key_pem,
            MHD_OPTION_HTTPS_MEM_CERT, cert_pem,
            MHD_OPTION_END);
    }
    return MHD_start_daemon(flags, 0, NULL, NULL, handler, handler_cls,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)listen_fd,
        MHD_OPTION_CONNECTION_LIMIT, connection_limit,
        MHD_OPTION_CONNECTION_TIMEOUT, timeout_seconds,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, connection_memory_limit,
        MHD_OPTION_NOTIFY_COMPLETED, completed, completed_cls,
        MHD_OPTION_THREAD_POOL_SIZE, pool,
        MHD_OPTION_END);
}

/* The client's address as text ("127.0.0.1"), written into buf; empty when unknown. */
static inline void tide_mhd_client_address(struct MHD_Connection *connection, char *buf, size_t len) {
    buf[0] = 0;
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (info == NULL || info->client_addr == NULL) return;
    const struct sockaddr *sa = info->client_addr;
    if (sa->sa_family == AF_INET) inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, (socklen_t)len);
    else if (sa->sa_family == AF_INET6) inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf, (socklen_t)len);
}

/* Raises the soft open-file limit to the hard limit; returns the new soft limit. */
static inline unsigned long tide_raise_nofile(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
    if (rl.rlim_cur < rl.rlim_max) { rl.rlim_cur = rl.rlim_max; setrlimit(RLIMIT_NOFILE, &rl); getrlimit(RLIMIT_NOFILE, &rl); }
    return (unsigned long)rl.rlim_cur;
}

static inline unsigned int tide_mhd_flag_internal_thread(void) { return MHD_USE_INTERNAL_POLLING_THREAD; }
static inline unsigned int tide_mhd_flag_epoll(void) { return MHD_USE_EPOLL; }
static inline unsigned int tide_mhd_flag_suspend(void) { return MHD_ALLOW_SUSPEND_RESUME; }
static inline unsigned int tide_mhd_flag_itc(void) { return MHD_USE_ITC; }
static inline unsigned int tide_mhd_flag_error_log(void) { return MHD_USE_ERROR_LOG; }
#endif
