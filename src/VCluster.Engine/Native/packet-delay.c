/*
 * Delay between nodes where the kernel has no netem (dotnet vcluster fault delay; issue 22).
 *
 * Runs in the sandbox's network namespace while a delay is in force. The fault table marks
 * each packet of a delayed pair with its fault's mark (0x7c10000N), one iptables-nft rule
 * queues marked packets to NFQUEUE QUEUE (nft's own queue statement is not in this kernel),
 * and this program holds each packet for its mark's delay (+- jitter, uniform) before it
 * accepts it. It speaks nfnetlink itself (no libnetfilter_queue), so that it builds for both
 * architectures with nothing but the kernel's headers.
 *
 * Usage: vcluster-packet-delay QUEUE MARK=DELAY_MS[:JITTER_MS]...
 * A packet with another mark passes at once. SIGTERM accepts every held packet, then exits:
 * a change of the delays (the tool restarts this program) loses no packet.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_HELD 65536
#define MAX_MARKS 256

static struct { uint32_t id; int64_t due; } held[MAX_HELD];
static size_t held_count;
static struct { uint32_t mark; int64_t delay_ns, jitter_ns; } marks[MAX_MARKS];
static size_t mark_count;
static int sock;
static uint16_t queue;
static volatile sig_atomic_t stopping;
static uint64_t random_state;

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* xorshift64*: uniform enough for jitter, and no libc state shared with anything. */
static double uniform(void)
{
    random_state ^= random_state >> 12;
    random_state ^= random_state << 25;
    random_state ^= random_state >> 27;
    return (double)((random_state * 2685821657736338717ULL) >> 11) / (double)(1ULL << 53);
}

/* One nfnetlink message of the queue subsystem for QUEUE; attributes go after it. */
static struct nlmsghdr *message(char *buffer, size_t size, int type, int flags)
{
    memset(buffer, 0, size);
    struct nlmsghdr *header = (struct nlmsghdr *)buffer;
    header->nlmsg_len = NLMSG_LENGTH(sizeof(struct nfgenmsg));
    header->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | type;
    header->nlmsg_flags = NLM_F_REQUEST | flags;
    struct nfgenmsg *general = NLMSG_DATA(header);
    general->nfgen_family = AF_UNSPEC;
    general->version = NFNETLINK_V0;
    general->res_id = htons(queue);
    return header;
}

static void attribute(struct nlmsghdr *header, int type, const void *data, size_t length)
{
    struct nlattr *a = (struct nlattr *)((char *)header + NLMSG_ALIGN(header->nlmsg_len));
    a->nla_type = type;
    a->nla_len = NLA_HDRLEN + length;
    memcpy((char *)a + NLA_HDRLEN, data, length);
    header->nlmsg_len = NLMSG_ALIGN(header->nlmsg_len) + NLA_ALIGN(a->nla_len);
}

