/*
 * c_server: a plain libmodbus Modbus/TCP server for the benchmark (tools/bench/poller.sh).
 *
 * The reference server when `kiln simulate` is not used (poller.sh --server c): it listens on
 * every port given, serves any unit id from one register image (holding and input registers
 * 0..9999 hold a float32 ramp, coils and discrete inputs alternate), and runs a thread per
 * connection, as `kiln simulate` does. With --timing-log it records, for every request it
 * receives, `conn_id unit monotonic_ns` (the format of `kiln simulate --timing-log`); the lines
 * are kept in memory and written when the server is stopped (SIGINT or SIGTERM), so logging
 * costs a request no system call.
 *
 *   c_server [--bind ADDR] [--timing-log PATH] PORT...
 *
 * Prints "ready" on standard output once every port listens.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <modbus.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define REGISTERS 10000
#define CHUNK 8192

struct record {
    int64_t ns;
    uint8_t unit;
};

/* One connection's timing records: a list of fixed chunks, so the dumper can read while the
 * connection appends (count is published with release order after the record is written). */
struct chunk {
    struct record records[CHUNK];
    _Atomic int count;
    struct chunk *_Atomic next;
};

struct connection {
    int id;
    int fd;
    struct chunk *first;
    struct chunk *last;
    struct connection *next;
};

static modbus_mapping_t *mapping;
static const char *bind_address = "127.0.0.1";
static int timing = 0;
static atomic_int next_id = 0;
static pthread_mutex_t connections_lock = PTHREAD_MUTEX_INITIALIZER;
static struct connection *connections = NULL;

static int64_t monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void record(struct connection *c, uint8_t unit, int64_t ns) {
    struct chunk *k = c->last;
    int n = atomic_load_explicit(&k->count, memory_order_relaxed);
    if (n == CHUNK) {
        struct chunk *fresh = calloc(1, sizeof *fresh);
        if (fresh == NULL) return;
        atomic_store_explicit(&k->next, fresh, memory_order_release);
        c->last = k = fresh;
        n = 0;
    }
    k->records[n].ns = ns;
    k->records[n].unit = unit;
    atomic_store_explicit(&k->count, n + 1, memory_order_release);
}

static void *serve(void *arg) {
    struct connection *c = arg;
    modbus_t *ctx = modbus_new_tcp(bind_address, 0);
    if (ctx == NULL) {
        close(c->fd);
        return NULL;
    }
    modbus_set_socket(ctx, c->fd);
    uint8_t query[MODBUS_TCP_MAX_ADU_LENGTH];
    for (;;) {
        int rc = modbus_receive(ctx, query);
        if (rc > 0) {
            if (timing) record(c, query[6], monotonic_ns());
            modbus_reply(ctx, query, rc, mapping);
        } else if (rc == -1) {
            break; /* closed by the client, or a broken request */
        }
    }
    modbus_close(ctx);
    modbus_free(ctx);
    return NULL;
}

static void *listener(void *arg) {
    int fd = (int)(intptr_t)arg;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 128 * 1024);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    for (;;) {
        int client = accept(fd, NULL, NULL);
        if (client < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            perror("c_server: accept");
            continue;
        }
        int one = 1;
        setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct connection *c = calloc(1, sizeof *c);
        c->id = atomic_fetch_add(&next_id, 1) + 1;
        c->fd = client;
        c->first = c->last = calloc(1, sizeof(struct chunk));
        pthread_mutex_lock(&connections_lock);
        c->next = connections;
        connections = c;
        pthread_mutex_unlock(&connections_lock);
        pthread_t thread;
        if (pthread_create(&thread, &attr, serve, c) != 0) {
            perror("c_server: pthread_create");
            close(client);
        }
    }
    return NULL;
}

static int listen_on(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, bind_address, &addr.sin_addr) != 1) {
        fprintf(stderr, "c_server: bad address %s\n", bind_address);
        exit(1);
    }
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 1024) != 0) {
        fprintf(stderr, "c_server: cannot listen on %s:%d: %s\n", bind_address, port, strerror(errno));
        exit(1);
    }
    return fd;
}

static void dump(const char *path) {
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "c_server: cannot write %s: %s\n", path, strerror(errno));
        return;
    }
    pthread_mutex_lock(&connections_lock);
    for (struct connection *c = connections; c != NULL; c = c->next) {
        for (struct chunk *k = c->first; k != NULL; k = atomic_load_explicit(&k->next, memory_order_acquire)) {
            int n = atomic_load_explicit(&k->count, memory_order_acquire);
            for (int i = 0; i < n; i++)
                fprintf(f, "%d %u %lld\n", c->id, k->records[i].unit, (long long)k->records[i].ns);
        }
    }
    pthread_mutex_unlock(&connections_lock);
    fclose(f);
}

int main(int argc, char **argv) {
    const char *timing_log = NULL;
    int ports[64], nports = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--bind") == 0 && i + 1 < argc) {
            bind_address = argv[++i];
        } else if (strcmp(argv[i], "--timing-log") == 0 && i + 1 < argc) {
            timing_log = argv[++i];
        } else if (nports < 64 && atoi(argv[i]) > 0) {
            ports[nports++] = atoi(argv[i]);
        } else {
            fprintf(stderr, "usage: c_server [--bind ADDR] [--timing-log PATH] PORT...\n");
            return 64;
        }
    }
    if (nports == 0) {
        fprintf(stderr, "usage: c_server [--bind ADDR] [--timing-log PATH] PORT...\n");
        return 64;
    }
    timing = timing_log != NULL;

    mapping = modbus_mapping_new(REGISTERS, REGISTERS, REGISTERS, REGISTERS);
    for (int i = 0; i + 1 < REGISTERS; i += 2) {
        float value = 20.0f + (float)i / 10.0f;
        uint32_t bits;
        memcpy(&bits, &value, sizeof bits);
        mapping->tab_registers[i] = mapping->tab_input_registers[i] = (uint16_t)(bits >> 16);
        mapping->tab_registers[i + 1] = mapping->tab_input_registers[i + 1] = (uint16_t)bits;
    }
    for (int i = 0; i < REGISTERS; i++) mapping->tab_bits[i] = mapping->tab_input_bits[i] = (uint8_t)(i & 1);

    /* Only the main thread takes SIGINT/SIGTERM, in sigwait. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    for (int i = 0; i < nports; i++) {
        int fd = listen_on(ports[i]);
        pthread_t thread;
        pthread_create(&thread, NULL, listener, (void *)(intptr_t)fd);
    }
    printf("ready\n");
    fflush(stdout);

    int sig;
    sigwait(&stop, &sig);
    if (timing_log != NULL) dump(timing_log);
    _exit(0);
}
