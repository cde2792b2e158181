/*
 * Every node's connections to the cluster leave from the node's own address, preloaded into
 * every node process.
 *
 * All nodes share the sandbox's one network namespace, where a connection to another node's
 * address goes over the loopback device, and the kernel picks the destination itself as the
 * source address of a socket that was not bound. On machines a node's RPCs to another node
 * come from its own primary address, which is what per-node network faults (nftables rules
 * on address pairs, `dotnet vcluster fault`) and anything that reads the peer's address
 * see. So a TCP or UDP socket that is not bound yet and connects (or sends, for UDP) to an
 * address of the cluster's network is bound first to VCLUSTER_NODE_ADDRESS, with the port
 * left to connect (IP_BIND_ADDRESS_NO_PORT), as the kernel would pick it. Sockets that are
 * bound already (Ganeti's own TCP ping binds its source), and every other destination, are
 * left alone.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

/* The node's address and the cluster's network, read once; 0 when not a node process. */
static int configured(struct in_addr *node, uint32_t *network, uint32_t *mask)
{
    static int state = -1;
    static struct in_addr node_address;
    static uint32_t net, netmask;
    if (state < 0) {
        const char *address = getenv("VCLUSTER_NODE_ADDRESS");
        const char *cidr = getenv("VCLUSTER_NETWORK");
        char base[INET_ADDRSTRLEN];
        const char *slash = cidr ? strchr(cidr, '/') : NULL;
        struct in_addr base_address;
        state = 0;
        if (address && slash && (size_t)(slash - cidr) < sizeof base && inet_pton(AF_INET, address, &node_address) == 1) {
            memcpy(base, cidr, slash - cidr);
            base[slash - cidr] = 0;
            int prefix = atoi(slash + 1);
            if (inet_pton(AF_INET, base, &base_address) == 1 && prefix > 0 && prefix <= 32) {
                netmask = prefix == 32 ? 0xffffffffu : ~(0xffffffffu >> prefix);
                net = ntohl(base_address.s_addr) & netmask;
                state = 1;
            }
        }
    }
    *node = node_address;
    *network = net;
    *mask = netmask;
    return state;
}

/* Binds an unbound IPv4 TCP or UDP socket headed into the cluster's network to the node's address. */
static void bind_to_node(int fd, const struct sockaddr *to, socklen_t length)
{
    struct in_addr node;
    uint32_t network, mask;
    if (!to || length < (socklen_t)sizeof(struct sockaddr_in) || to->sa_family != AF_INET || !configured(&node, &network, &mask))
        return;
    uint32_t destination = ntohl(((const struct sockaddr_in *)to)->sin_addr.s_addr);
    if ((destination & mask) != network)
        return;
    struct sockaddr_in bound;
    socklen_t bound_length = sizeof bound;
    int type;
    socklen_t type_length = sizeof type;
    if (getsockname(fd, (struct sockaddr *)&bound, &bound_length) != 0 || bound.sin_family != AF_INET
        || bound.sin_port != 0 || bound.sin_addr.s_addr != htonl(INADDR_ANY))
        return;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_length) != 0 || (type != SOCK_STREAM && type != SOCK_DGRAM))
        return;
    int saved = errno;
    int one = 1;
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    struct sockaddr_in source = { .sin_family = AF_INET, .sin_port = 0, .sin_addr = node };
    bind(fd, (struct sockaddr *)&source, sizeof source); /* on failure the kernel picks, as before */
    errno = saved;
}

int connect(int fd, const struct sockaddr *to, socklen_t length)
{
    static int (*real)(int, const struct sockaddr *, socklen_t);
    if (!real)
        real = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "connect");
    bind_to_node(fd, to, length);
    return real(fd, to, length);
}

ssize_t sendto(int fd, const void *buffer, size_t size, int flags, const struct sockaddr *to, socklen_t length)
{
    static ssize_t (*real)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
    if (!real)
        real = (ssize_t (*)(int, const void *, size_t, int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "sendto");
    bind_to_node(fd, to, length);
    return real(fd, buffer, size, flags, to, length);
}