static int send_message(struct nlmsghdr *header)
{
    struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
    return sendto(sock, header, header->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0 ? -1 : 0;
}

/* Sends a configuration message and reads the kernel's acknowledgement: 0, or its errno. */
static int configure(int attribute_type, const void *data, size_t length)
{
    char buffer[256];
    struct nlmsghdr *header = message(buffer, sizeof buffer, NFQNL_MSG_CONFIG, NLM_F_ACK);
    attribute(header, attribute_type, data, length);
    if (send_message(header) < 0)
        return errno;
    char answer[4096];
    ssize_t n = recv(sock, answer, sizeof answer, 0);
    if (n < 0)
        return errno;
    struct nlmsghdr *reply = (struct nlmsghdr *)answer;
    if (NLMSG_OK(reply, (size_t)n) && reply->nlmsg_type == NLMSG_ERROR)
        return -((struct nlmsgerr *)NLMSG_DATA(reply))->error;
    return 0;
}

static void verdict(uint32_t id)
{
    char buffer[128];
    struct nlmsghdr *header = message(buffer, sizeof buffer, NFQNL_MSG_VERDICT, 0);
    struct nfqnl_msg_verdict_hdr accept = { htonl(NF_ACCEPT), htonl(id) };
    attribute(header, NFQA_VERDICT_HDR, &accept, sizeof accept);
    send_message(header);
}

static void on_packet(struct nlmsghdr *header)
{
    uint32_t id = 0, mark = 0;
    int has_id = 0;
    size_t left = header->nlmsg_len - NLMSG_LENGTH(sizeof(struct nfgenmsg));
    struct nlattr *a = (struct nlattr *)((char *)NLMSG_DATA(header) + NLMSG_ALIGN(sizeof(struct nfgenmsg)));
    while (left >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= left) {
        void *data = (char *)a + NLA_HDRLEN;
        if ((a->nla_type & NLA_TYPE_MASK) == NFQA_PACKET_HDR) {
            id = ntohl(((struct nfqnl_msg_packet_hdr *)data)->packet_id);
            has_id = 1;
        } else if ((a->nla_type & NLA_TYPE_MASK) == NFQA_MARK) {
            mark = ntohl(*(uint32_t *)data);
        }
        size_t step = NLA_ALIGN(a->nla_len);
        if (step >= left)
            break;
        left -= step;
        a = (struct nlattr *)((char *)a + step);
    }
    if (!has_id)
        return;
    for (size_t i = 0; i < mark_count; i++) {
        if (marks[i].mark == mark && held_count < MAX_HELD) {
            int64_t jitter = marks[i].jitter_ns ? (int64_t)((uniform() * 2 - 1) * (double)marks[i].jitter_ns) : 0;
            held[held_count].id = id;
            held[held_count].due = now_ns() + marks[i].delay_ns + jitter;
            held_count++;
            return;
        }
    }
    verdict(id);
}

static void on_term(int signal) { (void)signal; stopping = 1; }

static int usage(void)
{
    fprintf(stderr, "usage: vcluster-packet-delay QUEUE MARK=DELAY_MS[:JITTER_MS]...\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return usage();
    queue = (uint16_t)strtoul(argv[1], NULL, 0);
    for (int i = 2; i < argc && mark_count < MAX_MARKS; i++) {
        char *end;
        marks[mark_count].mark = (uint32_t)strtoul(argv[i], &end, 0);
        if (*end != '=')
            return usage();
        marks[mark_count].delay_ns = strtoll(end + 1, &end, 10) * 1000000LL;
        marks[mark_count].jitter_ns = *end == ':' ? strtoll(end + 1, &end, 10) * 1000000LL : 0;
        if (*end != '\0')
            return usage();
        mark_count++;
    }
    random_state = (uint64_t)now_ns() | 1;

    struct sigaction term = { .sa_handler = on_term };
    sigaction(SIGTERM, &term, NULL);
    sigaction(SIGINT, &term, NULL);

    sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
    if (sock < 0) {
        perror("vcluster-packet-delay: netlink socket");
        return 1;
    }
    struct sockaddr_nl local = { .nl_family = AF_NETLINK };
    if (bind(sock, (struct sockaddr *)&local, sizeof local) < 0) {
        perror("vcluster-packet-delay: bind");
        return 1;
    }
    int size = 8 << 20, on = 1;
    setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    setsockopt(sock, SOL_NETLINK, NETLINK_NO_ENOBUFS, &on, sizeof on);

    struct nfqnl_msg_config_cmd bind_queue = { .command = NFQNL_CFG_CMD_BIND, .pf = htons(AF_INET) };
    struct nfqnl_msg_config_params params = { .copy_range = 0, .copy_mode = NFQNL_COPY_META };
    uint32_t length = htonl(MAX_HELD);
    int error;
    if ((error = configure(NFQA_CFG_CMD, &bind_queue, sizeof bind_queue)) != 0 ||
        (error = configure(NFQA_CFG_PARAMS, &params, sizeof params)) != 0 ||
        (error = configure(NFQA_CFG_QUEUE_MAXLEN, &length, sizeof length)) != 0) {
        fprintf(stderr, "vcluster-packet-delay: cannot bind queue %u: %s\n", queue, strerror(error));
        return 1;
    }
    printf("vcluster-packet-delay: queue %u bound, %zu delays\n", queue, mark_count);
    fflush(stdout);

    static char buffer[1 << 16];
    while (!stopping) {
        int64_t now = now_ns(), next = -1;
        size_t kept = 0;
        for (size_t i = 0; i < held_count; i++) {
            if (held[i].due <= now)
                verdict(held[i].id);
            else {
                if (next < 0 || held[i].due < next)
                    next = held[i].due;
                held[kept++] = held[i];
            }
        }
        held_count = kept;
        int timeout = next < 0 ? -1 : (int)((next - now + 999999) / 1000000);
        struct pollfd ready = { sock, POLLIN, 0 };
        if (poll(&ready, 1, timeout) <= 0)
            continue;
        ssize_t n;
        while ((n = recv(sock, buffer, sizeof buffer, MSG_DONTWAIT)) > 0) {
            int length = (int)n;
            for (struct nlmsghdr *header = (struct nlmsghdr *)buffer; NLMSG_OK(header, length); header = NLMSG_NEXT(header, length)) {
                if ((header->nlmsg_type & 0xff) == NFQNL_MSG_PACKET && (header->nlmsg_type >> 8) == NFNL_SUBSYS_QUEUE)
                    on_packet(header);
            }
        }
    }
    for (size_t i = 0; i < held_count; i++)
        verdict(held[i].id);
    return 0;
}
