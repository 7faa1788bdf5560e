/*
 * imap_floor: the libcurl transfer floor for SeatMeter's IMAP benchmark.
 *
 *   cc -O2 -o imap_floor scripts/imap_floor.c -lcurl
 *   imap_floor --fields "FROM TO ..." [--cafile CA] URL USER PASSWORD [FOLDER ...]
 *
 * URL is imap://127.0.0.1:PORT or imaps://127.0.0.1:PORT; PASSWORD is the password, or @FILE to read it from FILE
 * (first line). FOLDERs default to INBOX.
 * libcurl connects, verifies TLS and authenticates (CURLOPT_CONNECT_ONLY); then, over curl_easy_send/curl_easy_recv,
 * per folder: `a EXAMINE <folder>` and `b UID FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (<fields>)])`, reading and
 * discarding everything until the tagged reply. Literals `{n}` are skipped by count, so nothing inside a header
 * block is mistaken for a tagged reply. Prints one JSON line:
 *   {"messages": FETCH responses, "bytes": bytes received, "seconds": total incl. connect+login,
 *    "connect_seconds": ..., "fetch_seconds": ...}
 * Exit status 1 on any error (message on stderr).
 * The bench passes the fields SeatMeter's sync fetches (`seatmeter-bench fields`), so the floor moves the same bytes.
 */
