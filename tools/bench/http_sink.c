// A loopback HTTP/1.1 receiver that answers every POST at once with 200 (tools/bench/outbox.sh):
// one thread, epoll, keep-alive, so the receiver is never what limits the hooks' throughput.
// Usage: http_sink PORT [LOG]   (prints READY, then serves until killed or its stdin closes; on
// exit prints `sink_requests N`). With LOG (tools/bench/alarm-latency.sh) it also writes a line
// per request: `ARRIVAL_US ID SAMPLE_TIME`, the arrival time (CLOCK_REALTIME µs, read when the
// request's last byte has been read) and the JSON body's "id" and "sample_time" strings ("-"
// when absent).
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXC 1024
#define BUF (1 << 20)

struct conn { int fd; size_t len; char *buf; };
static struct conn conns[MAXC];
static long requests = 0;

static const char answer[] = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nok";

static FILE *logfile = NULL;

// Copies the string value of "KEY":"..." in body[0..n) into out (at most cap-1 bytes), or "-".
static void json_string(const char *body, size_t n, const char *key, char *out, size_t cap) {
    size_t k = strlen(key);
    snprintf(out, cap, "-");
    for (size_t i = 0; i + k + 2 < n; i++) {
        if (body[i] != '"' || memcmp(body + i + 1, key, k) != 0 || body[i + 1 + k] != '"') continue;
        size_t j = i + 2 + k;
        while (j < n && (body[j] == ':' || body[j] == ' ')) j++;
        if (j >= n || body[j] != '"') return;
        j++;
        size_t m = 0;
        while (j < n && body[j] != '"' && m + 1 < cap) out[m++] = body[j++];
        out[m] = 0;
        return;
    }
}

static void log_request(long long arrival, const char *body, size_t n) {
    char id[128], sample[64];
    json_string(body, n, "id", id, sizeof id);
    json_string(body, n, "sample_time", sample, sizeof sample);
    fprintf(logfile, "%lld %s %s\n", arrival, id, sample);
}

static long content_length(const char *head, size_t n) {
    for (size_t i = 0; i + 15 < n; i++) {
        if ((i == 0 || head[i - 1] == '\n') && strncasecmp(head + i, "content-length:", 15) == 0)
            return strtol(head + i + 15, NULL, 10);
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 2 && argc != 3) { fprintf(stderr, "usage: http_sink PORT [LOG]\n"); return 2; }
    if (argc == 3 && !(logfile = fopen(argv[2], "w"))) { perror(argv[2]); return 1; }
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[1]))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 128)) { perror("bind"); return 1; }
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls};
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    ev.data.fd = 0;
    epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev);
    printf("READY\n");
    fflush(stdout);
    struct epoll_event events[64];
    for (;;) {
        int n = epoll_wait(ep, events, 64, -1);
        if (n < 0 && errno == EINTR) continue;
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            if (fd == 0) {
                if (logfile) fclose(logfile);
                printf("sink_requests %ld\n", requests);
                return 0;
            }
            if (fd == ls) {
                int c;
                while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    if (c >= MAXC) { close(c); continue; }
                    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    conns[c].fd = c; conns[c].len = 0;
                    if (!conns[c].buf) conns[c].buf = malloc(BUF);
                    struct epoll_event ce = {.events = EPOLLIN, .data.fd = c};
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
                }
                continue;
            }
            struct conn *k = &conns[fd];
            ssize_t r = read(fd, k->buf + k->len, BUF - k->len);
            if (r <= 0) {
                if (r < 0 && errno == EAGAIN) continue;
                close(fd); k->len = 0; continue;
            }
            k->len += r;
            struct timespec now;
            clock_gettime(CLOCK_REALTIME, &now);
            long long arrival = (long long)now.tv_sec * 1000000 + now.tv_nsec / 1000;
            for (;;) {  // every complete request in the buffer
                char *end = memmem(k->buf, k->len, "\r\n\r\n", 4);
                if (!end) break;
                size_t head = end - k->buf + 4;
                size_t total = head + content_length(k->buf, head);
                if (total > k->len) break;
                if (write(fd, answer, sizeof answer - 1) < 0) break;
                if (logfile) log_request(arrival, k->buf + head, total - head);
                requests++;
                memmove(k->buf, k->buf + total, k->len - total);
                k->len -= total;
            }
            if (k->len == BUF) { close(fd); k->len = 0; }
        }
    }
}
