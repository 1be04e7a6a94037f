/*
 * node.c - a dqlite node whose SQLite connections all have the joblib_*
 * functions: the static library (libjoblib.a) registered with
 * sqlite3_auto_extension before the node opens any database, so SQL sent
 * through a dqlite client (`dqlite -s ADDR DB "SELECT joblib_load(...)"`)
 * runs the extension on the leader.
 *
 *   joblib-dqlite-node ID ADDRESS DATA_DIR [JOIN_ADDRESS]
 *
 * ID 1 bootstraps a new cluster on its first start (dqlite's rule). Another
 * ID joins once, on its first start, by JOIN_ADDRESS (any member): the node
 * asks that member for the leader, then sends the leader the client
 * protocol's ADD and ASSIGN (voter) requests, what go-dqlite's client.Add
 * does (libdqlite 1.11 has no join call and the Debian `dqlite` shell no
 * .add command). A restart passes no JOIN_ADDRESS: the node is a member.
 * Runs until SIGTERM or SIGINT, then stops the node. Binds ADDRESS only.
 */
#include <dqlite.h>
#include <sqlite3.h>

#include "sqlite_joblib.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ---- the client protocol, just enough to join (little-endian hosts) ---- */
enum { REQ_LEADER = 0, REQ_ADD = 12, REQ_ASSIGN = 13, RES_SERVER = 1, RES_EMPTY = 8 };

static int dial(const char *address) {
    char host[64];
    const char *colon = strrchr(address, ':');
    if (!colon || (size_t)(colon - address) >= sizeof host) return -1;
    memcpy(host, address, (size_t)(colon - address));
    host[colon - address] = '\0';
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    uint64_t protocol = 1; /* handshake: the protocol version */
    if (fd < 0 || inet_pton(AF_INET, host, &sa.sin_addr) != 1 ||
        connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        write(fd, &protocol, 8) != 8) {
        if (fd >= 0) close(fd);
        return -1;
    }
    return fd;
}

static int read_full(int fd, void *buf, size_t n) {
    for (size_t got = 0; got < n;) {
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r <= 0) return -1;
        got += (size_t)r;
    }
    return 0;
}

/* Sends a request (body padded to 8 bytes), reads the response into body;
 * returns the response type, or -1. */
static int roundtrip(int fd, int type, uint8_t *body, size_t len, size_t cap) {
    uint8_t header[8] = {0};
    uint32_t words = (uint32_t)((len + 7) / 8);
    memcpy(header, &words, 4);
    header[4] = (uint8_t)type;
    memset(body + len, 0, words * 8 - len);
    if (write(fd, header, 8) != 8 || write(fd, body, words * 8) != (ssize_t)(words * 8) ||
        read_full(fd, header, 8) != 0)
        return -1;
    memcpy(&words, header, 4);
    if ((size_t)words * 8 > cap || read_full(fd, body, (size_t)words * 8) != 0) return -1;
    return header[4];
}

static int join(const char *via, dqlite_node_id id, const char *address) {
    uint8_t body[512] = {0};
    size_t alen = strlen(address) + 1;
    int fd = dial(via), ok = 0;
    if (fd < 0 || alen > 256) goto done;
    if (roundtrip(fd, REQ_LEADER, body, 8, sizeof body) != RES_SERVER || !body[8]) goto done;
    close(fd);
    fd = dial((const char *)body + 8); /* the leader's address */
    if (fd < 0) goto done;
    memset(body, 0, sizeof body);
    memcpy(body, &id, 8);
    memcpy(body + 8, address, alen);
    roundtrip(fd, REQ_ADD, body, 8 + alen, sizeof body); /* fails on a retry: added */
    uint64_t role = 0; /* voter; ASSIGN answers once the node has caught up */
    memcpy(body, &id, 8);
    memcpy(body + 8, &role, 8);
    ok = roundtrip(fd, REQ_ASSIGN, body, 16, sizeof body) == RES_EMPTY;
done:
    if (fd >= 0) close(fd);
    return ok;
}

int main(int argc, char **argv) {
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: %s ID ADDRESS DATA_DIR [JOIN_ADDRESS]\n", argv[0]);
        return 2;
    }
    dqlite_node_id id = strtoull(argv[1], NULL, 10);
    /* every connection the node opens gets the joblib_* functions */
    sqlite3_auto_extension((void (*)(void))sqlite3_joblib_init);

    /* a peer that goes away must not kill the node: raft writes to its socket */
    signal(SIGPIPE, SIG_IGN);
    /* SIGTERM and SIGINT are waited for, so blocked in every thread */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    dqlite_node *node = NULL;
    if (dqlite_node_create(id, argv[2], argv[3], &node) != 0 ||
        dqlite_node_set_bind_address(node, argv[2]) != 0 || dqlite_node_start(node) != 0) {
        fprintf(stderr, "node %llu: %s\n", id, node ? dqlite_node_errmsg(node) : "cannot create");
        return 1;
    }
    fprintf(stderr, "node %llu: serving %s from %s\n", id, argv[2], argv[3]);
    if (argc == 5) {
        int tries = 0;
        while (!join(argv[4], id, argv[2]) && ++tries < 50) {
            nanosleep(&(struct timespec){0, 200 * 1000 * 1000}, NULL);
        }
        fprintf(stderr, "node %llu: %s the cluster via %s\n", id, tries < 50 ? "joined" : "could not join", argv[4]);
    }

    int sig;
    sigwait(&stop, &sig);
    dqlite_node_stop(node);
    dqlite_node_destroy(node);
    fprintf(stderr, "node %llu: stopped\n", id);
    return 0;
}
