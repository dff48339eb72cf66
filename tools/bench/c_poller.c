/*
 * c_poller: Kiln's polling design written in plain C, as the floor for tools/bench/poller.sh's
 * CPU-per-request figure.
 *
 * A thread per device (units 1..UNITS on one port), each sleeping to absolute deadlines on
 * CLOCK_MONOTONIC (clock_nanosleep TIMER_ABSTIME), first cycles spread evenly over the period,
 * reading 2*TAGS holding registers with modbus_read_registers and decoding them as float32 (ABCD).
 * What is left between this and Kiln's CPU per request is Kiln's own overhead; what this costs
 * is the price of the design (system calls, wake-ups) on this machine.
 *
 *   c_poller HOST PORT UNITS TAGS PERIOD_MS SECONDS
 *
 * Prints `c_poller: N devices, R requests, F failed` on standard error.
 */
#include <errno.h>
#include <modbus.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *host;
static int port, units, tags;
static int64_t period_ns, start_ns, end_ns;
static atomic_long requests, failures;
static volatile float sink;

static int64_t monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_until(int64_t ns) {
    struct timespec ts = {.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
}

static void *device(void *arg) {
    int unit = (int)(intptr_t)arg;
    modbus_t *ctx = modbus_new_tcp(host, port);
    modbus_set_slave(ctx, unit);
    modbus_set_response_timeout(ctx, 0, 500000);
    if (modbus_connect(ctx) == -1) {
        fprintf(stderr, "c_poller: unit %d: connect: %s\n", unit, modbus_strerror(errno));
        atomic_fetch_add(&failures, 1);
        return NULL;
    }
    uint16_t words[MODBUS_MAX_READ_REGISTERS];
    float values[MODBUS_MAX_READ_REGISTERS / 2];
    int64_t deadline = start_ns + period_ns * (unit - 1) / units;
    while (deadline < end_ns) {
        sleep_until(deadline);
        atomic_fetch_add_explicit(&requests, 1, memory_order_relaxed);
        if (modbus_read_registers(ctx, 0, 2 * tags, words) != 2 * tags) {
            atomic_fetch_add_explicit(&failures, 1, memory_order_relaxed);
        } else {
            for (int i = 0; i < tags; i++) {
                uint32_t bits = (uint32_t)words[2 * i] << 16 | words[2 * i + 1];
                memcpy(&values[i], &bits, sizeof bits);
            }
            sink = values[0];
        }
        deadline += period_ns;
        int64_t now = monotonic_ns();
        if (deadline <= now) deadline += ((now - deadline) / period_ns + 1) * period_ns;
    }
    modbus_close(ctx);
    modbus_free(ctx);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 7) {
        fprintf(stderr, "usage: c_poller HOST PORT UNITS TAGS PERIOD_MS SECONDS\n");
        return 64;
    }
    host = argv[1];
    port = atoi(argv[2]);
    units = atoi(argv[3]);
    tags = atoi(argv[4]);
    period_ns = (int64_t)(atof(argv[5]) * 1e6);
    if (units < 1 || units > 247 || tags < 1 || 2 * tags > MODBUS_MAX_READ_REGISTERS || period_ns <= 0) {
        fprintf(stderr, "c_poller: bad arguments\n");
        return 64;
    }
    start_ns = monotonic_ns() + 50000000;
    end_ns = start_ns + (int64_t)(atof(argv[6]) * 1e9);
    pthread_t *threads = calloc((size_t)units, sizeof *threads);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    for (int u = 0; u < units; u++) pthread_create(&threads[u], &attr, device, (void *)(intptr_t)(u + 1));
    for (int u = 0; u < units; u++) pthread_join(threads[u], NULL);
    fprintf(stderr, "c_poller: %d devices, %ld requests, %ld failed\n", units, atomic_load(&requests),
            atomic_load(&failures));
    return 0;
}
