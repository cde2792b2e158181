/* The mechanism a "fault delay" would use where the kernel has no netem (issue 22), measured
 * by benchmarks/delay-probe.sh: hold each packet of an NFQUEUE queue for DELAY ms (+- JITTER,
 * uniform), then accept it. Not part of the tool yet. */
#include <arpa/inet.h>
#include <errno.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define MAX_HELD 65536
static struct { uint32_t id; int64_t due; } held[MAX_HELD];
static size_t count;
static int64_t delay_ns, jitter_ns;

static int64_t now_ns(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1000000000LL + t.tv_nsec; }

static int on_packet(struct nfq_q_handle *q, struct nfgenmsg *m, struct nfq_data *d, void *data) {
    struct nfqnl_msg_packet_hdr *h = nfq_get_msg_packet_hdr(d);
    uint32_t id = ntohl(h->packet_id);
    if (count == MAX_HELD) return nfq_set_verdict(q, id, NF_ACCEPT, 0, NULL);
    int64_t j = jitter_ns ? (int64_t)(((double)rand() / RAND_MAX * 2 - 1) * jitter_ns) : 0;
    held[count].id = id; held[count].due = now_ns() + delay_ns + j; count++;
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: delayq QUEUE DELAY_MS JITTER_MS\n"); return 2; }
    delay_ns = atoll(argv[2]) * 1000000LL; jitter_ns = atoll(argv[3]) * 1000000LL;
    struct nfq_handle *h = nfq_open();
    if (!h) { perror("nfq_open"); return 1; }
    struct nfq_q_handle *q = nfq_create_queue(h, atoi(argv[1]), on_packet, NULL);
    if (!q) { perror("nfq_create_queue"); return 1; }
    nfq_set_mode(q, NFQNL_COPY_META, 0);
    nfq_set_queue_maxlen(q, MAX_HELD);
    int fd = nfq_fd(h);
    char buf[65536 + 4096];
    for (;;) {
        int64_t now = now_ns(), next = -1;
        size_t kept = 0;
        for (size_t i = 0; i < count; i++) {
            if (held[i].due <= now) nfq_set_verdict(q, held[i].id, NF_ACCEPT, 0, NULL);
            else { if (next < 0 || held[i].due < next) next = held[i].due; held[kept++] = held[i]; }
        }
        count = kept;
        int timeout = next < 0 ? -1 : (int)((next - now + 999999) / 1000000);
        struct pollfd p = { fd, POLLIN, 0 };
        if (poll(&p, 1, timeout) > 0) {
            int n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
            while (n > 0) { nfq_handle_packet(h, buf, n); n = recv(fd, buf, sizeof buf, MSG_DONTWAIT); }
        }
    }
}
