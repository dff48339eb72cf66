/* The remote command of tools/bench/remediation-latency.sh: takes CLOCK_REALTIME first thing,
 * then writes it (microseconds since the Unix epoch) to the file named by its one argument.
 * Linked statically so that exec costs the least it can (no dynamic loader, no libc relocation):
 * what the benchmark measures is the time until a remote command starts, not its loading. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (argc != 2) {
        fprintf(stderr, "usage: stamp FILE\n");
        return 2;
    }
    char line[32];
    int n = snprintf(line, sizeof line, "%lld\n", (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000);
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, line, (size_t)n) != n || close(fd) != 0) {
        perror(argv[1]);
        return 1;
    }
    return 0;
}
