/*
 * c_client: the plain C libmodbus baseline for tools/bench/poller.sh.
 *
 * One connection, modbus_read_registers of REGISTERS holding registers from address 0,
 * back-to-back for SECONDS, nothing else: the fastest a libmodbus poll loop can go against the
 * server. Prints `poll_rps N` on standard output and a summary on standard error.
 *
 *   c_client HOST PORT UNIT REGISTERS SECONDS
 */
#include <errno.h>
#include <modbus.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int64_t monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: c_client HOST PORT UNIT REGISTERS SECONDS\n");
        return 64;
    }
    const char *host = argv[1];
    int port = atoi(argv[2]), unit = atoi(argv[3]), registers = atoi(argv[4]);
    double seconds = atof(argv[5]);
    if (registers < 1 || registers > MODBUS_MAX_READ_REGISTERS || seconds <= 0) {
        fprintf(stderr, "c_client: bad REGISTERS or SECONDS\n");
        return 64;
    }

    modbus_t *ctx = modbus_new_tcp(host, port);
    if (ctx == NULL || modbus_set_slave(ctx, unit) == -1) {
        fprintf(stderr, "c_client: %s\n", modbus_strerror(errno));
        return 2;
    }
    modbus_set_response_timeout(ctx, 0, 500000);
    if (modbus_connect(ctx) == -1) {
        fprintf(stderr, "c_client: connect %s:%d: %s\n", host, port, modbus_strerror(errno));
        return 2;
    }
    uint16_t words[MODBUS_MAX_READ_REGISTERS];
    if (modbus_read_registers(ctx, 0, registers, words) != registers) {
        fprintf(stderr, "c_client: first read: %s\n", modbus_strerror(errno));
        return 2;
    }

    long requests = 0, failures = 0;
    int64_t start = monotonic_ns(), end = start + (int64_t)(seconds * 1e9), now = start;
    while (now < end) {
        if (modbus_read_registers(ctx, 0, registers, words) != registers) failures++;
        requests++;
        now = monotonic_ns();
    }
    double elapsed = (double)(now - start) / 1e9;
    fprintf(stderr, "c_client: %ld requests, %ld failed in %.3f s\n", requests, failures, elapsed);
    printf("poll_rps %.0f\n", (double)requests / elapsed);
    modbus_close(ctx);
    modbus_free(ctx);
    return failures > 0 ? 2 : 0;
}