#define _GNU_SOURCE /* memmem */
#include <curl/curl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define IDLE_TIMEOUT_MS 30000

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *detail) {
    fprintf(stderr, "imap_floor: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(1);
}

static void wait_socket(curl_socket_t fd, short events) {
    struct pollfd p = {.fd = fd, .events = events};
    int rc = poll(&p, 1, IDLE_TIMEOUT_MS);
    if (rc == 0) die("timeout", "server silent for 30 s");
    if (rc < 0) die("poll failed", NULL);
}

static void send_all(CURL *curl, curl_socket_t fd, const char *text) {
    size_t len = strlen(text), off = 0;
    while (off < len) {
        size_t sent = 0;
        CURLcode rc = curl_easy_send(curl, text + off, len - off, &sent);
        if (rc == CURLE_AGAIN) { wait_socket(fd, POLLOUT); continue; }
        if (rc != CURLE_OK) die("send failed", curl_easy_strerror(rc));
        off += sent;
    }
}

/* Streaming scanner of IMAP responses: lines, with literals {n} skipped by count. */
struct scanner {
    char tag;               /* the tag whose completion we wait for */
    unsigned long long skip; /* literal bytes still to skip */
    int line_start;         /* the current segment starts a new response line */
    char head[120];         /* first bytes of the current segment */
    size_t head_len;
    char tail[32];          /* last bytes of the current segment */
    size_t tail_len;
    long messages;          /* untagged FETCH responses seen */
    int done;               /* 1: tagged OK; -1: tagged NO/BAD */
    char status[200];
};

static void segment_end(struct scanner *s) {
    /* The segment ends with LF. A literal marker "{n}\r\n" (or "{n+}") means the line continues after n bytes. */
    char t[33];
    memcpy(t, s->tail, s->tail_len);
    t[s->tail_len] = 0;
    size_t n = s->tail_len;
    int literal = 0;
    if (n >= 4 && t[n - 1] == '\n' && t[n - 2] == '\r' && t[n - 3] == '}') {
        size_t i = n - 4;
        if (t[i] == '+') i--;
        size_t end = i + 1;
        while (i > 0 && t[i] >= '0' && t[i] <= '9') i--;
        if (t[i] == '{' && end > i + 1) {
            s->skip = strtoull(t + i + 1, NULL, 10);
            literal = 1;
        }
    }
    if (s->line_start) {
        if (s->head_len >= 2 && s->head[0] == '*' && s->head[1] == ' ' &&
            memmem(s->head, s->head_len, " FETCH ", 7) != NULL)
            s->messages++;
        if (s->head_len >= 2 && s->head[0] == s->tag && s->head[1] == ' ') {
            size_t k = s->head_len < sizeof s->status - 1 ? s->head_len : sizeof s->status - 1;
            memcpy(s->status, s->head, k);
            s->status[k] = 0;
            s->status[strcspn(s->status, "\r\n")] = 0;
            s->done = (s->head_len >= 4 && memcmp(s->head + 2, "OK", 2) == 0) ? 1 : -1;
        }
    }
    s->line_start = !literal;
    s->head_len = 0;
    s->tail_len = 0;
}

static void scan(struct scanner *s, const char *buf, size_t n) {
    size_t i = 0;
    while (i < n && !s->done) {
        if (s->skip) {
            size_t k = (unsigned long long)(n - i) < s->skip ? n - i : (size_t)s->skip;
            s->skip -= k;
            i += k;
            continue;
        }
        char c = buf[i++];
        if (s->head_len < sizeof s->head) s->head[s->head_len++] = c;
        if (s->tail_len == sizeof s->tail) {
            memmove(s->tail, s->tail + 1, sizeof s->tail - 1);
            s->tail_len--;
        }
        s->tail[s->tail_len++] = c;
        if (c == '\n') segment_end(s);
    }
}

#define RECEIVE_BUFFER_SIZE (256 * 1024)

static long long command(CURL *curl, curl_socket_t fd, char tag, const char *text, long *messages) {
    static char buf[RECEIVE_BUFFER_SIZE];
    struct scanner s;
    memset(&s, 0, sizeof s);
    s.tag = tag;
    s.line_start = 1;
    send_all(curl, fd, text);
    long long total = 0;
    while (!s.done) {
        size_t got = 0;
        CURLcode rc = curl_easy_recv(curl, buf, sizeof buf, &got);
        if (rc == CURLE_AGAIN) { wait_socket(fd, POLLIN); continue; }
        if (rc != CURLE_OK) die("receive failed", curl_easy_strerror(rc));
        if (got == 0) die("connection closed by the server", NULL);
        total += (long long)got;
        scan(&s, buf, got);
    }
    if (s.done < 0) die("command failed", s.status);
    if (messages) *messages += s.messages;
    return total;
}

int main(int argc, char **argv) {
    const char *cafile = NULL, *fields = NULL;
    int i = 1;
    for (;;) {
        if (i + 1 < argc && strcmp(argv[i], "--cafile") == 0) { cafile = argv[i + 1]; i += 2; }
        else if (i + 1 < argc && strcmp(argv[i], "--fields") == 0) { fields = argv[i + 1]; i += 2; }
        else break;
    }
    if (argc - i < 3 || !fields) {
        fprintf(stderr, "usage: imap_floor --fields \"FROM TO ...\" [--cafile CA] imap[s]://127.0.0.1:PORT USER "
                        "PASSWORD|@FILE [FOLDER ...]\n");
        return 2;
    }
    if (strpbrk(fields, "()\"\\\r\n") || strlen(fields) > 1000) die("unusable --fields", fields);
    const char *url = argv[i], *user = argv[i + 1], *pass = argv[i + 2];
    char pwbuf[1024];
    if (pass[0] == '@') {
        FILE *f = fopen(pass + 1, "r");
        if (!f) die("cannot read the password file", pass + 1);
        if (!fgets(pwbuf, sizeof pwbuf, f)) pwbuf[0] = 0;
        fclose(f);
        pwbuf[strcspn(pwbuf, "\r\n")] = 0;
        pass = pwbuf;
    }
    char **folders = argv + i + 3;
    int nfolders = argc - i - 3;
    static char *inbox[] = {"INBOX"};
    if (nfolders == 0) { folders = inbox; nfolders = 1; }

    double t0 = now();
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) die("curl_global_init failed", NULL);
    CURL *curl = curl_easy_init();
    if (!curl) die("curl_easy_init failed", NULL);
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_USERNAME, user);
    curl_easy_setopt(curl, CURLOPT_PASSWORD, pass);
    curl_easy_setopt(curl, CURLOPT_CONNECT_ONLY, 1L);
    /* curl_easy_recv returns at most CURLOPT_BUFFERSIZE bytes per call (default 16 KB): let it fill buf. */
    curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, (long)RECEIVE_BUFFER_SIZE);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 15L);
    if (cafile) curl_easy_setopt(curl, CURLOPT_CAINFO, cafile);
    CURLcode rc = curl_easy_perform(curl);
    if (rc != CURLE_OK) die(curl_easy_strerror(rc), errbuf[0] ? errbuf : NULL);
    curl_socket_t fd = CURL_SOCKET_BAD;
    rc = curl_easy_getinfo(curl, CURLINFO_ACTIVESOCKET, &fd);
    if (rc != CURLE_OK || fd == CURL_SOCKET_BAD) die("no active socket", NULL);
    double t1 = now();

    long long bytes = 0;
    long messages = 0;
    char cmd[1200], fetch[1200];
    snprintf(fetch, sizeof fetch, "b UID FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (%s)])\r\n", fields);
    for (int f = 0; f < nfolders; f++) {
        if (strpbrk(folders[f], "\"\\\r\n")) die("folder names with quotes, backslashes or line ends are not supported", folders[f]);
        snprintf(cmd, sizeof cmd, "a EXAMINE \"%s\"\r\n", folders[f]);
        bytes += command(curl, fd, 'a', cmd, NULL);
        bytes += command(curl, fd, 'b', fetch, &messages);
    }
    double t2 = now();
    send_all(curl, fd, "z LOGOUT\r\n");
    curl_easy_cleanup(curl);
    curl_global_cleanup();
    printf("{\"messages\": %ld, \"bytes\": %lld, \"seconds\": %.4f, \"connect_seconds\": %.4f, \"fetch_seconds\": %.4f}\n",
           messages, bytes, t2 - t0, t1 - t0, t2 - t1);
    return 0;
}
