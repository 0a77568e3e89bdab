// udp-delay LISTEN_PORT SERVER_IP SERVER_PORT DELAY_MS [LOSS_PPM] : a one-client UDP relay that holds every
// datagram DELAY_MS in each direction: a WAN's propagation delay where the kernel has no netem (this
// project's machine). Used by bench/wan.sh; the client sends to 127.0.0.1:LISTEN_PORT (directly, or
// redirected there by an nftables redirect rule: the relay answers from the loopback address, so conntrack
// maps its answers back to the address the client sent to), the relay forwards to SERVER_IP:SERVER_PORT
// and back to the last client address it heard. Its own packets to the server carry the firewall mark
// RELAY_MARK, so that such a rule can leave them alone. Datagrams are delivered in order; timing
// granularity is that of ppoll (timer slack, 50 us by default). On TERM or INT it prints to stderr
// what it dropped (its queue full, or a send failed) and how many datagrams it released more than a
// millisecond late (a relay starved of CPU adds its own delay). LOSS_PPM > 0 loses that many datagrams per
// million at random, each direction independently (a lossy path, e.g. Wi-Fi); they are counted apart from
// the drops. Not a general-purpose tool.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SLOTS 65536
#define MAXP 2048
#define BATCH 64
#define RELAY_MARK 0x7271 // bench/wan.sh's nftables rule leaves packets with this mark alone
struct q { unsigned char (*data)[MAXP]; int *len; long long *due; unsigned head, tail; };
static long long now_us(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1000000LL + t.tv_nsec / 1000; }
static void qinit(struct q *q) { q->data = malloc((size_t)SLOTS * MAXP); q->len = malloc(SLOTS * sizeof(int)); q->due = malloc(SLOTS * sizeof(long long)); q->head = q->tail = 0; }
static long long drops, late, late_max, lost, loss_ppm;
static unsigned long long rng = 0x9E3779B97F4A7C15ULL;
static int lose(void) { // xorshift64*: one draw per datagram
  if (loss_ppm <= 0) return 0;
  rng ^= rng >> 12; rng ^= rng << 25; rng ^= rng >> 27;
  return (long long)((rng * 0x2545F4914F6CDD1DULL) % 1000000ULL) < loss_ppm;
}
static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

// read a batch from fd into q, due at now+delay
static void pull(int fd, struct q *q, long long delay, struct sockaddr_in *from) {
  struct mmsghdr m[BATCH]; struct iovec io[BATCH]; struct sockaddr_in src[BATCH];
  for (;;) {
    int n = 0;
    for (; n < BATCH; n++) {
      if (q->tail - q->head >= SLOTS - BATCH) break;
      unsigned s = (q->tail + n) % SLOTS;
      io[n].iov_base = q->data[s]; io[n].iov_len = MAXP;
      memset(&m[n], 0, sizeof m[n]);
      m[n].msg_hdr.msg_iov = &io[n]; m[n].msg_hdr.msg_iovlen = 1;
      m[n].msg_hdr.msg_name = &src[n]; m[n].msg_hdr.msg_namelen = sizeof src[n];
    }
    if (n == 0) { char b[MAXP]; if (recv(fd, b, sizeof b, MSG_DONTWAIT) > 0) { drops++; continue; } return; }
    int r = recvmmsg(fd, m, n, MSG_DONTWAIT, NULL);
    if (r <= 0) return;
    long long due = now_us() + delay;
    for (int i = 0; i < r; i++) {
      unsigned s = (q->tail + i) % SLOTS;
      q->len[s] = lose() ? (lost++, -1) : (int)m[i].msg_len; // -1: lost on the way, never sent
      q->due[s] = due;
    }
    if (from) *from = src[r - 1];
    q->tail += r;
    if (r < n) return;
  }
}
// send what is due
static void push(int fd, struct q *q, struct sockaddr_in *to) {
  long long t = now_us();
  while (q->head != q->tail && q->due[q->head % SLOTS] <= t) {
    struct mmsghdr m[BATCH]; struct iovec io[BATCH]; int n = 0;
    while (n < BATCH && q->head + n != q->tail && q->due[(q->head + n) % SLOTS] <= t) {
      unsigned s = (q->head + n) % SLOTS;
      if (q->len[s] < 0) { if (n) break; q->head++; continue; } // a lost one: send the batch before it, or skip it
      if (t - q->due[s] > 1000) late++;
      if (t - q->due[s] > late_max) late_max = t - q->due[s];
      io[n].iov_base = q->data[s]; io[n].iov_len = q->len[s];
      memset(&m[n], 0, sizeof m[n]);
      m[n].msg_hdr.msg_iov = &io[n]; m[n].msg_hdr.msg_iovlen = 1;
      if (to) { m[n].msg_hdr.msg_name = to; m[n].msg_hdr.msg_namelen = sizeof *to; }
      n++;
    }
    if (n == 0) continue;
    int r = sendmmsg(fd, m, n, 0);
    if (r <= 0) { if (errno == EAGAIN || errno == ENOBUFS) return; r = 1; drops++; }
    q->head += r;
  }
}
static long long next_due(struct q *q) { return q->head == q->tail ? -1 : q->due[q->head % SLOTS]; }

