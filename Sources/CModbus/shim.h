#ifndef KILN_CMODBUS_SHIM_H
#define KILN_CMODBUS_SHIM_H

#include <errno.h>
#include <modbus.h>
#include <poll.h>
#include <signal.h>
#include <sys/select.h>
#include <time.h>

// libmodbus defines its error codes as enum expressions (MODBUS_ENOBASE + n) that Swift
// cannot import; re-export them as functions.
static inline int kiln_modbus_enobase(void) { return MODBUS_ENOBASE; }
static inline int kiln_modbus_embxilfun(void) { return EMBXILFUN; }
static inline int kiln_modbus_embxiladd(void) { return EMBXILADD; }
static inline int kiln_modbus_embxilval(void) { return EMBXILVAL; }
static inline int kiln_modbus_embxsfail(void) { return EMBXSFAIL; }
static inline int kiln_modbus_embxack(void) { return EMBXACK; }
static inline int kiln_modbus_embxsbusy(void) { return EMBXSBUSY; }
static inline int kiln_modbus_embxnack(void) { return EMBXNACK; }
static inline int kiln_modbus_embxmempar(void) { return EMBXMEMPAR; }
static inline int kiln_modbus_embxgpath(void) { return EMBXGPATH; }
static inline int kiln_modbus_embxgtar(void) { return EMBXGTAR; }
static inline int kiln_modbus_embbadcrc(void) { return EMBBADCRC; }
static inline int kiln_modbus_embbaddata(void) { return EMBBADDATA; }
static inline int kiln_modbus_embbadexc(void) { return EMBBADEXC; }
static inline int kiln_modbus_embmdata(void) { return EMBMDATA; }
static inline int kiln_modbus_embbadslave(void) { return EMBBADSLAVE; }

static inline int kiln_errno(void) { return errno; }

// FD_* are macros; wrap them for the simulator's select loop.
static inline void kiln_fd_zero(fd_set *set) { FD_ZERO(set); }
static inline void kiln_fd_set(int fd, fd_set *set) { FD_SET(fd, set); }
static inline int kiln_fd_isset(int fd, fd_set *set) { return FD_ISSET(fd, set); }

// ppoll is a GNU extension that Swift's Glibc module (built without _GNU_SOURCE) hides: declare
// it, so that a poller waits on its sockets to a deadline in nanoseconds in one system call.
int ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout, const sigset_t *sigmask);
static inline int kiln_ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout) {
    return ppoll(fds, nfds, timeout, 0);
}

#endif
