// tcp-fan : N TCP streams at once from ONE process on each side, the connecting side's sockets each in a
// network namespace of its own. bench/compare.sh's 16-client phase uses it (MULTI_FAN=1) after its 16
// iperf3 pairs: those are 32 processes that share this box's two vCPUs with the VPN's loops, while the
// one-stream figure they are compared against has two. With tcp-fan, 16 clients and one have two each.
//
//   tcp-fan listen  PORT N ROLE SECONDS CC            accept N connections on PORT (any address)
//   tcp-fan connect HOST PORT ROLE SECONDS CC NS...    one connection to HOST:PORT from each named netns
//                                                     (/var/run/netns/NS; "-" = this process's namespace)
//
// ROLE is send or recv. Once its N streams are up, a sender writes to all of them for SECONDS, then closes
// them; a receiver reads until every stream has ended and prints one line to stdout:
//   streams=N bytes=B seconds=S mbps=M min_mbps=A max_mbps=Z
// timed from its first byte to its last (the sender's tail, still in buffers at the end, is counted, as
// iperf3's receiver counts it); the sender prints "sent streams=N bytes=B" once the receiver has closed, and the
// two byte counts agree (io.rqst.it.TcpFanIT checks it). CC is the congestion control set on every socket.
// Non-blocking sockets, one epoll loop, 128 KiB writes, 256 KiB reads. Exit 2 with the usage on bad arguments, 1 with a message on any other error.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXN 256
#define WRITE_CHUNK (128 * 1024)
#define READ_CHUNK (256 * 1024)

static char buf[READ_CHUNK];
static int fds[MAXN];
static long long got[MAXN];
static int done[MAXN];

static void die(const char *what) { fprintf(stderr, "tcp-fan: %s: %s\n", what, strerror(errno)); exit(1); }
static void usage(void) {
  fprintf(stderr, "usage: tcp-fan listen PORT N send|recv SECONDS CC\n"
                  "       tcp-fan connect HOST PORT send|recv SECONDS CC NS...\n");
  exit(2);
}
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

static void set_cc(int fd, const char *cc) {
  if (setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, cc, strlen(cc)) != 0) die("TCP_CONGESTION");
}

static void enter_netns(const char *ns) {
  char path[512];
  snprintf(path, sizeof path, "/var/run/netns/%s", ns);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die(path);
  if (setns(fd, CLONE_NEWNET) != 0) die("setns");
  close(fd);
}

// all n sockets non-blocking, in a new epoll set for EVENTS, each tagged with its index
static int watch_all(int n, unsigned events) {
  int ep = epoll_create1(0);
  if (ep < 0) die("epoll_create1");
  for (int i = 0; i < n; i++) {
    fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
    struct epoll_event ev = {.events = events, .data.u32 = (unsigned)i};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) != 0) die("epoll_ctl");
  }
  return ep;
}

static void send_all(int n, double seconds) {
  int ep = watch_all(n, EPOLLOUT);
  memset(buf, 'x', sizeof buf);
  double end = now() + seconds;
  long long sent = 0;
  struct epoll_event evs[MAXN];
  while (now() < end) {
    int k = epoll_wait(ep, evs, MAXN, 100);
    if (k < 0 && errno != EINTR) die("epoll_wait");
    for (int j = 0; j < k; j++) {
      int i = (int)evs[j].data.u32;
      for (;;) {
        ssize_t w = write(fds[i], buf, WRITE_CHUNK);
        if (w > 0) { sent += w; continue; }
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        die("write");
      }
    }
  }
  for (int i = 0; i < n; i++) {
    // blocking again, for the read below; shutdown sends the FIN after the data still queued
    fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) & ~O_NONBLOCK);
    shutdown(fds[i], SHUT_WR);
  }
  for (int i = 0; i < n; i++) { // wait for the receiver to close its side, so no stream is cut with a reset
    while (read(fds[i], buf, sizeof buf) > 0) {}
    close(fds[i]);
  }
  printf("sent streams=%d bytes=%lld\n", n, sent);
}

