// A loopback HTTP/1.1 receiver that answers every POST at once with 200 (tools/bench/outbox.sh):
// one thread, epoll, keep-alive, so the receiver is never what limits the hooks' throughput.
// Usage: http_sink PORT   (prints READY, then serves until killed or its stdin closes; on exit
// prints `sink_requests N`).
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
#include <unistd.h>

#define MAXC 1024
#define BUF (1 << 20)

struct conn { int fd; size_t len; char *buf; };
static struct conn conns[MAXC];
static long requests = 0;

static const char answer[] = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nok";

static long content_length(const char *head, size_t n) {
    for (size_t i = 0; i + 15 < n; i++) {
        if ((i == 0 || head[i - 1] == '\n') && strncasecmp(head + i, "content-length:", 15) == 0)
            return strtol(head + i + 15, NULL, 10);
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: http_sink PORT\n"); return 2; }
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
            if (fd == 0) { printf("sink_requests %ld\n", requests); return 0; }
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
            for (;;) {  // every complete request in the buffer
                char *end = memmem(k->buf, k->len, "\r\n\r\n", 4);
                if (!end) break;
                size_t head = end - k->buf + 4;
                size_t total = head + content_length(k->buf, head);
                if (total > k->len) break;
                if (write(fd, answer, sizeof answer - 1) < 0) break;
                requests++;
                memmove(k->buf, k->buf + total, k->len - total);
                k->len -= total;
            }
            if (k->len == BUF) { close(fd); k->len = 0; }
        }
    }
}