int main(int argc, char **argv) {
  if (argc != 5 && argc != 6) { fprintf(stderr, "usage: udp-delay LISTEN_PORT SERVER_IP SERVER_PORT DELAY_MS [LOSS_PPM]\n"); return 2; }
  long long delay = atoll(argv[4]) * 1000;
  loss_ppm = argc == 6 ? atoll(argv[5]) : 0;
  int buf = 8 << 20;
  int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM, 0);
  setsockopt(a, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf); setsockopt(a, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof buf);
  setsockopt(b, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf); setsockopt(b, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof buf);
  int mark = RELAY_MARK;
  if (setsockopt(b, SOL_SOCKET, SO_MARK, &mark, sizeof mark)) { perror("SO_MARK"); return 1; }
  struct sockaddr_in l = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[1])), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  if (bind(a, (void *)&l, sizeof l)) { perror("bind"); return 1; }
  struct sockaddr_in srv = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[3])) };
  inet_pton(AF_INET, argv[2], &srv.sin_addr);
  if (connect(b, (void *)&srv, sizeof srv)) { perror("connect"); return 1; }
  struct q up, down; qinit(&up); qinit(&down);
  struct sockaddr_in client = {0}; int have_client = 0;
  struct sigaction sa = { .sa_handler = on_signal }; // no SA_RESTART: ppoll returns at once
  sigaction(SIGTERM, &sa, NULL); sigaction(SIGINT, &sa, NULL);
  while (!stop) {
    long long t = now_us(), d1 = next_due(&up), d2 = next_due(&down), d = -1;
    if (d1 >= 0) d = d1;
    if (d2 >= 0 && (d < 0 || d2 < d)) d = d2;
    long long wait = d < 0 ? 1000000 : (d <= t ? 0 : d - t); // us, to the next datagram due
    struct timespec ts = { wait / 1000000, (wait % 1000000) * 1000 };
    struct pollfd p[2] = { { a, POLLIN, 0 }, { b, POLLIN, 0 } };
    ppoll(p, 2, &ts, NULL);
    if (p[0].revents & POLLIN) { pull(a, &up, delay, &client); have_client = 1; }
    if (p[1].revents & POLLIN) pull(b, &down, delay, NULL);
    push(b, &up, NULL);
    if (have_client) push(a, &down, &client);
  }
  fprintf(stderr, "udp-delay: %lld datagrams dropped, %lld released over 1 ms late, at most %lld us late\n", drops, late, late_max);
  if (loss_ppm > 0) fprintf(stderr, "udp-delay: %lld datagrams lost at random (%lld per million)\n", lost, loss_ppm);
  return 0;
}