static void recv_all(int n) {
  int ep = watch_all(n, EPOLLIN);
  double first = 0, last = 0;
  int open_streams = n;
  struct epoll_event evs[MAXN];
  while (open_streams > 0) {
    int k = epoll_wait(ep, evs, MAXN, 1000);
    if (k < 0 && errno != EINTR) die("epoll_wait");
    for (int j = 0; j < k; j++) {
      int i = (int)evs[j].data.u32;
      if (done[i]) continue;
      for (;;) {
        ssize_t r = read(fds[i], buf, READ_CHUNK);
        if (r > 0) {
          got[i] += r;
          last = now();
          if (first == 0) first = last;
          continue;
        }
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (r < 0) die("read");
        done[i] = 1; // end of stream
        open_streams--;
        epoll_ctl(ep, EPOLL_CTL_DEL, fds[i], NULL);
        close(fds[i]);
        break;
      }
    }
  }
  double s = last > first ? last - first : 1e-9;
  long long total = 0, mn = -1, mx = 0;
  for (int i = 0; i < n; i++) {
    total += got[i];
    if (mn < 0 || got[i] < mn) mn = got[i];
    if (got[i] > mx) mx = got[i];
  }
  printf("streams=%d bytes=%lld seconds=%.3f mbps=%.0f min_mbps=%.0f max_mbps=%.0f\n", n, total, s,
         total * 8 / s / 1e6, mn * 8 / s / 1e6, mx * 8 / s / 1e6);
}

static int role_of(const char *r) {
  if (strcmp(r, "send") == 0) return 1;
  if (strcmp(r, "recv") == 0) return 0;
  usage();
  return -1;
}

int main(int argc, char **argv) {
  if (argc < 2) usage();
  int n, sending;
  double seconds;
  if (strcmp(argv[1], "listen") == 0) {
    if (argc != 7) usage();
    int port = atoi(argv[2]);
    n = atoi(argv[3]);
    sending = role_of(argv[4]);
    seconds = atof(argv[5]);
    if (port <= 0 || port > 65535 || n <= 0 || n > MAXN || seconds <= 0) usage();
    int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (l < 0) die("socket");
    int one = 1;
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    set_cc(l, argv[6]); // accepted sockets inherit it
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port), .sin_addr.s_addr = htonl(INADDR_ANY)};
    if (bind(l, (struct sockaddr *)&a, sizeof a) != 0) die("bind");
    if (listen(l, MAXN) != 0) die("listen");
    fprintf(stderr, "tcp-fan: listening on port %d for %d streams\n", port, n);
    for (int i = 0; i < n; i++) {
      fds[i] = accept4(l, NULL, NULL, SOCK_CLOEXEC);
      if (fds[i] < 0) die("accept");
    }
    close(l);
  } else if (strcmp(argv[1], "connect") == 0) {
    if (argc < 8) usage();
    const char *host = argv[2];
    int port = atoi(argv[3]);
    sending = role_of(argv[4]);
    seconds = atof(argv[5]);
    n = argc - 7;
    if (port <= 0 || port > 65535 || n > MAXN || seconds <= 0) usage();
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1) { fprintf(stderr, "tcp-fan: not an IPv4 address: %s\n", host); exit(2); }
    for (int i = 0; i < n; i++) {
      const char *ns = argv[7 + i];
      if (strcmp(ns, "-") != 0) enter_netns(ns); // the socket belongs to the namespace it is made in
      fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fds[i] < 0) die("socket");
      set_cc(fds[i], argv[6]);
      if (connect(fds[i], (struct sockaddr *)&a, sizeof a) != 0) die("connect");
    }
  } else {
    usage();
    return 2;
  }
  if (sending) send_all(n, seconds); else recv_all(n);
  return 0;
}
